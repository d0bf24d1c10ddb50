#include "rpc/keyprovider_server.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "rpc/keyprovider.grpc.pb.h"

namespace cocoon::rpc {
namespace {

using ocicrypt::KeyProviderCall;

grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

class Service final : public keyprovider::KeyProviderService::Service {
 public:
  Service(ocicrypt::KeyProviderHandler* handler, ocicrypt::ByteFieldForm form)
      : handler_(handler), form_(form) {}

  grpc::Status WrapKey(grpc::ServerContext*, const keyprovider::keyProviderKeyWrapProtocolInput* in,
                       keyprovider::keyProviderKeyWrapProtocolOutput* out) override {
    return Handle(KeyProviderCall::kWrapKey, in, out);
  }

  grpc::Status UnWrapKey(grpc::ServerContext*,
                         const keyprovider::keyProviderKeyWrapProtocolInput* in,
                         keyprovider::keyProviderKeyWrapProtocolOutput* out) override {
    return Handle(KeyProviderCall::kUnwrapKey, in, out);
  }

 private:
  grpc::Status Handle(KeyProviderCall call, const keyprovider::keyProviderKeyWrapProtocolInput* in,
                      keyprovider::keyProviderKeyWrapProtocolOutput* out) {
    auto reply = ocicrypt::HandleKeyProviderRequest(*handler_, call,
                                                    in->keyproviderkeywrapprotocolinput(), form_);
    if (!reply.ok()) return ToGrpc(reply.status());
    *out->mutable_keyproviderkeywrapprotocoloutput() = std::move(*reply);
    return grpc::Status::OK;
  }

  ocicrypt::KeyProviderHandler* handler_;
  ocicrypt::ByteFieldForm form_;
};

}  // namespace

struct KeyProviderServer::Impl {
  Impl(ocicrypt::KeyProviderHandler* handler, ocicrypt::ByteFieldForm form)
      : service(handler, form) {}
  Service service;
  std::unique_ptr<grpc::Server> server;
  absl::Mutex mu;
  bool shut_down ABSL_GUARDED_BY(mu) = false;
};

KeyProviderServer::KeyProviderServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

KeyProviderServer::~KeyProviderServer() {
  Shutdown(absl::Milliseconds(200));
  impl_->server->Wait();
}

absl::StatusOr<std::unique_ptr<KeyProviderServer>> KeyProviderServer::Start(
    const KeyProviderServerOptions& options, ocicrypt::KeyProviderHandler* handler) {
  if (options.address.empty()) {
    return absl::InvalidArgumentError("keyprovider server: empty listen address");
  }
  const bool is_unix = absl::StartsWith(options.address, "unix:");
  if (!is_unix && options.address.rfind(':') == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("keyprovider server: listen address \"",
                                                   options.address,
                                                   "\" is neither host:port nor unix:path"));
  }
  std::shared_ptr<grpc::ServerCredentials> creds;
  if (!options.tls_cert_chain_pem.empty() || !options.tls_private_key_pem.empty()) {
    grpc::SslServerCredentialsOptions tls;
    tls.pem_key_cert_pairs.push_back({options.tls_private_key_pem, options.tls_cert_chain_pem});
    creds = grpc::SslServerCredentials(tls);
  } else {
    creds = grpc::InsecureServerCredentials();
  }

  auto impl = std::make_unique<Impl>(handler, options.reply_form);
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.address, creds, is_unix ? nullptr : &port);
  builder.SetMaxReceiveMessageSize(static_cast<int>(ocicrypt::kMaxKeyProviderMessageSize));
  builder.SetMaxSendMessageSize(static_cast<int>(ocicrypt::kMaxKeyProviderMessageSize));
  builder.RegisterService(&impl->service);
  impl->server = builder.BuildAndStart();
  if (impl->server == nullptr || (!is_unix && port == 0)) {
    if (impl->server != nullptr) impl->server->Shutdown();
    return absl::UnavailableError(
        absl::StrCat("keyprovider server: cannot listen on ", options.address));
  }
  std::unique_ptr<KeyProviderServer> server(new KeyProviderServer(std::move(impl)));
  server->port_ = port;
  if (is_unix) {
    server->target_ = options.address;
  } else {
    server->target_ =
        absl::StrCat(options.address.substr(0, options.address.rfind(':')), ":", port);
  }
  return server;
}

void KeyProviderServer::Shutdown(absl::Duration grace) {
  {
    absl::MutexLock lock(&impl_->mu);
    if (impl_->shut_down) return;
    impl_->shut_down = true;
  }
  impl_->server->Shutdown(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(grace));
}

void KeyProviderServer::Wait() { impl_->server->Wait(); }

}  // namespace cocoon::rpc
