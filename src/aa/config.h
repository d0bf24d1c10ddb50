// attestation-agent configuration (guest-components.md §6.1), TOML or JSON chosen by the file
// extension as upstream's `config` crate does:
//
//   [token_configs.coco_as]  url = "http://127.0.0.1:8000"
//   [token_configs.kbs]      url = "https://127.0.0.1:8080"
//                            cert = '''-----BEGIN CERTIFICATE-----...'''   # optional PEM
//                            tee_key_algorithm = "ECDH-ES+A256KW-P256" | "ECDH-ES+A256KW-P521"
//                                                | "RSA-OAEP-256"
//   [eventlog_config]        init_pcr = 17, enable_eventlog = false
//   [log]                    level = "info"
//
// Every section is optional; an empty file gives the defaults. Unknown keys are ignored (as
// upstream's serde does) and reported in `warnings`; a key of the wrong type is an error naming
// it. cocoon extensions (ignored by upstream, so one file serves both):
//
//   [attester]  tee = "az-tdx-vtpm" | "tdx" | "sample"   (default: detect, upstream order)
//               tcti = "device:/dev/tpmrm0" | "swtpm:host=127.0.0.1,port=2321"
//               imds_url = "http://169.254.169.254", settle_delay_ms = 3000,
//               evidence_version = 2, tsm_report_root, tdx_guest_device, ccel_path
//   [eventlog_config] eventlog_path = "/run/attestation-agent/eventlog"
//
// Environment (applied by ApplyAaEnvironment, after the file): COCOON_AA_TEE, COCOON_AA_TCTI.
#ifndef COCOON_AA_CONFIG_H_
#define COCOON_AA_CONFIG_H_

#include <optional>
#include <string>
#include <vector>

#include "aa/attester/attester.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cocoon::aa {

inline constexpr absl::string_view kDefaultAaSocket =
    "unix:///run/confidential-containers/attestation-agent/attestation-agent.sock";

enum class TeeKeyAlgorithm { kEcP256, kEcP521, kRsaOaep256 };

struct KbsTokenConfig {
  std::string url;
  std::string cert;  // PEM text, optional
  TeeKeyAlgorithm tee_key_algorithm = TeeKeyAlgorithm::kEcP256;
};

struct AaConfig {
  std::optional<KbsTokenConfig> kbs;
  std::optional<std::string> coco_as_url;
  int init_pcr = 17;
  bool enable_eventlog = false;
  std::string eventlog_path = "/run/attestation-agent/eventlog";
  std::string log_level = "info";
  AttesterConfig attester;
  std::vector<std::string> warnings;  // one line per ignored key
};

enum class AaConfigFormat { kToml, kJson };

absl::StatusOr<AaConfig> ParseAaConfig(absl::string_view text, AaConfigFormat format);
// Reads `path` (at most 1 MiB); the extension must be .toml or .json.
absl::StatusOr<AaConfig> LoadAaConfig(const std::string& path);
// Initdata (guest-components.md §6.2): the TOML document given with `-t`, and its digest:
// `algorithm` ("sha256" | "sha384" | "sha512", default sha384) over the raw file bytes.
struct InitData {
  std::string toml;
  std::string digest;
};
absl::StatusOr<InitData> ParseInitData(absl::string_view toml_text);

// COCOON_AA_TEE / COCOON_AA_TCTI override the attester settings; AA_KBC_PARAMS
// ("cc_kbc::<url>") gives token_configs.kbs when the file has none, as upstream.
void ApplyAaEnvironment(AaConfig* config);

}  // namespace cocoon::aa

#endif  // COCOON_AA_CONFIG_H_
