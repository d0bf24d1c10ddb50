#include "rpc/ttrpc_server.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "rpc/ttrpc_frame.h"

namespace cocoon::rpc {

struct TtrpcServer::Connection {
  int fd = -1;
  std::mutex fd_mu;     // guards fd against close/shutdown races
  std::mutex write_mu;  // one frame at a time
  std::mutex mu;
  std::condition_variable cv;
  int in_flight = 0;
  uint64_t next_request = 0;
  std::map<uint64_t, std::thread> requests;
  std::vector<uint64_t> finished;
  std::thread thread;
  std::atomic<bool> done{false};
};

TtrpcServer::TtrpcServer() : TtrpcServer(Options{}) {}
TtrpcServer::TtrpcServer(Options options) : options_(options) {}
TtrpcServer::~TtrpcServer() { Stop(); }

void TtrpcServer::Register(absl::string_view service, absl::string_view method, Handler handler) {
  handlers_[absl::StrCat(service, "/", method)] = std::move(handler);
}

absl::Status TtrpcServer::Start(absl::string_view address) {
  if (listen_fd_ >= 0) return absl::FailedPreconditionError("ttrpc server: already started");
  path_ = TtrpcSocketPath(address);
  sockaddr_un addr{};
  if (path_.empty() || path_.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(
        absl::StrCat("ttrpc server: socket path \"", path_, "\" is empty or too long"));
  }
  std::error_code ec;
  std::filesystem::path parent = std::filesystem::path(path_).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("ttrpc server: creating directory ", parent.string(), ": ", ec.message()));
  }
  struct stat st;
  if (::lstat(path_.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return absl::FailedPreconditionError(
          absl::StrCat("ttrpc server: ", path_, " exists and is not a socket"));
    }
    ::unlink(path_.c_str());
  }
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("ttrpc server: socket: ", strerror(errno)));
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(fd, 64) != 0) {
    int err = errno;
    ::close(fd);
    return absl::UnavailableError(
        absl::StrCat("ttrpc server: listening on ", path_, ": ", strerror(err)));
  }
  ::chmod(path_.c_str(), options_.socket_mode);
  if (::pipe2(wake_pipe_, O_CLOEXEC) != 0) {
    ::close(fd);
    return absl::InternalError(absl::StrCat("ttrpc server: pipe: ", strerror(errno)));
  }
  listen_fd_ = fd;
  stopping_ = false;
  accept_thread_ = std::thread([this] { AcceptLoop(); });
  return absl::OkStatus();
}

void TtrpcServer::Stop() {
  if (listen_fd_ < 0) return;
  stopping_ = true;
  char b = 1;
  (void)!::write(wake_pipe_[1], &b, 1);
  if (accept_thread_.joinable()) accept_thread_.join();
  ::close(listen_fd_);
  listen_fd_ = -1;
  ::close(wake_pipe_[0]);
  ::close(wake_pipe_[1]);
  wake_pipe_[0] = wake_pipe_[1] = -1;
  ::unlink(path_.c_str());
  std::list<std::unique_ptr<Connection>> conns;
  {
    std::lock_guard<std::mutex> lock(mu_);
    conns.swap(connections_);
  }
  for (auto& c : conns) {
    std::lock_guard<std::mutex> lock(c->fd_mu);
    if (c->fd >= 0) ::shutdown(c->fd, SHUT_RDWR);
  }
  for (auto& c : conns) {
    if (c->thread.joinable()) c->thread.join();
  }
}

void TtrpcServer::ReapFinished() {
  std::list<std::unique_ptr<Connection>> done;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = connections_.begin(); it != connections_.end();) {
      if ((*it)->done) {
        done.push_back(std::move(*it));
        it = connections_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& c : done) {
    if (c->thread.joinable()) c->thread.join();
  }
}

void TtrpcServer::AcceptLoop() {
  while (!stopping_) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
    int n = ::poll(fds, 2, 1000);
    if (stopping_) break;
    ReapFinished();
    if (n <= 0 || !(fds[0].revents & POLLIN)) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    auto conn = std::make_unique<Connection>();
    conn->fd = fd;
    Connection* raw = conn.get();
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) {
      ::close(fd);
      break;
    }
    connections_.push_back(std::move(conn));
    raw->thread = std::thread([this, raw] { Serve(raw); });
  }
}

void TtrpcServer::Serve(Connection* conn) {
  while (!stopping_) {
    absl::StatusOr<TtrpcFrame> frame = ReadTtrpcFrame(conn->fd);
    if (!frame.ok()) {
      if (!stopping_ && frame.status().code() != absl::StatusCode::kCancelled) {
        spdlog::warn("ttrpc server {}: closing connection: {}", path_, frame.status().ToString());
      }
      break;
    }
    if (frame->header.type != static_cast<uint8_t>(TtrpcMessageType::kRequest)) {
      // Unary services only: data frames and stray responses carry nothing to act on.
      continue;
    }
    std::unique_lock<std::mutex> lock(conn->mu);
    for (uint64_t id : conn->finished) {
      auto it = conn->requests.find(id);
      if (it != conn->requests.end()) {
        it->second.join();
        conn->requests.erase(it);
      }
    }
    conn->finished.clear();
    conn->cv.wait(lock, [&] {
      return conn->in_flight < options_.max_concurrent_requests_per_connection || stopping_;
    });
    if (stopping_) break;
    ++conn->in_flight;
    uint64_t id = conn->next_request++;
    uint32_t stream_id = frame->header.stream_id;
    conn->requests.emplace(
        id, std::thread([this, conn, id, stream_id, payload = std::move(frame->payload)]() mutable {
          RunRequest(conn, stream_id, std::move(payload));
          std::lock_guard<std::mutex> l(conn->mu);
          --conn->in_flight;
          conn->finished.push_back(id);
          conn->cv.notify_all();
        }));
  }
  {
    std::unique_lock<std::mutex> lock(conn->mu);
    conn->cv.wait(lock, [&] { return conn->in_flight == 0; });
    for (auto& [id, t] : conn->requests) t.join();
    conn->requests.clear();
  }
  {
    std::lock_guard<std::mutex> lock(conn->fd_mu);
    ::close(conn->fd);
    conn->fd = -1;
  }
  conn->done = true;
}

void TtrpcServer::RunRequest(Connection* conn, uint32_t stream_id, std::string payload) {
  absl::StatusOr<std::string> result;
  absl::StatusOr<TtrpcRequest> request = ParseTtrpcRequest(payload);
  if (!request.ok()) {
    result = request.status();
  } else {
    auto it = handlers_.find(absl::StrCat(request->service, "/", request->method));
    if (it == handlers_.end()) {
      result = absl::NotFoundError(
          absl::StrCat("/", request->service, "/", request->method, " is not supported"));
    } else {
      result = it->second(request->payload);
    }
  }
  std::string response = result.ok() ? SerializeTtrpcResponse(absl::OkStatus(), *result)
                                     : SerializeTtrpcResponse(result.status(), "");
  if (response.size() > kTtrpcMaxPayload) {
    response = SerializeTtrpcResponse(
        absl::ResourceExhaustedError("ttrpc: response exceeds the 4 MiB frame limit"), "");
  }
  std::lock_guard<std::mutex> lock(conn->write_mu);
  // A client that went away is not an error worth more than the closed connection itself.
  (void)WriteTtrpcFrame(conn->fd, stream_id, TtrpcMessageType::kResponse, response);
}

}  // namespace cocoon::rpc
