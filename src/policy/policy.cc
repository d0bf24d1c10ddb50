#include "policy/policy.h"

#include <algorithm>
#include <map>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "policy/builtins.h"
#include "policy/eval.h"
#include "policy/program.h"

namespace cocoon::policy {

// Compiled queries by text: the KBS asks the same one or two queries for every request.
struct Policy::QueryCache {
  std::mutex mu;
  std::map<std::string, std::shared_ptr<const Term>, std::less<>> map;
};

namespace {
constexpr size_t kMaxCachedQueries = 256;
}  // namespace

Policy::Policy() = default;
Policy::~Policy() = default;

absl::StatusOr<std::shared_ptr<const Policy>> Policy::Compile(std::vector<PolicySource> sources,
                                                              const CompileOptions& options) {
  if (sources.empty()) return absl::InvalidArgumentError("no policy sources given");
  size_t total = 0;
  std::vector<std::pair<std::string, std::string>> texts;
  for (auto& s : sources) {
    total += s.text.size();
    texts.emplace_back(std::move(s.filename), std::move(s.text));
  }
  if (total > options.max_source_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("policy too large: ", total, " bytes (limit ", options.max_source_bytes, ")"));
  }
  std::vector<CustomDecl> custom;
  for (const auto& c : options.custom_functions) {
    if (c.arity < 0 || c.name.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("invalid custom function ", c.name));
    }
    custom.push_back(CustomDecl{c.name, c.arity});
  }
  CompileLimits limits;
  limits.max_depth = options.max_nesting_depth;
  auto program = CompileProgram(std::move(texts), std::move(custom), limits);
  if (!program.ok()) return program.status();
  std::shared_ptr<Policy> p(new Policy());
  p->program_ = std::move(*program);
  p->regex_ = std::make_unique<RegexCache>();
  p->queries_ = std::make_unique<QueryCache>();
  return std::shared_ptr<const Policy>(std::move(p));
}

absl::StatusOr<std::shared_ptr<const Term>> Policy::Query(absl::string_view text) const {
  {
    std::lock_guard<std::mutex> lock(queries_->mu);
    if (auto it = queries_->map.find(text); it != queries_->map.end()) return it->second;
  }
  CompileLimits limits;
  auto term = CompileQuery(*program_, text, limits);
  if (!term.ok()) return term.status();
  std::shared_ptr<const Term> shared(std::move(*term));
  std::lock_guard<std::mutex> lock(queries_->mu);
  if (queries_->map.size() >= kMaxCachedQueries) queries_->map.clear();
  queries_->map.emplace(std::string(text), shared);
  return shared;
}

absl::StatusOr<Value> Policy::EvaluateValue(absl::string_view query, const Value& input,
                                            const Value& data, const EvalOptions& options) const {
  auto q = Query(query);
  if (!q.ok()) return q.status();
  const Value empty = Value::EmptyObject();
  return EvaluateQuery(*program_, **q, input, data.is_undefined() ? empty : data, options,
                       regex_.get());
}

absl::StatusOr<std::optional<std::string>> Policy::Evaluate(absl::string_view query,
                                                            absl::string_view input_json,
                                                            absl::string_view data_json,
                                                            const EvalOptions& options) const {
  Value input, data;
  if (!input_json.empty()) {
    auto v = Value::FromJson(input_json, "input", options.max_json_depth);
    if (!v.ok()) return v.status();
    input = std::move(*v);
  }
  if (!data_json.empty()) {
    auto v = Value::FromJson(data_json, "data", options.max_json_depth);
    if (!v.ok()) return v.status();
    data = std::move(*v);
  }
  auto result = EvaluateValue(query, input, data, options);
  if (!result.ok()) return result.status();
  if (result->is_undefined()) return std::optional<std::string>();
  return std::optional<std::string>(result->ToJson());
}

std::vector<std::string> Policy::Packages() const {
  std::vector<std::string> out;
  for (const auto& m : program_->modules) out.push_back(absl::StrJoin(m->package, "."));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace cocoon::policy
