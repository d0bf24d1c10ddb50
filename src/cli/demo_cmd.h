// `cocoon demo`: the whole attestation-gated flow on loopback, in a temporary directory (KBS,
// image key, encrypted "secret app" image, registry, attestation agent on the Azure TDX vTPM
// emulator, confidential-data-hub, containerd CRI pull and run, a deny policy that blocks the
// pull, the restore, and a summary).
//
// The steps are driven by the demo script (scripts/demo in the source tree), which uses the same
// real-component harness as the integration tests (tests/integration/harness.sh). This command
// finds the script and every binary the demo runs, checks that it runs as root, exports the
// binaries' paths in the variables the script and the integration tests share (COCOON_BIN,
// KBS_BIN, KBS_CLIENT, AA_BIN, CDH_BIN, COCO_KEYPROVIDER, CTD_DECODER, COCOON_AZ_EMULATOR,
// CRI_CLIENT) and runs the script in its own process group with stdin from /dev/null. Ctrl-C
// (SIGINT), SIGTERM and SIGHUP reach only this process, which asks the script to stop (SIGTERM);
// the script then stops everything it started, by PID, and removes its work directory.
//
// Exit status: 0 when every step succeeded, 1 when a step failed, 130 after Ctrl-C (143 after
// SIGTERM), 2 when the demo cannot run here (not root, a binary, the script or a tool is missing).
#ifndef COCOON_CLI_DEMO_CMD_H_
#define COCOON_CLI_DEMO_CMD_H_

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace CLI {
class App;
}

namespace cocoon::cli {

inline constexpr int kDemoExitCannotRun = 2;

struct DemoOptions {
  std::string script;   // --script, else $COCOON_DEMO_SCRIPT, else searched (FindDemoScript)
  std::string bin_dir;  // --bin-dir: where the binaries are; else beside the cocoon binary
  bool keep = false;    // --keep: keep the work directory (HARNESS_KEEP=1)
};

// A binary the demo runs: the variable that carries its path and where a build tree puts it
// (relative to the build directory).
struct DemoBinary {
  const char* env;
  const char* name;
  const char* build_subdir;
};

// Every binary the demo needs, cocoon itself excluded.
const std::vector<DemoBinary>& DemoBinaries();

// Reads an environment variable (tests pass a fake).
using EnvLookup = std::function<std::optional<std::string>(absl::string_view)>;

struct DemoLaunch {
  std::string script;                                    // absolute path
  std::vector<std::pair<std::string, std::string>> env;  // to export before running it
};

// The demo script: `options.script`, else $COCOON_DEMO_SCRIPT, else scripts/demo in the first
// directory at or above the cocoon binary's that holds both scripts/demo and
// tests/integration/harness.sh (a build directory inside the source tree), else the source tree
// this binary was built from. `self_exe` is the cocoon binary's absolute path.
absl::StatusOr<std::string> FindDemoScript(const DemoOptions& options, absl::string_view self_exe,
                                           const EnvLookup& env,
                                           absl::string_view built_source_dir);

// Resolves the script and every binary. A binary's path is taken from its variable when that is
// set, else from `options.bin_dir`, else from the directory of `self_exe`, else from the build tree
// around it (<dir>/../<build_subdir>/<name>). Fails with kFailedPrecondition listing everything
// that is missing and how to build it.
absl::StatusOr<DemoLaunch> PlanDemo(const DemoOptions& options, absl::string_view self_exe,
                                    const EnvLookup& env, absl::string_view built_source_dir);

// Registers `demo` on `app`.
void RegisterDemoCommands(CLI::App& app, int* exit_code);

}  // namespace cocoon::cli

#endif  // COCOON_CLI_DEMO_CMD_H_
