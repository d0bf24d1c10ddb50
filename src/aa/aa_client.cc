#include "aa/aa_client.h"

#include "aa/agent.h"
#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "rpc/attestation-agent.pb.h"
#include "rpc/ttrpc_client.h"

namespace cocoon::aa {

AttestationAgentClient::AttestationAgentClient(std::string address, absl::Duration timeout)
    : address_(std::move(address)), timeout_(timeout) {}

AttestationAgentClient::~AttestationAgentClient() = default;

absl::StatusOr<std::string> AttestationAgentClient::Call(absl::string_view method,
                                                         const std::string& request) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::shared_ptr<rpc::TtrpcClient> client;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (client_ == nullptr) {
        absl::StatusOr<std::unique_ptr<rpc::TtrpcClient>> c = rpc::TtrpcClient::Connect(address_);
        if (!c.ok()) {
          return absl::UnavailableError(absl::StrCat("attestation agent at ", address_,
                                                     " is not reachable (", c.status().message(),
                                                     "); is attestation-agent running?"));
        }
        client_ = std::move(*c);
      }
      client = client_;
    }
    absl::StatusOr<std::string> r =
        client->Call(kAttestationAgentService, method, request, timeout_);
    if (r.ok() || r.status().code() != absl::StatusCode::kUnavailable) {
      if (!r.ok()) {
        return absl::Status(r.status().code(),
                            absl::StrCat("attestation agent ", method, ": ", r.status().message()));
      }
      return r;
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (client_ == client) client_.reset();
  }
  return absl::UnavailableError(
      absl::StrCat("attestation agent at ", address_, ": connection lost during ", method));
}

absl::StatusOr<std::string> AttestationAgentClient::GetEvidence(absl::string_view runtime_data) {
  attestation_agent::GetEvidenceRequest req;
  req.set_runtimedata(std::string(runtime_data));
  COCOON_ASSIGN_OR_RETURN(std::string bytes, Call("GetEvidence", req.SerializeAsString()));
  attestation_agent::GetEvidenceResponse resp;
  if (!resp.ParseFromString(bytes)) {
    return absl::DataLossError("attestation agent GetEvidence: malformed response");
  }
  return std::string(resp.evidence());
}

absl::StatusOr<std::string> AttestationAgentClient::GetTeeType() {
  COCOON_ASSIGN_OR_RETURN(
      std::string bytes,
      Call("GetTeeType", attestation_agent::GetTeeTypeRequest().SerializeAsString()));
  attestation_agent::GetTeeTypeResponse resp;
  if (!resp.ParseFromString(bytes)) {
    return absl::DataLossError("attestation agent GetTeeType: malformed response");
  }
  return std::string(resp.tee());
}

absl::StatusOr<std::string> AttestationAgentClient::GetToken(absl::string_view token_type) {
  attestation_agent::GetTokenRequest req;
  req.set_tokentype(std::string(token_type));
  COCOON_ASSIGN_OR_RETURN(std::string bytes, Call("GetToken", req.SerializeAsString()));
  attestation_agent::GetTokenResponse resp;
  if (!resp.ParseFromString(bytes)) {
    return absl::DataLossError("attestation agent GetToken: malformed response");
  }
  return std::string(resp.token());
}

}  // namespace cocoon::aa
