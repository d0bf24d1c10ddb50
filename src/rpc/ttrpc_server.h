// A ttrpc server on a unix socket: one thread per connection reads frames, each request runs on
// its own thread (so one connection can carry concurrent streams), and responses are written
// back under a per-connection lock. Handlers are looked up by "service/method".
//
// An oversized frame (more than 4 MiB) or a truncated one ends the connection after one warning
// line in the log. A request payload that is not a ttrpc.Request gets INVALID_ARGUMENT, an
// unknown method NOT_FOUND "/<service>/<method> is not supported", as upstream ttrpc answers.
#ifndef COCOON_RPC_TTRPC_SERVER_H_
#define COCOON_RPC_TTRPC_SERVER_H_

#include <atomic>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cocoon::rpc {

class TtrpcServer {
 public:
  // Takes the serialized request message, returns the serialized response message or an error
  // status whose code and message go to the client (so the message must hold no secrets).
  using Handler = std::function<absl::StatusOr<std::string>(absl::string_view request)>;

  struct Options {
    // Largest number of requests of one connection that run at once; further requests wait
    // (the connection is not read until one finishes).
    int max_concurrent_requests_per_connection = 32;
    // Mode of the socket file.
    unsigned socket_mode = 0660;
  };

  TtrpcServer();
  explicit TtrpcServer(Options options);
  ~TtrpcServer();  // Stop()
  TtrpcServer(const TtrpcServer&) = delete;
  TtrpcServer& operator=(const TtrpcServer&) = delete;

  // Registers before Start(). `service` is the fully qualified name
  // ("attestation_agent.AttestationAgentService"), `method` the rpc name ("GetEvidence").
  void Register(absl::string_view service, absl::string_view method, Handler handler);

  // Listens on `address` ("unix:///path", "unix:path" or a path). The parent directory is
  // created if missing and a stale socket file is removed.
  absl::Status Start(absl::string_view address);

  // Closes the listening socket and every connection, and waits for running handlers. Clients
  // waiting for a response see the connection close. Idempotent.
  void Stop();

  const std::string& socket_path() const { return path_; }

 private:
  struct Connection;
  void AcceptLoop();
  void Serve(Connection* conn);
  void RunRequest(Connection* conn, uint32_t stream_id, std::string payload);
  void ReapFinished();

  Options options_;
  std::map<std::string, Handler> handlers_;  // "service/method"
  std::string path_;
  int listen_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};
  std::atomic<bool> stopping_{false};
  std::thread accept_thread_;
  std::mutex mu_;
  std::list<std::unique_ptr<Connection>> connections_;
};

}  // namespace cocoon::rpc

#endif  // COCOON_RPC_TTRPC_SERVER_H_
