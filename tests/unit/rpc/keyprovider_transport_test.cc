// Round trips over both keyprovider transports: the gRPC server wrapper in process, the test
// keyprovider program in gRPC and cmd mode, and the failure cases (provider errors, timeouts,
// oversized and malformed replies, missing programs, unreachable servers).
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "base/encoding.h"
#include "base/file_util.h"
#include "base/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ocicrypt/keyprovider_client.h"
#include "ocicrypt/keyprovider_handler.h"
#include "ocicrypt/keyprovider_protocol.h"
#include "rpc/keyprovider.grpc.pb.h"
#include "rpc/keyprovider_server.h"
#include "testing/testdata.h"

extern char** environ;

namespace cocoon::ocicrypt {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kOptsData[] =
    R"({"symkey":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=","digest":"sha256:00","cipheroptions":{"nonce":"ICEiIyQlJicoKSorLC0uLw=="}})";

std::string TestProviderPath() {
#ifdef COCOON_TEST_KEYPROVIDER
  return COCOON_TEST_KEYPROVIDER;
#else
  const char* p = std::getenv("COCOON_TEST_KEYPROVIDER");
  return p != nullptr ? p : "";
#endif
}

#define REQUIRE_TEST_PROVIDER()                                                    \
  if (TestProviderPath().empty()) {                                                \
    GTEST_SKIP() << "NOTICE: test-keyprovider not built; skipping transport test"; \
  }

KeyProviderEntry CmdEntry(std::vector<std::string> args, std::string path = TestProviderPath()) {
  KeyProviderEntry e;
  e.name = "kp";
  e.cmd = KeyProviderCmd{std::move(path), std::move(args)};
  return e;
}

KeyProviderEntry GrpcEntry(std::string target) {
  KeyProviderEntry e;
  e.name = "kp";
  e.grpc = std::move(target);
  return e;
}

EncryptConfig RecipientConfig() {
  EncryptConfig ec;
  ec.parameters["kp"].push_back("keyid=kbs:///default/key/7::algorithm=A256GCM");
  return ec;
}

KeyProviderClientOptions Timeout(absl::Duration d) {
  KeyProviderClientOptions o;
  o.timeout = d;
  return o;
}

// Wraps by reversing the bytes behind a marker; fails or blocks on demand.
class FakeHandler : public KeyProviderHandler {
 public:
  absl::StatusOr<std::string> WrapKey(const KeyProviderInput& input) override {
    MaybeBlock();
    absl::MutexLock lock(&mu_);
    last_ = input.keywrap.ec ? input.keywrap.ec->parameters : CryptoParameters();
    if (!fail_.ok()) return fail_;
    if (!input.keywrap.optsdata) return absl::InvalidArgumentError("no optsdata");
    std::string v(input.keywrap.optsdata->view());
    return absl::StrCat("wrapped:", std::string(v.rbegin(), v.rend()));
  }
  absl::StatusOr<SecretBytes> UnwrapKey(const KeyProviderInput& input) override {
    MaybeBlock();
    absl::MutexLock lock(&mu_);
    if (!fail_.ok()) return fail_;
    const std::string& a = input.keyunwrap.annotation.value_or("");
    if (a.rfind("wrapped:", 0) != 0) return absl::InvalidArgumentError("not our annotation");
    std::string v = a.substr(8);
    return SecretBytes(std::string(v.rbegin(), v.rend()));
  }
  void Fail(absl::Status s) {
    absl::MutexLock lock(&mu_);
    fail_ = std::move(s);
  }
  CryptoParameters last() {
    absl::MutexLock lock(&mu_);
    return last_;
  }
  void BlockUntilReleased() { block_ = true; }
  void Release() {
    if (!released_.HasBeenNotified()) released_.Notify();
  }

 private:
  void MaybeBlock() {
    if (block_) released_.WaitForNotificationWithTimeout(absl::Seconds(20));
  }
  absl::Mutex mu_;
  absl::Status fail_ ABSL_GUARDED_BY(mu_);
  CryptoParameters last_ ABSL_GUARDED_BY(mu_);
  std::atomic<bool> block_{false};
  absl::Notification released_;
};

class TempDir {
 public:
  TempDir() {
    auto d = MakeTempDir("/tmp/kptest");
    EXPECT_TRUE(d.ok()) << d.status();
    path_ = d.ok() ? *d : "/tmp";
  }
  ~TempDir() { (void)RemoveAll(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The test keyprovider running as a gRPC server in a child process.
class ProviderProcess {
 public:
  explicit ProviderProcess(std::vector<std::string> args) {
    args.insert(args.begin(), TestProviderPath());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    EXPECT_EQ(posix_spawn(&pid_, argv[0], nullptr, nullptr, argv.data(), environ), 0);
  }
  ~ProviderProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status;
      waitpid(pid_, &status, 0);
    }
  }

 private:
  pid_t pid_ = -1;
};

// Waits for a file to appear with content (a port file) or for a socket path to exist.
std::string WaitForFile(const std::string& path) {
  for (int i = 0; i < 500; ++i) {
    auto content = ReadFile(path);
    if (content.ok() && !content->empty()) return *content;
    if (content.ok() || absl::IsInvalidArgument(content.status())) return "exists";
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ADD_FAILURE() << "timed out waiting for " << path;
  return "";
}

bool WaitForSocket(const std::string& path) {
  for (int i = 0; i < 500; ++i) {
    if (access(path.c_str(), F_OK) == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

rpc::KeyProviderServerOptions Listen(std::string address) {
  rpc::KeyProviderServerOptions o;
  o.address = std::move(address);
  return o;
}

void ExpectRoundTrip(const KeyProviderClient& client) {
  auto annotation = client.WrapKey(RecipientConfig(), SecretBytes(absl::string_view(kOptsData)));
  ASSERT_TRUE(annotation.ok()) << annotation.status();
  EXPECT_THAT(*annotation, Not(HasSubstr("symkey")));
  DecryptConfig dc;
  dc.parameters["kp"].push_back("Enabled");
  auto optsdata = client.UnwrapKey(dc, *annotation);
  ASSERT_TRUE(optsdata.ok()) << optsdata.status();
  EXPECT_EQ(optsdata->view(), kOptsData);
}

// ---------------------------------------------------------------------------------------------
// In-process gRPC server.

class InProcessGrpcTest : public ::testing::TestWithParam<ByteFieldForm> {};

TEST_P(InProcessGrpcTest, RoundTripOverTcpWithAChosenPort) {
  FakeHandler handler;
  rpc::KeyProviderServerOptions options;
  options.address = "127.0.0.1:0";
  options.reply_form = GetParam();
  auto server = rpc::KeyProviderServer::Start(options, &handler);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_GT((*server)->port(), 0);
  EXPECT_EQ((*server)->target(), absl::StrCat("127.0.0.1:", (*server)->port()));
  KeyProviderClient client(GrpcEntry((*server)->target()));
  ExpectRoundTrip(client);
  EXPECT_EQ(handler.last(), RecipientConfig().parameters);
}

TEST_P(InProcessGrpcTest, RoundTripOverUnixSocketInBothAddressForms) {
  TempDir dir;
  FakeHandler handler;
  rpc::KeyProviderServerOptions options;
  options.address = absl::StrCat("unix://", dir.path(), "/kp.sock");
  options.reply_form = GetParam();
  auto server = rpc::KeyProviderServer::Start(options, &handler);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ((*server)->port(), 0);
  ExpectRoundTrip(KeyProviderClient(GrpcEntry((*server)->target())));
  ExpectRoundTrip(KeyProviderClient(GrpcEntry(absl::StrCat("unix:", dir.path(), "/kp.sock"))));
}

INSTANTIATE_TEST_SUITE_P(ReplyForms, InProcessGrpcTest,
                         ::testing::Values(ByteFieldForm::kBase64, ByteFieldForm::kIntArray));

TEST(KeyProviderServerTest, HandlerErrorReachesTheClientWithItsCodeAndMessage) {
  FakeHandler handler;
  handler.Fail(absl::PermissionDeniedError("no key for kid kbs:///default/key/7"));
  auto server = rpc::KeyProviderServer::Start(Listen("127.0.0.1:0"), &handler);
  ASSERT_TRUE(server.ok()) << server.status();
  KeyProviderClient client(GrpcEntry((*server)->target()));
  auto out = client.UnwrapKey(DecryptConfig(), "wrapped:x");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(out.status().message(), HasSubstr("keyprovider kp UnWrapKey"));
  EXPECT_THAT(out.status().message(), HasSubstr("no key for kid kbs:///default/key/7"));
}

TEST(KeyProviderServerTest, MalformedRequestIsInvalidArgument) {
  FakeHandler handler;
  auto server = rpc::KeyProviderServer::Start(Listen("127.0.0.1:0"), &handler);
  ASSERT_TRUE(server.ok()) << server.status();
  KeyProviderClient client(GrpcEntry((*server)->target()));
  auto out = client.Call("UnWrapKey", R"({"keyunwrapparams":{"annotation":[999]}})");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(out.status().message(), HasSubstr("keyunwrapparams.annotation[0]: not a byte value"));
}

TEST(KeyProviderServerTest, RejectsAnAddressWithoutPort) {
  FakeHandler handler;
  auto server = rpc::KeyProviderServer::Start(Listen("localhost"), &handler);
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(server.status().message(), HasSubstr("neither host:port nor unix:path"));
}

TEST(KeyProviderServerTest, ReportsAnAddressItCannotListenOn) {
  FakeHandler handler;
  auto server =
      rpc::KeyProviderServer::Start(Listen("unix:///nonexistent-dir/for/sure/kp.sock"), &handler);
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(server.status().message(), HasSubstr("cannot listen on"));
}

TEST(KeyProviderGrpcClientTest, ServerThatNeverAnswersHitsTheDeadline) {
  FakeHandler handler;
  handler.BlockUntilReleased();
  auto server = rpc::KeyProviderServer::Start(Listen("127.0.0.1:0"), &handler);
  ASSERT_TRUE(server.ok()) << server.status();
  KeyProviderClient client(GrpcEntry((*server)->target()), Timeout(absl::Milliseconds(300)));
  const absl::Time start = absl::Now();
  auto out = client.UnwrapKey(DecryptConfig(), "wrapped:x");
  handler.Release();
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST(KeyProviderGrpcClientTest, ListenerThatNeverSpeaksHttp2HitsTheDeadline) {
  // A TCP listener that never accepts: the connection is made by the kernel, nothing answers.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 16), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  KeyProviderClient client(GrpcEntry(absl::StrCat("127.0.0.1:", ntohs(addr.sin_port))),
                           Timeout(absl::Milliseconds(500)));
  const absl::Time start = absl::Now();
  auto out = client.WrapKey(RecipientConfig(), SecretBytes(absl::string_view(kOptsData)));
  close(fd);
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(out.status().code(), ::testing::AnyOf(absl::StatusCode::kDeadlineExceeded,
                                                    absl::StatusCode::kUnavailable));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_THAT(out.status().message(), Not(HasSubstr("symkey")));
}

TEST(KeyProviderGrpcClientTest, UnreachableAddressesFailWithUnavailable) {
  // A port that was free a moment ago.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  for (const std::string& target : {absl::StrCat("127.0.0.1:", ntohs(addr.sin_port)),
                                    std::string("unix:///nonexistent/kp.sock")}) {
    KeyProviderClient client(GrpcEntry(target), Timeout(absl::Seconds(5)));
    auto out = client.UnwrapKey(DecryptConfig(), "x");
    ASSERT_FALSE(out.ok()) << target;
    EXPECT_EQ(out.status().code(), absl::StatusCode::kUnavailable) << out.status();
    EXPECT_THAT(out.status().message(), HasSubstr(absl::StrCat("gRPC UnWrapKey on ", target)));
  }
}

// A raw service that answers whatever bytes it is given, for malformed and oversized replies.
class RawService final : public keyprovider::KeyProviderService::Service {
 public:
  explicit RawService(std::string reply) : reply_(std::move(reply)) {}
  grpc::Status WrapKey(grpc::ServerContext*, const keyprovider::keyProviderKeyWrapProtocolInput*,
                       keyprovider::keyProviderKeyWrapProtocolOutput* out) override {
    out->set_keyproviderkeywrapprotocoloutput(reply_);
    return grpc::Status::OK;
  }
  grpc::Status UnWrapKey(grpc::ServerContext* c,
                         const keyprovider::keyProviderKeyWrapProtocolInput* in,
                         keyprovider::keyProviderKeyWrapProtocolOutput* out) override {
    return WrapKey(c, in, out);
  }

 private:
  std::string reply_;
};

std::unique_ptr<grpc::Server> StartRaw(RawService* service, int* port) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), port);
  builder.SetMaxSendMessageSize(64 << 20);
  builder.RegisterService(service);
  return builder.BuildAndStart();
}

TEST(KeyProviderGrpcClientTest, GarbageReplyIsAnUnmarshalErrorWithoutItsContent) {
  RawService service(R"({"keyunwrapresults":{"optsdata":"c2VjcmV0LXN5bWtleQ==)");
  int port = 0;
  auto server = StartRaw(&service, &port);
  ASSERT_NE(server, nullptr);
  KeyProviderClient client(GrpcEntry(absl::StrCat("127.0.0.1:", port)));
  auto out = client.UnwrapKey(DecryptConfig(), "x");
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(out.status().message(), HasSubstr("Error while unmarshalling keyprovider output"));
  EXPECT_THAT(out.status().message(), Not(HasSubstr("c2VjcmV0")));
  server->Shutdown();
}

TEST(KeyProviderGrpcClientTest, OversizedReplyIsRejected) {
  RawService service(std::string(4096, ' ') + "{}");
  int port = 0;
  auto server = StartRaw(&service, &port);
  ASSERT_NE(server, nullptr);
  KeyProviderClientOptions options;
  options.max_output_size = 1024;
  KeyProviderClient client(GrpcEntry(absl::StrCat("127.0.0.1:", port)), options);
  auto out = client.UnwrapKey(DecryptConfig(), "x");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kResourceExhausted) << out.status();
  server->Shutdown();
}

TEST(KeyProviderGrpcClientTest, ReplyWithoutOptsDataIsAnError) {
  RawService service(R"({"keywrapresults":{"annotation":null},"keyunwrapresults":{}})");
  int port = 0;
  auto server = StartRaw(&service, &port);
  ASSERT_NE(server, nullptr);
  KeyProviderClient client(GrpcEntry(absl::StrCat("127.0.0.1:", port)));
  auto unwrap = client.UnwrapKey(DecryptConfig(), "x");
  ASSERT_FALSE(unwrap.ok());
  EXPECT_THAT(unwrap.status().message(), HasSubstr("the reply has no optsdata"));
  auto wrap = client.WrapKey(RecipientConfig(), SecretBytes(absl::string_view(kOptsData)));
  ASSERT_FALSE(wrap.ok());
  EXPECT_EQ(wrap.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(wrap.status().message(), HasSubstr("provider wrapped nothing"));
  server->Shutdown();
}

// ---------------------------------------------------------------------------------------------
// TLS.

TEST(KeyProviderGrpcTlsTest, ClientHonoursRootCaServerNameAndInsecureSkipVerify) {
  TempDir dir;
  const std::string key = dir.path() + "/key.pem", cert = dir.path() + "/cert.pem";
  const std::string cmd = absl::StrCat(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 "
      "-subj /CN=kp.test -addext subjectAltName=DNS:kp.test -keyout ",
      key, " -out ", cert, " >/dev/null 2>&1");
  if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "NOTICE: openssl CLI unavailable";
  FakeHandler handler;
  rpc::KeyProviderServerOptions options;
  options.address = "127.0.0.1:0";
  options.tls_cert_chain_pem = *ReadFile(cert);
  options.tls_private_key_pem = *ReadFile(key);
  auto server = rpc::KeyProviderServer::Start(options, &handler);
  ASSERT_TRUE(server.ok()) << server.status();

  KeyProviderEntry trusted = GrpcEntry((*server)->target());
  trusted.grpc_tls.emplace();
  trusted.grpc_tls->root_ca_file = cert;
  trusted.grpc_tls->server_name = "kp.test";
  ExpectRoundTrip(KeyProviderClient(trusted));

  KeyProviderEntry skip = GrpcEntry((*server)->target());
  skip.grpc_tls.emplace();
  skip.grpc_tls->insecure_skip_verify = true;
  ExpectRoundTrip(KeyProviderClient(skip));

  KeyProviderEntry wrong_name = trusted;
  wrong_name.grpc_tls->server_name = "other.test";
  auto bad =
      KeyProviderClient(wrong_name, Timeout(absl::Seconds(5))).UnwrapKey(DecryptConfig(), "x");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kUnavailable) << bad.status();

  auto plain = KeyProviderClient(GrpcEntry((*server)->target()), Timeout(absl::Seconds(5)))
                   .UnwrapKey(DecryptConfig(), "x");
  EXPECT_FALSE(plain.ok());

  KeyProviderEntry half = trusted;
  half.grpc_tls->cert_file = cert;
  auto half_out = KeyProviderClient(half).UnwrapKey(DecryptConfig(), "x");
  ASSERT_FALSE(half_out.ok());
  EXPECT_THAT(half_out.status().message(),
              HasSubstr("cert-file and key-file must be given together"));
}

// ---------------------------------------------------------------------------------------------
// The test keyprovider program in gRPC mode.

TEST(TestKeyProviderGrpcTest, RoundTripOverTcpInBothReplyForms) {
  REQUIRE_TEST_PROVIDER();
  for (const char* form : {"base64", "array"}) {
    TempDir dir;
    const std::string port_file = dir.path() + "/port";
    ProviderProcess provider(
        {"--grpc", "127.0.0.1:0", "--port-file", port_file, "--reply-form", form});
    std::string port = WaitForFile(port_file);
    while (!port.empty() && port.back() == '\n') port.pop_back();
    ASSERT_FALSE(port.empty());
    ExpectRoundTrip(KeyProviderClient(GrpcEntry(absl::StrCat("127.0.0.1:", port))));
  }
}

TEST(TestKeyProviderGrpcTest, RoundTripOverUnixSocket) {
  REQUIRE_TEST_PROVIDER();
  TempDir dir;
  const std::string sock = dir.path() + "/kp.sock";
  ProviderProcess provider({"--grpc", absl::StrCat("unix://", sock)});
  ASSERT_TRUE(WaitForSocket(sock));
  ExpectRoundTrip(KeyProviderClient(GrpcEntry(absl::StrCat("unix://", sock))));
}

TEST(TestKeyProviderGrpcTest, ProviderFailureCarriesItsMessage) {
  REQUIRE_TEST_PROVIDER();
  TempDir dir;
  const std::string sock = dir.path() + "/kp.sock";
  ProviderProcess provider({"--grpc", absl::StrCat("unix:", sock), "--fail", "kbs said no"});
  ASSERT_TRUE(WaitForSocket(sock));
  auto out = KeyProviderClient(GrpcEntry(absl::StrCat("unix:", sock)))
                 .WrapKey(RecipientConfig(), SecretBytes(absl::string_view(kOptsData)));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(out.status().message(), HasSubstr("kbs said no"));
}

// ---------------------------------------------------------------------------------------------
// cmd transport with the test keyprovider program.

TEST(KeyProviderCmdTest, RoundTripInBothReplyForms) {
  REQUIRE_TEST_PROVIDER();
  ExpectRoundTrip(KeyProviderClient(CmdEntry({})));
  ExpectRoundTrip(KeyProviderClient(CmdEntry({"--reply-form", "array"})));
}

TEST(KeyProviderCmdTest, SendsGoShapedJsonOnStdin) {
  REQUIRE_TEST_PROVIDER();
  TempDir dir;
  const std::string record = dir.path() + "/request.json";
  KeyProviderClient client(CmdEntry({"--record", record}));
  const SecretBytes optsdata{absl::string_view(kOptsData)};
  auto annotation = client.WrapKey(RecipientConfig(), optsdata);
  ASSERT_TRUE(annotation.ok()) << annotation.status();
  EXPECT_EQ(*ReadFile(record),
            SerializeKeyProviderInput(MakeKeyWrapInput(RecipientConfig(), optsdata)));
  // The annotation packet has coco_keyprovider's shape and names the requested kid.
  auto packet = ParseJson(*annotation, "packet");
  ASSERT_TRUE(packet.ok()) << packet.status();
  EXPECT_EQ((*packet)["kid"], "kbs:///default/key/7");
  EXPECT_EQ((*packet)["wrap_type"], "A256GCM");
  EXPECT_EQ(Base64Decode((*packet)["iv"].get<std::string>())->size(), 12u);
}

TEST(KeyProviderCmdTest, UnwrapsCocoSampleAnnotationWithTheSampleKey) {
  REQUIRE_TEST_PROVIDER();
  const char* rel = "guest-components/ocicrypt-rs/data/sample_kbc_annotation.json";
  COCOON_TESTDATA_OR_SKIP(path, rel);
  auto out = KeyProviderClient(CmdEntry({}))
                 .UnwrapKey(DecryptConfig(), cocoon::testing::ReadTestdata(rel));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(
      out->view(),
      R"({"symkey":"1jL2jJV0Oyz2nmPkLtqulW6cKcpIUN5FpILcVnP5Uqs=","digest":"sha256:18be1897f9402f27c8c0eba7c86e0c00f5656db62961b5949d55f9565c42c6e7","cipheroptions":{"nonce":"r10F9oaCu+nWFXfod3l83g=="}})");
}

TEST(KeyProviderCmdTest, ProviderFailureGivesGoStyleErrorWithStderrAndExitStatus) {
  REQUIRE_TEST_PROVIDER();
  auto out =
      KeyProviderClient(CmdEntry({"--fail", "no key for kid"})).UnwrapKey(DecryptConfig(), "x");
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(out.status().message(),
              HasSubstr(absl::StrCat("Error while running command: ", TestProviderPath(),
                                     ". stderr: no key for kid\n: exit status 3")));
}

TEST(KeyProviderCmdTest, SlowProviderIsKilledAtTheDeadline) {
  REQUIRE_TEST_PROVIDER();
  const absl::Time start = absl::Now();
  auto out = KeyProviderClient(CmdEntry({"--sleep-ms", "20000"}), Timeout(absl::Milliseconds(300)))
                 .UnwrapKey(DecryptConfig(), "x");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(out.status().message(), HasSubstr("the process was killed"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST(KeyProviderCmdTest, GrandchildHoldingStdoutDoesNotOutliveTheDeadline) {
  const absl::Time start = absl::Now();
  auto out = KeyProviderClient(CmdEntry({"-c", "sleep 30 & exit 0"}, "/bin/sh"),
                               Timeout(absl::Milliseconds(300)))
                 .UnwrapKey(DecryptConfig(), "x");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST(KeyProviderCmdTest, OversizedOutputIsRejected) {
  REQUIRE_TEST_PROVIDER();
  KeyProviderClientOptions options;
  options.max_output_size = 1000;
  auto out = KeyProviderClient(CmdEntry({"--oversize", "200000"}), options)
                 .UnwrapKey(DecryptConfig(), "x");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(out.status().message(), HasSubstr("output exceeds 1000 bytes"));
}

TEST(KeyProviderCmdTest, GarbageOutputIsAnUnmarshalError) {
  REQUIRE_TEST_PROVIDER();
  auto out = KeyProviderClient(CmdEntry({"--garbage"})).UnwrapKey(DecryptConfig(), "x");
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(out.status().message(), HasSubstr("Error while unmarshalling keyprovider output"));
  EXPECT_THAT(out.status().message(), HasSubstr("invalid JSON at byte"));
}

TEST(KeyProviderCmdTest, NonexistentProgramIsNotFound) {
  for (const char* path : {"/nonexistent/keyprovider", "cocoon-no-such-keyprovider-program"}) {
    auto out = KeyProviderClient(CmdEntry({}, path)).UnwrapKey(DecryptConfig(), "x");
    ASSERT_FALSE(out.ok()) << path;
    EXPECT_EQ(out.status().code(), absl::StatusCode::kNotFound) << out.status();
    EXPECT_THAT(out.status().message(),
                HasSubstr(absl::StrCat("Error while running command: ", path)));
  }
}

TEST(KeyProviderCmdTest, StderrEchoOfTheOptsDataIsRedacted) {
  // A provider that copies its input to stderr and fails.
  auto out = KeyProviderClient(CmdEntry({"-c", "cat >&2; exit 1"}, "/bin/sh"))
                 .WrapKey(RecipientConfig(), SecretBytes(absl::string_view(kOptsData)));
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(out.status().message(), HasSubstr("[redacted]"));
  EXPECT_THAT(out.status().message(), HasSubstr("exit status 1"));
  EXPECT_THAT(out.status().message(), Not(HasSubstr(Base64Encode(kOptsData))));
  EXPECT_THAT(out.status().message(), Not(HasSubstr("symkey")));
}

TEST(KeyProviderCmdTest, ProviderThatIgnoresStdinStillWorks) {
  auto out =
      KeyProviderClient(
          CmdEntry({"-c", R"(printf '{"keyunwrapresults":{"optsdata":[104,105]}}')"}, "/bin/sh"))
          .UnwrapKey(DecryptConfig(), std::string(1 << 20, 'a'));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->view(), "hi");
}

TEST(KeyProviderCmdTest, KilledProviderReportsTheSignal) {
  auto out =
      KeyProviderClient(CmdEntry({"-c", "kill -9 $$"}, "/bin/sh")).UnwrapKey(DecryptConfig(), "x");
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(out.status().message(), HasSubstr("signal: killed"));
}

// ---------------------------------------------------------------------------------------------
// Entry selection and the KeyWrapper adapter.

TEST(KeyProviderClientTest, CmdWinsOverGrpc) {
  REQUIRE_TEST_PROVIDER();
  KeyProviderEntry both = CmdEntry({});
  both.grpc = "127.0.0.1:1";
  ExpectRoundTrip(KeyProviderClient(both, Timeout(absl::Seconds(5))));
}

TEST(KeyProviderClientTest, EntryWithoutCmdOrGrpcIsUnsupportedAtCallTime) {
  KeyProviderEntry none;
  none.name = "isecl";
  KeyProviderClient client(none);
  auto out = client.UnwrapKey(DecryptConfig(), "x");
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(out.status().message(),
              HasSubstr("Unsupported keyprovider invocation. Supported invocation methods are "
                        "grpc and cmd"));
  EXPECT_FALSE(client.WrapKey(RecipientConfig(), SecretBytes(absl::string_view("{}"))).ok());
}

TEST(KeyProviderClientTest, DecliningProviderWrapsNothing) {
  REQUIRE_TEST_PROVIDER();
  KeyProviderClient client(CmdEntry({"--decline"}));
  auto out = client.WrapKey(RecipientConfig(), SecretBytes(absl::string_view(kOptsData)));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(out.status().message(), HasSubstr("provider wrapped nothing"));
  auto raw = client.WrapKeyAllowEmpty(RecipientConfig(), SecretBytes(absl::string_view(kOptsData)));
  ASSERT_TRUE(raw.ok()) << raw.status();
  EXPECT_EQ(raw->value_or("unset"), "");
}

TEST(KeyProviderKeyWrapperTest, BehavesAsTheProviderScheme) {
  REQUIRE_TEST_PROVIDER();
  auto wrapper = NewKeyProviderKeyWrapper(CmdEntry({}));
  EXPECT_EQ(wrapper->AnnotationId(), "provider.kp");
  EXPECT_TRUE(wrapper->HasRecipients(RecipientConfig()));
  EXPECT_FALSE(wrapper->HasRecipients(EncryptConfig()));
  EXPECT_FALSE(wrapper->NoPossibleKeys(DecryptConfig()));
  auto entry = wrapper->Wrap(RecipientConfig(), SecretBytes(absl::string_view(kOptsData)));
  ASSERT_TRUE(entry.ok()) << entry.status();
  auto opts = wrapper->Unwrap(DecryptConfig(), *entry);
  ASSERT_TRUE(opts.ok()) << opts.status();
  EXPECT_EQ(opts->view(), kOptsData);

  auto declining = NewKeyProviderKeyWrapper(CmdEntry({"--decline"}));
  auto empty = declining->Wrap(RecipientConfig(), SecretBytes(absl::string_view(kOptsData)));
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(*empty, "");
}

}  // namespace
}  // namespace cocoon::ocicrypt
