#include "aa/grpc_server.h"

#include <grpcpp/grpcpp.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "rpc/attestation-agent.grpc.pb.h"

namespace cocoon::aa {
namespace {

namespace pb = ::attestation_agent;

// Each rpc goes through the same byte-level handler as on ttrpc.
class Service final : public pb::AttestationAgentService::Service {
 public:
  explicit Service(std::map<std::string, AgentHandler> handlers) : handlers_(std::move(handlers)) {}

  grpc::Status GetEvidence(grpc::ServerContext*, const pb::GetEvidenceRequest* req,
                           pb::GetEvidenceResponse* resp) override {
    return Call("GetEvidence", *req, resp);
  }
  grpc::Status GetAdditionalEvidence(grpc::ServerContext*,
                                     const pb::GetAdditionalEvidenceRequest* req,
                                     pb::GetEvidenceResponse* resp) override {
    return Call("GetAdditionalEvidence", *req, resp);
  }
  grpc::Status GetToken(grpc::ServerContext*, const pb::GetTokenRequest* req,
                        pb::GetTokenResponse* resp) override {
    return Call("GetToken", *req, resp);
  }
  grpc::Status ExtendRuntimeMeasurement(grpc::ServerContext*,
                                        const pb::ExtendRuntimeMeasurementRequest* req,
                                        pb::ExtendRuntimeMeasurementResponse* resp) override {
    return Call("ExtendRuntimeMeasurement", *req, resp);
  }
  grpc::Status BindInitData(grpc::ServerContext*, const pb::BindInitDataRequest* req,
                            pb::BindInitDataResponse* resp) override {
    return Call("BindInitData", *req, resp);
  }
  grpc::Status GetTeeType(grpc::ServerContext*, const pb::GetTeeTypeRequest* req,
                          pb::GetTeeTypeResponse* resp) override {
    return Call("GetTeeType", *req, resp);
  }
  grpc::Status GetAdditionalTees(grpc::ServerContext*, const pb::GetAdditionalTeesRequest* req,
                                 pb::GetAdditionalTeesResponse* resp) override {
    return Call("GetAdditionalTees", *req, resp);
  }

 private:
  grpc::Status Call(const std::string& method, const google::protobuf::Message& req,
                    google::protobuf::Message* resp) {
    auto it = handlers_.find(method);
    if (it == handlers_.end()) {
      return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, absl::StrCat(method, " not served"));
    }
    std::string in = req.SerializeAsString();
    absl::StatusOr<std::string> out = it->second(in);
    if (!out.ok()) {
      return grpc::Status(static_cast<grpc::StatusCode>(out.status().code()),
                          std::string(out.status().message()));
    }
    if (!resp->ParseFromString(*out)) {
      return grpc::Status(grpc::StatusCode::INTERNAL, "malformed response");
    }
    return grpc::Status::OK;
  }

  std::map<std::string, AgentHandler> handlers_;
};

}  // namespace

struct AaGrpcServer::Impl {
  std::unique_ptr<Service> service;
  std::unique_ptr<grpc::Server> server;
};

absl::StatusOr<std::unique_ptr<AaGrpcServer>> AaGrpcServer::Start(absl::string_view address,
                                                                  AttestationAgent* agent,
                                                                  AgentEventFn on_event) {
  std::unique_ptr<AaGrpcServer> s(new AaGrpcServer());
  s->impl_ = std::make_unique<Impl>();
  s->impl_->service =
      std::make_unique<Service>(AttestationAgentHandlers(agent, std::move(on_event)));
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(std::string(address), grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(s->impl_->service.get());
  s->impl_->server = builder.BuildAndStart();
  if (s->impl_->server == nullptr || port == 0) {
    return absl::UnavailableError(absl::StrCat("gRPC: cannot listen on ", address));
  }
  const std::string addr(address);
  s->target_ = absl::StrCat(addr.substr(0, addr.rfind(':')), ":", port);
  return s;
}

AaGrpcServer::~AaGrpcServer() { Shutdown(); }

void AaGrpcServer::Shutdown() {
  if (impl_ && impl_->server) {
    impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
    impl_->server.reset();
  }
}

}  // namespace cocoon::aa
