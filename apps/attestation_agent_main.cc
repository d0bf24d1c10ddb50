// attestation-agent: evidence, KBS tokens and runtime measurements for the node, on
// guest-components' ttrpc API (attestation_agent.AttestationAgentService). Thin: reads the config,
// builds the agent, serves until SIGTERM/SIGINT.
//
//   attestation-agent [-c config.toml|.json] [-a|--attestation_sock ADDR] [--log-level LEVEL]
//                     [--ready-file FILE] [-t initdata.toml | -i DIGEST] [--grpc-addr HOST:PORT]
//
// ADDR defaults to unix:///run/confidential-containers/attestation-agent/attestation-agent.sock
// (directory created, stale socket removed). Attester: [attester] tee in the config, or
// $COCOON_AA_TEE, else detection (tdx, az-tdx-vtpm, then sample with a warning).
#include <signal.h>

#include <cstdio>
#include <string>

#include <spdlog/spdlog.h>

#include "CLI/CLI.hpp"
#include "aa/agent.h"
#include "aa/config.h"
#include "aa/grpc_server.h"
#include "base/encoding.h"
#include "base/file_util.h"
#include "base/logging.h"
#include "rpc/ttrpc_server.h"

namespace {

int Fail(absl::string_view what, const absl::Status& status) {
  spdlog::error("{}: {}", std::string(what), std::string(status.message()));
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"attestation-agent: evidence and KBS tokens for the node (ttrpc)"};
  std::string config_path, log_level, ready_file;
  std::string socket(cocoon::aa::kDefaultAaSocket);
  app.add_option("-c,--config-file", config_path, "config file (.toml or .json, by extension)");
  app.add_option("-a,--attestation_sock", socket, "ttrpc address (unix:///path)");
  app.add_option("--log-level", log_level,
                 "trace, debug, info, warn, error, off (overrides log.level)");
  app.add_option("--ready-file", ready_file, "write the socket path here once serving");
  std::string grpc_addr;
  app.add_option("--grpc-addr", grpc_addr,
                 "also serve gRPC here, as grpc-aa does (e.g. 127.0.0.1:50002); default off");
  std::string initdata_digest_b64, initdata_toml_path;
  app.add_option("-i,--initdata-digest", initdata_digest_b64,
                 "initdata digest (standard base64) to bind at start");
  app.add_option("-t,--initdata-toml", initdata_toml_path,
                 "initdata TOML to bind at start and send to the KBS (wins over -i)");
  app.set_version_flag("--version", "attestation-agent (cocoon) 0.1.0");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  cocoon::aa::AaConfig config;
  if (!config_path.empty()) {
    auto loaded = cocoon::aa::LoadAaConfig(config_path);
    if (!loaded.ok()) {
      (void)cocoon::InitLogging("attestation-agent", log_level.empty() ? "info" : log_level);
      return Fail("config", loaded.status());
    }
    config = std::move(*loaded);
  }
  cocoon::aa::ApplyAaEnvironment(&config);
  if (absl::Status s = cocoon::InitLogging("attestation-agent",
                                           log_level.empty() ? config.log_level : log_level);
      !s.ok()) {
    (void)cocoon::InitLogging("attestation-agent", "info");
    return Fail("log level", s);
  }
  for (const std::string& w : config.warnings) spdlog::warn("config: {}", w);

  std::string warning;
  auto agent = cocoon::aa::AttestationAgent::Create(config, &warning);
  if (!agent.ok()) return Fail("attester", agent.status());
  if (!warning.empty()) spdlog::warn("{}", warning);

  // Initdata: bind the digest to the TEE (az-tdx-vtpm: PCR 8), as upstream does at start; a TEE
  // without support continues with a warning, any other failure aborts.
  std::string initdata_digest;
  if (!initdata_toml_path.empty()) {
    auto text = cocoon::ReadFile(initdata_toml_path, 1 << 20);
    if (!text.ok()) return Fail("initdata", text.status());
    auto init = cocoon::aa::ParseInitData(*text);
    if (!init.ok()) return Fail("initdata", init.status());
    initdata_digest = init->digest;
    (*agent)->set_init_data_toml(init->toml);
  } else if (!initdata_digest_b64.empty()) {
    auto digest = cocoon::Base64Decode(initdata_digest_b64);
    if (!digest.ok()) return Fail("initdata digest", digest.status());
    initdata_digest = *digest;
  }
  if (!initdata_digest.empty()) {
    absl::Status bound = (*agent)->BindInitData(initdata_digest);
    if (bound.code() == absl::StatusCode::kUnimplemented) {
      spdlog::warn("initdata not bound: {}", std::string(bound.message()));
    } else if (!bound.ok()) {
      return Fail("initdata", bound);
    } else {
      spdlog::info("initdata bound ({} bytes digest)", initdata_digest.size());
    }
  }

  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  signal(SIGPIPE, SIG_IGN);

  cocoon::rpc::TtrpcServer server;
  auto on_event = [](absl::string_view event, const absl::Status& status) {
    if (status.ok()) {
      spdlog::info("{}: ok", std::string(event));
    } else {
      spdlog::warn("{}: failed: {}", std::string(event), std::string(status.message()));
    }
  };
  cocoon::aa::RegisterAttestationAgentService(agent->get(), &server, on_event);
  if (absl::Status s = server.Start(socket); !s.ok()) return Fail("ttrpc", s);
  spdlog::info("serving {} on {} (TEE {}, KBS {})",
               std::string(cocoon::aa::kAttestationAgentService), server.socket_path(),
               (*agent)->tee(), config.kbs ? config.kbs->url : std::string("not configured"));
  std::unique_ptr<cocoon::aa::AaGrpcServer> grpc;
  if (!grpc_addr.empty()) {
    auto started = cocoon::aa::AaGrpcServer::Start(grpc_addr, agent->get(), on_event);
    if (!started.ok()) return Fail("gRPC", started.status());
    grpc = std::move(*started);
    spdlog::info("serving gRPC on {}", grpc->target());
  }
  if (!ready_file.empty()) {
    if (absl::Status s = cocoon::WriteFileAtomic(ready_file, server.socket_path() + "\n");
        !s.ok()) {
      return Fail("ready file", s);
    }
  }
  int sig = 0;
  sigwait(&stop, &sig);
  spdlog::info("signal {}: shutting down", sig);
  if (grpc) grpc->Shutdown();
  server.Stop();
  return 0;
}
