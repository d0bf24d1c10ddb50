// Registers `cocoon policy eval` (implemented in cli/policy_eval.h) on the command line.
#ifndef COCOON_CLI_POLICY_CMD_H_
#define COCOON_CLI_POLICY_CMD_H_

namespace CLI {
class App;
}

namespace cocoon::cli {

void RegisterPolicyCommands(CLI::App& app, int* exit_code);

}  // namespace cocoon::cli

#endif  // COCOON_CLI_POLICY_CMD_H_
