// PolicyEngine on the Rego evaluator of src/policy.
#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "base/status.h"
#include "kbs/policy_engine.h"
#include "policy/json_value.h"
#include "policy/policy.h"

namespace cocoon::kbs {
namespace {

constexpr absl::string_view kQueryReferenceValue = "query_reference_value";

class RegoPolicy final : public CompiledPolicy {
 public:
  explicit RegoPolicy(std::shared_ptr<const policy::Policy> policy) : policy_(std::move(policy)) {}

  absl::StatusOr<policy::Value> EvaluateValue(
      absl::string_view query, const policy::Value& input, const policy::Value& data,
      const ReferenceValueLookup* reference_values) const override {
    return policy_->EvaluateValue(query, input, data, Options(reference_values));
  }

 private:
  // query_reference_value(name) answers from `reference_values` (null when unknown).
  static policy::EvalOptions Options(const ReferenceValueLookup* reference_values) {
    policy::EvalOptions options;
    options.custom_function =
        [reference_values](
            absl::string_view name,
            absl::Span<const policy::Value> args) -> absl::StatusOr<std::optional<policy::Value>> {
      if (name != kQueryReferenceValue || args.size() != 1 || !args[0].is_string()) {
        return std::optional<policy::Value>();
      }
      if (reference_values == nullptr || !*reference_values) {
        return std::optional<policy::Value>(policy::Value::Null());
      }
      std::optional<std::string> text = (*reference_values)(args[0].str());
      if (!text) return std::optional<policy::Value>(policy::Value::Null());
      COCOON_ASSIGN_OR_RETURN(Json j, ParseJson(*text, "reference value"));
      return std::optional<policy::Value>(policy::FromNlohmann(j));
    };
    return options;
  }

  std::shared_ptr<const policy::Policy> policy_;
};

class RegoEngine final : public PolicyEngine {
 public:
  absl::StatusOr<std::shared_ptr<const CompiledPolicy>> Compile(
      absl::string_view filename, absl::string_view text) const override {
    policy::CompileOptions options;
    options.custom_functions.push_back({std::string(kQueryReferenceValue), 1});
    COCOON_ASSIGN_OR_RETURN(
        std::shared_ptr<const policy::Policy> compiled,
        policy::Policy::Compile({{std::string(filename), std::string(text)}}, options));
    bool has_policy_package = false;
    for (const std::string& p : compiled->Packages()) has_policy_package |= (p == "policy");
    if (!has_policy_package) {
      return absl::InvalidArgumentError(
          absl::StrCat(filename, ": the policy must be in package \"policy\""));
    }
    return std::shared_ptr<const CompiledPolicy>(std::make_shared<RegoPolicy>(std::move(compiled)));
  }
};

}  // namespace

std::unique_ptr<PolicyEngine> NewRegoPolicyEngine() { return std::make_unique<RegoEngine>(); }

}  // namespace cocoon::kbs
