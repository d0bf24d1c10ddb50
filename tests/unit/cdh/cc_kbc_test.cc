// cc_kbc against an in-process KBS (sample verifier) and an in-process attestation agent (sample
// attester) on a unix socket: the resource flow, token reuse, re-attestation when the KBS stops
// accepting the token, policy denial, and unreachable agent or KBS.
#include "cdh/cc_kbc.h"

#include <thread>

#include "aa/agent.h"
#include "aa/attester/sample_attester.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/file_util.h"
#include "cdh/resource_uri.h"
#include "crypto/keys.h"
#include "gtest/gtest.h"
#include "kbs/client.h"
#include "kbs/http_server.h"
#include "kbs/kbs_service.h"
#include "kbs/policy_engine.h"
#include "rpc/ttrpc_server.h"

namespace cocoon::cdh {
namespace {

class Kbs {
 public:
  explicit Kbs(const std::string& socket = "127.0.0.1:0") {
    config_.http_server.insecure_http = true;
    config_.http_server.sockets = {socket};
    config_.resource_plugin.enabled = true;
    config_.admin.mode = kbs::AdminConfig::Mode::kInsecureAllowAll;
    auto service = kbs::KbsService::Create(config_);
    EXPECT_TRUE(service.ok());
    service_ = *std::move(service);
    auto http = kbs::KbsHttpServer::Create(service_.get(), config_.http_server);
    EXPECT_TRUE(http.ok());
    http_ = *std::move(http);
    auto bound = http_->Bind();
    EXPECT_TRUE(bound.ok()) << bound.status();
    address_ = (*bound)[0];
    thread_ = std::thread([this] { (void)http_->Run(); });
  }
  ~Kbs() {
    http_->Stop();
    thread_.join();
  }
  std::string url() const { return absl::StrCat("http://", address_); }
  const std::string& address() const { return address_; }
  std::unique_ptr<kbs::KbsClient> Admin() {
    kbs::KbsClientOptions o;
    o.url = url();
    auto c = kbs::KbsClient::Create(o);
    EXPECT_TRUE(c.ok());
    return *std::move(c);
  }
  kbs::KbsService& service() { return *service_; }

 private:
  kbs::KbsConfig config_;
  std::unique_ptr<kbs::KbsService> service_;
  std::unique_ptr<kbs::KbsHttpServer> http_;
  std::string address_;
  std::thread thread_;
};

class CcKbcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = MakeTempDir("/tmp/cc_kbc_test_");
    ASSERT_TRUE(dir.ok());
    dir_ = *dir;
    auto agent =
        aa::AttestationAgent::Create(aa::AaConfig(), std::make_unique<aa::SampleAttester>());
    ASSERT_TRUE(agent.ok());
    agent_ = *std::move(agent);
    aa::RegisterAttestationAgentService(agent_.get(), &aa_server_);
    aa_socket_ = absl::StrCat("unix://", dir_, "/aa.sock");
    ASSERT_TRUE(aa_server_.Start(aa_socket_).ok());
  }
  void TearDown() override {
    aa_server_.Stop();
    (void)RemoveAll(dir_);
  }
  std::unique_ptr<Kbc> NewCc(const std::string& url) {
    RegisterCcKbc();
    KbcConfig cfg;
    cfg.name = "cc_kbc";
    cfg.url = url;
    cfg.aa_socket = aa_socket_;
    std::vector<std::string> w;
    auto kbc = NewKbc(cfg, &w);
    EXPECT_TRUE(kbc.ok()) << kbc.status();
    return *std::move(kbc);
  }
  static ResourceUri Uri(absl::string_view s) {
    auto u = ParseResourceUri(s);
    EXPECT_TRUE(u.ok());
    return *u;
  }

  std::string dir_;
  std::string aa_socket_;
  std::unique_ptr<aa::AttestationAgent> agent_;
  rpc::TtrpcServer aa_server_;
};

TEST_F(CcKbcTest, FetchesResourceAndReusesToken) {
  Kbs kbs;
  auto admin = kbs.Admin();
  ASSERT_TRUE(
      admin->SetResource("default/image_key/app", "0123456789abcdef0123456789abcdef", "").ok());
  ASSERT_TRUE(admin->SetResourcePolicy(kbs::AllowAllResourcePolicy(), "").ok());
  auto kbc = NewCc(kbs.url());
  ASSERT_EQ(kbc->name(), "cc_kbc");
  auto* cc = static_cast<CcKbc*>(kbc.get());
  auto v = kbc->GetResource(Uri("kbs:///default/image_key/app"));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->view(), "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(cc->last_timings().attestations, 1);
  v = kbc->GetResource(Uri("kbs:///default/image_key/app"));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(cc->last_timings().attestations, 0);  // cached token
  auto missing = kbc->GetResource(Uri("kbs:///default/image_key/none"));
  EXPECT_FALSE(missing.ok());
  EXPECT_TRUE(absl::StrContains(missing.status().message(), "default/image_key/none"));
}

TEST_F(CcKbcTest, PolicyDenialIsPermissionDeniedAndRecovers) {
  Kbs kbs;
  auto admin = kbs.Admin();
  ASSERT_TRUE(admin->SetResource("default/image_key/app", "k", "").ok());
  ASSERT_TRUE(admin->SetResourcePolicy(kbs::DenyAllResourcePolicy(), "").ok());
  auto kbc = NewCc(kbs.url());
  auto v = kbc->GetResource(Uri("kbs:///default/image_key/app"));
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(absl::StrContains(v.status().message(), "resource policy denied")) << v.status();
  ASSERT_TRUE(admin->SetResourcePolicy(kbs::AllowAllResourcePolicy(), "").ok());
  v = kbc->GetResource(Uri("kbs:///default/image_key/app"));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->view(), "k");
}

TEST_F(CcKbcTest, ReattestsWhenTheKbsRejectsTheCachedToken) {
  std::string address;
  std::unique_ptr<Kbc> kbc;
  {
    Kbs kbs;
    address = kbs.address();
    auto admin = kbs.Admin();
    ASSERT_TRUE(admin->SetResource("default/k/1", "first", "").ok());
    ASSERT_TRUE(admin->SetResourcePolicy(kbs::AllowAllResourcePolicy(), "").ok());
    kbc = NewCc(kbs.url());
    ASSERT_TRUE(kbc->GetResource(Uri("kbs:///default/k/1")).ok());
  }
  // A new KBS on the same address with a new (ephemeral) token signing key.
  Kbs kbs2(address);
  auto admin = kbs2.Admin();
  ASSERT_TRUE(admin->SetResource("default/k/1", "second", "").ok());
  ASSERT_TRUE(admin->SetResourcePolicy(kbs::AllowAllResourcePolicy(), "").ok());
  auto v = kbc->GetResource(Uri("kbs:///default/k/1"));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->view(), "second");
  EXPECT_EQ(static_cast<CcKbc*>(kbc.get())->last_timings().attestations, 1);
}

TEST_F(CcKbcTest, UnreachableAgentAndKbs) {
  Kbs kbs;
  KbcConfig cfg;
  cfg.name = "cc_kbc";
  cfg.url = kbs.url();
  cfg.aa_socket = absl::StrCat("unix://", dir_, "/nothing.sock");
  RegisterCcKbc();
  std::vector<std::string> w;
  auto kbc = NewKbc(cfg, &w);
  ASSERT_TRUE(kbc.ok());
  auto v = (*kbc)->GetResource(Uri("kbs:///default/k/1"));
  EXPECT_EQ(v.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(v.status().message(), "nothing.sock")) << v.status();

  auto down = NewCc("http://127.0.0.1:1");
  v = down->GetResource(Uri("kbs:///default/k/1"));
  EXPECT_EQ(v.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(v.status().message(), "attempts")) << v.status();
}

TEST_F(CcKbcTest, ConfigErrors) {
  RegisterCcKbc();
  KbcConfig cfg;
  cfg.name = "cc_kbc";
  std::vector<std::string> w;
  EXPECT_TRUE(absl::StrContains(NewKbc(cfg, &w).status().message(), "kbc.url"));
  auto kbc = NewCc("http://127.0.0.1:1");
  auto v = kbc->GetResource(Uri("kbs:///default/too/many/parts"));
  EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cocoon::cdh
