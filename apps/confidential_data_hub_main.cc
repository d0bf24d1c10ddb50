// confidential-data-hub: keyprovider UnWrapKey (gRPC and ttrpc) and the CDH GetResource API
// (ttrpc) in front of a KBC. Thin: reads the config, builds the hub, serves until SIGTERM/SIGINT.
//
//   confidential-data-hub [-c /etc/confidential-data-hub.json|.toml] [--log-level LEVEL]
//                         [--ready-file FILE]
//
// Without -c the KBC comes from $AA_KBC_PARAMS ("<kbc>::<url>"), else offline_fs_kbc, as
// guest-components does; the socket is then the default unix socket.
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include <spdlog/spdlog.h>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/file_util.h"
#include "base/logging.h"
#include "cdh/cc_kbc.h"
#include "cdh/config.h"
#include "cdh/hub.h"
#include "cdh/kbc.h"

namespace {

int Fail(absl::string_view what, const absl::Status& status) {
  spdlog::error("{}: {}", std::string(what), std::string(status.message()));
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"confidential-data-hub: keyprovider UnWrapKey and resources from a KBC"};
  std::string config_path, log_level, ready_file;
  app.add_option("-c,--config", config_path, "config file (.json or .toml, by extension)");
  app.add_option("--log-level", log_level,
                 "trace, debug, info, warn, error, off (overrides log.level)");
  app.add_option("--ready-file", ready_file,
                 "write the gRPC address (or the ttrpc socket path) here once serving");
  app.set_version_flag("--version", "confidential-data-hub (cocoon) 0.1.0");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  cocoon::cdh::CdhConfig config;
  if (!config_path.empty()) {
    auto loaded = cocoon::cdh::LoadCdhConfig(config_path);
    if (!loaded.ok()) {
      (void)cocoon::InitLogging("confidential-data-hub", log_level.empty() ? "info" : log_level);
      return Fail("config", loaded.status());
    }
    config = std::move(*loaded);
  } else {
    config.kbc.name = "offline_fs_kbc";
    if (const char* params = std::getenv("AA_KBC_PARAMS"); params != nullptr && *params != '\0') {
      std::vector<std::string> parts = absl::StrSplit(params, absl::MaxSplits("::", 1));
      config.kbc.name = parts[0];
      if (parts.size() > 1) config.kbc.url = parts[1];
    }
  }
  if (absl::Status s = cocoon::InitLogging("confidential-data-hub",
                                           log_level.empty() ? config.log_level : log_level);
      !s.ok()) {
    (void)cocoon::InitLogging("confidential-data-hub", "info");
    return Fail("log level", s);
  }
  for (const std::string& w : config.warnings) spdlog::warn("config: {}", w);

  std::vector<std::string> warnings;
  cocoon::cdh::RegisterCcKbc();
  auto kbc = cocoon::cdh::NewKbc(config.kbc, &warnings);
  for (const std::string& w : warnings) spdlog::warn("{}", w);
  if (!kbc.ok()) return Fail("kbc", kbc.status());
  const std::string kbc_name((*kbc)->name());

  // Block the stop signals before any thread starts, then wait for them here.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto on_event = [](absl::string_view event, const absl::Status& status) {
    if (status.ok()) {
      spdlog::info("{}: ok", std::string(event));
    } else {
      spdlog::warn("{}: failed: {}", std::string(event), std::string(status.message()));
    }
  };
  auto hub = cocoon::cdh::ConfidentialDataHub::Start(config, std::move(*kbc), on_event);
  if (!hub.ok()) return Fail("start", hub.status());
  spdlog::info("serving with {}: gRPC keyprovider {}, ttrpc {}", kbc_name,
               (*hub)->grpc_target().empty() ? "off" : (*hub)->grpc_target(),
               (*hub)->ttrpc_path().empty() ? "off" : (*hub)->ttrpc_path());
  if (!ready_file.empty()) {
    const std::string addr =
        (*hub)->grpc_target().empty() ? (*hub)->ttrpc_path() : (*hub)->grpc_target();
    if (absl::Status s = cocoon::WriteFileAtomic(ready_file, addr + "\n"); !s.ok()) {
      return Fail("ready file", s);
    }
  }
  int sig = 0;
  sigwait(&stop, &sig);
  spdlog::info("signal {}: shutting down", sig);
  (*hub)->Shutdown();
  return 0;
}
