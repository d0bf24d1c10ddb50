// `cocoon doctor`: the walkthrough's node troubleshooting checklist (section 13.9 and the checks
// of 13.1-13.7) as one command. Every check yields a name, a status, the reason and a fix line.
//
// Exit status: 0 when every check is ok or skipped, 1 when the worst is a warning, 2 when any
// check failed. (Usage errors exit 1 as everywhere in cocoon; scripts that need to tell a usage
// error from warnings use --json.)
#ifndef COCOON_CLI_DOCTOR_H_
#define COCOON_CLI_DOCTOR_H_

#include <ostream>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace cocoon::cli {

enum class CheckStatus { kOk, kSkip, kWarn, kFail };

const char* CheckStatusName(CheckStatus status);

struct CheckResult {
  std::string name;  // stable identifier, e.g. "containerd-key-model"
  CheckStatus status = CheckStatus::kOk;
  std::string reason;
  std::string fix;  // empty when ok/skip and nothing to do
};

struct DoctorOptions {
  // Prefix for every /sys, /dev, /proc, /etc and /run lookup (and the binary search).
  std::string root = "/";
  std::string tee = "az-tdx-vtpm";  // az-tdx-vtpm | tdx | sample
  // Empty: the defaults below, under `root`. Given: used as is (not prefixed).
  std::string containerd_config;   // /etc/containerd/config.toml
  std::string containerd_socket;   // /run/containerd/containerd.sock
  std::string keyprovider_config;  // from the stream processor env, else the default path
  std::string cdh_config;          // /etc/confidential-data-hub.json
  std::string aa_config;           // /etc/attestation-agent/config.toml
  std::string aa_socket;           // from the CDH config, else the default ttrpc-aa socket
  std::string kbs_url;             // else kbc.url of the CDH config, else the AA config
  std::string path_env;            // binary search path; empty: $PATH
  bool attest = false;             // also run `kbs-client attest`
  int timeout_ms = 1500;           // per network check
};

// Runs every check in order.
std::vector<CheckResult> RunDoctorChecks(const DoctorOptions& options);

// 0, 1 or 2 as described above.
int DoctorExitCode(const std::vector<CheckResult>& results);

void PrintDoctorTable(const std::vector<CheckResult>& results, std::ostream& out);
void PrintDoctorJson(const std::vector<CheckResult>& results, std::ostream& out);

// Registers `doctor` on `app`.
void RegisterDoctorCommands(CLI::App& app, int* exit_code);

}  // namespace cocoon::cli

#endif  // COCOON_CLI_DOCTOR_H_
