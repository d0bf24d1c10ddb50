// coco-keyprovider: the ocicrypt keyprovider for image encryption (WrapKey), wrapping the layer
// options under a key encryption key that a KBS releases to attested nodes; optionally registers
// that key in the KBS.
//
//   coco-keyprovider --socket 127.0.0.1:50000 [--kbs URL --auth-private-key ED25519.pem]
//   coco-keyprovider --cmd [--kbs URL --auth-private-key ED25519.pem]
//
// --cmd handles one request on stdin/stdout (ocicrypt's `cmd` transport), so
// OCICRYPT_KEYPROVIDER_CONFIG can name this binary instead of a daemon.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <optional>
#include <string>

#include <spdlog/spdlog.h>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "base/file_util.h"
#include "base/logging.h"
#include "cdh/coco_keyprovider.h"
#include "crypto/keys.h"
#include "ocicrypt/io.h"
#include "ocicrypt/keyprovider_handler.h"
#include "ocicrypt/keyprovider_protocol.h"
#include "rpc/keyprovider_server.h"

namespace {

int Fail(absl::string_view what, const absl::Status& status) {
  spdlog::error("{}: {}", std::string(what), std::string(status.message()));
  return 1;
}

// Logs one line per WrapKey: the kid on success, the error otherwise.
class LoggingHandler : public cocoon::ocicrypt::KeyProviderHandler {
 public:
  explicit LoggingHandler(cocoon::ocicrypt::KeyProviderHandler* inner) : inner_(inner) {}
  absl::StatusOr<std::string> WrapKey(const cocoon::ocicrypt::KeyProviderInput& in) override {
    auto r = inner_->WrapKey(in);
    if (r.ok()) {
      spdlog::info("WrapKey: ok ({} byte annotation)", r->size());
    } else {
      spdlog::warn("WrapKey: failed: {}", std::string(r.status().message()));
    }
    return r;
  }
  absl::StatusOr<cocoon::SecretBytes> UnwrapKey(
      const cocoon::ocicrypt::KeyProviderInput& in) override {
    auto r = inner_->UnwrapKey(in);
    spdlog::warn("UnWrapKey: refused: {}", std::string(r.status().message()));
    return r;
  }

 private:
  cocoon::ocicrypt::KeyProviderHandler* inner_;
};

int RunCmd(cocoon::ocicrypt::KeyProviderHandler& handler) {
  cocoon::ocicrypt::FdSource in(STDIN_FILENO, cocoon::ocicrypt::FdOwnership::kBorrowed, "stdin");
  auto request = cocoon::ocicrypt::ReadAll(in, cocoon::ocicrypt::kMaxKeyProviderMessageSize);
  if (!request.ok()) return Fail("read request", request.status());
  auto reply = cocoon::ocicrypt::HandleKeyProviderRequest(
      handler, cocoon::ocicrypt::KeyProviderCall::kByOp, *request,
      cocoon::ocicrypt::ByteFieldForm::kIntArray);
  cocoon::ocicrypt::WipeString(&*request);
  if (!reply.ok()) return Fail("coco-keyprovider", reply.status());
  cocoon::ocicrypt::FdSink out(STDOUT_FILENO, cocoon::ocicrypt::FdOwnership::kBorrowed, "stdout");
  absl::Status s = out.Write(*reply);
  cocoon::ocicrypt::WipeString(&*reply);
  if (!s.ok()) return Fail("write reply", s);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"coco-keyprovider: ocicrypt keyprovider (WrapKey) for image encryption"};
  std::string socket, kbs_url, auth_key_path, log_level = "info", ready_file;
  std::string provider_name = "attestation-agent";
  bool cmd = false, daemon = false;
  app.add_option("-s,--socket", socket, "gRPC listen address host:port (port 0: any free port)");
  app.add_option("--kbs", kbs_url, "KBS URL; with --auth-private-key each key is registered");
  app.add_option("-a,--auth-private-key", auth_key_path,
                 "Ed25519 or EC P-256/P-384 private key (PEM) for the KBS admin API");
  app.add_flag("--cmd", cmd, "handle one request on stdin/stdout (ocicrypt cmd transport)");
  app.add_option("--provider-name", provider_name,
                 "ec.Parameters key to read (the provider name in ocicrypt's config)");
  app.add_flag("-d,--daemon", daemon, "accepted for compatibility; run under systemd instead");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error, off");
  app.add_option("--ready-file", ready_file, "write the bound host:port here once listening");
  app.set_version_flag("--version", "coco-keyprovider (cocoon) 0.1.0");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (absl::Status s = cocoon::InitLogging("coco-keyprovider", log_level); !s.ok()) {
    (void)cocoon::InitLogging("coco-keyprovider", "info");
    return Fail("log level", s);
  }
  if (cmd == !socket.empty()) {
    return Fail("usage", absl::InvalidArgumentError("give exactly one of --socket ADDR and --cmd"));
  }
  if (kbs_url.empty() != auth_key_path.empty()) {
    return Fail("usage", absl::InvalidArgumentError(
                             "--kbs and --auth-private-key register keys together; give both"));
  }
  if (daemon) spdlog::warn("--daemon is ignored: run coco-keyprovider under systemd");

  std::unique_ptr<cocoon::cdh::KbsRegistrar> registrar;
  if (!kbs_url.empty()) {
    auto pem = cocoon::ReadFile(auth_key_path, 1 << 20);
    if (!pem.ok()) return Fail("auth private key", pem.status());
    auto key = cocoon::crypto::PrivateKey::Parse(*pem);
    cocoon::SecureZero(pem->data(), pem->size());
    if (!key.ok()) return Fail(absl::StrCat("auth private key ", auth_key_path), key.status());
    if (key->type() != cocoon::crypto::KeyType::kEd25519 &&
        key->type() != cocoon::crypto::KeyType::kEcP256 &&
        key->type() != cocoon::crypto::KeyType::kEcP384) {
      return Fail("auth private key",
                  absl::InvalidArgumentError(absl::StrCat(
                      auth_key_path, " is neither an Ed25519 nor an EC P-256/P-384 key")));
    }
    registrar = cocoon::cdh::NewHttpKbsRegistrar(kbs_url, std::move(*key));
  }
  cocoon::cdh::CocoKeyProviderHandler handler({provider_name, registrar.get()});
  if (cmd) return RunCmd(handler);

  LoggingHandler logging(&handler);
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  signal(SIGPIPE, SIG_IGN);
  cocoon::rpc::KeyProviderServerOptions opts;
  opts.address = socket;
  opts.reply_form = cocoon::ocicrypt::ByteFieldForm::kIntArray;
  auto server = cocoon::rpc::KeyProviderServer::Start(opts, &logging);
  if (!server.ok()) return Fail(absl::StrCat("listen on ", socket), server.status());
  spdlog::info("serving WrapKey on {}{}", (*server)->target(),
               registrar ? absl::StrCat(", registering keys in ", kbs_url) : std::string());
  if (!ready_file.empty()) {
    if (absl::Status s = cocoon::WriteFileAtomic(ready_file, (*server)->target() + "\n"); !s.ok()) {
      return Fail("ready file", s);
    }
  }
  int sig = 0;
  sigwait(&stop, &sig);
  spdlog::info("signal {}: shutting down", sig);
  (*server)->Shutdown();
  return 0;
}
