// Lexer and recursive-descent parser for Rego modules (v1 syntax and the older v0 forms still in
// use). Errors read "file:line:col: message".
#ifndef COCOON_POLICY_PARSER_H_
#define COCOON_POLICY_PARSER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "policy/ast.h"

namespace cocoon::policy {

struct ParseLimits {
  int max_depth = 64;  // nesting of terms, bodies and parentheses
};

absl::StatusOr<std::unique_ptr<Module>> ParseModule(absl::string_view text, int file,
                                                    absl::string_view filename,
                                                    const ParseLimits& limits = {});

// A query is a single term, e.g. "data.policy.allow" or "data.policy.f(1)".
absl::StatusOr<TermPtr> ParseQuery(absl::string_view text, const ParseLimits& limits = {});

}  // namespace cocoon::policy

#endif  // COCOON_POLICY_PARSER_H_
