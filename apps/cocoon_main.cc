// cocoon: the user's tool. Thin: parses the command line and hands over to src/cli.
#include <cstdio>

#include "CLI/CLI.hpp"
#include "cli/attestation_cmd.h"
#include "cli/demo_cmd.h"
#include "cli/doctor.h"
#include "cli/image_cmd.h"
#include "cli/node_configure.h"
#include "cli/policy_cmd.h"

int main(int argc, char** argv) {
  CLI::App app{"cocoon: encrypted container images for Confidential VM nodes"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "cocoon 0.1.0");
  int exit_code = 0;
  cocoon::cli::RegisterImageCommands(app, &exit_code);
  cocoon::cli::RegisterPolicyCommands(app, &exit_code);
  cocoon::cli::RegisterAttestationCommands(app, &exit_code);
  cocoon::cli::RegisterDoctorCommands(app, &exit_code);
  cocoon::cli::RegisterNodeCommands(app, &exit_code);
  cocoon::cli::RegisterDemoCommands(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Usage errors exit 1 like every other failure; --help and --version exit 0.
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 1;
  }
  return exit_code;
}
