// The policy engine seen by the KBS: compiled Rego policies evaluated against parsed input and
// data. The production engine is the Rego evaluator of src/policy (NewRegoPolicyEngine); tests
// may substitute another implementation.
#ifndef COCOON_KBS_POLICY_ENGINE_H_
#define COCOON_KBS_POLICY_ENGINE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "policy/value.h"

namespace cocoon::kbs {

// Looks up a reference value by name for the Rego function query_reference_value(name): the
// stored JSON value, or nullopt (Rego null) when unknown.
using ReferenceValueLookup = std::function<std::optional<std::string>(absl::string_view name)>;

class CompiledPolicy {
 public:
  virtual ~CompiledPolicy() = default;
  // Evaluates `query` (e.g. "data.policy.allow") on parsed input and data: the callers hold the
  // JSON already (the token claims, the annotated evidence) and need not print it for the
  // engine to parse back. An undefined `input` means "no input"; an undefined result means the
  // query has no value. `reference_values` may be null.
  virtual absl::StatusOr<policy::Value> EvaluateValue(
      absl::string_view query, const policy::Value& input, const policy::Value& data,
      const ReferenceValueLookup* reference_values) const = 0;
};

class PolicyEngine {
 public:
  virtual ~PolicyEngine() = default;
  // Parses and compiles one module. The function query_reference_value/1 is available.
  virtual absl::StatusOr<std::shared_ptr<const CompiledPolicy>> Compile(
      absl::string_view filename, absl::string_view text) const = 0;
};

std::unique_ptr<PolicyEngine> NewRegoPolicyEngine();

// The policies the KBS ships (own texts, same decisions as upstream's sample policies).
// Resource policies (package policy, rule allow; data = {plugin, resource-path, query}):
absl::string_view DefaultResourcePolicy();  // resource plugin for real TEEs; sample TEE denied
absl::string_view AllowAllResourcePolicy();
absl::string_view DenyAllResourcePolicy();
absl::string_view AffirmingResourcePolicy();
// The default attestation policy for CPU evidence (package policy, rule trust_claims).
absl::string_view DefaultCpuAttestationPolicy();

}  // namespace cocoon::kbs

#endif  // COCOON_KBS_POLICY_ENGINE_H_
