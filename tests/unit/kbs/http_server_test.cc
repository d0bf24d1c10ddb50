// The HTTP front end in process (body limit, slow clients, the client library), and two kbs
// processes sharing their keys serving one handshake.
#include "kbs/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "crypto/jose/jwe.h"
#include "crypto/stream_cipher.h"
#include "gtest/gtest.h"
#include "kbs/client.h"
#include "kbs_test_util.h"

extern char** environ;

namespace cocoon::kbs {
namespace {

using testing::AttestBody;
using testing::NewKey;

// Runs a KbsService behind a KbsHttpServer on a free loopback port, on its own thread.
class ServerFixture : public ::testing::Test {
 protected:
  // `config_` as the test set it up, plus what every test here needs.
  void Start() {
    config_.http_server.sockets = {"127.0.0.1:0"};
    config_.http_server.read_timeout_sec = 2;
    config_.resource_plugin.enabled = true;
    config_.admin.mode = AdminConfig::Mode::kInsecureAllowAll;
    auto service = KbsService::Create(config_);
    ASSERT_TRUE(service.ok()) << service.status();
    service_ = *std::move(service);
    auto server = KbsHttpServer::Create(service_.get(), config_.http_server);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    auto bound = server_->Bind();
    ASSERT_TRUE(bound.ok()) << bound.status();
    address_ = (*bound)[0];
    port_ = std::stoi(address_.substr(address_.rfind(':') + 1));
    thread_ = std::thread([this] { (void)server_->Run(); });
  }
  void TearDown() override {
    if (server_) server_->Stop();
    if (thread_.joinable()) thread_.join();
  }

  KbsConfig config_;
  std::unique_ptr<KbsService> service_;
  std::unique_ptr<KbsHttpServer> server_;
  std::string address_;
  int port_ = 0;
  std::thread thread_;
};

class HttpServerTest : public ServerFixture {
 protected:
  void SetUp() override {
    config_.http_server.insecure_http = true;
    config_.http_server.payload_request_size_mib = 1;
    config_.http_server.max_connections_threads = 64;
    Start();
  }
  std::unique_ptr<KbsClient> Client() {
    KbsClientOptions options;
    options.url = absl::StrCat("http://", address_);
    options.timeout_sec = 10;
    auto client = KbsClient::Create(options);
    EXPECT_TRUE(client.ok());
    return *std::move(client);
  }
};

TEST_F(HttpServerTest, ClientFlowOverHttp) {
  auto client = Client();
  ASSERT_TRUE(client->SetResource("default/image_key/nginx", "s3cret", "").ok());
  ASSERT_TRUE(client->SetResourcePolicy(AllowAllResourcePolicy(), "").ok());
  crypto::PrivateKey tee = NewKey(crypto::KeyType::kEcP256);
  auto secret = client->GetResource("default/image_key/nginx", SampleAttester(), tee);
  ASSERT_TRUE(secret.ok()) << secret.status();
  EXPECT_EQ(secret->view(), "s3cret");
  auto health = client->Request("GET", "/healthz", "", "", "");
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->status, 200);
  auto metrics = client->Request("GET", "/metrics", "", "", "");
  EXPECT_TRUE(absl::StrContains(metrics->body, "kbs_attestations_total{tee=\"sample\""));
}

TEST_F(HttpServerTest, OversizedBodyIs413WithKbsError) {
  auto client = Client();
  auto r =
      client->Request("POST", "/kbs/v0/auth", std::string(2 << 20, 'x'), "application/json", "");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 413);
  auto body = ParseJson(r->body, "413 body");
  ASSERT_TRUE(body.ok()) << r->body;
  EXPECT_EQ((*body)["type"], absl::StrCat(kErrorTypePrefix, "PayloadTooLarge"));
  EXPECT_TRUE(absl::StrContains((*body)["detail"].get<std::string>(), "exceeds the limit"));
}

TEST_F(HttpServerTest, ErrorBodiesPassThrough) {
  auto client = Client();
  auto r = client->Request("GET", "/kbs/v0/unknown/a/b/c", "", "", "");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 404);
  EXPECT_TRUE(absl::StrContains(r->body, "PluginNotFound"));
}

int ConnectRaw(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

TEST_F(HttpServerTest, SlowClientsDoNotStopOthers) {
  // 40 connections that send a partial request line and then trickle bytes.
  std::vector<int> slow;
  for (int i = 0; i < 40; ++i) {
    int fd = ConnectRaw(port_);
    ASSERT_GE(fd, 0);
    ASSERT_GT(write(fd, "GET /kbs/v0/res", 15), 0);
    slow.push_back(fd);
  }
  std::atomic<bool> stop{false};
  std::thread trickle([&] {
    while (!stop) {
      for (int fd : slow) (void)!write(fd, "o", 1);
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  });
  auto client = Client();
  crypto::PrivateKey tee = NewKey(crypto::KeyType::kEcP256);
  ASSERT_TRUE(client->SetResource("default/image_key/nginx", "v", "").ok());
  ASSERT_TRUE(client->SetResourcePolicy(AllowAllResourcePolicy(), "").ok());
  for (int i = 0; i < 5; ++i) {
    const auto start = std::chrono::steady_clock::now();
    client->ResetSession();
    auto secret = client->GetResource("default/image_key/nginx", SampleAttester(), tee);
    ASSERT_TRUE(secret.ok()) << secret.status();
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  }
  stop = true;
  trickle.join();
  for (int fd : slow) close(fd);
}

TEST_F(HttpServerTest, ClientRunsTheFlowThroughACallerTransport) {
  // The transport hands each exchange straight to the service: the client must carry the
  // session cookie from Set-Cookie to the next request and send the body and headers it built.
  std::vector<std::string> seen;
  KbsClientOptions options;
  options.url = "http://kbs.invalid";
  options.transport = [&](const KbsHttpExchange& x) -> absl::StatusOr<KbsHttpReply> {
    HttpRequest req;
    req.method = x.method;
    req.path = x.url.substr(options.url.size());
    for (const auto& [name, value] : x.headers) {
      if (name == "Cookie") req.cookie = value;
      if (name == "Authorization") req.authorization = value;
    }
    req.body = std::string(x.body);
    seen.push_back(absl::StrCat(x.method, " ", req.path, req.cookie.empty() ? "" : " +cookie"));
    HttpResponse res = service_->Handle(req);
    KbsHttpReply reply;
    reply.status = res.status;
    reply.body = res.body;
    for (const auto& [name, value] : res.headers) {
      if (name == "Set-Cookie") reply.set_cookies.push_back(value);
    }
    return reply;
  };
  auto client = KbsClient::Create(options);
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE((*client)->SetResource("default/image_key/nginx", "s3cret", "").ok());
  ASSERT_TRUE((*client)->SetResourcePolicy(AllowAllResourcePolicy(), "").ok());
  crypto::PrivateKey tee = NewKey(crypto::KeyType::kEcP256);
  auto secret = (*client)->GetResource("default/image_key/nginx", SampleAttester(), tee);
  ASSERT_TRUE(secret.ok()) << secret.status();
  EXPECT_EQ(secret->view(), "s3cret");
  ASSERT_GE(seen.size(), 5u);
  EXPECT_EQ(seen[2], "POST /kbs/v0/auth");
  EXPECT_EQ(seen[3], "POST /kbs/v0/attest +cookie");
  EXPECT_EQ(seen[4], "GET /kbs/v0/resource/default/image_key/nginx +cookie");
}

TEST_F(HttpServerTest, TransportFailureIsUnavailableNamingTheUrl) {
  KbsClientOptions options;
  options.url = "http://kbs.invalid";
  options.max_attempts = 1;
  options.transport = [](const KbsHttpExchange&) -> absl::StatusOr<KbsHttpReply> {
    return absl::UnavailableError("connection refused");
  };
  auto client = KbsClient::Create(options);
  ASSERT_TRUE(client.ok());
  absl::Status s = (*client)->SetResourcePolicy(AllowAllResourcePolicy(), "");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(s.message(), "http://kbs.invalid/kbs/v0/resource-policy")) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "connection refused")) << s;
}

// Sends `request` on a fresh connection and reads until the server closes it or `wait` passes.
std::string Exchange(int port, const std::string& request,
                     std::chrono::milliseconds wait = std::chrono::milliseconds(3000)) {
  int fd = ConnectRaw(port);
  if (fd < 0) return "<connect failed>";
  (void)!write(fd, request.data(), request.size());
  timeval tv{};
  tv.tv_sec = wait.count() / 1000;
  tv.tv_usec = (wait.count() % 1000) * 1000;
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

int CountOf(const std::string& haystack, const std::string& needle) {
  int n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

TEST_F(HttpServerTest, MalformedRequestGets400NamingTheFieldAndIsClosed) {
  const std::string out = Exchange(port_, "GET /healthz HTTP/1.1\r\nHost kbs\r\n\r\n");
  EXPECT_TRUE(absl::StartsWith(out, "HTTP/1.1 400 Bad Request\r\n")) << out;
  EXPECT_TRUE(absl::StrContains(out, "Connection: close")) << out;
  EXPECT_TRUE(absl::StrContains(out, "malformed header line 2 (byte 23)")) << out;
}

TEST_F(HttpServerTest, UnsupportedVersionGets505) {
  const std::string out = Exchange(port_, "GET /healthz HTTP/2.0\r\n\r\n");
  EXPECT_TRUE(absl::StartsWith(out, "HTTP/1.1 505 ")) << out;
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  const std::string out = Exchange(port_,
                                   "GET /healthz HTTP/1.1\r\n\r\n"
                                   "GET /kbs/v0/unknown/a/b/c HTTP/1.1\r\n\r\n"
                                   "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n");
  const size_t first = out.find("HTTP/1.1 200");
  const size_t second = out.find("HTTP/1.1 404");
  const size_t third = out.find("HTTP/1.1 200", second);
  ASSERT_NE(first, std::string::npos) << out;
  ASSERT_NE(second, std::string::npos) << out;
  ASSERT_NE(third, std::string::npos) << out;
  EXPECT_LT(first, second);
  EXPECT_EQ(CountOf(out, "HTTP/1.1 "), 3);
  EXPECT_TRUE(absl::StrContains(out.substr(third), "Connection: close")) << out;
}

TEST_F(HttpServerTest, PipelinedRequestsBeforeAHalfCloseAreAllAnswered) {
  int fd = ConnectRaw(port_);
  ASSERT_GE(fd, 0);
  const std::string three =
      "GET /healthz HTTP/1.1\r\n\r\nGET /healthz HTTP/1.1\r\n\r\n"
      "GET /kbs/v0/unknown/a/b/c HTTP/1.1\r\n\r\n";
  ASSERT_EQ(write(fd, three.data(), three.size()), static_cast<ssize_t>(three.size()));
  shutdown(fd, SHUT_WR);  // the client says it sends nothing more
  timeval tv{3, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  close(fd);
  EXPECT_EQ(CountOf(out, "HTTP/1.1 "), 3) << out;
  EXPECT_TRUE(absl::StrContains(out, "HTTP/1.1 404")) << out;  // the last one
}

TEST_F(HttpServerTest, Http10ConnectionIsClosedAfterTheAnswer) {
  const auto start = std::chrono::steady_clock::now();
  const std::string out = Exchange(port_, "GET /healthz HTTP/1.0\r\n\r\n");
  EXPECT_TRUE(absl::StartsWith(out, "HTTP/1.1 200 OK\r\n")) << out;
  // Closed by the server right away, not by the idle limit.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1500));
}

TEST_F(HttpServerTest, ChunkedBodyIsDecoded) {
  const std::string body = R"({"version":"0.4.0","tee":"sample","extra-params":""})";
  const std::string out = Exchange(
      port_, absl::StrCat("POST /kbs/v0/auth HTTP/1.1\r\nContent-Type: application/json\r\n"
                          "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
                          absl::Hex(10), "\r\n", body.substr(0, 10), "\r\n",
                          absl::Hex(body.size() - 10), "\r\n", body.substr(10), "\r\n0\r\n\r\n"));
  EXPECT_TRUE(absl::StartsWith(out, "HTTP/1.1 200 OK\r\n")) << out;
  EXPECT_TRUE(absl::StrContains(out, "\"nonce\"")) << out;
  EXPECT_TRUE(absl::StrContains(out, "kbs-session-id=")) << out;
}

TEST_F(HttpServerTest, ChunkFramingBeyondTheBufferLimitIs413) {
  // 1-byte chunks: a 200 KB body inside 1.2 MB of framing, past what one request may buffer
  // with payload_request_size_mib = 1.
  std::string request =
      "POST /kbs/v0/auth HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
  for (int i = 0; i < 200000; ++i) request += "1\r\nx\r\n";
  request += "0\r\n\r\n";
  const std::string out = Exchange(port_, request);
  EXPECT_TRUE(absl::StartsWith(out, "HTTP/1.1 413 ")) << out.substr(0, 200);
  EXPECT_TRUE(absl::StrContains(out, "PayloadTooLarge")) << out.substr(0, 400);
}

TEST_F(HttpServerTest, ExpectContinueIsAnsweredBeforeTheBodyIsSent) {
  const std::string body = R"({"version":"0.4.0","tee":"sample","extra-params":""})";
  int fd = ConnectRaw(port_);
  ASSERT_GE(fd, 0);
  const std::string head = absl::StrCat(
      "POST /kbs/v0/auth HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: ",
      body.size(), "\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n");
  ASSERT_GT(write(fd, head.data(), head.size()), 0);
  timeval tv{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  char buf[4096];
  ssize_t n = read(fd, buf, sizeof(buf));
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)), "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_GT(write(fd, body.data(), body.size()), 0);
  std::string out;
  while ((n = read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  close(fd);
  EXPECT_TRUE(absl::StartsWith(out, "HTTP/1.1 200 OK\r\n")) << out;
}

TEST_F(HttpServerTest, HeaderTricklingPastTheReadTimeoutIsCut) {
  // read_timeout_sec = 2: the whole header section must arrive within it, however the bytes are
  // spread out.
  int fd = ConnectRaw(port_);
  ASSERT_GE(fd, 0);
  ASSERT_GT(write(fd, "GET /healthz", 12), 0);
  const auto start = std::chrono::steady_clock::now();
  bool closed = false;
  while (std::chrono::steady_clock::now() - start < std::chrono::seconds(6)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    if (send(fd, "z", 1, MSG_NOSIGNAL) < 0) {
      closed = true;
      break;
    }
    char c;
    if (recv(fd, &c, 1, MSG_DONTWAIT) == 0) {
      closed = true;
      break;
    }
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  close(fd);
  EXPECT_TRUE(closed);
  EXPECT_GE(elapsed, std::chrono::milliseconds(1500));
  EXPECT_LT(elapsed, std::chrono::milliseconds(4000));
}

TEST_F(HttpServerTest, IdleKeepAliveConnectionIsClosedAfterTheReadTimeout) {
  const auto start = std::chrono::steady_clock::now();
  const std::string out =
      Exchange(port_, "GET /healthz HTTP/1.1\r\n\r\n", std::chrono::milliseconds(6000));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(absl::StartsWith(out, "HTTP/1.1 200 OK\r\n")) << out;
  EXPECT_GE(elapsed, std::chrono::milliseconds(1500));
  EXPECT_LT(elapsed, std::chrono::milliseconds(4000));
}

// ---- HTTPS ----

class HttpsServerTest : public ServerFixture {
 protected:
  void SetUp() override {
    const std::string key = dir_.path() + "/tls.key";
    const std::string cert = dir_.path() + "/tls.crt";
    const std::string cmd = absl::StrCat(
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ", key,
        " -out ", cert, " -days 1 -subj /CN=kbs.test -addext subjectAltName=IP:127.0.0.1",
        " 2>/dev/null");
    if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "openssl cannot make a test certificate";
    cert_ = cert;
    config_.http_server.insecure_http = false;
    config_.http_server.certificate = cert;
    config_.http_server.private_key = key;
    Start();
  }

  testing::TempDir dir_;
  std::string cert_;
};

TEST_F(HttpsServerTest, ClientFlowOverTlsWithThePinnedCertificate) {
  KbsClientOptions options;
  options.url = absl::StrCat("https://", address_);
  options.cert_file = cert_;
  auto client = KbsClient::Create(options);
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE((*client)->SetResource("default/image_key/nginx", "tls-secret", "").ok());
  ASSERT_TRUE((*client)->SetResourcePolicy(AllowAllResourcePolicy(), "").ok());
  crypto::PrivateKey tee = NewKey(crypto::KeyType::kEcP256);
  for (int i = 0; i < 3; ++i) {  // the first handshake, then the kept-alive connection
    (*client)->ResetSession();
    auto secret = (*client)->GetResource("default/image_key/nginx", SampleAttester(), tee);
    ASSERT_TRUE(secret.ok()) << secret.status();
    EXPECT_EQ(secret->view(), "tls-secret");
  }
}

TEST_F(HttpsServerTest, ClientWithoutTheCertificateIsRefused) {
  KbsClientOptions options;
  options.url = absl::StrCat("https://", address_);
  options.max_attempts = 1;
  auto client = KbsClient::Create(options);
  ASSERT_TRUE(client.ok());
  EXPECT_EQ((*client)->SetResourcePolicy(AllowAllResourcePolicy(), "").code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(HttpsServerTest, StalledHandshakeIsCutAndOthersAreServed) {
  // A client that connects and never says hello holds no thread and is closed at the deadline.
  int idle = ConnectRaw(port_);
  ASSERT_GE(idle, 0);
  const std::string plain = Exchange(port_, "GET /healthz HTTP/1.1\r\n\r\n");
  EXPECT_FALSE(absl::StartsWith(plain, "HTTP/1.1 200")) << "plain HTTP answered on TLS";
  KbsClientOptions options;
  options.url = absl::StrCat("https://", address_);
  options.cert_file = cert_;
  auto client = KbsClient::Create(options);
  ASSERT_TRUE(client.ok());
  auto health = (*client)->Request("GET", "/healthz", "", "", "");
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(health->status, 200);
  timeval tv{5, 0};
  setsockopt(idle, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  char c;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_LE(read(idle, &c, 1), 0);  // EOF (or reset) from the server, not the 5 s timeout
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(4000));
  close(idle);
}

// ---- two kbs processes ----

class Process {
 public:
  Process(const std::string& bin, std::vector<std::string> args) {
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(bin.c_str()));
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, bin.c_str(), nullptr, nullptr, argv.data(), environ) != 0) pid_ = -1;
  }
  ~Process() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status;
      waitpid(pid_, &status, 0);
    }
  }
  bool ok() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
};

std::string WaitForFile(const std::string& path) {
  for (int i = 0; i < 200; ++i) {
    auto text = ReadFile(path);
    if (text.ok() && !text->empty()) {
      return std::string(absl::StripTrailingAsciiWhitespace(*text));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return "";
}

TEST(TwoProcessesTest, SharedKeysServeOneHandshakeAcrossProcesses) {
  const std::string bin = KBS_BIN_PATH;
  if (access(bin.c_str(), X_OK) != 0) GTEST_SKIP() << "kbs binary not built: " << bin;
  testing::TempDir dir;
  dir.Write("seal.key", crypto::RandomBytes(32));
  crypto::PrivateKey signer = NewKey(crypto::KeyType::kEcP256);
  dir.Write("token.key", testing::PrivatePem(signer));
  const std::string config = absl::StrCat(R"([http_server]
sockets = ["127.0.0.1:0"]
insecure_http = true
[admin]
authorization_mode = "InsecureAllowAll"
[session]
sealing_key_path = ")",
                                          dir.path(), R"(/seal.key"
[attestation_service.attestation_token_broker.signer]
key_path = ")",
                                          dir.path(), R"(/token.key"
[storage_backend]
storage_type = "LocalFs"
[storage_backend.backends.local_fs]
dir_path = ")",
                                          dir.path(), R"(/storage"
[[plugins]]
name = "resource"
)");
  const std::string config_path = dir.Write("kbs.toml", config);
  const std::string listen_a = absl::StrCat(dir.path(), "/a.addr");
  const std::string listen_b = absl::StrCat(dir.path(), "/b.addr");
  Process a(bin, {"--config-file", config_path, "--listen-file", listen_a, "--log-level", "warn"});
  Process b(bin, {"--config-file", config_path, "--listen-file", listen_b, "--log-level", "warn"});
  ASSERT_TRUE(a.ok() && b.ok());
  const std::string addr_a = WaitForFile(listen_a);
  const std::string addr_b = WaitForFile(listen_b);
  ASSERT_FALSE(addr_a.empty() || addr_b.empty());

  auto client_for = [](const std::string& addr) {
    KbsClientOptions o;
    o.url = absl::StrCat("http://", addr);
    return *KbsClient::Create(o);
  };
  std::unique_ptr<KbsClient> ca = client_for(addr_a);
  std::unique_ptr<KbsClient> cb = client_for(addr_b);
  ASSERT_TRUE(ca->SetResource("default/image_key/nginx", "shared", "").ok());
  ASSERT_TRUE(ca->SetResourcePolicy(AllowAllResourcePolicy(), "").ok());
  // B was started before the policy was set on A; it reads it from the shared storage only at
  // start, so set it on B too (each replica holds its compiled policy).
  ASSERT_TRUE(cb->SetResourcePolicy(AllowAllResourcePolicy(), "").ok());

  // /auth on A, /attest on B, /resource on A.
  auto challenge =
      ca->Request("POST", "/kbs/v0/auth", R"({"version":"0.4.0","tee":"sample","extra-params":""})",
                  "application/json", "");
  ASSERT_TRUE(challenge.ok());
  ASSERT_EQ(challenge->status, 200) << challenge->body;
  const std::string nonce = (*ParseJson(challenge->body, "c"))["nonce"];
  crypto::PrivateKey tee = NewKey(crypto::KeyType::kEcP256);
  cb->set_session_cookie(ca->session_cookie());
  auto attest =
      cb->Request("POST", "/kbs/v0/attest", AttestBody(nonce, tee), "application/json", "");
  ASSERT_TRUE(attest.ok());
  ASSERT_EQ(attest->status, 200) << attest->body;
  ca->set_session_cookie(cb->session_cookie());
  auto resource = ca->Request("GET", "/kbs/v0/resource/default/image_key/nginx", "", "", "");
  ASSERT_TRUE(resource.ok());
  ASSERT_EQ(resource->status, 200) << resource->body;
  auto plain = jose::JweDecrypt(resource->body, tee);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->view(), "shared");
}

}  // namespace
}  // namespace cocoon::kbs
