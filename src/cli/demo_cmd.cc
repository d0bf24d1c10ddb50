#include "cli/demo_cmd.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

#ifndef COCOON_SOURCE_DIR
#define COCOON_SOURCE_DIR ""
#endif

namespace cocoon::cli {
namespace {

namespace fs = std::filesystem;

bool IsExecutableFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

bool IsRegularFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string Absolute(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::absolute(fs::path(path), ec);
  if (ec) return path;
  return p.lexically_normal().string();
}

std::string Dirname(absl::string_view path) {
  return fs::path(std::string(path)).parent_path().string();
}

std::optional<std::string> NonEmpty(const EnvLookup& env, absl::string_view name) {
  std::optional<std::string> v = env(name);
  if (v.has_value() && v->empty()) return std::nullopt;
  return v;
}

// True when `root` looks like a cocoon source tree the demo can run from.
bool IsSourceTree(const fs::path& root) {
  return IsExecutableFile((root / "scripts" / "demo").string()) &&
         IsRegularFile((root / "tests" / "integration" / "harness.sh").string());
}

std::optional<std::string> EnvFromProcess(absl::string_view name) {
  const char* v = std::getenv(std::string(name).c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

// The running cocoon binary ("" when /proc is not mounted).
std::string SelfExe() {
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : p.string();
}

// ---- running the script ------------------------------------------------------------------------
//
// The script runs in its own process group, so a Ctrl-C on the terminal reaches only this process:
// not the script's daemons (some of which would stop on SIGINT before the script could report
// anything), nor its foreground commands. The first SIGINT, SIGTERM or SIGHUP is passed on to the
// script as SIGTERM, which it handles by cleaning up everything it started; later ones only print
// a notice, so a second Ctrl-C cannot abort the clean-up half-way.

volatile sig_atomic_t g_script_pid = 0;
volatile sig_atomic_t g_signal = 0;

void OnSignal(int sig) {
  if (g_signal == 0) {
    g_signal = sig;
    if (g_script_pid > 0) ::kill(g_script_pid, SIGTERM);
    return;
  }
  static const char kMsg[] = "\ncocoon demo: cleaning up, please wait\n";
  ssize_t ignored = ::write(STDERR_FILENO, kMsg, sizeof(kMsg) - 1);
  (void)ignored;
}

int RunScript(const DemoLaunch& launch) {
  for (const auto& [name, value] : launch.env) {
    if (::setenv(name.c_str(), value.c_str(), 1) != 0) {
      std::cerr << "cocoon demo: setenv " << name << ": " << std::strerror(errno) << "\n";
      return kDemoExitCannotRun;
    }
  }
  std::cout.flush();
  std::cerr.flush();
  sigset_t block, old;
  sigemptyset(&block);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&block, sig);
  ::sigprocmask(SIG_BLOCK, &block, &old);
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &sa, nullptr);

  const pid_t pid = ::fork();
  if (pid < 0) {
    std::cerr << "cocoon demo: fork: " << std::strerror(errno) << "\n";
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
    return kDemoExitCannotRun;
  }
  if (pid == 0) {
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &dfl, nullptr);
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
    ::setpgid(0, 0);
    // Non-interactive, and a background process group must not read the terminal.
    const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
    std::vector<char*> argv = {const_cast<char*>(launch.script.c_str()), nullptr};
    ::execv(launch.script.c_str(), argv.data());
    const std::string msg =
        absl::StrCat("cocoon demo: cannot run ", launch.script, ": ", std::strerror(errno), "\n");
    ssize_t ignored = ::write(STDERR_FILENO, msg.data(), msg.size());
    (void)ignored;
    ::_exit(kDemoExitCannotRun);
  }
  ::setpgid(pid, pid);  // also here, so no signal can find the child still in our group
  g_script_pid = pid;
  ::sigprocmask(SIG_SETMASK, &old, nullptr);

  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      std::cerr << "cocoon demo: waitpid: " << std::strerror(errno) << "\n";
      return 1;
    }
  }
  g_script_pid = 0;
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  const int rc = WEXITSTATUS(status);
  // The script reports a SIGTERM as 143; the user pressed Ctrl-C.
  if (g_signal == SIGINT && rc == 128 + SIGTERM) return 128 + SIGINT;
  return rc;
}

}  // namespace

const std::vector<DemoBinary>& DemoBinaries() {
  static const std::vector<DemoBinary>* const kBinaries = new std::vector<DemoBinary>{
      {"KBS_BIN", "kbs", "apps"},
      {"KBS_CLIENT", "kbs-client", "apps"},
      {"AA_BIN", "attestation-agent", "apps"},
      {"CDH_BIN", "confidential-data-hub", "apps"},
      {"COCO_KEYPROVIDER", "coco-keyprovider", "apps"},
      {"CTD_DECODER", "ctd-decoder", "apps"},
      {"COCOON_AZ_EMULATOR", "az-tdx-vtpm-emulator", "tests/fixtures/az-tdx-vtpm-emulator"},
      {"CRI_CLIENT", "cri-client", "tests/fixtures/cri"},
  };
  return *kBinaries;
}

absl::StatusOr<std::string> FindDemoScript(const DemoOptions& options, absl::string_view self_exe,
                                           const EnvLookup& env,
                                           absl::string_view built_source_dir) {
  std::string given = options.script;
  absl::string_view origin = "--script";
  if (given.empty()) {
    if (std::optional<std::string> v = NonEmpty(env, "COCOON_DEMO_SCRIPT")) {
      given = *v;
      origin = "COCOON_DEMO_SCRIPT";
    }
  }
  if (!given.empty()) {
    if (!IsExecutableFile(given)) {
      return absl::FailedPreconditionError(
          absl::StrCat(origin, " ", given, " is not an executable file"));
    }
    return Absolute(given);
  }
  std::vector<std::string> tried;
  fs::path dir = fs::path(Dirname(self_exe));
  for (int up = 0; up < 5 && !dir.empty(); ++up) {
    if (IsSourceTree(dir)) return (dir / "scripts" / "demo").lexically_normal().string();
    tried.push_back(dir.string());
    if (dir == dir.parent_path()) break;
    dir = dir.parent_path();
  }
  if (!built_source_dir.empty()) {
    fs::path src{std::string(built_source_dir)};
    if (IsSourceTree(src)) return (src / "scripts" / "demo").lexically_normal().string();
    tried.push_back(src.string());
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "cannot find the demo script (scripts/demo beside tests/integration/harness.sh) in ",
      absl::StrJoin(tried, ", "), "; give --script PATH or set COCOON_DEMO_SCRIPT"));
}

absl::StatusOr<DemoLaunch> PlanDemo(const DemoOptions& options, absl::string_view self_exe,
                                    const EnvLookup& env, absl::string_view built_source_dir) {
  DemoLaunch launch;
  absl::StatusOr<std::string> script = FindDemoScript(options, self_exe, env, built_source_dir);
  if (!script.ok()) return script.status();
  launch.script = *script;
  launch.env.emplace_back("COCOON_BIN", std::string(self_exe));

  const std::string self_dir = Dirname(self_exe);
  const std::string bin_dir = options.bin_dir.empty() ? self_dir : Absolute(options.bin_dir);
  const fs::path build_root = fs::path(bin_dir).parent_path();
  std::vector<std::string> missing;
  std::vector<std::string> targets;
  for (const DemoBinary& b : DemoBinaries()) {
    if (std::optional<std::string> v = NonEmpty(env, b.env)) {
      if (!IsExecutableFile(*v)) {
        missing.push_back(
            absl::StrCat(b.name, " (", b.env, "=", *v, " is not an executable file)"));
        targets.push_back(b.name);
      } else {
        launch.env.emplace_back(b.env, Absolute(*v));
      }
      continue;
    }
    std::vector<std::string> candidates = {(fs::path(bin_dir) / b.name).string(),
                                           (build_root / b.build_subdir / b.name).string()};
    bool found = false;
    for (const std::string& c : candidates) {
      if (IsExecutableFile(c)) {
        launch.env.emplace_back(b.env, fs::path(c).lexically_normal().string());
        found = true;
        break;
      }
    }
    if (!found) {
      missing.push_back(absl::StrCat(b.name, " (looked for ", absl::StrJoin(candidates, " and "),
                                     "; or set ", b.env, ")"));
      targets.push_back(b.name);
    }
  }
  if (!missing.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the demo needs binaries that are not built:\n  ", absl::StrJoin(missing, "\n  "),
        "\nbuild them with: ninja -C ", build_root.string(), " ", absl::StrJoin(targets, " "),
        "\n(or run `make demo`, which builds everything)"));
  }
  if (options.keep) launch.env.emplace_back("HARNESS_KEEP", "1");
  return launch;
}

void RegisterDemoCommands(CLI::App& app, int* exit_code) {
  auto* demo = app.add_subcommand(
      "demo",
      "Run the whole flow locally on loopback (needs root): KBS, encrypted image, attestation on "
      "the Azure TDX vTPM emulator, containerd CRI pull and run, a deny policy, a summary");
  demo->footer(
      "Everything runs in a temporary directory that is removed on exit and on Ctrl-C.\n"
      "Exit status: 0 every step passed, 1 a step failed, 130 interrupted, 2 cannot run here.");
  auto options = std::make_shared<DemoOptions>();
  demo->add_flag("--keep", options->keep,
                 "keep the work directory (configs, logs, images) after the demo");
  demo->add_option("--script", options->script,
                   "the demo driver script (default: $COCOON_DEMO_SCRIPT, else scripts/demo of "
                   "the source tree this cocoon was built in)");
  demo->add_option("--bin-dir", options->bin_dir,
                   "directory holding kbs, attestation-agent, ... (default: beside cocoon, then "
                   "the build tree around it)");
  demo->callback([options, exit_code] {
    const std::string self = SelfExe();
    absl::StatusOr<DemoLaunch> launch = PlanDemo(*options, self, EnvFromProcess, COCOON_SOURCE_DIR);
    if (::geteuid() != 0) {
      std::cerr << "cocoon demo needs root: it runs a private containerd and runc (mounts, "
                   "namespaces) next to the KBS and the node daemons, all on loopback and in a "
                   "temporary directory that is removed afterwards.\n"
                   "Run it as: sudo "
                << self << " demo   (or: make demo, which uses sudo when needed)\n";
      *exit_code = kDemoExitCannotRun;
      return;
    }
    if (!launch.ok()) {
      std::cerr << "cocoon demo: " << launch.status().message() << "\n";
      *exit_code = kDemoExitCannotRun;
      return;
    }
    *exit_code = RunScript(*launch);
  });
}

}  // namespace cocoon::cli
