// `cocoon node configure`: the node-side files of the CVM-only flow (containerd stream processors
// and CRI image_decryption, the ocicrypt keyprovider config, the confidential-data-hub and
// attestation-agent configs, their systemd units), printed or written.
//
// Writing never clobbers: an existing containerd config is parsed and merged (only the two
// ocicrypt stream processors and `image_decryption.key_model` are set, everything else is kept),
// any file whose content would change is first copied to `<file>.cocoon-backup-<UTC time>`, every
// write is atomic, and a second run with the same options changes nothing and makes no backup.
#ifndef COCOON_CLI_NODE_CONFIGURE_H_
#define COCOON_CLI_NODE_CONFIGURE_H_

#include <sys/types.h>

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace CLI {
class App;
}

namespace cocoon::cli {

// Fixed locations the generated files name (without --prefix; the prefix only moves where the
// files are written, not what they say).
inline constexpr absl::string_view kContainerdConfigPath = "/etc/containerd/config.toml";
inline constexpr absl::string_view kKeyproviderConfigPath =
    "/etc/containerd/ocicrypt/ocicrypt_keyprovider.conf";
inline constexpr absl::string_view kOcicryptKeysDir = "/etc/containerd/ocicrypt/keys";
inline constexpr absl::string_view kCdhConfigPath = "/etc/confidential-data-hub.json";
inline constexpr absl::string_view kAaConfigPath = "/etc/attestation-agent/config.toml";
inline constexpr absl::string_view kAaSocketPath =
    "/run/confidential-containers/attestation-agent/attestation-agent.sock";
inline constexpr absl::string_view kCdhKeyproviderSocket = "127.0.0.1:50000";
inline constexpr absl::string_view kCtdDecoderPath = "/usr/local/bin/ctd-decoder";
inline constexpr absl::string_view kAaUnitPath = "/etc/systemd/system/attestation-agent.service";
inline constexpr absl::string_view kCdhUnitPath =
    "/etc/systemd/system/confidential-data-hub.service";
inline constexpr absl::string_view kGzipProcessorId = "io.containerd.ocicrypt.decoder.v1.tar.gzip";
inline constexpr absl::string_view kTarProcessorId = "io.containerd.ocicrypt.decoder.v1.tar";
inline constexpr absl::string_view kCriPlugin = "io.containerd.grpc.v1.cri";

struct NodeConfigureOptions {
  std::string kbs_url;  // required, http:// or https://
  // PEM file with the CA certificate(s) the KBS's HTTPS certificate chains to, when that is not
  // in the system trust store; embedded in the CDH (kbc.kbs_cert) and AA (token_configs.kbs.cert)
  // configs. Only with an https:// URL.
  std::string kbs_cert_file;
  std::string tee;  // az-tdx-vtpm | tdx | sample
  std::string prefix = "/";
  bool write = false;
  std::string containerd_config = std::string(kContainerdConfigPath);
  // UTC time used in backup names, "YYYYMMDDTHHMMSSZ"; empty means now (tests pin it).
  std::string timestamp;
};

// One file the command manages. `path` is the real location (without the prefix).
struct NodeFile {
  std::string path;
  std::string content;
  mode_t mode = 0644;
};

// Checks the options: the TEE name, the KBS URL scheme and host, an absolute containerd path.
absl::Status ValidateNodeConfigureOptions(const NodeConfigureOptions& options);

// The files other than the containerd config, in write order.
absl::StatusOr<std::vector<NodeFile>> RenderNodeFiles(const NodeConfigureOptions& options);

// Merges cocoon's settings into containerd config text (`existing` may be empty: a new config
// with `version = 2`). Only config version 2 (containerd 1.6/1.7) is handled; version 1, 3 and a
// missing version on a non-empty file are refused with an explanation. When the existing file
// only lacks the tables, they are appended as text so comments and layout survive; otherwise the
// merged document is re-serialised. Returns `existing` unchanged (byte for byte) when it already
// holds the settings.
absl::StatusOr<std::string> MergeContainerdConfig(absl::string_view existing);

struct NodeConfigureReport {
  std::vector<std::string> written;    // paths (with prefix) whose content was created or changed
  std::vector<std::string> unchanged;  // paths already holding the wanted content
  std::vector<std::string> backups;    // backup files made before a change
};

// Writes every file under `options.prefix` (the --write mode).
absl::StatusOr<NodeConfigureReport> WriteNodeConfiguration(const NodeConfigureOptions& options);

// Prints every file with a header naming its path and what --write would do (the default mode).
absl::Status PrintNodeConfiguration(const NodeConfigureOptions& options, std::ostream& out);

// Runs the command; returns the exit status (0 success, 1 error).
int RunNodeConfigure(const NodeConfigureOptions& options, std::ostream& out, std::ostream& err);

// Registers the `node` command group (`node configure`) on `app`.
void RegisterNodeCommands(CLI::App& app, int* exit_code);

}  // namespace cocoon::cli

#endif  // COCOON_CLI_NODE_CONFIGURE_H_
