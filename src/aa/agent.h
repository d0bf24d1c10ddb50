// The attestation agent service (guest-components' ttrpc-aa): evidence from the node's attester,
// KBS tokens (RCAR with that evidence), the TEE name, and runtime measurements. Served over ttrpc
// as attestation_agent.AttestationAgentService (RegisterAttestationAgentService).
//
// Evidence requests are serialized: the vTPM (and swtpm behind the emulator) serves one client at
// a time, and the Azure HCL report in NV is shared state.
#ifndef COCOON_AA_AGENT_H_
#define COCOON_AA_AGENT_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "aa/attester/attester.h"
#include "aa/config.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cocoon::rpc {
class TtrpcServer;
}
namespace cocoon::kbs {
class KbsClient;
}
namespace cocoon::crypto {
class PrivateKey;
}

namespace cocoon::aa {

inline constexpr absl::string_view kAttestationAgentService =
    "attestation_agent.AttestationAgentService";

enum class MeasurementResult { kOk = 0, kNotSupported = 1, kNotEnabled = 2 };

class AttestationAgent {
 public:
  // Builds the attester from config.attester (detection when its tee is empty). `warning`
  // receives the sample-TEE fallback notice.
  static absl::StatusOr<std::unique_ptr<AttestationAgent>> Create(const AaConfig& config,
                                                                  std::string* warning = nullptr);
  // With a given attester (tests).
  static absl::StatusOr<std::unique_ptr<AttestationAgent>> Create(
      const AaConfig& config, std::unique_ptr<Attester> attester);
  ~AttestationAgent();

  std::string tee() const { return attester_->tee(); }
  // GetEvidence: the attester's evidence JSON for `runtime_data` (raw bytes).
  absl::StatusOr<std::string> GetEvidence(absl::string_view runtime_data);
  // GetToken("kbs"): {"token":"<JWT>","tee_keypair":"<PEM private key>"} from an RCAR handshake
  // with token_configs.kbs (the token and key are reused until shortly before the token expires).
  // Other types: kInvalidArgument "Unsupported token type".
  absl::StatusOr<std::string> GetToken(absl::string_view token_type);
  // ExtendRuntimeMeasurement: kNotEnabled when eventlog_config.enable_eventlog is false;
  // kUnimplemented when the TEE has no runtime-measurement register (sample); otherwise extends
  // PCR `register_index` (default init_pcr) with the AAEL event digest and appends the event to
  // eventlog_path.
  absl::StatusOr<MeasurementResult> ExtendRuntimeMeasurement(
      absl::string_view domain, absl::string_view operation, absl::string_view content,
      std::optional<uint64_t> register_index);
  absl::Status BindInitData(absl::string_view digest);
  // The initdata TOML sent to the KBS with every attestation (GetToken), as upstream's agent does
  // after binding it at start (`-t`). Call before serving.
  void set_init_data_toml(std::string toml);

 private:
  AttestationAgent(const AaConfig& config, std::unique_ptr<Attester> attester);

  AaConfig config_;
  std::unique_ptr<Attester> attester_;
  std::mutex evidence_mu_;
  std::mutex token_mu_;
  std::unique_ptr<kbs::KbsClient> kbs_;
  std::unique_ptr<crypto::PrivateKey> tee_key_;
  std::string init_data_toml_;
};

// The AAEL event record (guest-components.md §6.3) for "<domain> <operation> <content>" on
// `register_index` with SHA-256, and its digest (for tests).
std::string AaelTaggedEvent(absl::string_view domain, absl::string_view operation,
                            absl::string_view content);

// Registers GetEvidence, GetToken, GetTeeType, ExtendRuntimeMeasurement, GetAdditionalEvidence
// and GetAdditionalTees on `server` (BindInitData is not served over ttrpc, as upstream).
// Errors go to the client as INTERNAL "[ERROR:attestation-agent] ..." like upstream, except
// INVALID_ARGUMENT for malformed requests and UNIMPLEMENTED where the TEE lacks a feature.
// `on_event` (optional) is told of every call: "GetEvidence (48 bytes)" and its status, for the
// daemon's log (never a token or key).
using AgentEventFn = std::function<void(absl::string_view event, const absl::Status& status)>;
void RegisterAttestationAgentService(AttestationAgent* agent, rpc::TtrpcServer* server,
                                     AgentEventFn on_event = nullptr);

// The service's methods as request-bytes -> response-bytes handlers, by rpc name (including
// BindInitData, which grpc-aa serves); the transports wrap these.
using AgentHandler = std::function<absl::StatusOr<std::string>(absl::string_view request)>;
std::map<std::string, AgentHandler> AttestationAgentHandlers(AttestationAgent* agent,
                                                             AgentEventFn on_event = nullptr);

}  // namespace cocoon::aa

#endif  // COCOON_AA_AGENT_H_
