// Collateral sources against a loopback HTTP stub started by the test (no outside network).
#include "attestation/collateral/provider.h"

#include <atomic>
#include <chrono>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "attestation/collateral/http.h"
#include "base/encoding.h"
#include "base/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "test_pki.h"
#include "testing/testdata.h"
#include "vectors.h"

namespace cocoon::attestation::collateral {
namespace {

using ::testing::HasSubstr;
namespace t = ::cocoon::attestation::testing;

std::string UrlEncode(absl::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppend(&out, "%", absl::AsciiStrToUpper(HexEncode(std::string(1, c))));
    }
  }
  return out;
}

class StubPcs {
 public:
  explicit StubPcs(const dcap::Collateral& c) : c_(c) {
    server_.Get(
        "/tdx/certification/v4/tcb", [this](const httplib::Request& req, httplib::Response& res) {
          ++tcb_requests;
          last_query = req.params.count("fmspc") ? req.get_param_value("fmspc") : "";
          last_update = req.params.count("update") ? req.get_param_value("update") : "";
          last_clientid = req.params.count("clientid") ? req.get_param_value("clientid") : "";
          if (absl::AsciiStrToLower(last_query) != HexEncode(known_fmspc)) {
            res.status = 404;
            return;
          }
          res.set_header("TCB-Info-Issuer-Chain", UrlEncode(c_.tcb_info_issuer_chain));
          res.set_content(absl::StrCat(R"({"tcbInfo":)", c_.tcb_info_body, R"(,"signature":")",
                                       HexEncode(c_.tcb_info_signature), "\"}"),
                          "application/json");
        });
    server_.Get("/tdx/certification/v4/qe/identity", [this](const httplib::Request&,
                                                            httplib::Response& res) {
      res.set_header("SGX-Enclave-Identity-Issuer-Chain", UrlEncode(c_.qe_identity_issuer_chain));
      res.set_content(absl::StrCat(R"({"enclaveIdentity":)", c_.qe_identity_body,
                                   R"(,"signature":")", HexEncode(c_.qe_identity_signature), "\"}"),
                      "application/json");
    });
    server_.Get("/sgx/certification/v4/pckcrl",
                [this](const httplib::Request& req, httplib::Response& res) {
                  last_ca = req.get_param_value("ca");
                  res.set_header("SGX-PCK-CRL-Issuer-Chain", UrlEncode(c_.pck_crl_issuer_chain));
                  res.set_content(c_.pck_crl, "application/pkix-crl");
                });
    server_.Get("/sgx/certification/v4/rootcacrl",
                [this](const httplib::Request&, httplib::Response& res) {
                  res.set_content(HexEncode(c_.root_ca_crl), "text/plain");  // PCCS: hex
                });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~StubPcs() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return absl::StrCat("http://127.0.0.1:", port_); }

  std::string known_fmspc = std::string(t::kTestFmspc);
  std::atomic<int> tcb_requests{0};
  std::string last_query, last_update, last_clientid, last_ca;

 private:
  dcap::Collateral c_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

class CollateralTest : public ::testing::Test {
 protected:
  static const t::TestPki& Pki() {
    static const t::TestPki* pki = new t::TestPki();
    return *pki;
  }
  void SetUp() override {
    auto roots = dcap::TrustedRoots::WithExtra({Pki().root_pem()});
    ASSERT_TRUE(roots.ok());
    roots_ = std::make_unique<dcap::TrustedRoots>(*roots);
    auto dir = MakeTempDir("/tmp/cocoon-collateral-test-");
    ASSERT_TRUE(dir.ok());
    dir_ = *dir;
  }
  void TearDown() override { (void)RemoveAll(dir_); }

  std::unique_ptr<dcap::TrustedRoots> roots_;
  std::string dir_;
};

TEST_F(CollateralTest, PccsSourceFetchesChecksAndCachesOnDiskAndInMemory) {
  StubPcs stub(t::BuildCollateral(Pki(), {}));
  CollateralConfig cfg;
  cfg.source = Source::kPccs;
  cfg.base_url = stub.url() + "/sgx/certification/v4/";
  cfg.cache_dir = dir_;
  cfg.update_type = "early";
  CachingCollateralProvider provider(cfg, roots_.get());
  provider.set_clock([] { return absl::FromUnixSeconds(1751328000); });
  auto c = provider.Get(t::kTestFmspc, dcap::PckCaKind::kPlatform);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(stub.last_query, "00906ED50000");
  EXPECT_EQ(stub.last_update, "early");
  EXPECT_EQ(stub.last_ca, "platform");
  EXPECT_EQ((*c)->tcb_info.fmspc, t::kTestFmspc);
  // Memory cache: no second request.
  ASSERT_TRUE(provider.Get(t::kTestFmspc, dcap::PckCaKind::kPlatform).ok());
  EXPECT_EQ(stub.tcb_requests.load(), 1);
  // Disk cache: a fresh provider reads the bundle file, no request.
  CachingCollateralProvider second(cfg, roots_.get());
  second.set_clock([] { return absl::FromUnixSeconds(1751328000); });
  ASSERT_TRUE(second.Get(t::kTestFmspc, dcap::PckCaKind::kPlatform).ok());
  EXPECT_EQ(stub.tcb_requests.load(), 1);
  // The cache directory is an offline bundle.
  CollateralConfig offline;
  offline.source = Source::kOffline;
  offline.bundle_dir = dir_;
  CachingCollateralProvider bundle(offline, roots_.get());
  EXPECT_TRUE(bundle.Get(t::kTestFmspc, dcap::PckCaKind::kPlatform).ok());
}

TEST_F(CollateralTest, ExpiredCacheEntryIsRefetched) {
  StubPcs stub(t::BuildCollateral(Pki(), {}));
  CollateralConfig cfg;
  cfg.source = Source::kPccs;
  cfg.base_url = stub.url();
  CachingCollateralProvider provider(cfg, roots_.get());
  provider.set_clock([] { return absl::FromUnixSeconds(1751328000); });
  ASSERT_TRUE(provider.Get(t::kTestFmspc, dcap::PckCaKind::kPlatform).ok());
  provider.set_clock([] { return absl::FromUnixSeconds(1760000000); });  // past nextUpdate
  auto c = provider.Get(t::kTestFmspc, dcap::PckCaKind::kPlatform);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(stub.tcb_requests.load(), 2);
}

TEST_F(CollateralTest, UnknownFmspcIsAClearNotFound) {
  StubPcs stub(t::BuildCollateral(Pki(), {}));
  CollateralConfig cfg;
  cfg.source = Source::kPccs;
  cfg.base_url = stub.url();
  CachingCollateralProvider provider(cfg, roots_.get());
  auto c = provider.Get(std::string("\x90\xc0\x6f\x00\x00\x00", 6), dcap::PckCaKind::kPlatform);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(c.status().message(), HasSubstr("TDX TCB info for FMSPC 90C06F000000 not available"));
}

TEST_F(CollateralTest, ThimSourceUsesClientIdAndRegionalHost) {
  StubPcs stub(t::BuildCollateral(Pki(), {}));
  CollateralConfig cfg;
  cfg.source = Source::kAzureThim;
  cfg.base_url = stub.url();  // stands in for https://<region>.thim.azure.net
  cfg.root_ca_crl_url = stub.url() + "/sgx/certification/v4/rootcacrl";
  auto c = FetchCollateral(cfg, t::kTestFmspc, dcap::PckCaKind::kPlatform);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(stub.last_clientid, "production_client");
  EXPECT_TRUE(dcap::CheckCollateral(*c, *roots_).ok());
}

TEST_F(CollateralTest, UnreachableServiceIsUnavailable) {
  CollateralConfig cfg;
  cfg.source = Source::kPccs;
  cfg.base_url = "http://127.0.0.1:1";
  cfg.http.timeout_seconds = 2;
  auto c = FetchCollateral(cfg, t::kTestFmspc, dcap::PckCaKind::kPlatform);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(CollateralTest, ConfigParsesSourcesAndRejectsIncompleteOnes) {
  auto pcs = ParseCollateralConfig(R"({"source":"pcs","update_type":"early"})");
  ASSERT_TRUE(pcs.ok());
  EXPECT_EQ(pcs->source, Source::kIntelPcs);
  auto thim = ParseCollateralConfig(R"({"source":"thim","azure_region":"eastus2"})");
  ASSERT_TRUE(thim.ok());
  EXPECT_EQ(thim->azure_region, "eastus2");
  EXPECT_THAT(ParseCollateralConfig(R"({"source":"thim"})").status().message(),
              HasSubstr("azure_region"));
  EXPECT_THAT(ParseCollateralConfig(R"({"source":"pccs"})").status().message(), HasSubstr("url"));
  EXPECT_THAT(ParseCollateralConfig(R"({"source":"ftp"})").status().message(), HasSubstr("source"));
}

TEST_F(CollateralTest, CollateralJsonRoundTripsAndPhalaShapeLoads) {
  dcap::Collateral c = t::BuildCollateral(Pki(), {});
  auto back = dcap::ParseCollateralJson(dcap::SerializeCollateralJson(c));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->tcb_info_body, c.tcb_info_body);
  EXPECT_EQ(back->qe_identity_signature, c.qe_identity_signature);
  EXPECT_TRUE(dcap::CheckCollateral(*back, *roots_).ok());
}

TEST(UrlDecodeTest, DecodesIssuerChainHeaders) {
  EXPECT_EQ(UrlDecode("-----BEGIN%20CERTIFICATE-----%0AMII%2B%2F%3D"),
            "-----BEGIN CERTIFICATE-----\nMII+/=");
}

}  // namespace
}  // namespace cocoon::attestation::collateral
