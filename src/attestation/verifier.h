// The verifier interface of the attestation service: one Verifier per TEE name ("sample", "tdx",
// "az-tdx-vtpm", ...), looked up in a VerifierRegistry.
//
// A verifier checks the evidence (signatures, certificate chains, measurements), binds it to
// the expected report data (the runtime-data digest the KBS computed) and, when given, to the
// expected init-data digest, and returns the claims as a JSON object text. Claims carry
// "report_data" and, when init data was checked, "init_data"; the token broker moves both out of
// the TEE's claim object. Verifiers are immutable after construction and called concurrently.
#ifndef COCOON_ATTESTATION_VERIFIER_H_
#define COCOON_ATTESTATION_VERIFIER_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cocoon::attestation {

struct VerifiedClaims {
  std::string claims_json;  // a JSON object
  std::string tee_class;    // "cpu", "gpu", ... (EAR submodule prefix)
};

class Verifier {
 public:
  virtual ~Verifier() = default;
  // `expected_report_data`: the exact digest bytes (48 for SHA-384); the verifier pads or
  // truncates to its field size. `expected_init_data_hash`: raw digest bytes, if any.
  virtual absl::StatusOr<VerifiedClaims> Evaluate(
      absl::string_view evidence_json, absl::string_view expected_report_data,
      const std::optional<std::string>& expected_init_data_hash) const = 0;
};

class VerifierRegistry {
 public:
  void Register(std::string tee, std::shared_ptr<const Verifier> verifier) {
    verifiers_[std::move(tee)] = std::move(verifier);
  }
  // nullptr when no verifier is registered for `tee`.
  const Verifier* Find(absl::string_view tee) const {
    auto it = verifiers_.find(std::string(tee));
    return it == verifiers_.end() ? nullptr : it->second.get();
  }
  std::vector<std::string> Names() const {
    std::vector<std::string> out;
    for (const auto& [name, v] : verifiers_) out.push_back(name);
    return out;
  }

 private:
  std::map<std::string, std::shared_ptr<const Verifier>> verifiers_;
};

}  // namespace cocoon::attestation

#endif  // COCOON_ATTESTATION_VERIFIER_H_
