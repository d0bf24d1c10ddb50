#include "cdh/hub.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "cdh/annotation_packet.h"
#include "cdh/api.pb.h"
#include "cdh/unwrap_service.h"
#include "ocicrypt/keyprovider_handler.h"
#include "ocicrypt/keyprovider_protocol.h"
#include "rpc/keyprovider.pb.h"
#include "rpc/keyprovider_server.h"
#include "rpc/ttrpc_server.h"

namespace cocoon::cdh {
namespace {

// Reports each UnWrapKey to the event callback, naming the kid when the packet parses.
class ReportingHandler : public ocicrypt::KeyProviderHandler {
 public:
  ReportingHandler(Kbc* kbc, HubEventFn* on_event) : inner_(kbc), on_event_(on_event) {}

  absl::StatusOr<std::string> WrapKey(const ocicrypt::KeyProviderInput& input) override {
    auto r = inner_.WrapKey(input);
    Report("WrapKey", r.status());
    return r;
  }

  absl::StatusOr<SecretBytes> UnwrapKey(const ocicrypt::KeyProviderInput& input) override {
    auto r = inner_.UnwrapKey(input);
    std::string what = "UnWrapKey";
    if (input.keyunwrap.annotation.has_value()) {
      if (auto p = ParseAnnotationPacket(*input.keyunwrap.annotation); p.ok()) {
        absl::StrAppend(&what, " kid ", p->kid.substr(0, 256));
      }
    }
    Report(what, r.status());
    return r;
  }

 private:
  void Report(absl::string_view what, const absl::Status& s) {
    if (*on_event_) (*on_event_)(what, s);
  }
  UnwrapKeyHandler inner_;
  HubEventFn* on_event_;
};

}  // namespace

struct ConfidentialDataHub::Impl {
  std::unique_ptr<Kbc> kbc;
  HubEventFn on_event;
  std::unique_ptr<ReportingHandler> handler;
  std::unique_ptr<rpc::KeyProviderServer> grpc;
  std::unique_ptr<rpc::TtrpcServer> ttrpc;
  std::string grpc_target;
  std::string ttrpc_path;

  absl::StatusOr<std::string> TtrpcGetResource(absl::string_view request) {
    api::GetResourceRequest req;
    if (!req.ParseFromArray(request.data(), static_cast<int>(request.size()))) {
      return absl::InvalidArgumentError("GetResource: request is not a GetResourceRequest");
    }
    absl::StatusOr<SecretBytes> value = GetResource(req.resourcepath());
    if (!value.ok()) return value.status();
    api::GetResourceResponse resp;
    resp.set_resource(std::string(value->view()));
    std::string out = resp.SerializeAsString();
    ocicrypt::WipeString(resp.mutable_resource());
    return out;
  }

  absl::StatusOr<std::string> TtrpcUnwrapKey(absl::string_view request) {
    keyprovider::keyProviderKeyWrapProtocolInput in;
    if (!in.ParseFromArray(request.data(), static_cast<int>(request.size()))) {
      return absl::InvalidArgumentError(
          "UnWrapKey: request is not a keyProviderKeyWrapProtocolInput message");
    }
    COCOON_ASSIGN_OR_RETURN(std::string reply, ocicrypt::HandleKeyProviderRequest(
                                                   *handler, ocicrypt::KeyProviderCall::kUnwrapKey,
                                                   in.keyproviderkeywrapprotocolinput(),
                                                   ocicrypt::ByteFieldForm::kIntArray));
    keyprovider::keyProviderKeyWrapProtocolOutput out;
    out.set_keyproviderkeywrapprotocoloutput(reply);
    ocicrypt::WipeString(&reply);
    std::string bytes = out.SerializeAsString();
    ocicrypt::WipeString(out.mutable_keyproviderkeywrapprotocoloutput());
    return bytes;
  }

  absl::StatusOr<SecretBytes> GetResource(absl::string_view uri) {
    absl::StatusOr<ResourceUri> parsed = ParseResourceUri(uri);
    absl::StatusOr<SecretBytes> value =
        parsed.ok() ? kbc->GetResource(*parsed) : absl::StatusOr<SecretBytes>(parsed.status());
    if (on_event) {
      on_event(absl::StrCat("GetResource ", uri.substr(0, 256)), value.status());
    }
    return value;
  }
};

ConfidentialDataHub::ConfidentialDataHub(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ConfidentialDataHub::~ConfidentialDataHub() { Shutdown(); }

const std::string& ConfidentialDataHub::grpc_target() const { return impl_->grpc_target; }
const std::string& ConfidentialDataHub::ttrpc_path() const { return impl_->ttrpc_path; }

absl::StatusOr<SecretBytes> ConfidentialDataHub::GetResource(absl::string_view uri) {
  return impl_->GetResource(uri);
}

void ConfidentialDataHub::Shutdown() {
  if (impl_->grpc) impl_->grpc->Shutdown();
  if (impl_->ttrpc) impl_->ttrpc->Stop();
}

absl::StatusOr<std::unique_ptr<ConfidentialDataHub>> ConfidentialDataHub::Start(
    const CdhConfig& config, std::unique_ptr<Kbc> kbc, HubEventFn on_event) {
  auto impl = std::make_unique<Impl>();
  impl->kbc = std::move(kbc);
  impl->on_event = std::move(on_event);
  impl->handler = std::make_unique<ReportingHandler>(impl->kbc.get(), &impl->on_event);

  std::string ttrpc_addr;
  if (IsUnixSocketAddress(config.socket)) {
    ttrpc_addr = config.socket;
  } else {
    rpc::KeyProviderServerOptions opts;
    opts.address = config.socket;
    opts.reply_form = ocicrypt::ByteFieldForm::kIntArray;
    COCOON_ASSIGN_OR_RETURN_CTX(impl->grpc,
                                rpc::KeyProviderServer::Start(opts, impl->handler.get()),
                                absl::StrCat("gRPC keyprovider on ", config.socket));
    impl->grpc_target = impl->grpc->target();
    ttrpc_addr = config.ttrpc_socket;
  }
  if (!ttrpc_addr.empty()) {
    impl->ttrpc = std::make_unique<rpc::TtrpcServer>();
    Impl* raw = impl.get();
    impl->ttrpc->Register(kGetResourceService, "GetResource",
                          [raw](absl::string_view req) { return raw->TtrpcGetResource(req); });
    impl->ttrpc->Register(kKeyProviderService, "UnWrapKey",
                          [raw](absl::string_view req) { return raw->TtrpcUnwrapKey(req); });
    COCOON_RETURN_IF_ERROR_CTX(impl->ttrpc->Start(ttrpc_addr),
                               absl::StrCat("ttrpc on ", ttrpc_addr));
    impl->ttrpc_path = impl->ttrpc->socket_path();
  }
  return std::unique_ptr<ConfidentialDataHub>(new ConfidentialDataHub(std::move(impl)));
}

}  // namespace cocoon::cdh
