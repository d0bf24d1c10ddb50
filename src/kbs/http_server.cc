#include "kbs/http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "kbs/errors.h"
#include "kbs/http_request_parser.h"

// Design: one epoll set shared by a small pool of threads. Every socket is registered with
// EPOLLONESHOT, so the thread that receives an event owns that connection until it re-arms it;
// no two threads ever touch one connection, and no locks guard its state. The owning thread
// reads, parses, runs the KBS handler and writes the answer. A connection waiting for bytes
// costs memory only, never a thread, which is what keeps slow or stalled clients from holding
// up others. Deadlines are enforced by a sweeper thread that shuts down (never closes) expired
// sockets; the owner then sees the hang-up and frees the connection.
namespace cocoon::kbs {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kReadChunk = 16 * 1024;
constexpr int kMaxRequestsPerConnection = 1000;
constexpr size_t kDefaultMaxConnections = 16384;
constexpr int64_t kLingerMs = 2000;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
      .count();
}

const char* Reason(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 411:
      return "Length Required";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

absl::StatusOr<std::pair<std::string, int>> SplitHostPort(const std::string& socket) {
  const size_t colon = socket.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("socket \"", socket, "\" is not host:port"));
  }
  std::string host = socket.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  int port = 0;
  if (!absl::SimpleAtoi(socket.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("socket \"", socket, "\": bad port"));
  }
  return std::make_pair(host, port);
}

std::string PeerName(const sockaddr_storage& addr) {
  char host[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (addr.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
    port = ntohs(a->sin_port);
    return absl::StrCat(host, ":", port);
  }
  if (addr.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
    port = ntohs(a->sin6_port);
  }
  return absl::StrCat("[", host, "]:", port);
}

// Writing to a socket whose peer has gone raises SIGPIPE; plain sends pass MSG_NOSIGNAL, but
// OpenSSL writes through write(2). The server's threads keep SIGPIPE blocked so an embedding
// program that did not ignore it cannot be killed by a client, and swallow any that is pending
// before unblocking (the thread that called Run() gets its mask back).
class ScopedSigpipeBlock {
 public:
  ScopedSigpipeBlock() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set_, &old_);
  }
  ~ScopedSigpipeBlock() {
    const timespec zero{0, 0};
    while (sigtimedwait(&set_, nullptr, &zero) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  ScopedSigpipeBlock(const ScopedSigpipeBlock&) = delete;
  ScopedSigpipeBlock& operator=(const ScopedSigpipeBlock&) = delete;

 private:
  sigset_t set_;
  sigset_t old_;
};

// Everything registered in the epoll set starts with this, so an event can tell what it is for.
struct Pollable {
  enum class Kind { kListener, kConnection, kWake } kind;
};

struct Listener : Pollable {
  int fd = -1;
  std::string bound;
};

struct Connection : Pollable {
  enum class Phase { kHandshake, kReading, kWriting, kDraining };

  int fd = -1;
  SSL* ssl = nullptr;
  std::string peer;
  Phase phase = Phase::kReading;
  std::string in;
  std::string out;
  size_t out_off = 0;
  bool close_after_write = false;
  bool linger = false;  // after an error answer: drain what the client still sends, then close
  bool continue_sent = false;
  bool peer_eof = false;
  int served = 0;
  int64_t header_deadline = 0;  // set when the first byte of a request arrives
  int64_t linger_deadline = 0;
  std::atomic<int64_t> deadline{0};  // ms on the steady clock; 0: none (being handled)
  // Released before every hand-over through epoll and acquired by the next owner. The kernel
  // already orders epoll_ctl before the epoll_wait that reports the socket; this makes the
  // order visible to the C++ memory model (and to ThreadSanitizer) as well.
  std::atomic<uint32_t> handoff{0};
  std::unique_ptr<HttpRequestParser> parser;
};

// The result of one read or write attempt.
enum class Io { kProgress, kWouldBlockRead, kWouldBlockWrite, kClosed };

}  // namespace

class KbsHttpServer::Impl {
 public:
  Impl(KbsService* service, HttpServerConfig config)
      : service_(service), config_(std::move(config)) {
    limits_.max_body_bytes = config_.payload_request_size_mib << 20;
    timeout_ms_ = int64_t{config_.read_timeout_sec} * 1000;
    threads_ = config_.worker_count > 0              ? config_.worker_count
               : config_.max_connections_threads > 0 ? config_.max_connections_threads
                                                     : DefaultThreads();
  }

  ~Impl() {
    for (auto& [fd, c] : connections_) FreeConnection(c);
    for (auto& l : listeners_) close(l->fd);
    if (epoll_fd_ >= 0) close(epoll_fd_);
    if (wake_fd_ >= 0) close(wake_fd_);
    if (ssl_ctx_ != nullptr) SSL_CTX_free(ssl_ctx_);
  }

  static int DefaultThreads() {
    // Handlers are CPU-bound but may block on collateral fetches or disk, so a few more threads
    // than cores keep the CPUs busy while one waits.
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    return static_cast<int>(std::clamp(cores * 2, 4u, 64u));
  }

  absl::Status Init() {
    if (!config_.insecure_http) {
      ssl_ctx_ = SSL_CTX_new(TLS_server_method());
      if (ssl_ctx_ == nullptr) return absl::InternalError("SSL_CTX_new failed");
      SSL_CTX_set_min_proto_version(
          ssl_ctx_, config_.tls_min_version == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION);
      SSL_CTX_set_options(ssl_ctx_, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
      SSL_CTX_set_mode(ssl_ctx_,
                       SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
      const std::string& cert = config_.certificate;
      const std::string& key = config_.private_key;
      if (SSL_CTX_use_certificate_chain_file(ssl_ctx_, cert.c_str()) != 1 ||
          SSL_CTX_use_PrivateKey_file(ssl_ctx_, key.c_str(), SSL_FILETYPE_PEM) != 1 ||
          SSL_CTX_check_private_key(ssl_ctx_) != 1) {
        ERR_clear_error();
        return KbsError(ErrorType::kHttpsFailed,
                        absl::StrCat("HTTPS initialization failed: cannot load certificate ", cert,
                                     " or private key ", key));
      }
    }
    // Slow clients cost a descriptor each; use what the hard limit allows.
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
      lim.rlim_cur = lim.rlim_max;
      (void)setrlimit(RLIMIT_NOFILE, &lim);
    }
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY) {
      max_connections_ = std::min<size_t>(
          kDefaultMaxConnections, lim.rlim_cur > 128 ? lim.rlim_cur - 64 : lim.rlim_cur / 2);
    }
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (epoll_fd_ < 0 || wake_fd_ < 0) {
      return absl::InternalError(absl::StrCat("epoll/eventfd: ", std::strerror(errno)));
    }
    wake_.kind = Pollable::Kind::kWake;
    epoll_event ev{};
    ev.events = EPOLLIN;  // level-triggered: wakes every thread on Stop()
    ev.data.ptr = &wake_;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0) {
      return absl::InternalError(absl::StrCat("epoll_ctl: ", std::strerror(errno)));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<std::string>> Bind() {
    std::vector<std::string> bound;
    for (const std::string& socket : config_.sockets) {
      auto listener = Listen(socket);
      if (!listener.ok()) {
        spdlog::error("kbs: {}", std::string(listener.status().message()));
        return KbsError(config_.insecure_http ? ErrorType::kHttpFailed : ErrorType::kHttpsFailed,
                        absl::StrCat(config_.insecure_http ? "HTTP" : "HTTPS",
                                     " initialization failed: cannot bind ", socket));
      }
      bound.push_back((*listener)->bound);
      listeners_.push_back(std::move(*listener));
    }
    return bound;
  }

  absl::Status Run() {
    for (auto& l : listeners_) Arm(l.get(), l->fd, EPOLLIN, /*add=*/true);
    std::thread sweeper([this] { Sweep(); });
    std::vector<std::thread> workers;
    for (int i = 1; i < threads_; ++i) workers.emplace_back([this] { Work(); });
    Work();
    for (auto& t : workers) t.join();
    {
      std::lock_guard<std::mutex> lock(sweep_mu_);
      sweep_stop_ = true;
    }
    sweep_cv_.notify_all();
    sweeper.join();
    return failed_ && !stopping_ ? absl::InternalError("HTTP listener failed") : absl::OkStatus();
  }

  void Stop() {
    stopping_ = true;
    const uint64_t one = 1;
    if (wake_fd_ >= 0) (void)!write(wake_fd_, &one, sizeof(one));
  }

 private:
  absl::StatusOr<std::unique_ptr<Listener>> Listen(const std::string& socket) {
    COCOON_ASSIGN_OR_RETURN(auto hp, SplitHostPort(socket));
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* res = nullptr;
    const std::string port = std::to_string(hp.second);
    const int rc =
        getaddrinfo(hp.first.empty() ? nullptr : hp.first.c_str(), port.c_str(), &hints, &res);
    if (rc != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("socket \"", socket, "\": ", gai_strerror(rc)));
    }
    std::string error = "no address";
    int fd = -1;
    for (addrinfo* ai = res; ai != nullptr && fd < 0; ai = ai->ai_next) {
      fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
      if (fd < 0) continue;
      const int one = 1;
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
      // A deep backlog: bursts of new connections queue in the kernel instead of being refused
      // or left to SYN retransmits (a one-second stall for the client).
      if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0) {
        error = std::strerror(errno);
        close(fd);
        fd = -1;
      }
    }
    freeaddrinfo(res);
    if (fd < 0) return absl::UnavailableError(absl::StrCat("bind ", socket, ": ", error));
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    auto listener = std::make_unique<Listener>();
    listener->kind = Pollable::Kind::kListener;
    listener->fd = fd;
    const std::string name = PeerName(addr);
    // Report the host as configured, with the port actually bound.
    listener->bound = absl::StrCat(hp.first, name.substr(name.rfind(':')));
    return listener;
  }

  void Arm(Pollable* p, int fd, uint32_t events, bool add = false) {
    epoll_event ev{};
    ev.events = events | EPOLLONESHOT;
    ev.data.ptr = p;
    if (epoll_ctl(epoll_fd_, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev) != 0) {
      spdlog::error("kbs: epoll_ctl: {}", std::strerror(errno));
      failed_ = true;
    }
  }

  void Work() {
    ScopedSigpipeBlock no_sigpipe;
    epoll_event ev;
    while (!stopping_) {
      const int n = epoll_wait(epoll_fd_, &ev, 1, -1);
      if (n < 0) {
        if (errno == EINTR) continue;
        spdlog::error("kbs: epoll_wait: {}", std::strerror(errno));
        failed_ = true;
        Stop();
        break;
      }
      if (n == 0) continue;
      auto* p = static_cast<Pollable*>(ev.data.ptr);
      switch (p->kind) {
        case Pollable::Kind::kWake:
          return;
        case Pollable::Kind::kListener:
          Accept(static_cast<Listener*>(p));
          break;
        case Pollable::Kind::kConnection:
          OnEvent(static_cast<Connection*>(p));
          break;
      }
    }
  }

  void Accept(Listener* l) {
    for (int i = 0; i < 64; ++i) {
      sockaddr_storage addr{};
      socklen_t len = sizeof(addr);
      const int fd =
          accept4(l->fd, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
          // EMFILE and friends: say so once per burst and let the backlog hold the rest.
          spdlog::warn("kbs: accept on {}: {}", l->bound, std::strerror(errno));
        }
        break;
      }
      auto* c = new Connection();
      c->kind = Pollable::Kind::kConnection;
      c->fd = fd;
      c->peer = PeerName(addr);
      c->parser = std::make_unique<HttpRequestParser>(limits_);
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      if (ssl_ctx_ != nullptr) {
        c->ssl = SSL_new(ssl_ctx_);
        if (c->ssl == nullptr || SSL_set_fd(c->ssl, fd) != 1) {
          FreeConnection(c);
          continue;
        }
        SSL_set_accept_state(c->ssl);
        c->phase = Connection::Phase::kHandshake;
      }
      c->deadline = NowMs() + timeout_ms_;
      {
        std::lock_guard<std::mutex> lock(connections_mu_);
        if (connections_.size() >= max_connections_) {
          if (!full_warned_.exchange(true)) {
            spdlog::warn("kbs: {} connections open, refusing new ones until some close",
                         connections_.size());
          }
          FreeConnection(c);
          continue;
        }
        full_warned_ = false;
        connections_.emplace(fd, c);
      }
      // After this the connection may already be running on another thread.
      c->handoff.fetch_add(1, std::memory_order_release);
      Arm(c, fd, EPOLLIN | EPOLLRDHUP, /*add=*/true);
    }
    Arm(l, l->fd, EPOLLIN);
  }

  // Runs on the thread that owns `c` (the one epoll handed its event to).
  void OnEvent(Connection* c) {
    (void)c->handoff.load(std::memory_order_acquire);
    if (c->phase == Connection::Phase::kHandshake) {
      ERR_clear_error();
      const int rc = SSL_accept(c->ssl);
      if (rc != 1) {
        const int err = SSL_get_error(c->ssl, rc);
        if (err == SSL_ERROR_WANT_READ) return Rearm(c, EPOLLIN);
        if (err == SSL_ERROR_WANT_WRITE) return Rearm(c, EPOLLOUT);
        ERR_clear_error();
        return Close(c);  // a failed handshake is the client's business; nothing to log
      }
      c->phase = Connection::Phase::kReading;
      c->deadline = NowMs() + timeout_ms_;
    }
    for (;;) {
      if (c->phase == Connection::Phase::kWriting) {
        const Io io = Flush(c);
        if (io == Io::kClosed) return Close(c);
        if (io != Io::kProgress) {
          c->deadline = NowMs() + timeout_ms_;
          return Rearm(c, io == Io::kWouldBlockRead ? EPOLLIN : EPOLLOUT);
        }
        if (c->linger) {
          // Closing with unread input makes the kernel send a reset, which can destroy the
          // answer before the client reads it (a 413 sent while the body is still coming).
          c->phase = Connection::Phase::kDraining;
          c->linger_deadline = NowMs() + kLingerMs;
          c->in.clear();  // nothing more is parsed; Fill must see room to read and discard
          c->in.shrink_to_fit();
          if (c->ssl != nullptr) (void)SSL_shutdown(c->ssl);
          shutdown(c->fd, SHUT_WR);
        } else if (c->close_after_write) {
          return Close(c);
        } else {
          c->phase = Connection::Phase::kReading;
        }
      }
      if (c->phase == Connection::Phase::kDraining) {
        const Io io = Fill(c, /*discard=*/true);
        if (io == Io::kClosed || NowMs() >= c->linger_deadline) return Close(c);
        c->deadline = c->linger_deadline;
        return Rearm(c, EPOLLIN | EPOLLRDHUP);
      }
      // Reading: take what the socket has, then act on every whole request buffered.
      const Io io = Fill(c);
      if (io == Io::kClosed) c->peer_eof = true;
      if (io == Io::kWouldBlockWrite) return Rearm(c, EPOLLOUT);
      const HttpRequestParser::Result r = c->parser->Parse(c->in);
      if (r == HttpRequestParser::Result::kNeedMore && io == Io::kProgress) {
        // The buffer is full and the request is still not whole: only a chunked body framed in
        // tiny chunks gets here (its framing outgrows the slack Fill allows).
        c->deadline = 0;
        Refuse(c, 413, "chunked request framing outgrew the request buffer");
        c->phase = Connection::Phase::kWriting;
        continue;
      }
      if (r == HttpRequestParser::Result::kNeedMore) {
        if (c->peer_eof) return Close(c);
        if (c->parser->WantsContinue() && !c->continue_sent) {
          c->continue_sent = true;
          c->out = "HTTP/1.1 100 Continue\r\n\r\n";
          c->out_off = 0;
          c->phase = Connection::Phase::kWriting;
          continue;
        }
        const int64_t now = NowMs();
        if (!c->parser->Started()) {
          c->header_deadline = 0;
          c->deadline = now + timeout_ms_;  // keep-alive idle limit
        } else if (!c->parser->HeadersDone()) {
          // The whole header section must arrive within the limit, however slowly it trickles.
          if (c->header_deadline == 0) c->header_deadline = now + timeout_ms_;
          c->deadline = c->header_deadline;
        } else {
          c->deadline = now + timeout_ms_;  // body: an idle limit per read
        }
        return Rearm(c, EPOLLIN | EPOLLRDHUP);
      }
      c->deadline = 0;  // being handled
      if (r == HttpRequestParser::Result::kError) {
        Refuse(c, c->parser->error_status(), c->parser->error_message());
      } else {
        Dispatch(c);
      }
      c->in.erase(0, c->parser->consumed());
      if (c->in.capacity() > 4 * kReadChunk && c->in.size() < kReadChunk) c->in.shrink_to_fit();
      c->parser->Reset();
      c->header_deadline = 0;
      c->continue_sent = false;
      c->phase = Connection::Phase::kWriting;
    }
  }

  void Dispatch(Connection* c) {
    ParsedHttpRequest& p = c->parser->request();
    HttpRequest req;
    req.method = std::move(p.method);
    req.path = std::move(p.path);
    req.query = std::move(p.query);
    req.query_params = std::move(p.query_params);
    req.cookie = p.JoinedHeader("cookie", "; ");
    req.authorization = std::string(p.Header("authorization"));
    req.body = std::move(p.body);
    HttpResponse res;
    try {
      res = service_->Handle(req);
    } catch (...) {
      spdlog::error("kbs: {} {}: internal error", req.method, req.path);
      res = HttpResponse();
      res.status = 500;
    }
    if (!res.log_line.empty()) {
      if (res.log_warning) {
        spdlog::warn("{}", res.log_line);
      } else {
        spdlog::info("{}", res.log_line);
      }
    }
    ++c->served;
    // A client that half-closed after pipelining still gets every buffered request answered;
    // the connection closes after the last one.
    const bool more_buffered = c->in.size() > c->parser->consumed();
    const bool keep = p.keep_alive && (!c->peer_eof || more_buffered) &&
                      c->served < kMaxRequestsPerConnection && !stopping_;
    Serialize(res, p.minor_version, keep, c);
  }

  // Answers a request the server will not handle and closes after draining. 413 carries the
  // KBS error body, as any other KBS failure; other refusals a one-line text naming the problem.
  void Refuse(Connection* c, int status, const std::string& problem) {
    HttpResponse res;
    if (status == 413) {
      res = ErrorResponse(KbsError(
          ErrorType::kPayloadTooLarge,
          absl::StrCat("Request body exceeds the limit of ", limits_.max_body_bytes, " bytes")));
    } else {
      res.status = status;
      res.content_type = "text/plain";
      res.body = absl::StrCat(problem, "\n");
    }
    const std::string& method = c->parser->request().method;
    service_->metrics().RecordRequest("other", method.empty() ? "-" : method, status, 0);
    spdlog::warn("kbs: {}: {} -> {}", c->peer, problem, status);
    Serialize(res, 1, /*keep_alive=*/false, c);
    c->linger = true;
  }

  static void Serialize(const HttpResponse& res, int minor_version, bool keep_alive,
                        Connection* c) {
    std::string& out = c->out;
    out.clear();
    c->out_off = 0;
    absl::StrAppend(&out, "HTTP/1.1 ", res.status, " ", Reason(res.status), "\r\n");
    for (const auto& [k, v] : res.headers) absl::StrAppend(&out, k, ": ", v, "\r\n");
    if (!res.body.empty() || !res.content_type.empty()) {
      absl::StrAppend(&out,
                      "Content-Type: ", res.content_type.empty() ? "text/plain" : res.content_type,
                      "\r\n");
    }
    absl::StrAppend(&out, "Content-Length: ", res.body.size(), "\r\n");
    if (!keep_alive) {
      out += "Connection: close\r\n";
    } else if (minor_version == 0) {
      out += "Connection: keep-alive\r\n";
    }
    out += "\r\n";
    out += res.body;
    c->close_after_write = !keep_alive;
  }

  // Reads until the socket would block, the peer closes, or the buffer is past what one request
  // may hold (the parser then reports the limit). Reads go through a per-thread buffer so an
  // idle connection holds only the bytes it was actually sent.
  Io Fill(Connection* c, bool discard = false) {
    thread_local char buf[kReadChunk];
    const size_t cap = limits_.max_header_bytes + limits_.max_body_bytes + 64 * 1024;
    while (c->in.size() < cap) {
      ssize_t n;
      if (c->ssl != nullptr) {
        ERR_clear_error();
        n = SSL_read(c->ssl, buf, sizeof(buf));
        if (n <= 0) {
          const int err = SSL_get_error(c->ssl, static_cast<int>(n));
          if (err == SSL_ERROR_WANT_READ) return Io::kWouldBlockRead;
          if (err == SSL_ERROR_WANT_WRITE) return Io::kWouldBlockWrite;
          ERR_clear_error();
          return Io::kClosed;
        }
      } else {
        n = recv(c->fd, buf, sizeof(buf), 0);
        if (n <= 0) {
          if (n < 0 && errno == EINTR) continue;
          if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return Io::kWouldBlockRead;
          return Io::kClosed;
        }
      }
      if (!discard) c->in.append(buf, static_cast<size_t>(n));
      // A short plain read means the socket is drained; skip the recv that would say EAGAIN.
      if (static_cast<size_t>(n) < sizeof(buf) && c->ssl == nullptr) return Io::kWouldBlockRead;
    }
    return Io::kProgress;
  }

  Io Flush(Connection* c) {
    while (c->out_off < c->out.size()) {
      const char* data = c->out.data() + c->out_off;
      const size_t left = c->out.size() - c->out_off;
      ssize_t n;
      if (c->ssl != nullptr) {
        ERR_clear_error();
        n = SSL_write(c->ssl, data, static_cast<int>(std::min<size_t>(left, 1 << 30)));
        if (n <= 0) {
          const int err = SSL_get_error(c->ssl, static_cast<int>(n));
          if (err == SSL_ERROR_WANT_WRITE) return Io::kWouldBlockWrite;
          if (err == SSL_ERROR_WANT_READ) return Io::kWouldBlockRead;
          ERR_clear_error();
          return Io::kClosed;
        }
      } else {
        n = send(c->fd, data, left, MSG_NOSIGNAL);
        if (n < 0) {
          if (errno == EINTR) continue;
          if (errno == EAGAIN || errno == EWOULDBLOCK) return Io::kWouldBlockWrite;
          return Io::kClosed;
        }
      }
      c->out_off += static_cast<size_t>(n);
    }
    c->out.clear();
    if (c->out.capacity() > 4 * kReadChunk) c->out.shrink_to_fit();
    c->out_off = 0;
    return Io::kProgress;
  }

  void Rearm(Connection* c, uint32_t events) {
    if (stopping_) return Close(c);
    const int fd = c->fd;  // read before the hand-over: from then on `c` may be another's
    c->handoff.fetch_add(1, std::memory_order_release);
    Arm(c, fd, events);
  }

  void Close(Connection* c) {
    {
      std::lock_guard<std::mutex> lock(connections_mu_);
      connections_.erase(c->fd);
    }
    FreeConnection(c);
  }

  static void FreeConnection(Connection* c) {
    if (c->ssl != nullptr) {
      (void)SSL_shutdown(c->ssl);  // best effort close_notify; the socket is non-blocking
      SSL_free(c->ssl);
      ERR_clear_error();
    }
    if (c->fd >= 0) close(c->fd);
    delete c;
  }

  // Shuts down sockets past their deadline. It never frees a connection: the owner sees the
  // hang-up, and because the fd leaves connections_ before it is closed, shutdown() below can
  // never hit a descriptor number that was reused.
  void Sweep() {
    std::unique_lock<std::mutex> lock(sweep_mu_);
    while (
        !sweep_cv_.wait_for(lock, std::chrono::milliseconds(250), [this] { return sweep_stop_; })) {
      const int64_t now = NowMs();
      size_t expired = 0;
      std::lock_guard<std::mutex> guard(connections_mu_);
      for (auto& [fd, c] : connections_) {
        const int64_t d = c->deadline.load(std::memory_order_relaxed);
        if (d != 0 && d < now) {
          c->deadline = 0;
          shutdown(fd, SHUT_RDWR);
          ++expired;
        }
      }
      if (expired > 0) {
        spdlog::debug("kbs: closed {} connections idle or stalled past {} s", expired,
                      config_.read_timeout_sec);
      }
    }
  }

  KbsService* service_;
  HttpServerConfig config_;
  HttpParseLimits limits_;
  int64_t timeout_ms_ = 5000;
  int threads_ = 4;
  size_t max_connections_ = kDefaultMaxConnections;
  SSL_CTX* ssl_ctx_ = nullptr;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  Pollable wake_{};
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::mutex connections_mu_;
  std::unordered_map<int, Connection*> connections_;
  std::atomic<bool> full_warned_{false};
  std::mutex sweep_mu_;
  std::condition_variable sweep_cv_;
  bool sweep_stop_ = false;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> failed_{false};
};

KbsHttpServer::KbsHttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
KbsHttpServer::~KbsHttpServer() = default;

absl::StatusOr<std::unique_ptr<KbsHttpServer>> KbsHttpServer::Create(
    KbsService* service, const HttpServerConfig& config) {
  auto impl = std::make_unique<Impl>(service, config);
  COCOON_RETURN_IF_ERROR(impl->Init());
  return std::unique_ptr<KbsHttpServer>(new KbsHttpServer(std::move(impl)));
}

absl::StatusOr<std::vector<std::string>> KbsHttpServer::Bind() { return impl_->Bind(); }
absl::Status KbsHttpServer::Run() { return impl_->Run(); }
void KbsHttpServer::Stop() { impl_->Stop(); }

}  // namespace cocoon::kbs
