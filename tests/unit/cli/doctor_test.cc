#include "cli/doctor.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "base/file_util.h"
#include "base/json.h"
#include "cli/node_configure.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cocoon::cli {
namespace {

using ::testing::HasSubstr;

// A listening TCP socket on 127.0.0.1 (connects succeed without accept()).
class TcpListener {
 public:
  TcpListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    EXPECT_EQ(::listen(fd_, 16), 0);
    socklen_t len = sizeof(a);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~TcpListener() { Close(); }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int fd() const { return fd_; }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// A port nothing listens on (bound, then released).
int ClosedPort() {
  TcpListener l;
  return l.port();
}

class UnixListener {
 public:
  explicit UnixListener(const std::string& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    EXPECT_LT(path.size(), sizeof(a.sun_path));
    std::memcpy(a.sun_path, path.data(), path.size());
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0) << path;
    EXPECT_EQ(::listen(fd_, 16), 0);
  }
  ~UnixListener() {
    if (fd_ >= 0) ::close(fd_);
  }
  // Closes the listener but leaves the socket file: a stale socket, as after a crash.
  void CloseKeepFile() {
    ::close(fd_);
    fd_ = -1;
  }

 private:
  std::string path_;
  int fd_ = -1;
};

// One-response-per-connection HTTP server on loopback.
class FakeKbs {
 public:
  FakeKbs(int status, std::string body) : status_(status), body_(std::move(body)) {
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeKbs() {
    stop_ = true;
    thread_.join();
  }
  std::string url() const { return absl::StrCat("http://127.0.0.1:", listener_.port()); }
  std::string request() {
    std::lock_guard<std::mutex> lock(mu_);
    return request_;
  }

 private:
  void Serve() {
    while (!stop_) {
      pollfd p{listener_.fd(), POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = ::accept(listener_.fd(), nullptr, nullptr);
      if (c < 0) continue;
      std::string req;
      char buf[4096];
      size_t want = std::string::npos;
      while (true) {
        pollfd q{c, POLLIN, 0};
        if (::poll(&q, 1, 1000) <= 0) break;
        ssize_t n = ::read(c, buf, sizeof(buf));
        if (n <= 0) break;
        req.append(buf, static_cast<size_t>(n));
        const size_t hdr = req.find("\r\n\r\n");
        if (hdr != std::string::npos && want == std::string::npos) {
          size_t cl = 0;
          const size_t pos = req.find("Content-Length: ");
          if (pos != std::string::npos) cl = std::stoul(req.substr(pos + 16));
          want = hdr + 4 + cl;
        }
        if (want != std::string::npos && req.size() >= want) break;
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        request_ = req;
      }
      const std::string resp =
          absl::StrCat("HTTP/1.1 ", status_, " X\r\nContent-Type: application/json\r\n",
                       "Content-Length: ", body_.size(), "\r\nConnection: close\r\n\r\n", body_);
      (void)!::write(c, resp.data(), resp.size());
      ::close(c);
    }
  }

  TcpListener listener_;
  int status_;
  std::string body_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::string request_;
  std::thread thread_;
};

const CheckResult& Find(const std::vector<CheckResult>& results, const std::string& name) {
  for (const auto& r : results) {
    if (r.name == name) return r;
  }
  static CheckResult missing{"<missing>", CheckStatus::kFail, "no such check", ""};
  ADD_FAILURE() << "no check " << name;
  return missing;
}

// A node root that passes every check with --tee sample; tests break one thing at a time.
class DoctorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = MakeTempDir("/tmp/cocoon-dr-");
    ASSERT_TRUE(dir.ok()) << dir.status();
    root_ = *dir;
    kbs_ = std::make_unique<FakeKbs>(200, R"({"nonce":"bm9uY2U=","extra-params":""})");

    NodeConfigureOptions nc;
    nc.kbs_url = kbs_->url();
    nc.tee = "sample";
    nc.prefix = root_;
    nc.write = true;
    ASSERT_TRUE(WriteNodeConfiguration(nc).ok());
    // The CDH listens on a free port rather than 50000.
    const std::string addr = absl::StrCat("127.0.0.1:", cdh_.port());
    Put("/etc/confidential-data-hub.json",
        absl::StrCat(R"({"socket":")", addr, R"(","kbc":{"name":"cc_kbc","url":")", kbs_->url(),
                     R"("}})"));
    Put("/etc/containerd/ocicrypt/ocicrypt_keyprovider.conf",
        absl::StrCat(R"({"key-providers":{"attestation-agent":{"grpc":")", addr, R"("}}})"));
    for (const char* b : {"ctd-decoder", "confidential-data-hub", "attestation-agent"}) {
      Put(absl::StrCat("/usr/local/bin/", b), "#!/bin/sh\nexit 0\n", 0755);
    }
    Put("/etc/group", "root:x:0:\ntss:x:117:alice\n");
    Mkdir("/run/containerd");
    Mkdir("/run/confidential-containers/attestation-agent");
    containerd_ = std::make_unique<UnixListener>(P("/run/containerd/containerd.sock"));
    aa_ = std::make_unique<UnixListener>(P(std::string(kAaSocketPath)));
    opts_.root = root_;
    opts_.tee = "sample";
    opts_.path_env = "/usr/local/bin";
    opts_.timeout_ms = 1000;
  }
  void TearDown() override {
    containerd_.reset();
    aa_.reset();
    kbs_.reset();
    ASSERT_TRUE(RemoveAll(root_).ok());
  }

  std::string P(const std::string& path) const { return root_ + path; }
  void Mkdir(const std::string& path) {
    const std::string full = P(path);
    for (size_t i = 1; i <= full.size(); ++i) {
      if (i == full.size() || full[i] == '/') ::mkdir(full.substr(0, i).c_str(), 0755);
    }
  }
  void Put(const std::string& path, const std::string& content, mode_t mode = 0644) {
    Mkdir(path.substr(0, path.rfind('/')));
    ASSERT_TRUE(WriteFileAtomic(P(path), content, mode).ok());
    ::chmod(P(path).c_str(), mode);
  }
  std::vector<CheckResult> Run() { return RunDoctorChecks(opts_); }

  std::string root_;
  DoctorOptions opts_;
  TcpListener cdh_;
  std::unique_ptr<FakeKbs> kbs_;
  std::unique_ptr<UnixListener> containerd_;
  std::unique_ptr<UnixListener> aa_;
};

TEST_F(DoctorTest, HealthyNodePassesEveryCheck) {
  const auto results = Run();
  for (const auto& r : results) {
    EXPECT_TRUE(r.status == CheckStatus::kOk || r.status == CheckStatus::kSkip)
        << r.name << ": " << CheckStatusName(r.status) << ": " << r.reason;
  }
  EXPECT_EQ(DoctorExitCode(results), 0);
  EXPECT_EQ(results.size(), 16u);
  EXPECT_EQ(Find(results, "tdx-guest").status, CheckStatus::kSkip);
  EXPECT_EQ(Find(results, "kbs-auth").status, CheckStatus::kOk);
  EXPECT_THAT(Find(results, "kbs-auth").reason, HasSubstr("challenge received"));
  // The request is an RCAR Request for protocol 0.4.0.
  const std::string req = kbs_->request();
  EXPECT_THAT(req, HasSubstr("POST /kbs/v0/auth"));
  EXPECT_THAT(req, HasSubstr(R"("version":"0.4.0")"));
  EXPECT_THAT(req, HasSubstr(R"("tee":"sample")"));
  EXPECT_EQ(Find(results, "attestation").status, CheckStatus::kSkip);
  EXPECT_THAT(Find(results, "binaries").reason, HasSubstr("not found (optional on a node)"));
}

TEST_F(DoctorTest, MissingStreamProcessorsFail) {
  Put("/etc/containerd/config.toml",
      "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".image_decryption]\n"
      "  key_model = \"node\"\n");
  const auto results = Run();
  const auto& r = Find(results, "stream-processors");
  EXPECT_EQ(r.status, CheckStatus::kFail);
  EXPECT_THAT(r.reason, HasSubstr("io.containerd.ocicrypt.decoder.v1.tar.gzip\"] missing"));
  EXPECT_THAT(r.fix, HasSubstr("cocoon node configure"));
  EXPECT_EQ(Find(results, "containerd-key-model").status, CheckStatus::kOk);
  EXPECT_EQ(DoctorExitCode(results), 2);
}

TEST_F(DoctorTest, ZstdProcessorIdAndNonExecutableDecoder) {
  auto cfg = ReadFile(P("/etc/containerd/config.toml"));
  ASSERT_TRUE(cfg.ok());
  Put("/etc/containerd/config.toml",
      *cfg +
          "\n[stream_processors.\"io.containerd.ocicrypt.decoder.v1.tar.zstd\"]\n"
          "  accepts = [\"application/vnd.oci.image.layer.v1.tar+zstd+encrypted\"]\n");
  auto results = Run();
  EXPECT_EQ(Find(results, "stream-processors").status, CheckStatus::kWarn);
  EXPECT_THAT(Find(results, "stream-processors").reason, HasSubstr("never receives the fd-3"));
  EXPECT_EQ(DoctorExitCode(results), 1);

  ::chmod(P("/usr/local/bin/ctd-decoder").c_str(), 0644);
  results = Run();
  EXPECT_EQ(Find(results, "stream-processors").status, CheckStatus::kFail);
  EXPECT_THAT(Find(results, "stream-processors").reason, HasSubstr("not an executable file"));
  EXPECT_EQ(Find(results, "binaries").status, CheckStatus::kFail);
  EXPECT_THAT(Find(results, "binaries").reason, HasSubstr("missing: ctd-decoder"));
}

TEST_F(DoctorTest, KeyModelUnsetWarnsAndEmptyFails) {
  auto cfg = ReadFile(P("/etc/containerd/config.toml"));
  ASSERT_TRUE(cfg.ok());
  std::string unset =
      absl::StrReplaceAll(*cfg, {{"[plugins.\"io.containerd.grpc.v1.cri\".image_decryption]", ""},
                                 {"key_model = \"node\"", ""}});
  Put("/etc/containerd/config.toml", unset);
  auto results = Run();
  EXPECT_EQ(Find(results, "containerd-key-model").status, CheckStatus::kWarn);
  EXPECT_THAT(Find(results, "containerd-key-model").reason, HasSubstr("key_model unset"));
  EXPECT_EQ(DoctorExitCode(results), 1);

  Put("/etc/containerd/config.toml",
      absl::StrReplaceAll(*cfg, {{"key_model = \"node\"", "key_model = \"\""}}));
  results = Run();
  EXPECT_EQ(Find(results, "containerd-key-model").status, CheckStatus::kFail);
  EXPECT_THAT(Find(results, "containerd-key-model").reason, HasSubstr("no payload"));
}

TEST_F(DoctorTest, ContainerdConfigMissingInvalidOrWrongVersion) {
  ::unlink(P("/etc/containerd/config.toml").c_str());
  auto results = Run();
  EXPECT_EQ(Find(results, "containerd-config").status, CheckStatus::kFail);
  EXPECT_EQ(Find(results, "stream-processors").status, CheckStatus::kSkip);
  EXPECT_EQ(Find(results, "containerd-key-model").status, CheckStatus::kSkip);

  Put("/etc/containerd/config.toml", "version = [\n");
  results = Run();
  EXPECT_EQ(Find(results, "containerd-config").status, CheckStatus::kFail);
  EXPECT_THAT(Find(results, "containerd-config").reason, HasSubstr("invalid TOML"));

  Put("/etc/containerd/config.toml", "version = 3\n");
  results = Run();
  EXPECT_THAT(Find(results, "containerd-config").reason, HasSubstr("version 3"));
}

TEST_F(DoctorTest, KeyproviderConfigInvalidJsonOrWithoutProvider) {
  Put("/etc/containerd/ocicrypt/ocicrypt_keyprovider.conf", "{\"key-providers\": {");
  auto results = Run();
  EXPECT_EQ(Find(results, "keyprovider-config").status, CheckStatus::kFail);
  EXPECT_THAT(Find(results, "keyprovider-config").reason, HasSubstr("invalid JSON"));
  // The path came from the stream processor's env.
  EXPECT_THAT(Find(results, "keyprovider-config").reason, ::testing::Not(HasSubstr("default")));

  Put("/etc/containerd/ocicrypt/ocicrypt_keyprovider.conf",
      R"({"key-providers":{"other":{"cmd":{"path":"/bin/x"}}}})");
  results = Run();
  EXPECT_EQ(Find(results, "keyprovider-config").status, CheckStatus::kFail);
  EXPECT_THAT(Find(results, "keyprovider-config").reason,
              HasSubstr("no \"attestation-agent\" provider"));

  Put("/etc/containerd/ocicrypt/ocicrypt_keyprovider.conf",
      R"({"key-providers":{"attestation-agent":{"grpc":"127.0.0.1:1"}}})");
  results = Run();
  EXPECT_EQ(Find(results, "keyprovider-config").status, CheckStatus::kWarn);
  EXPECT_THAT(Find(results, "keyprovider-config").reason, HasSubstr("but the CDH listens on"));

  // --keyprovider-config overrides the lookup. ocicrypt cannot call a ttrpc provider.
  Put("/tmp/kp.json", R"({"key-providers":{"attestation-agent":{"ttrpc":"unix:///x"}}})");
  opts_.keyprovider_config = P("/tmp/kp.json");
  results = Run();
  EXPECT_EQ(Find(results, "keyprovider-config").status, CheckStatus::kFail);
  EXPECT_THAT(Find(results, "keyprovider-config").reason, HasSubstr("ttrpc provider"));
  EXPECT_THAT(Find(results, "keyprovider-config").fix, HasSubstr("grpc"));

  Put("/tmp/kp.json", R"({"key-providers":{"attestation-agent":{"cmd":{"path":"/bin/kp"}}}})");
  results = Run();
  EXPECT_EQ(Find(results, "keyprovider-config").status, CheckStatus::kOk);
  EXPECT_THAT(Find(results, "keyprovider-config").reason, HasSubstr("via cmd"));
}

TEST_F(DoctorTest, CdhNotListening) {
  cdh_.Close();
  const auto results = Run();
  const auto& r = Find(results, "cdh-listening");
  EXPECT_EQ(r.status, CheckStatus::kFail);
  EXPECT_THAT(r.reason, HasSubstr("Connection refused"));
  EXPECT_THAT(r.fix, HasSubstr("systemctl restart confidential-data-hub"));
}

TEST_F(DoctorTest, CdhConfigProblems) {
  Put("/etc/confidential-data-hub.json", "{\"kbc\":{\"name\":\"cc_kbc\"}}");
  auto results = Run();
  EXPECT_EQ(Find(results, "cdh-config").status, CheckStatus::kFail);
  EXPECT_THAT(Find(results, "cdh-config").reason, HasSubstr("cc_kbc without kbc.url"));

  ::unlink(P("/etc/confidential-data-hub.json").c_str());
  results = Run();
  EXPECT_EQ(Find(results, "cdh-config").status, CheckStatus::kFail);
  // Without the CDH config the KBS URL still comes from the AA config.
  EXPECT_EQ(Find(results, "kbs-auth").status, CheckStatus::kOk);
  EXPECT_THAT(Find(results, "kbs-auth").reason, HasSubstr("AA token_configs.kbs.url"));
}

TEST_F(DoctorTest, OfflineFsKbcKeysFile) {
  Put("/etc/confidential-data-hub.json", absl::StrCat(R"({"socket":"127.0.0.1:)", cdh_.port(),
                                                      R"(","kbc":{"name":"offline_fs_kbc"}})"));
  ::unlink(P("/etc/attestation-agent/config.toml").c_str());
  auto results = Run();
  EXPECT_EQ(Find(results, "offline-keys").status, CheckStatus::kFail);
  EXPECT_EQ(Find(results, "kbs-auth").status, CheckStatus::kSkip);
  EXPECT_EQ(Find(results, "cdh-config").status, CheckStatus::kWarn);
  EXPECT_EQ(Find(results, "aa-config").status, CheckStatus::kWarn);

  Put("/etc/aa-offline_fs_kbc-resources.json", R"({"default/image_key/nginx":"AAAA"})", 0644);
  results = Run();
  EXPECT_EQ(Find(results, "offline-keys").status, CheckStatus::kWarn);
  EXPECT_THAT(Find(results, "offline-keys").fix, HasSubstr("chmod 0600"));
  ::chmod(P("/etc/aa-offline_fs_kbc-resources.json").c_str(), 0600);
  results = Run();
  EXPECT_EQ(Find(results, "offline-keys").status, CheckStatus::kOk);
}

TEST_F(DoctorTest, TomlCdhConfigAndMovedResourcesFile) {
  Put("/etc/cdh.toml", absl::StrCat("socket = \"127.0.0.1:", cdh_.port(), "\"\n[kbc]\n",
                                    "name = \"offline_fs_kbc\"\n",
                                    "offline_fs_resources_file = \"/srv/keys.json\"\n"));
  opts_.cdh_config = P("/etc/cdh.toml");
  auto results = Run();
  EXPECT_NE(Find(results, "cdh-config").status, CheckStatus::kFail)
      << Find(results, "cdh-config").reason;
  EXPECT_EQ(Find(results, "offline-keys").status, CheckStatus::kFail);
  EXPECT_THAT(Find(results, "offline-keys").fix, HasSubstr("/srv/keys.json"));

  Put("/srv/keys.json", R"({"default/image_key/nginx":"AAAA"})", 0600);
  results = Run();
  EXPECT_EQ(Find(results, "offline-keys").status, CheckStatus::kOk)
      << Find(results, "offline-keys").reason;
  EXPECT_THAT(Find(results, "offline-keys").reason, HasSubstr("/srv/keys.json"));

  Put("/etc/cdh.toml", "socket = ");
  results = Run();
  EXPECT_EQ(Find(results, "cdh-config").status, CheckStatus::kFail);
  EXPECT_THAT(Find(results, "cdh-config").reason, HasSubstr("(TOML): line 1"));
}

TEST_F(DoctorTest, KbsUnreachable) {
  opts_.kbs_url = absl::StrCat("http://127.0.0.1:", ClosedPort());
  const auto results = Run();
  const auto& r = Find(results, "kbs-auth");
  EXPECT_EQ(r.status, CheckStatus::kFail);
  EXPECT_THAT(r.reason, HasSubstr("KBS unreachable"));
  EXPECT_THAT(r.reason, HasSubstr("--kbs-url"));
}

TEST_F(DoctorTest, KbsRefusesOrIsNotAKbs) {
  FakeKbs refusing(401, R"({"type":"x/AttestationError","detail":"version mismatch"})");
  opts_.kbs_url = refusing.url();
  auto results = Run();
  EXPECT_EQ(Find(results, "kbs-auth").status, CheckStatus::kFail);
  EXPECT_THAT(Find(results, "kbs-auth").reason, HasSubstr("HTTP 401: version mismatch"));

  FakeKbs other(200, "<html></html>");
  opts_.kbs_url = other.url();
  results = Run();
  EXPECT_EQ(Find(results, "kbs-auth").status, CheckStatus::kWarn);
  EXPECT_THAT(Find(results, "kbs-auth").reason, HasSubstr("without a challenge nonce"));
}

TEST_F(DoctorTest, AaSocketMissingOrStale) {
  aa_.reset();
  ::unlink(P(std::string(kAaSocketPath)).c_str());
  auto results = Run();
  EXPECT_EQ(Find(results, "aa-socket").status, CheckStatus::kFail);
  EXPECT_THAT(Find(results, "aa-socket").reason, HasSubstr("No such file"));

  UnixListener stale(P(std::string(kAaSocketPath)));
  stale.CloseKeepFile();
  results = Run();
  EXPECT_EQ(Find(results, "aa-socket").status, CheckStatus::kFail);
  EXPECT_THAT(Find(results, "aa-socket").reason, HasSubstr("Connection refused"));

  // --aa-socket points elsewhere.
  UnixListener other(P("/run/aa2.sock"));
  opts_.aa_socket = P("/run/aa2.sock");
  results = Run();
  EXPECT_EQ(Find(results, "aa-socket").status, CheckStatus::kOk);
}

TEST_F(DoctorTest, ContainerdNotRunning) {
  containerd_.reset();
  ::unlink(P("/run/containerd/containerd.sock").c_str());
  const auto results = Run();
  EXPECT_EQ(Find(results, "containerd-running").status, CheckStatus::kFail);
  EXPECT_THAT(Find(results, "containerd-running").fix, HasSubstr("systemctl start containerd"));
}

TEST_F(DoctorTest, AaConfigKbsMismatch) {
  Put("/etc/attestation-agent/config.toml", "[token_configs.kbs]\nurl = \"http://other:8080\"\n");
  auto results = Run();
  EXPECT_EQ(Find(results, "aa-config").status, CheckStatus::kWarn);
  EXPECT_THAT(Find(results, "aa-config").reason, HasSubstr("differs"));
  Put("/etc/attestation-agent/config.toml", "[token_configs.kbs\n");
  results = Run();
  EXPECT_EQ(Find(results, "aa-config").status, CheckStatus::kFail);
}

TEST_F(DoctorTest, TdxIndicators) {
  opts_.tee = "tdx";
  auto results = Run();
  EXPECT_EQ(Find(results, "tdx-guest").status, CheckStatus::kFail);
  EXPECT_EQ(Find(results, "vtpm-devices").status, CheckStatus::kSkip);

  Put("/proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu vme tdx_guest sse\n");
  results = Run();
  EXPECT_EQ(Find(results, "tdx-guest").status, CheckStatus::kOk);
  EXPECT_THAT(Find(results, "tdx-guest").reason, HasSubstr("cpuinfo flag tdx_guest"));

  Put("/proc/cpuinfo", "flags\t\t: fpu vme sse\n");
  Mkdir("/sys/kernel/config/tsm/report");
  results = Run();
  EXPECT_EQ(Find(results, "tdx-guest").status, CheckStatus::kOk);
  EXPECT_THAT(Find(results, "tdx-guest").reason, HasSubstr("configfs-tsm"));

  opts_.tee = "az-tdx-vtpm";
  RemoveAll(P("/sys")).IgnoreError();
  results = Run();
  EXPECT_EQ(Find(results, "tdx-guest").status, CheckStatus::kWarn);
}

TEST_F(DoctorTest, VtpmAndTssForAzure) {
  opts_.tee = "az-tdx-vtpm";
  auto results = Run();
  EXPECT_EQ(Find(results, "vtpm-devices").status, CheckStatus::kFail);
  EXPECT_THAT(Find(results, "vtpm-devices").reason, HasSubstr("tpmrm0 missing"));
  // The unit written by node configure (tee sample) runs as root: ok for tss.
  EXPECT_EQ(Find(results, "tss-group").status, CheckStatus::kOk);
  EXPECT_THAT(Find(results, "tss-group").reason, HasSubstr("gid 117"));

  Put("/dev/tpmrm0", "");
  results = Run();
  EXPECT_EQ(Find(results, "vtpm-devices").status, CheckStatus::kFail);
  EXPECT_THAT(Find(results, "vtpm-devices").reason, HasSubstr("not a character device"));

  Put("/etc/systemd/system/attestation-agent.service", "[Service]\nUser=aa\n");
  results = Run();
  EXPECT_EQ(Find(results, "tss-group").status, CheckStatus::kFail);
  EXPECT_THAT(Find(results, "tss-group").fix, HasSubstr("SupplementaryGroups=tss"));

  Put("/etc/group", "root:x:0:\n");
  results = Run();
  EXPECT_EQ(Find(results, "tss-group").status, CheckStatus::kFail);
  EXPECT_THAT(Find(results, "tss-group").reason, HasSubstr("no group tss"));
}

TEST_F(DoctorTest, BinariesMissing) {
  ::unlink(P("/usr/local/bin/confidential-data-hub").c_str());
  auto results = Run();
  EXPECT_EQ(Find(results, "binaries").status, CheckStatus::kFail);
  EXPECT_THAT(Find(results, "binaries").reason, HasSubstr("missing: confidential-data-hub"));
  // The upstream name is accepted too.
  Put("/usr/local/bin/grpc-cdh", "#!/bin/sh\n", 0755);
  results = Run();
  EXPECT_EQ(Find(results, "binaries").status, CheckStatus::kOk);
}

TEST_F(DoctorTest, AttestRunsKbsClientOrSkips) {
  opts_.attest = true;
  auto results = Run();
  EXPECT_EQ(Find(results, "attestation").status, CheckStatus::kSkip);
  EXPECT_THAT(Find(results, "attestation").reason, HasSubstr("kbs-client not found"));

  Put("/usr/local/bin/kbs-client",
      "#!/bin/sh\n[ \"$1\" = --url ] && [ \"$3\" = attest ] && echo token && exit 0\nexit 3\n",
      0755);
  results = Run();
  EXPECT_EQ(Find(results, "attestation").status, CheckStatus::kOk)
      << Find(results, "attestation").reason;

  Put("/usr/local/bin/kbs-client", "#!/bin/sh\necho 'Error: policy denied' >&2\nexit 1\n", 0755);
  results = Run();
  EXPECT_EQ(Find(results, "attestation").status, CheckStatus::kFail);
  EXPECT_THAT(Find(results, "attestation").reason, HasSubstr("policy denied"));
}

TEST_F(DoctorTest, OutputFormats) {
  cdh_.Close();
  const auto results = Run();
  std::ostringstream table;
  PrintDoctorTable(results, table);
  EXPECT_THAT(table.str(), HasSubstr("CHECK"));
  EXPECT_THAT(table.str(), HasSubstr("cdh-listening"));
  EXPECT_THAT(table.str(), HasSubstr("fix: systemctl restart confidential-data-hub"));
  EXPECT_THAT(table.str(), HasSubstr("1 fail"));

  std::ostringstream json;
  PrintDoctorJson(results, json);
  auto j = ParseJson(json.str(), "doctor json");
  ASSERT_TRUE(j.ok()) << j.status();
  EXPECT_EQ((*j)["exit_code"], 2);
  bool seen = false;
  for (const auto& c : (*j)["checks"]) {
    if (c["name"] == "cdh-listening") {
      seen = true;
      EXPECT_EQ(c["status"], "fail");
    }
  }
  EXPECT_TRUE(seen);
}

TEST(DoctorExitCodeTest, Severity) {
  EXPECT_EQ(DoctorExitCode({}), 0);
  EXPECT_EQ(DoctorExitCode({{"a", CheckStatus::kOk, "", ""}, {"b", CheckStatus::kSkip, "", ""}}),
            0);
  EXPECT_EQ(DoctorExitCode({{"a", CheckStatus::kWarn, "", ""}, {"b", CheckStatus::kOk, "", ""}}),
            1);
  EXPECT_EQ(DoctorExitCode({{"a", CheckStatus::kWarn, "", ""}, {"b", CheckStatus::kFail, "", ""}}),
            2);
}

}  // namespace
}  // namespace cocoon::cli
