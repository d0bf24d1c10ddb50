// confidential-data-hub configuration (docs/reference/guest-components.md §4.1), read from JSON
// or TOML chosen by the file extension as upstream's `config` crate does (`.json`, `.toml`; any
// other extension is an error naming the two).
//
//   {"socket": "127.0.0.1:50000" | "unix:///run/confidential-containers/cdh.sock",
//    "kbc": {"name": "offline_fs_kbc" | "cc_kbc", "url": "...", "kbs_cert": "PEM"},
//    "aa": {"aa_socket": "unix:///..."}, "credentials": [{"resource_uri", "path"}],
//    "image": {...}, "skip_sealed_secret_verification": false, "log": {"level": "info"}}
//
// Unknown keys are ignored, as upstream (serde without deny_unknown_fields) ignores them, so
// configs written for guest-components work unchanged; each one is reported in `warnings` so the
// daemon can log it (a misspelt key is then visible). Keys of the wrong type are errors naming the
// key. `image.*` is accepted and reported as unused (cocoon's CDH does not pull images).
//
// cocoon extensions (ignored by upstream, so a file stays valid for both):
//   ttrpc_socket               with a TCP `socket`: the unix socket for the ttrpc APIs
//                              (GetResource, UnWrapKey); "" disables it. Default: none.
//   kbc.offline_fs_keys_file   default /etc/aa-offline_fs_kbc-keys.json
//   kbc.offline_fs_resources_file  default /etc/aa-offline_fs_kbc-resources.json
#ifndef COCOON_CDH_CONFIG_H_
#define COCOON_CDH_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cocoon::cdh {

inline constexpr absl::string_view kDefaultCdhSocket =
    "unix:///run/confidential-containers/cdh.sock";
inline constexpr absl::string_view kDefaultAaSocket =
    "unix:///run/confidential-containers/attestation-agent/attestation-agent.sock";
inline constexpr absl::string_view kDefaultOfflineFsKeysFile = "/etc/aa-offline_fs_kbc-keys.json";
inline constexpr absl::string_view kDefaultOfflineFsResourcesFile =
    "/etc/aa-offline_fs_kbc-resources.json";

struct KbcConfig {
  std::string name;  // required: "offline_fs_kbc" or "cc_kbc"
  std::string url;
  std::string kbs_cert;  // PEM, optional
  std::string offline_fs_keys_file = std::string(kDefaultOfflineFsKeysFile);
  std::string offline_fs_resources_file = std::string(kDefaultOfflineFsResourcesFile);
  std::string aa_socket = std::string(kDefaultAaSocket);  // cc_kbc: copied from aa.aa_socket
};

struct CredentialConfig {
  std::string resource_uri;
  std::string path;
};

struct CdhConfig {
  std::string socket = std::string(kDefaultCdhSocket);
  std::string ttrpc_socket;  // cocoon extension, see above
  KbcConfig kbc;
  std::string aa_socket = std::string(kDefaultAaSocket);
  std::vector<CredentialConfig> credentials;
  bool skip_sealed_secret_verification = false;
  std::string log_level = "info";

  // One line per ignored or unused key ("unknown key \"foo\" ignored").
  std::vector<std::string> warnings;
};

enum class ConfigFormat { kJson, kToml };

// Parses config text. Errors name the key ("kbc.name: required").
absl::StatusOr<CdhConfig> ParseCdhConfig(absl::string_view text, ConfigFormat format);

// Reads `path` (at most 1 MiB) in the format its extension names.
absl::StatusOr<CdhConfig> LoadCdhConfig(const std::string& path);

// True when `socket` names a unix socket ("unix://..." or an absolute path).
bool IsUnixSocketAddress(absl::string_view socket);

}  // namespace cocoon::cdh

#endif  // COCOON_CDH_CONFIG_H_
