// A gRPC server for `keyprovider.KeyProviderService` around a KeyProviderHandler: it parses the
// JSON requests, calls the handler and returns its reply, mapping an error status to the gRPC code
// of the same number with the handler's message (which must hold no secrets). The
// confidential-data-hub (UnWrapKey), coco-keyprovider (WrapKey) and the test keyprovider use it.
#ifndef COCOON_RPC_KEYPROVIDER_SERVER_H_
#define COCOON_RPC_KEYPROVIDER_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ocicrypt/keyprovider_handler.h"
#include "ocicrypt/keyprovider_protocol.h"

namespace cocoon::rpc {

struct KeyProviderServerOptions {
  // "host:port" (port 0 picks a free port), "unix:///abs/path" or "unix:path".
  std::string address;
  // How byte fields are written in replies: base64 like Go, or integer arrays like CoCo's Rust.
  ocicrypt::ByteFieldForm reply_form = ocicrypt::ByteFieldForm::kBase64;
  // TLS when both are set (PEM); plaintext h2c otherwise, as ocicrypt clients dial by default.
  std::string tls_cert_chain_pem;
  std::string tls_private_key_pem;
};

class KeyProviderServer {
 public:
  // Starts listening and serving on gRPC's own threads. `handler` must outlive the server and be
  // safe to call from several threads at once.
  static absl::StatusOr<std::unique_ptr<KeyProviderServer>> Start(
      const KeyProviderServerOptions& options, ocicrypt::KeyProviderHandler* handler);

  ~KeyProviderServer();  // shuts down with a short grace period
  KeyProviderServer(const KeyProviderServer&) = delete;
  KeyProviderServer& operator=(const KeyProviderServer&) = delete;

  // The TCP port bound (the chosen one for port 0); 0 for a unix socket.
  int port() const { return port_; }
  // The address to dial: "host:port" with the real port, or the unix address as given.
  const std::string& target() const { return target_; }

  // Stops accepting calls; calls still running after `grace` are cancelled. Idempotent.
  void Shutdown(absl::Duration grace = absl::Seconds(1));
  // Blocks until the server has shut down.
  void Wait();

 private:
  struct Impl;
  explicit KeyProviderServer(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
  int port_ = 0;
  std::string target_;
};

}  // namespace cocoon::rpc

#endif  // COCOON_RPC_KEYPROVIDER_SERVER_H_
