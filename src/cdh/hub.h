// The confidential-data-hub service: a KBC behind the keyprovider UnWrapKey API and the CDH
// GetResource API, on the transports the config asks for:
//
//   socket = "host:port"          gRPC keyprovider.KeyProviderService/UnWrapKey (what Go ocicrypt
//                                 and containerd's ctd-decoder dial)
//   socket = "unix:///path"       ttrpc: keyprovider.KeyProviderService/UnWrapKey and
//                                 api.GetResourceService/GetResource (guest-components' ttrpc-cdh)
//   ttrpc_socket = "unix:///path" (cocoon extension) the ttrpc APIs as well, beside a TCP socket
#ifndef COCOON_CDH_HUB_H_
#define COCOON_CDH_HUB_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cdh/config.h"
#include "cdh/kbc.h"

namespace cocoon::cdh {

inline constexpr absl::string_view kGetResourceService = "api.GetResourceService";
inline constexpr absl::string_view kKeyProviderService = "keyprovider.KeyProviderService";

// Called once per request with a one-line description ("UnWrapKey kid kbs:///a/b/c") and the
// outcome; the daemon logs it. Never receives secrets.
using HubEventFn = std::function<void(absl::string_view event, const absl::Status& status)>;

class ConfidentialDataHub {
 public:
  static absl::StatusOr<std::unique_ptr<ConfidentialDataHub>> Start(const CdhConfig& config,
                                                                    std::unique_ptr<Kbc> kbc,
                                                                    HubEventFn on_event = nullptr);
  ~ConfidentialDataHub();
  ConfidentialDataHub(const ConfidentialDataHub&) = delete;
  ConfidentialDataHub& operator=(const ConfidentialDataHub&) = delete;

  // "host:port" of the gRPC server (the real port when 0 was configured); empty without one.
  const std::string& grpc_target() const;
  // Path of the ttrpc socket; empty without one.
  const std::string& ttrpc_path() const;

  // GetResource for a full URI (also what the ttrpc method runs).
  absl::StatusOr<SecretBytes> GetResource(absl::string_view uri);

  void Shutdown();

 private:
  struct Impl;
  explicit ConfidentialDataHub(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cocoon::cdh

#endif  // COCOON_CDH_HUB_H_
