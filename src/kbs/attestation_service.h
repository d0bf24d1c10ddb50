// The built-in attestation service: verifies the evidence of an RCAR /attest request with the
// registered verifiers, appraises the claims with the attestation policy and issues an EAR
// token.
//
// Internal to src/kbs and its tests (includes base/json.h through tee_key.h).
#ifndef COCOON_KBS_ATTESTATION_SERVICE_H_
#define COCOON_KBS_ATTESTATION_SERVICE_H_

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "attestation/verifier.h"
#include "kbs/config.h"
#include "kbs/policy_engine.h"
#include "kbs/reference_values.h"
#include "kbs/storage.h"
#include "kbs/tee_key.h"
#include "kbs/token.h"

namespace cocoon::kbs {

// Upstream spellings of TEE names; the older un-hyphenated Azure names are mapped to the current
// ones. Empty for an unknown name.
std::string NormalizeTeeName(absl::string_view tee);

// EAR status of a trust vector: the worst tier over its claims.
std::string EarStatus(const Json& trust_vector);

// Parses an initdata TOML document: the digest of its raw bytes with its "algorithm" and the
// init_data_claims JSON.
struct InitData {
  std::string digest;
  Json claims;
};
absl::StatusOr<InitData> ParseInitData(absl::string_view toml_text);

struct AttestResult {
  std::string token;
  std::string status;  // ear.status of the first submodule
  TeePubKey tee_key;
};

class AttestationService {
 public:
  struct Options {
    TokenBrokerConfig broker;
    const attestation::VerifierRegistry* verifiers = nullptr;
    const PolicyEngine* engine = nullptr;
    ReferenceValueStore* reference_values = nullptr;
    KeyValueStore* kv = nullptr;  // policy persistence (<id>.rego in policy_namespace); may be null
    std::string policy_namespace = "attestation_service_policy";
    const TokenSigner* signer = nullptr;
  };
  static absl::StatusOr<std::unique_ptr<AttestationService>> Create(Options options);

  // `body`: the parsed /attest request. `nonce`: the session's challenge.
  absl::StatusOr<AttestResult> Attest(absl::string_view tee, const Json& body,
                                      absl::string_view nonce, absl::Time now) const;

  // Compiles and stores an attestation policy ("default_cpu", ...).
  absl::Status SetPolicy(absl::string_view policy_id, absl::string_view rego_text);

 private:
  explicit AttestationService(Options options) : options_(std::move(options)) {}
  std::shared_ptr<const CompiledPolicy> FindPolicy(absl::string_view id) const;
  absl::StatusOr<Json> Appraise(absl::string_view tee_class, const Json& annotated) const;

  Options options_;
  std::shared_ptr<const CompiledPolicy> builtin_cpu_;
  mutable absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<const CompiledPolicy>> policies_;
};

}  // namespace cocoon::kbs

#endif  // COCOON_KBS_ATTESTATION_SERVICE_H_
