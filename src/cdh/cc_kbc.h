// cc_kbc: resources from a KBS after remote attestation, with the evidence of the node's
// attestation agent (`/etc/confidential-data-hub.json`: "kbc": {"name": "cc_kbc", "url": ...},
// "aa": {"aa_socket": ...}).
//
// For each resource kbs:///<repo>/<type>/<tag> it runs the KBS protocol itself (RCAR with
// GetEvidence from the agent over ttrpc, the report data being the KBS runtime-data digest), then
// GET /kbs/v0/resource/<repo>/<type>/<tag> with the token, and decrypts the JWE answer with its
// TEE key (EC P-256, generated at start, never leaves the process). The token is reused until
// shortly before it expires; a 401 to a reused token triggers one re-attestation; transport
// failures are retried with backoff (kbs::KbsClient). Calls are serialized: one KBS session and
// one evidence request at a time.
//
// Errors keep their meaning for the operator: a resource policy denial is kPermissionDenied
// ("KBS resource policy denied access to ..."), a failed attestation kUnauthenticated with the
// KBS's reason, an unreachable agent or KBS kUnavailable naming the address.
#ifndef COCOON_CDH_CC_KBC_H_
#define COCOON_CDH_CC_KBC_H_

#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "cdh/kbc.h"

namespace cocoon::kbs {
class KbsClient;
struct KbsCallTimings;
}  // namespace cocoon::kbs
namespace cocoon::crypto {
class PrivateKey;
}
namespace cocoon::aa {
class AttestationAgentClient;
}

namespace cocoon::cdh {

class CcKbc : public Kbc {
 public:
  // Needs config.url (the KBS root URL) and config.aa_socket.
  static absl::StatusOr<std::unique_ptr<CcKbc>> Create(const KbcConfig& config);
  ~CcKbc() override;

  absl::string_view name() const override { return "cc_kbc"; }
  absl::StatusOr<SecretBytes> GetResource(const ResourceUri& uri) override;

  // Where the time of the last GetResource went (bench, logs).
  kbs::KbsCallTimings last_timings();
  // Drops the cached token (the next call attests).
  void InvalidateToken();

 private:
  CcKbc() = default;

  std::mutex mu_;
  std::string tee_;  // from the agent's GetTeeType, asked once
  std::unique_ptr<aa::AttestationAgentClient> aa_;
  std::unique_ptr<kbs::KbsClient> kbs_;
  std::unique_ptr<crypto::PrivateKey> tee_key_;
};

// Makes NewKbc build cc_kbc for kbc.name "cc_kbc".
void RegisterCcKbc();

}  // namespace cocoon::cdh

#endif  // COCOON_CDH_CC_KBC_H_
