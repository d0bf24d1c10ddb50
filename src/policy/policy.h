// Rego policies for the Key Broker Service: compile once (rejecting bad policies at upload
// time), then evaluate queries against `input` and `data` many times, from many threads.
//
// The evaluator implements the part of OPA's Rego that Trustee resource and attestation
// policies use; src/policy/README.md lists the supported language and the deviations.
// Every evaluation is bounded in steps, time, stack and memory and answers a hostile policy or
// input with an error, never a crash or a hang.
#ifndef COCOON_POLICY_POLICY_H_
#define COCOON_POLICY_POLICY_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "policy/value.h"

namespace cocoon::policy {

struct Program;
struct Term;
class RegexCache;

struct PolicySource {
  std::string filename;  // used in error messages: "filename:line:col: message"
  std::string text;
};

// A host-provided function such as Trustee's `query_reference_value(id)`. Calls are checked
// against the arity at compile time; EvalOptions::custom_function implements them.
struct CustomFunctionDecl {
  std::string name;
  int arity = 0;
};

struct CompileOptions {
  int max_nesting_depth = 128;                // terms, bodies, operator and reference chains
  size_t max_source_bytes = size_t{1} << 20;  // all sources together
  std::vector<CustomFunctionDecl> custom_functions;
};

// Returns the function's value, std::nullopt for "undefined", or an error that aborts the
// evaluation.
using CustomFunction = std::function<absl::StatusOr<std::optional<Value>>(
    absl::string_view name, absl::Span<const Value> args)>;

struct EvalOptions {
  uint64_t max_steps = 1'000'000;  // expressions, iterations and calls
  std::chrono::nanoseconds timeout = std::chrono::milliseconds(500);
  // Stack the evaluator may use below its entry point. Deep rule chains and long bodies hit
  // this limit with an error; callers on small thread stacks should lower it.
  size_t max_stack_bytes = size_t{1} << 20;
  size_t max_string_bytes = size_t{1} << 20;   // any string a builtin produces
  size_t max_memory_bytes = size_t{64} << 20;  // values built during one evaluation (estimate)
  int max_json_depth = 128;                    // input/data JSON and json.unmarshal
  // Builtin errors (type errors, bad base64, ...) make the call undefined, as in OPA by
  // default; with strict_builtin_errors they abort the evaluation. Limit errors always abort.
  bool strict_builtin_errors = false;
  std::function<int64_t()> now_ns;               // time.now_ns; default: the system clock
  std::function<void(absl::string_view)> print;  // print(); default: discarded
  CustomFunction custom_function;
};

class Policy {
 public:
  static absl::StatusOr<std::shared_ptr<const Policy>> Compile(std::vector<PolicySource> sources,
                                                               const CompileOptions& options = {});
  ~Policy();
  Policy(const Policy&) = delete;
  Policy& operator=(const Policy&) = delete;

  // Evaluates `query` (a reference such as "data.policy.allow", or a call) and returns its value
  // as compact JSON with sorted keys, or std::nullopt when it is undefined. An empty
  // `input_json` means "no input"; an empty `data_json` means `{}`.
  absl::StatusOr<std::optional<std::string>> Evaluate(absl::string_view query,
                                                      absl::string_view input_json,
                                                      absl::string_view data_json,
                                                      const EvalOptions& options = {}) const;

  // The same on already parsed values (an undefined `input` means "no input"). Returns an
  // undefined Value when the query has no value.
  absl::StatusOr<Value> EvaluateValue(absl::string_view query, const Value& input,
                                      const Value& data, const EvalOptions& options = {}) const;

  // Names of the packages the policy defines, e.g. {"policy"}.
  std::vector<std::string> Packages() const;

 private:
  Policy();
  absl::StatusOr<std::shared_ptr<const Term>> Query(absl::string_view text) const;

  std::unique_ptr<Program> program_;
  std::unique_ptr<RegexCache> regex_;
  struct QueryCache;
  std::unique_ptr<QueryCache> queries_;
};

// True when `v` is the boolean true: how the KBS reads `data.policy.allow` (a missing rule or a
// non-boolean value denies).
inline bool IsTrue(const Value& v) { return v.is_bool() && v.as_bool(); }

}  // namespace cocoon::policy

#endif  // COCOON_POLICY_POLICY_H_
