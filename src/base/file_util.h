// File helpers: bounded reads and crash-safe writes.
#ifndef COCOON_BASE_FILE_UTIL_H_
#define COCOON_BASE_FILE_UTIL_H_

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cocoon {

inline constexpr uint64_t kDefaultMaxFileSize = 64ull << 20;

// Reads a whole file; fails (naming the path) if it is larger than `max_size`.
absl::StatusOr<std::string> ReadFile(const std::string& path,
                                     uint64_t max_size = kDefaultMaxFileSize);

// Writes `data` to `path` so that readers see either the old file or the complete new one: a
// temporary file in the same directory, created with `mode` (so a secret is never briefly
// world-readable), fsync, rename, then fsync of the directory.
absl::Status WriteFileAtomic(const std::string& path, absl::string_view data, mode_t mode = 0644);

// An errno-carrying status: "<what> <path>: <strerror>".
absl::Status ErrnoStatus(int err, absl::string_view what, absl::string_view path);

// Fsyncs a directory so that renames and creations inside it are durable.
absl::Status SyncDirectory(const std::string& dir);

// Removes a file or a directory tree; missing paths are not an error.
absl::Status RemoveAll(const std::string& path);

// Creates a fresh directory named `<prefix>XXXXXX` (mkdtemp), mode 0700.
absl::StatusOr<std::string> MakeTempDir(const std::string& prefix);

}  // namespace cocoon

#endif  // COCOON_BASE_FILE_UTIL_H_
