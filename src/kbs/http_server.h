// The KBS HTTP/1.1 (and HTTPS) front end: one listener per configured socket, one epoll set
// served by a small thread pool (connections hold no thread while they wait), a deadline for the
// whole header section, a keep-alive idle limit, pipelining, and the request body limit (413).
#ifndef COCOON_KBS_HTTP_SERVER_H_
#define COCOON_KBS_HTTP_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "kbs/config.h"
#include "kbs/kbs_service.h"

namespace cocoon::kbs {

class KbsHttpServer {
 public:
  // `service` must outlive the server.
  static absl::StatusOr<std::unique_ptr<KbsHttpServer>> Create(KbsService* service,
                                                               const HttpServerConfig& config);
  ~KbsHttpServer();

  // Binds every socket ("host:port"; port 0 picks a free one). Returns "host:port" as bound.
  absl::StatusOr<std::vector<std::string>> Bind();
  // Serves until Stop(); returns an error if a listener fails.
  absl::Status Run();
  void Stop();

  class Impl;

 private:
  explicit KbsHttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cocoon::kbs

#endif  // COCOON_KBS_HTTP_SERVER_H_
