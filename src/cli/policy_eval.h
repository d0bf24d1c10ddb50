// `cocoon policy eval`: evaluates a Rego query against a JSON input, as the KBS would.
//
//   cocoon policy eval --policy FILE.rego [--policy MORE.rego] --input FILE.json
//                      [--data FILE.json] [--query data.policy.allow]
//
// Prints the query's value as JSON (or `undefined`) and exits 0; prints the error and exits 1
// for a bad policy, input or query. print() output of the policy goes to the error stream.
#ifndef COCOON_CLI_POLICY_EVAL_H_
#define COCOON_CLI_POLICY_EVAL_H_

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace cocoon::cli {

struct PolicyEvalArgs {
  std::vector<std::string> policy_files;
  std::string input_file;
  std::string data_file;  // empty: data is {}
  std::string query = "data.policy.allow";
  // Declares Trustee's query_reference_value(id) and answers it from this JSON object file
  // (name -> value); unknown ids give null, as the RVPS does.
  std::string reference_values_file;
};

// Parses the arguments that follow "policy eval" (both "--flag value" and "--flag=value").
absl::StatusOr<PolicyEvalArgs> ParsePolicyEvalArgs(const std::vector<std::string>& args);

// Usage text for --help and argument errors.
const char* PolicyEvalUsage();

// Runs the evaluation; returns the process exit code.
int RunPolicyEval(const PolicyEvalArgs& args, std::ostream& out, std::ostream& err);

}  // namespace cocoon::cli

#endif  // COCOON_CLI_POLICY_EVAL_H_
