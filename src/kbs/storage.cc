#include "kbs/storage.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "base/file_util.h"
#include "base/status.h"

namespace cocoon::kbs {
namespace {

constexpr uint64_t kMaxValueSize = 64ull << 20;

bool IsKeyChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-' || c == '/';
}

bool IsSegmentChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

absl::Status ValidateSegment(absl::string_view s, absl::string_view what) {
  if (s.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("resource ", what, " is empty"));
  }
  if (!IsSegmentChar(s[0])) {
    return absl::InvalidArgumentError(
        absl::StrCat("resource ", what, " \"", s, "\" must start with [A-Za-z0-9_-]"));
  }
  for (char c : s) {
    if (!IsSegmentChar(c) && c != '.') {
      return absl::InvalidArgumentError(
          absl::StrCat("resource ", what, " contains a character outside [A-Za-z0-9_.-]"));
    }
  }
  return absl::OkStatus();
}

absl::Status MakeDirs(const std::string& dir) {
  // Every prefix that ends before a '/', then the whole path.
  for (size_t pos = dir.find('/', 1);; pos = dir.find('/', pos + 1)) {
    const std::string prefix = pos == std::string::npos ? dir : dir.substr(0, pos);
    if (!prefix.empty() && mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
      return ErrnoStatus(errno, "cannot create directory", prefix);
    }
    if (pos == std::string::npos) break;
  }
  return absl::OkStatus();
}

std::string KeyToFileName(absl::string_view key) {
  return absl::StrReplaceAll(key, {{"/", "\\x2F"}});
}

class MemoryStore final : public KeyValueStore {
 public:
  absl::StatusOr<std::optional<std::string>> Get(absl::string_view ns,
                                                 absl::string_view key) const override {
    absl::ReaderMutexLock lock(&mu_);
    auto it = data_.find(Key(ns, key));
    if (it == data_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  absl::Status Set(absl::string_view ns, absl::string_view key, absl::string_view value) override {
    COCOON_RETURN_IF_ERROR(ValidateStorageKey(key));
    absl::MutexLock lock(&mu_);
    data_[Key(ns, key)] = std::string(value);
    return absl::OkStatus();
  }
  absl::StatusOr<bool> Delete(absl::string_view ns, absl::string_view key) override {
    absl::MutexLock lock(&mu_);
    return data_.erase(Key(ns, key)) > 0;
  }
  absl::StatusOr<std::vector<std::string>> List(absl::string_view ns) const override {
    absl::ReaderMutexLock lock(&mu_);
    std::vector<std::string> out;
    const std::string prefix = absl::StrCat(ns, "\n");
    for (auto it = data_.lower_bound(prefix); it != data_.end(); ++it) {
      if (it->first.compare(0, prefix.size(), prefix) != 0) break;
      out.push_back(it->first.substr(prefix.size()));
    }
    return out;
  }

 private:
  static std::string Key(absl::string_view ns, absl::string_view key) {
    return absl::StrCat(ns, "\n", key);
  }
  mutable absl::Mutex mu_;
  std::map<std::string, std::string> data_;
};

class LocalFsStore final : public KeyValueStore {
 public:
  explicit LocalFsStore(std::string dir) : dir_(std::move(dir)) {}

  absl::StatusOr<std::optional<std::string>> Get(absl::string_view ns,
                                                 absl::string_view key) const override {
    COCOON_RETURN_IF_ERROR(ValidateStorageKey(key));
    const std::string path = PathOf(ns, key);
    absl::StatusOr<std::string> data = ReadFile(path, kMaxValueSize);
    if (!data.ok()) {
      if (access(path.c_str(), F_OK) != 0 && errno == ENOENT) return std::optional<std::string>();
      return data.status();
    }
    return std::optional<std::string>(*std::move(data));
  }
  absl::Status Set(absl::string_view ns, absl::string_view key, absl::string_view value) override {
    COCOON_RETURN_IF_ERROR(ValidateStorageKey(key));
    COCOON_RETURN_IF_ERROR(MakeDirs(absl::StrCat(dir_, "/", ns)));
    return WriteFileAtomic(PathOf(ns, key), value, 0600);
  }
  absl::StatusOr<bool> Delete(absl::string_view ns, absl::string_view key) override {
    COCOON_RETURN_IF_ERROR(ValidateStorageKey(key));
    const std::string path = PathOf(ns, key);
    if (unlink(path.c_str()) != 0) {
      if (errno == ENOENT) return false;
      return ErrnoStatus(errno, "cannot delete", path);
    }
    return true;
  }
  absl::StatusOr<std::vector<std::string>> List(absl::string_view ns) const override {
    std::vector<std::string> out;
    const std::string dir = absl::StrCat(dir_, "/", ns);
    DIR* d = opendir(dir.c_str());
    if (d == nullptr) return out;
    while (struct dirent* e = readdir(d)) {
      const std::string name = e->d_name;
      if (name.empty() || name[0] == '.') continue;
      out.push_back(absl::StrReplaceAll(name, {{"\\x2F", "/"}}));
    }
    closedir(d);
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  std::string PathOf(absl::string_view ns, absl::string_view key) const {
    return absl::StrCat(dir_, "/", ns, "/", KeyToFileName(key));
  }
  std::string dir_;
};

absl::Status NotFound(const ResourcePath& path) {
  return absl::NotFoundError(absl::StrCat("resource ", path.ToString(), " not found"));
}

class KvResourceStore final : public ResourceStore {
 public:
  explicit KvResourceStore(KeyValueStore* kv) : kv_(kv) {}
  absl::StatusOr<std::string> Get(const ResourcePath& path) const override {
    COCOON_ASSIGN_OR_RETURN(std::optional<std::string> v, kv_->Get("repository", path.ToString()));
    if (!v) return NotFound(path);
    return *std::move(v);
  }
  absl::Status Set(const ResourcePath& path, absl::string_view data) override {
    return kv_->Set("repository", path.ToString(), data);
  }
  absl::Status Delete(const ResourcePath& path) override {
    COCOON_ASSIGN_OR_RETURN(bool existed, kv_->Delete("repository", path.ToString()));
    if (!existed) return NotFound(path);
    return absl::OkStatus();
  }

 private:
  KeyValueStore* kv_;
};

class TreeResourceStore final : public ResourceStore {
 public:
  explicit TreeResourceStore(std::string dir) : dir_(std::move(dir)) {}
  absl::StatusOr<std::string> Get(const ResourcePath& path) const override {
    const std::string file = FileOf(path);
    absl::StatusOr<std::string> data = ReadFile(file, kMaxValueSize);
    if (!data.ok()) {
      if (access(file.c_str(), F_OK) != 0 && errno == ENOENT) return NotFound(path);
      return data.status();
    }
    return data;
  }
  absl::Status Set(const ResourcePath& path, absl::string_view data) override {
    COCOON_RETURN_IF_ERROR(MakeDirs(absl::StrCat(dir_, "/", path.repository, "/", path.type)));
    return WriteFileAtomic(FileOf(path), data, 0600);
  }
  absl::Status Delete(const ResourcePath& path) override {
    const std::string file = FileOf(path);
    if (unlink(file.c_str()) != 0) {
      if (errno == ENOENT) return NotFound(path);
      return ErrnoStatus(errno, "cannot delete", file);
    }
    return absl::OkStatus();
  }

 private:
  std::string FileOf(const ResourcePath& path) const {
    return absl::StrCat(dir_, "/", path.repository, "/", path.type, "/", path.tag);
  }
  std::string dir_;
};

}  // namespace

absl::Status ValidateStorageKey(absl::string_view key) {
  if (key.empty()) return absl::InvalidArgumentError("storage key is empty");
  if (key[0] == '.' || key[0] == '/') {
    return absl::InvalidArgumentError("storage key must not start with '.' or '/'");
  }
  for (char c : key) {
    if (!IsKeyChar(c)) {
      return absl::InvalidArgumentError("storage key contains a character outside [A-Za-z0-9._/-]");
    }
  }
  for (absl::string_view seg : absl::StrSplit(key, '/')) {
    if (seg.empty() || seg == "." || seg == "..") {
      return absl::InvalidArgumentError("storage key has an empty, '.' or '..' segment");
    }
  }
  return absl::OkStatus();
}

std::unique_ptr<KeyValueStore> NewMemoryStore() { return std::make_unique<MemoryStore>(); }

absl::StatusOr<std::unique_ptr<KeyValueStore>> NewLocalFsStore(const std::string& dir) {
  COCOON_RETURN_IF_ERROR(MakeDirs(dir));
  return std::unique_ptr<KeyValueStore>(new LocalFsStore(dir));
}

absl::StatusOr<ResourcePath> ParseResourcePath(const std::vector<std::string>& segments) {
  if (segments.size() != 3) {
    return absl::InvalidArgumentError(absl::StrCat(
        "resource path must have 3 segments repository/type/tag, got ", segments.size()));
  }
  COCOON_RETURN_IF_ERROR(ValidateSegment(segments[0], "repository"));
  COCOON_RETURN_IF_ERROR(ValidateSegment(segments[1], "type"));
  COCOON_RETURN_IF_ERROR(ValidateSegment(segments[2], "tag"));
  return ResourcePath{segments[0], segments[1], segments[2]};
}

absl::StatusOr<ResourcePath> ParseResourcePath(absl::string_view path) {
  std::vector<std::string> segments = absl::StrSplit(path, '/');
  return ParseResourcePath(segments);
}

std::unique_ptr<ResourceStore> NewKvResourceStore(KeyValueStore* kv) {
  return std::make_unique<KvResourceStore>(kv);
}

std::unique_ptr<ResourceStore> NewTreeResourceStore(const std::string& dir) {
  return std::make_unique<TreeResourceStore>(dir);
}

}  // namespace cocoon::kbs
