// The attestation agent over gRPC (guest-components' grpc-aa, default 127.0.0.1:50002): the same
// service and messages as the ttrpc socket, plus BindInitData, which only grpc-aa serves.
#ifndef COCOON_AA_GRPC_SERVER_H_
#define COCOON_AA_GRPC_SERVER_H_

#include <memory>
#include <string>

#include "aa/agent.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cocoon::aa {

inline constexpr absl::string_view kDefaultAaGrpcAddress = "127.0.0.1:50002";

class AaGrpcServer {
 public:
  // Listens on `address` ("host:port", port 0 picks one) and serves `agent` (which must outlive
  // the server) on gRPC's threads.
  static absl::StatusOr<std::unique_ptr<AaGrpcServer>> Start(absl::string_view address,
                                                             AttestationAgent* agent,
                                                             AgentEventFn on_event = nullptr);
  ~AaGrpcServer();
  // "host:port" with the bound port.
  const std::string& target() const { return target_; }
  void Shutdown();

 private:
  struct Impl;
  AaGrpcServer() = default;
  std::unique_ptr<Impl> impl_;
  std::string target_;
};

}  // namespace cocoon::aa

#endif  // COCOON_AA_GRPC_SERVER_H_
