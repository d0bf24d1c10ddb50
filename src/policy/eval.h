// The Rego evaluator: a backtracking interpreter over the resolved syntax tree.
#ifndef COCOON_POLICY_EVAL_H_
#define COCOON_POLICY_EVAL_H_

#include "absl/status/statusor.h"
#include "policy/ast.h"
#include "policy/builtins.h"
#include "policy/policy.h"
#include "policy/program.h"

namespace cocoon::policy {

// Evaluates a compiled query term; an undefined Value when the query has no value.
absl::StatusOr<Value> EvaluateQuery(const Program& program, const Term& query, const Value& input,
                                    const Value& data, const EvalOptions& options,
                                    RegexCache* regex);

}  // namespace cocoon::policy

#endif  // COCOON_POLICY_EVAL_H_
