// offline_fs_kbc (docs/reference/guest-components.md §4.2): resources from local JSON files, no
// attestation. Each file is a JSON object {"<repo>/<type>/<tag>": "<std base64 value>"}; files
// are read in order (keys file, resources file, then the comma-separated paths of the env var
// OFFLINE_FS_KBC_EXTRA_FILE_PATH), later duplicates win with a warning. A missing file is a
// warning, a malformed one an error naming the file and the key (values are never quoted).
// Lookup key: ResourceUri::ResourcePath().
//
// For demos and tests only: the keys sit in plaintext on the node's disk.
#ifndef COCOON_CDH_OFFLINE_FS_KBC_H_
#define COCOON_CDH_OFFLINE_FS_KBC_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/secret_bytes.h"
#include "cdh/kbc.h"

namespace cocoon::cdh {

inline constexpr absl::string_view kOfflineFsExtraFilesEnv = "OFFLINE_FS_KBC_EXTRA_FILE_PATH";
inline constexpr uint64_t kMaxOfflineFsFileSize = 16u << 20;

struct OfflineFsKbcOptions {
  std::vector<std::string> files;  // read in this order
};

// The upstream file list: keys file, resources file, then $OFFLINE_FS_KBC_EXTRA_FILE_PATH.
OfflineFsKbcOptions OfflineFsKbcOptionsFromConfig(const KbcConfig& config);

class OfflineFsKbc : public Kbc {
 public:
  static absl::StatusOr<std::unique_ptr<OfflineFsKbc>> Load(const OfflineFsKbcOptions& options,
                                                            std::vector<std::string>* warnings);
  // Parses one file's contents (for tests and the fuzz target); `what` names it in errors.
  absl::Status AddFile(absl::string_view json, absl::string_view what,
                       std::vector<std::string>* warnings);

  absl::string_view name() const override { return "offline_fs_kbc"; }
  absl::StatusOr<SecretBytes> GetResource(const ResourceUri& uri) override;
  size_t size() const { return resources_.size(); }

 private:
  std::map<std::string, SecretBytes, std::less<>> resources_;
};

}  // namespace cocoon::cdh

#endif  // COCOON_CDH_OFFLINE_FS_KBC_H_
