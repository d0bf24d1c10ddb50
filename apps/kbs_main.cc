// kbs: the Key Broker Service. Thin: loads the config, builds the service, serves HTTP(S).
#include <malloc.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <thread>

#include <spdlog/spdlog.h>

#include "CLI/CLI.hpp"
#include "absl/strings/str_join.h"
#include "base/file_util.h"
#include "base/logging.h"
#include "kbs/config.h"
#include "kbs/http_server.h"
#include "kbs/kbs_service.h"
#include "kbs/verifiers.h"

namespace {

int Fail(const absl::Status& status) {
  spdlog::error("{}", std::string(status.message()));
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"kbs: Key Broker Service (Trustee KBS protocol 0.4.0)"};
  std::string config_path;
  std::string log_level = "info";
  std::string listen_file;
  if (const char* env = std::getenv("KBS_CONFIG_FILE")) config_path = env;
  app.add_option("-c,--config-file", config_path, "kbs-config.toml")->required(config_path.empty());
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error, off");
  app.add_option("--listen-file", listen_file,
                 "write the bound host:port addresses to this file once listening");
  app.set_version_flag("--version", "kbs (cocoon) 0.1.0");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 1;
  }
  if (absl::Status st = cocoon::InitLogging("kbs", log_level); !st.ok()) {
    std::fprintf(stderr, "kbs: %s\n", std::string(st.message()).c_str());
    return 1;
  }
  // Few malloc arenas keep the resident size flat under many connection threads.
  mallopt(M_ARENA_MAX, 2);

  absl::StatusOr<cocoon::kbs::KbsConfig> config = cocoon::kbs::LoadKbsConfig(config_path);
  if (!config.ok()) return Fail(config.status());
  absl::StatusOr<cocoon::kbs::VerifierSetup> verifiers =
      cocoon::kbs::BuildVerifiers(config->attestation_service.verifier_config_json);
  if (!verifiers.ok()) return Fail(verifiers.status());
  for (const std::string& w : verifiers->warnings) spdlog::warn("{}", w);
  cocoon::kbs::KbsServiceOptions options;
  options.verifiers = verifiers->registry;
  absl::StatusOr<std::unique_ptr<cocoon::kbs::KbsService>> service =
      cocoon::kbs::KbsService::Create(*config, std::move(options));
  if (!service.ok()) return Fail(service.status());
  absl::StatusOr<std::unique_ptr<cocoon::kbs::KbsHttpServer>> server =
      cocoon::kbs::KbsHttpServer::Create(service->get(), config->http_server);
  if (!server.ok()) return Fail(server.status());

  if (config->http_server.insecure_http) {
    spdlog::warn("serving plain HTTP (insecure_http = true)");
  }
  if (config->attestation_token.insecure_header_jwk) {
    spdlog::warn("trusting any key in token headers (insecure_header_jwk = true)");
  }
  if (config->admin.mode == cocoon::kbs::AdminConfig::Mode::kInsecureAllowAll) {
    spdlog::warn("admin API open to everyone (InsecureAllowAll)");
  }
  if (config->attestation_service.broker.signer_key_path.empty()) {
    spdlog::info("token signing key is ephemeral (no attestation_token_broker.signer)");
  }
  if (config->session.sealing_key_path.empty()) {
    spdlog::info("session sealing key is ephemeral: sessions are valid on this replica only");
  }

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  absl::StatusOr<std::vector<std::string>> bound = (*server)->Bind();
  if (!bound.ok()) return Fail(bound.status());
  const std::string addresses = absl::StrJoin(*bound, " ");
  spdlog::info("listening on {} ({})", addresses,
               config->http_server.insecure_http ? "http" : "https");
  if (!listen_file.empty()) {
    if (absl::Status st = cocoon::WriteFileAtomic(listen_file, addresses + "\n", 0644); !st.ok()) {
      return Fail(st);
    }
  }
  std::thread waiter([&signals, &server] {
    int sig = 0;
    sigwait(&signals, &sig);
    spdlog::info("signal {} received, stopping", sig);
    (*server)->Stop();
  });
  absl::Status run = (*server)->Run();
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  if (!run.ok()) return Fail(run);
  return 0;
}
