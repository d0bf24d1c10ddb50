// Key-value storage with namespaces (Memory, LocalFs) and the resource repository on top of it.
//
// LocalFs keeps one file per key at <dir>/<namespace>/<key with '/' written as "\x2F">, as
// upstream's key-value storage does. The resource repository can instead use the older tree
// layout <dir>/<repo>/<type>/<tag>. Writes are atomic (temporary file + rename) and 0600.
#ifndef COCOON_KBS_STORAGE_H_
#define COCOON_KBS_STORAGE_H_

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cocoon::kbs {

class KeyValueStore {
 public:
  virtual ~KeyValueStore() = default;
  virtual absl::StatusOr<std::optional<std::string>> Get(absl::string_view ns,
                                                         absl::string_view key) const = 0;
  virtual absl::Status Set(absl::string_view ns, absl::string_view key,
                           absl::string_view value) = 0;
  // Returns false when the key did not exist.
  virtual absl::StatusOr<bool> Delete(absl::string_view ns, absl::string_view key) = 0;
  virtual absl::StatusOr<std::vector<std::string>> List(absl::string_view ns) const = 0;
};

// Keys: [A-Za-z0-9._/-], not starting with '.' or '/', no ".." segment, no empty segment.
absl::Status ValidateStorageKey(absl::string_view key);

std::unique_ptr<KeyValueStore> NewMemoryStore();
// Creates `dir` (0700) if needed.
absl::StatusOr<std::unique_ptr<KeyValueStore>> NewLocalFsStore(const std::string& dir);

// A resource path repo/type/tag, each segment ^[A-Za-z0-9_\-]+[A-Za-z0-9_\-.]*$.
struct ResourcePath {
  std::string repository, type, tag;
  std::string ToString() const { return repository + "/" + type + "/" + tag; }
};
// `segments` are the URL path segments after "resource".
absl::StatusOr<ResourcePath> ParseResourcePath(const std::vector<std::string>& segments);
absl::StatusOr<ResourcePath> ParseResourcePath(absl::string_view path);  // "repo/type/tag"

class ResourceStore {
 public:
  virtual ~ResourceStore() = default;
  // NotFound when missing.
  virtual absl::StatusOr<std::string> Get(const ResourcePath& path) const = 0;
  virtual absl::Status Set(const ResourcePath& path, absl::string_view data) = 0;
  virtual absl::Status Delete(const ResourcePath& path) = 0;
};

// The "repository" namespace of a key-value store (not owned).
std::unique_ptr<ResourceStore> NewKvResourceStore(KeyValueStore* kv);
// The tree layout <dir>/<repo>/<type>/<tag>.
std::unique_ptr<ResourceStore> NewTreeResourceStore(const std::string& dir);

}  // namespace cocoon::kbs

#endif  // COCOON_KBS_STORAGE_H_
