// Evaluates fixed policies that feed input fields to the builtins (regex, sprintf, encodings,
// JSON, arithmetic, iteration) with arbitrary JSON input from the fuzzer.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "policy/policy.h"

namespace {

constexpr char kPolicy[] = R"(package policy
import rego.v1

default allow := false

allow if {
	input.submods.cpu0["ear.status"] == "affirming"
	input.submods.cpu0["ear.veraison.annotated-evidence"].tdx
}

strings contains s if {
	some s in input.a
	is_string(s)
}

out := {
	"regex": [regex.match(p, s) | some p in input.patterns; some s in strings],
	"fmt": [sprintf(f, input.a) | some f in strings],
	"split": [split(s, input.sep) | some s in strings],
	"b64": [base64.decode(s) | some s in strings],
	"hex": [hex.decode(s) | some s in strings],
	"json": [json.unmarshal(s) | some s in strings],
	"num": [to_number(s) | some s in strings],
	"arith": [x * y + x / y - x % y | some x in input.n; some y in input.n],
	"cmp": [x < y | some x in input.a; some y in input.a],
	"sorted": sort(input.a),
	"count": count(input.a),
	"union": object.union_n([o | some o in input.a; is_object(o)]),
	"get": object.get(input, input.path, "none"),
	"sub": [substring(s, i, j) | some s in strings; some i in input.n; some j in input.n],
	"semver": [semver.compare(a, b) | some a in strings; some b in strings],
	"time": [time.parse_rfc3339_ns(s) | some s in strings],
	"range": [numbers.range(0, x) | some x in input.n],
	"marshal": json.marshal(input),
	"fmtint": [format_int(x, 16) | some x in input.n],
	"every": every_ok,
}

every_ok if {
	every k, v in input {
		k != v
	}
}
)";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto* policy = [] {
    auto p = cocoon::policy::Policy::Compile({{"eval_fuzz.rego", kPolicy}});
    if (!p.ok()) __builtin_trap();
    return new std::shared_ptr<const cocoon::policy::Policy>(*p);
  }();
  if (size > 256 * 1024) return 0;
  const std::string input(reinterpret_cast<const char*>(data), size);
  cocoon::policy::EvalOptions opts;
  opts.max_steps = 50000;
  opts.max_memory_bytes = 16 << 20;
  opts.max_string_bytes = 256 << 10;
  opts.timeout = std::chrono::milliseconds(500);
  (void)(*policy)->Evaluate("data.policy.allow", input, "", opts);
  (void)(*policy)->Evaluate("data.policy.out", input, "", opts);
  return 0;
}
