// A client of the attestation agent's ttrpc API (cocoon's or upstream's ttrpc-aa), as CDH's
// cc_kbc uses it. Connects on first use and once more when the connection is gone (agent
// restart); thread-safe.
#ifndef COCOON_AA_AA_CLIENT_H_
#define COCOON_AA_AA_CLIENT_H_

#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace cocoon::rpc {
class TtrpcClient;
}

namespace cocoon::aa {

class AttestationAgentClient {
 public:
  // `address`: "unix:///run/confidential-containers/attestation-agent/attestation-agent.sock".
  explicit AttestationAgentClient(std::string address, absl::Duration timeout = absl::Seconds(50));
  ~AttestationAgentClient();

  // Evidence JSON for `runtime_data`.
  absl::StatusOr<std::string> GetEvidence(absl::string_view runtime_data);
  absl::StatusOr<std::string> GetTeeType();
  // The GetToken bytes (for "kbs": {"token","tee_keypair"}).
  absl::StatusOr<std::string> GetToken(absl::string_view token_type);

  const std::string& address() const { return address_; }

 private:
  absl::StatusOr<std::string> Call(absl::string_view method, const std::string& request);

  std::string address_;
  absl::Duration timeout_;
  std::mutex mu_;
  std::shared_ptr<rpc::TtrpcClient> client_;
};

}  // namespace cocoon::aa

#endif  // COCOON_AA_AA_CLIENT_H_
