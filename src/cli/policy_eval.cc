#include "cli/policy_eval.h"

#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/file_util.h"
#include "policy/policy.h"

namespace cocoon::cli {
namespace {

constexpr uint64_t kMaxPolicyFile = 1 << 20;
constexpr uint64_t kMaxJsonFile = 16 << 20;

}  // namespace

const char* PolicyEvalUsage() {
  return "usage: cocoon policy eval --policy FILE.rego [--policy MORE.rego] --input FILE.json\n"
         "                          [--data FILE.json] [--query data.policy.allow]\n"
         "                          [--reference-values RVS.json]\n";
}

absl::StatusOr<PolicyEvalArgs> ParsePolicyEvalArgs(const std::vector<std::string>& args) {
  PolicyEvalArgs out;
  bool query_seen = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i];
    std::string value;
    bool has_value = false;
    if (const size_t eq = flag.find('='); absl::StartsWith(flag, "--") && eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
      has_value = true;
    }
    if (flag != "--policy" && flag != "--input" && flag != "--data" && flag != "--query" &&
        flag != "--reference-values") {
      return absl::InvalidArgumentError(absl::StrCat("unknown argument '", args[i], "'"));
    }
    if (!has_value) {
      if (i + 1 >= args.size())
        return absl::InvalidArgumentError(absl::StrCat(flag, " needs a value"));
      value = args[++i];
    }
    if (flag == "--policy") {
      out.policy_files.push_back(value);
    } else if (flag == "--input") {
      if (!out.input_file.empty()) return absl::InvalidArgumentError("--input given twice");
      out.input_file = value;
    } else if (flag == "--data") {
      if (!out.data_file.empty()) return absl::InvalidArgumentError("--data given twice");
      out.data_file = value;
    } else if (flag == "--query") {
      if (query_seen) return absl::InvalidArgumentError("--query given twice");
      query_seen = true;
      out.query = value;
    } else {
      out.reference_values_file = value;
    }
  }
  if (out.policy_files.empty()) return absl::InvalidArgumentError("--policy is required");
  if (out.input_file.empty()) return absl::InvalidArgumentError("--input is required");
  return out;
}

int RunPolicyEval(const PolicyEvalArgs& args, std::ostream& out, std::ostream& err) {
  auto fail = [&](const absl::Status& st) {
    err << "cocoon policy eval: " << st.message() << "\n";
    return 1;
  };
  std::vector<policy::PolicySource> sources;
  for (const std::string& f : args.policy_files) {
    auto text = ReadFile(f, kMaxPolicyFile);
    if (!text.ok()) return fail(text.status());
    sources.push_back({f, std::move(*text)});
  }
  policy::CompileOptions copts;
  policy::EvalOptions eopts;
  if (!args.reference_values_file.empty()) {
    auto text = ReadFile(args.reference_values_file, kMaxJsonFile);
    if (!text.ok()) return fail(text.status());
    auto rvs = policy::Value::FromJson(*text, args.reference_values_file);
    if (!rvs.ok()) return fail(rvs.status());
    if (!rvs->is_object()) {
      return fail(absl::InvalidArgumentError(
          absl::StrCat(args.reference_values_file, ": reference values must be a JSON object")));
    }
    copts.custom_functions.push_back({"query_reference_value", 1});
    auto shared = std::make_shared<policy::Value>(std::move(*rvs));
    eopts.custom_function = [shared](absl::string_view, absl::Span<const policy::Value> a)
        -> absl::StatusOr<std::optional<policy::Value>> {
      if (!a[0].is_string())
        return absl::InvalidArgumentError("reference value id must be a string");
      const policy::Value* v = shared->FindKey(a[0].str());
      return std::optional<policy::Value>(v ? *v : policy::Value::Null());
    };
  }
  auto compiled = policy::Policy::Compile(std::move(sources), copts);
  if (!compiled.ok()) return fail(compiled.status());
  auto input = ReadFile(args.input_file, kMaxJsonFile);
  if (!input.ok()) return fail(input.status());
  std::string data;
  if (!args.data_file.empty()) {
    auto d = ReadFile(args.data_file, kMaxJsonFile);
    if (!d.ok()) return fail(d.status());
    data = std::move(*d);
  }
  eopts.print = [&err](absl::string_view line) { err << line << "\n"; };
  auto result = (*compiled)->Evaluate(args.query, *input, data, eopts);
  if (!result.ok()) return fail(result.status());
  out << result->value_or("undefined") << "\n";
  return 0;
}

}  // namespace cocoon::cli
