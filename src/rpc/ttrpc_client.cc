#include "rpc/ttrpc_client.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "rpc/ttrpc_frame.h"

namespace cocoon::rpc {

absl::StatusOr<std::unique_ptr<TtrpcClient>> TtrpcClient::Connect(absl::string_view address) {
  std::string path = TtrpcSocketPath(address);
  sockaddr_un addr{};
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(
        absl::StrCat("ttrpc client: socket path \"", path, "\" is empty or too long"));
  }
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("ttrpc client: socket: ", strerror(errno)));
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    int err = errno;
    ::close(fd);
    return absl::UnavailableError(
        absl::StrCat("ttrpc client: connecting to ", path, ": ", strerror(err)));
  }
  return std::unique_ptr<TtrpcClient>(new TtrpcClient(fd));
}

TtrpcClient::TtrpcClient(int fd) : fd_(fd) {
  reader_ = std::thread([this] { ReadLoop(); });
}

TtrpcClient::~TtrpcClient() { Close(); }

void TtrpcClient::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (fd_ < 0) return;
    ::shutdown(fd_, SHUT_RDWR);
  }
  if (reader_.joinable()) reader_.join();
  std::lock_guard<std::mutex> lock(mu_);
  ::close(fd_);
  fd_ = -1;
}

void TtrpcClient::ReadLoop() {
  absl::Status end;
  while (true) {
    absl::StatusOr<TtrpcFrame> frame = ReadTtrpcFrame(fd_);
    if (!frame.ok()) {
      end = absl::UnavailableError(
          absl::StrCat("ttrpc client: connection closed (", frame.status().message(), ")"));
      break;
    }
    if (frame->header.type != static_cast<uint8_t>(TtrpcMessageType::kResponse)) continue;
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pending_.find(frame->header.stream_id);
    if (it == pending_.end()) continue;  // a call that timed out
    absl::StatusOr<TtrpcResponse> response = ParseTtrpcResponse(frame->payload);
    if (!response.ok()) {
      it->second->result = response.status();
    } else if (!response->status.ok()) {
      it->second->result = response->status;
    } else {
      it->second->result = std::move(response->payload);
    }
    it->second->done = true;
    pending_.erase(it);
    cv_.notify_all();
  }
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = end;
  for (auto& [id, p] : pending_) {
    p->result = end;
    p->done = true;
  }
  pending_.clear();
  cv_.notify_all();
}

absl::StatusOr<std::string> TtrpcClient::Call(absl::string_view service, absl::string_view method,
                                              absl::string_view request, absl::Duration timeout) {
  TtrpcRequest req;
  req.service = std::string(service);
  req.method = std::string(method);
  req.payload = std::string(request);
  if (timeout > absl::ZeroDuration() && timeout != absl::InfiniteDuration()) {
    req.timeout_nano = absl::ToInt64Nanoseconds(timeout);
  }
  std::string payload = SerializeTtrpcRequest(req);
  Pending pending;
  uint32_t stream_id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_.has_value() || fd_ < 0) {
      return absl::UnavailableError(
          absl::StrCat("ttrpc client: /", service, "/", method, ": connection is closed"));
    }
    stream_id = next_stream_id_;
    next_stream_id_ += 2;
    pending_[stream_id] = &pending;
  }
  absl::Status sent;
  {
    std::lock_guard<std::mutex> lock(write_mu_);
    sent = WriteTtrpcFrame(fd_, stream_id, TtrpcMessageType::kRequest, payload);
  }
  std::unique_lock<std::mutex> lock(mu_);
  if (!sent.ok() && !pending.done) {
    pending_.erase(stream_id);
    return absl::Status(
        sent.code(), absl::StrCat("ttrpc client: /", service, "/", method, ": ", sent.message()));
  }
  auto ready = [&] { return pending.done; };
  if (req.timeout_nano > 0) {
    auto deadline = std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(timeout);
    if (!cv_.wait_until(lock, deadline, ready)) {
      pending_.erase(stream_id);
      return absl::DeadlineExceededError(absl::StrCat("ttrpc client: /", service, "/", method,
                                                      ": no response within ",
                                                      absl::FormatDuration(timeout)));
    }
  } else {
    cv_.wait(lock, ready);
  }
  return std::move(pending.result);
}

}  // namespace cocoon::rpc
