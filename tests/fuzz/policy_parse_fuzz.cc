// Compiles arbitrary text as a Rego module and, when it compiles, evaluates a few queries with
// tight limits: any crash, hang or sanitizer report is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "policy/policy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;
  const std::string text(reinterpret_cast<const char*>(data), size);
  cocoon::policy::CompileOptions copts;
  copts.custom_functions.push_back({"query_reference_value", 1});
  auto policy = cocoon::policy::Policy::Compile({{"fuzz.rego", text}}, copts);
  if (!policy.ok()) return 0;
  cocoon::policy::EvalOptions opts;
  opts.max_steps = 20000;
  opts.max_memory_bytes = 8 << 20;
  opts.max_string_bytes = 64 << 10;
  opts.timeout = std::chrono::milliseconds(200);
  opts.custom_function = [](absl::string_view, absl::Span<const cocoon::policy::Value> args)
      -> absl::StatusOr<std::optional<cocoon::policy::Value>> {
    return std::optional<cocoon::policy::Value>(args[0]);
  };
  const char* kInput = R"({"submods":{"cpu0":{"ear.status":"affirming"}},"xs":[1,2,"a"],"s":"x"})";
  for (const auto& pkg : (*policy)->Packages()) {
    for (const char* rule : {"", ".allow", ".p", ".trust_claims"}) {
      (void)(*policy)->Evaluate("data." + pkg + rule, kInput, R"({"plugin":"resource"})", opts);
    }
  }
  return 0;
}
