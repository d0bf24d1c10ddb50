// A compiled set of Rego modules: rules grouped by name, names resolved, recursion rejected.
#ifndef COCOON_POLICY_PROGRAM_H_
#define COCOON_POLICY_PROGRAM_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "policy/ast.h"

namespace cocoon::policy {

struct CustomDecl {
  std::string name;
  int arity = 0;
};

// All definitions of one rule or function, across modules of the same package.
struct RuleGroup {
  std::string path;  // "data.policy.allow", for messages
  RuleKind kind = RuleKind::kComplete;
  std::vector<const Rule*> defs;
  const Rule* default_rule = nullptr;
  size_t arity = 0;
  Loc loc;
};

// One node of the package tree under `data`.
struct PackageNode {
  std::vector<std::string> path;        // without "data"
  std::map<std::string, int> children;  // sub-packages
  std::map<std::string, int> rules;     // rule groups defined directly in this package
};

struct Program {
  std::vector<std::string> files;
  std::vector<std::unique_ptr<Module>> modules;
  std::vector<RuleGroup> groups;
  std::vector<PackageNode> nodes;  // nodes[0] is `data`
  std::vector<CustomDecl> custom;

  // "file:line:col" of `loc`.
  std::string Where(const Loc& loc) const;
};

struct CompileLimits {
  int max_depth = 128;
};

absl::StatusOr<std::unique_ptr<Program>> CompileProgram(
    std::vector<std::pair<std::string, std::string>> sources, std::vector<CustomDecl> custom,
    const CompileLimits& limits);

// Resolves a query term against the program. Queries may not contain variables.
absl::StatusOr<TermPtr> CompileQuery(const Program& program, absl::string_view text,
                                     const CompileLimits& limits);

}  // namespace cocoon::policy

#endif  // COCOON_POLICY_PROGRAM_H_
