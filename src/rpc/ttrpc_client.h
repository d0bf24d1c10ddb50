// A ttrpc client on a unix socket. One connection carries any number of concurrent calls: each
// call takes the next odd stream id, a reader thread routes responses to their waiting caller.
// Status codes from the server are mapped to absl codes of the same number.
#ifndef COCOON_RPC_TTRPC_CLIENT_H_
#define COCOON_RPC_TTRPC_CLIENT_H_

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace cocoon::rpc {

class TtrpcClient {
 public:
  // Connects to "unix:///path", "unix:path" or a path.
  static absl::StatusOr<std::unique_ptr<TtrpcClient>> Connect(absl::string_view address);

  ~TtrpcClient();  // Close()
  TtrpcClient(const TtrpcClient&) = delete;
  TtrpcClient& operator=(const TtrpcClient&) = delete;

  // Sends one unary request and waits up to `timeout` (which is also sent as timeout_nano; zero
  // or negative means no deadline). Errors: the server's status; kDeadlineExceeded on timeout;
  // kUnavailable when the connection is or becomes closed.
  absl::StatusOr<std::string> Call(absl::string_view service, absl::string_view method,
                                   absl::string_view request,
                                   absl::Duration timeout = absl::Seconds(50));

  // Closes the connection; calls still waiting fail with kUnavailable. Idempotent.
  void Close();

 private:
  struct Pending {
    bool done = false;
    absl::StatusOr<std::string> result = absl::UnknownError("pending");
  };

  explicit TtrpcClient(int fd);
  void ReadLoop();

  int fd_;
  std::thread reader_;
  std::mutex write_mu_;
  std::mutex mu_;
  std::condition_variable cv_;
  uint32_t next_stream_id_ = 1;
  std::map<uint32_t, Pending*> pending_;
  std::optional<absl::Status> closed_;  // set once the connection is gone
};

}  // namespace cocoon::rpc

#endif  // COCOON_RPC_TTRPC_CLIENT_H_
