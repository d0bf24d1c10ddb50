// Built-in functions of the Rego evaluator (the subset that key-release and attestation
// policies use), including the operators, which the parser turns into calls.
#ifndef COCOON_POLICY_BUILTINS_H_
#define COCOON_POLICY_BUILTINS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "policy/value.h"

namespace re2 {
class RE2;
}

namespace cocoon::policy {

// Compiled regular expressions shared by all evaluations of one policy. RE2 matches in linear
// time and bounded memory, so hostile patterns and long subjects cannot hang an evaluation.
class RegexCache {
 public:
  RegexCache();
  ~RegexCache();
  absl::StatusOr<std::shared_ptr<const re2::RE2>> Get(absl::string_view pattern);

 private:
  std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const re2::RE2>> map_;
};

// What a builtin may use of the running evaluation.
struct BuiltinContext {
  RegexCache* regex = nullptr;
  size_t max_string_bytes = 0;
  size_t max_memory_bytes = 0;
  size_t memory_used = 0;
  int max_json_depth = 128;
  std::function<int64_t()> clock;  // time.now_ns; read once per evaluation
  std::optional<int64_t> now_ns;

  // Counts `bytes` against the evaluation's memory budget; ResourceExhausted when spent.
  absl::Status Charge(size_t bytes);
  // Checks a produced string against the string limit and charges it.
  absl::Status ChargeString(size_t bytes);
};

using BuiltinFn = absl::StatusOr<Value> (*)(BuiltinContext& ctx, absl::Span<const Value> args);

struct BuiltinInfo {
  const char* name;
  int min_args;
  int max_args;  // -1: variadic
  BuiltinFn fn;
};

// Index of the builtin called `name`, or -1.
int FindBuiltin(absl::string_view name);
const BuiltinInfo& GetBuiltin(int index);

// Errors from these builtins are limits, never turned into "undefined".
bool IsLimitError(const absl::Status& st);

// Rego's `x in coll`: an element of an array or set, or a value of an object.
bool IsMember(const Value& x, const Value& coll);

// How print and sprintf's %v show a value: strings bare, everything else in Rego syntax.
std::string FormatForPrint(const Value& v);

}  // namespace cocoon::policy

#endif  // COCOON_POLICY_BUILTINS_H_
