#include "kbs/http_server.h"

#include <openssl/ssl.h>

#include <atomic>
#include <thread>

#include <httplib.h>
#include <spdlog/spdlog.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "kbs/errors.h"

namespace cocoon::kbs {
namespace {

constexpr int kDefaultThreads = 256;

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

}  // namespace

class KbsHttpServer::Impl {
 public:
  Impl(KbsService* service, HttpServerConfig config)
      : service_(service), config_(std::move(config)) {}

  absl::Status CreateServers() {
    for (size_t i = 0; i < config_.sockets.size(); ++i) {
      std::unique_ptr<httplib::Server> server;
      if (config_.insecure_http) {
        server = std::make_unique<httplib::Server>();
      } else {
        const std::string cert = config_.certificate;
        const std::string key = config_.private_key;
        const bool tls13 = config_.tls_min_version == "1.3";
        auto ssl = std::make_unique<httplib::SSLServer>([cert, key, tls13](SSL_CTX& ctx) {
          SSL_CTX_set_min_proto_version(&ctx, tls13 ? TLS1_3_VERSION : TLS1_2_VERSION);
          SSL_CTX_set_options(&ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
          return SSL_CTX_use_certificate_chain_file(&ctx, cert.c_str()) == 1 &&
                 SSL_CTX_use_PrivateKey_file(&ctx, key.c_str(), SSL_FILETYPE_PEM) == 1 &&
                 SSL_CTX_check_private_key(&ctx) == 1;
        });
        if (!ssl->is_valid()) {
          return KbsError(ErrorType::kHttpsFailed,
                          absl::StrCat("HTTPS initialization failed: cannot load certificate ",
                                       cert, " or private key ", key));
        }
        server = std::move(ssl);
      }
      Configure(server.get());
      servers_.push_back(std::move(server));
    }
    return absl::OkStatus();
  }

  void Configure(httplib::Server* server) {
    const size_t threads = config_.worker_count > 0              ? config_.worker_count
                           : config_.max_connections_threads > 0 ? config_.max_connections_threads
                                                                 : kDefaultThreads;
    server->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    server->set_read_timeout(config_.read_timeout_sec, 0);
    server->set_write_timeout(config_.read_timeout_sec, 0);
    server->set_keep_alive_timeout(config_.read_timeout_sec);
    server->set_keep_alive_max_count(1000);
    server->set_tcp_nodelay(true);
    const size_t max_body = config_.payload_request_size_mib << 20;
    server->set_payload_max_length(max_body);
    auto handler = [this](const httplib::Request& req, httplib::Response& res) { Serve(req, res); };
    server->Get(".*", handler);
    server->Post(".*", handler);
    server->Put(".*", handler);
    server->Delete(".*", handler);
    server->set_error_handler(httplib::Server::HandlerWithResponse(
        [this, max_body](const httplib::Request& req, httplib::Response& res) {
          if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
          if (res.status == 413) {
            HttpResponse r = ErrorResponse(
                KbsError(ErrorType::kPayloadTooLarge,
                         absl::StrCat("Request body exceeds the limit of ", max_body, " bytes")));
            res.set_content(r.body, r.content_type);
            service_->metrics().RecordRequest("other", req.method, 413, 0);
            spdlog::warn("{} {} -> 413: request body too large", req.method, req.path);
            return httplib::Server::HandlerResponse::Handled;
          }
          return httplib::Server::HandlerResponse::Unhandled;
        }));
    server->set_exception_handler(
        [](const httplib::Request& req, httplib::Response& res, std::exception_ptr) {
          spdlog::error("{} {}: internal error", req.method, req.path);
          res.status = 500;
        });
  }

  void Serve(const httplib::Request& req, httplib::Response& res) {
    HttpRequest r;
    r.method = req.method;
    r.path = req.path;
    const size_t q = req.target.find('?');
    if (q != std::string::npos) r.query = req.target.substr(q + 1);
    for (const auto& [k, v] : req.params) r.query_params.emplace_back(k, v);
    r.cookie = req.get_header_value("Cookie");
    r.authorization = req.get_header_value("Authorization");
    r.body = req.body;
    HttpResponse out = service_->Handle(r);
    res.status = out.status;
    for (const auto& [k, v] : out.headers) res.set_header(k, v);
    if (!out.body.empty() || !out.content_type.empty()) {
      res.set_content(out.body, out.content_type.empty() ? "text/plain" : out.content_type);
    }
    if (!out.log_line.empty()) {
      if (out.log_warning) {
        spdlog::warn("{}", out.log_line);
      } else {
        spdlog::info("{}", out.log_line);
      }
    }
  }

  absl::StatusOr<std::vector<std::string>> Bind() {
    std::vector<std::string> bound;
    for (size_t i = 0; i < servers_.size(); ++i) {
      COCOON_ASSIGN_OR_RETURN(auto hp, SplitHostPort(config_.sockets[i]));
      int port = hp.second;
      if (port == 0) {
        port = servers_[i]->bind_to_any_port(hp.first);
        if (port < 0) port = -1;
      } else if (!servers_[i]->bind_to_port(hp.first, port)) {
        port = -1;
      }
      if (port < 0) {
        return KbsError(config_.insecure_http ? ErrorType::kHttpFailed : ErrorType::kHttpsFailed,
                        absl::StrCat(config_.insecure_http ? "HTTP" : "HTTPS",
                                     " initialization failed: cannot bind ", config_.sockets[i]));
      }
      bound.push_back(absl::StrCat(hp.first, ":", port));
    }
    return bound;
  }

  absl::Status Run() {
    std::vector<std::thread> threads;
    std::atomic<bool> failed{false};
    for (size_t i = 1; i < servers_.size(); ++i) {
      threads.emplace_back([this, i, &failed] {
        if (!servers_[i]->listen_after_bind()) failed = true;
      });
    }
    if (!servers_.empty() && !servers_[0]->listen_after_bind()) failed = true;
    for (auto& s : servers_) s->stop();
    for (auto& t : threads) t.join();
    if (failed && !stopping_) return absl::InternalError("HTTP listener failed");
    return absl::OkStatus();
  }

  void Stop() {
    stopping_ = true;
    for (auto& s : servers_) s->stop();
  }

 private:
  KbsService* service_;
  HttpServerConfig config_;
  std::vector<std::unique_ptr<httplib::Server>> servers_;
  std::atomic<bool> stopping_{false};
};

KbsHttpServer::KbsHttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
KbsHttpServer::~KbsHttpServer() = default;

absl::StatusOr<std::unique_ptr<KbsHttpServer>> KbsHttpServer::Create(
    KbsService* service, const HttpServerConfig& config) {
  auto impl = std::make_unique<Impl>(service, config);
  COCOON_RETURN_IF_ERROR(impl->CreateServers());
  return std::unique_ptr<KbsHttpServer>(new KbsHttpServer(std::move(impl)));
}

absl::StatusOr<std::vector<std::string>> KbsHttpServer::Bind() { return impl_->Bind(); }
absl::Status KbsHttpServer::Run() { return impl_->Run(); }
void KbsHttpServer::Stop() { impl_->Stop(); }

}  // namespace cocoon::kbs
