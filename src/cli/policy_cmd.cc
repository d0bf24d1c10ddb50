#include "cli/policy_cmd.h"

#include <iostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "cli/policy_eval.h"

namespace cocoon::cli {

void RegisterPolicyCommands(CLI::App& app, int* exit_code) {
  auto* policy = app.add_subcommand("policy", "Evaluate Rego policies as the KBS does");
  policy->require_subcommand(1);
  auto* eval = policy->add_subcommand("eval", PolicyEvalUsage());
  // policy_eval parses its own flags (they are shared with its tests); hand it everything.
  eval->prefix_command();
  eval->set_help_flag();
  eval->callback([eval, exit_code] {
    std::vector<std::string> rest = eval->remaining();
    for (const auto& a : rest) {
      if (a == "-h" || a == "--help") {
        std::cout << PolicyEvalUsage();
        *exit_code = 0;
        return;
      }
    }
    auto args = ParsePolicyEvalArgs(rest);
    if (!args.ok()) {
      std::cerr << "cocoon: error: " << args.status().message() << "\n" << PolicyEvalUsage();
      *exit_code = 1;
      return;
    }
    *exit_code = RunPolicyEval(*args, std::cout, std::cerr);
  });
}

}  // namespace cocoon::cli
