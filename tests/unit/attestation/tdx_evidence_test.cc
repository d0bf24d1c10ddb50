#include "attestation/tdx/tdx_verifier.h"

#include "absl/strings/str_cat.h"
#include "attestation/collateral/provider.h"
#include "attestation/eventlog/ccel.h"
#include "base/encoding.h"
#include "base/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_pki.h"
#include "testing/testdata.h"
#include "vectors.h"

namespace cocoon::attestation::tdx {
namespace {

using ::cocoon::testing::ReadTestdata;
using ::testing::HasSubstr;
namespace t = ::cocoon::attestation::testing;

std::string Evidence(absl::string_view quote, std::optional<absl::string_view> ccel) {
  Json j;
  j["quote"] = Base64Encode(quote);
  j["cc_eventlog"] = ccel ? Json(Base64Encode(*ccel)) : Json(nullptr);
  return j.dump();
}

TEST(TdxClaimsTest, ParsedClaimsEqualTrusteeGoldenJson) {
  COCOON_TESTDATA_OR_SKIP(path, "trustee/deps/verifier/test_data/parse_tdx_claims_expected.json");
  auto claims = ParseTdxClaims(ReadTestdata(t::kE3Quote),
                               ReadTestdata("trustee/deps/verifier/test_data/CCEL_data"));
  ASSERT_TRUE(claims.ok()) << claims.status();
  auto got = ParseJson(*claims, "got");
  auto want = ParseJson(
      ReadTestdata("trustee/deps/verifier/test_data/parse_tdx_claims_expected.json"), "want");
  ASSERT_TRUE(got.ok() && want.ok());
  for (auto it = want->begin(); it != want->end(); ++it) {
    EXPECT_EQ((*got)[it.key()], it.value()) << it.key();
  }
  EXPECT_EQ(got->size(), want->size());
}

TEST(TdxClaimsTest, V5ClaimsCarryTd15FieldsAndDescriptor) {
  COCOON_TESTDATA_OR_SKIP(path, t::kTrQuote5);
  auto claims = ParseTdxClaims(ReadTestdata(t::kTrQuote5), std::nullopt);
  ASSERT_TRUE(claims.ok()) << claims.status();
  auto j = ParseJson(*claims, "claims");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ((*j)["quote"]["header"]["version"], "0500");
  EXPECT_EQ((*j)["quote"]["type"], "0300");
  EXPECT_TRUE((*j)["quote"]["body"].contains("tee_tcb_svn2"));
  EXPECT_TRUE((*j)["quote"]["body"].contains("mr_servicetd"));
}

class TdxEvidenceTest : public ::testing::Test {
 protected:
  void UseCollateral(const dcap::Collateral& c, std::vector<std::string> extra_roots = {}) {
    auto roots = dcap::TrustedRoots::WithExtra(extra_roots);
    ASSERT_TRUE(roots.ok());
    roots_ = std::make_unique<dcap::TrustedRoots>(*roots);
    auto p = collateral::StaticCollateralProvider::Create(c, *roots_);
    ASSERT_TRUE(p.ok()) << p.status();
    provider_ = std::move(*p);
  }
  VerifierContext Ctx(absl::Time at) { return VerifierContext{roots_.get(), provider_.get(), at}; }

  std::unique_ptr<dcap::TrustedRoots> roots_;
  std::unique_ptr<collateral::StaticCollateralProvider> provider_;
};

TEST_F(TdxEvidenceTest, TrusteeQuoteVerifiesUpToDateWithDebugTdClaim) {
  COCOON_TESTDATA_OR_SKIP(path, t::kE3Quote);
  UseCollateral(t::Gtg2023Collateral());
  const std::string quote = ReadTestdata(t::kE3Quote);
  auto q = dcap::ParseQuote(quote);
  ASSERT_TRUE(q.ok());
  auto r = VerifyTdxEvidence(Evidence(quote, std::nullopt), q->body.report_data, std::nullopt,
                             Ctx(t::E3Time()));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->tcb_status, dcap::TcbStatus::kUpToDate);
  auto j = ParseJson(r->claims_json, "claims");
  ASSERT_TRUE(j.ok());
  // Crypto OK, policy must reject: the DEBUG attribute is visible.
  EXPECT_EQ((*j)["td_attributes"]["debug"], true);
  EXPECT_EQ((*j)["tcb_status"], "UpToDate");
  EXPECT_EQ((*j)["collateral_expiration_status"], "0");
  EXPECT_EQ((*j)["tcb_eval_num"], 15);
  EXPECT_EQ((*j)["fmspc"], "50806f000000");
  EXPECT_EQ((*j)["sgx_type"], "Scalable");
}

TEST_F(TdxEvidenceTest, ReportDataIsComparedPaddedToSixtyFourBytes) {
  COCOON_TESTDATA_OR_SKIP(path, t::kE3Quote);
  UseCollateral(t::Gtg2023Collateral());
  const std::string quote = ReadTestdata(t::kE3Quote);
  auto r = VerifyTdxEvidence(Evidence(quote, std::nullopt), std::string(48, '\x01'), std::nullopt,
                             Ctx(t::E3Time()));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("TDX quote report data mismatch"));
}

TEST_F(TdxEvidenceTest, InitDataIsComparedWithMrConfigId) {
  COCOON_TESTDATA_OR_SKIP(path, t::kE3Quote);
  UseCollateral(t::Gtg2023Collateral());
  const std::string quote = ReadTestdata(t::kE3Quote);
  EXPECT_TRUE(VerifyTdxEvidence(Evidence(quote, std::nullopt), std::nullopt, std::string(32, '\0'),
                                Ctx(t::E3Time()))
                  .ok());
  auto r = VerifyTdxEvidence(Evidence(quote, std::nullopt), std::nullopt, std::string(32, '\x07'),
                             Ctx(t::E3Time()));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("TDX init data mismatch"));
}

TEST_F(TdxEvidenceTest, PhalaQuotesReportTheirTcbStatus) {
  COCOON_TESTDATA_OR_SKIP(path, t::kE2Quote);
  UseCollateral(t::PhalaCollateral(t::kE2Collateral));
  auto r = VerifyTdxEvidence(Evidence(ReadTestdata(t::kE2Quote), std::nullopt), std::nullopt,
                             std::nullopt, Ctx(t::E2Time()));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->tcb_status, dcap::TcbStatus::kNotSupported);
  auto j = ParseJson(r->claims_json, "claims");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ((*j)["tcb_status"], "NotSupported");
  EXPECT_EQ((*j)["quote"]["header"]["version"], "0500");
}

TEST_F(TdxEvidenceTest, EventLogIsReplayedAgainstTheQuoteRtmrs) {
  COCOON_TESTDATA_OR_SKIP(path, "trustee/deps/eventlog/test_data/CCEL_data_ovmf");
  const std::string ccel = ReadTestdata("trustee/deps/eventlog/test_data/CCEL_data_ovmf");
  auto log = eventlog::ParseCcel(ccel);
  ASSERT_TRUE(log.ok());
  auto rtmrs = eventlog::ReplayRtmrs(*log);
  ASSERT_TRUE(rtmrs.ok());
  t::TestPki pki;
  UseCollateral(t::BuildCollateral(pki, {}), {pki.root_pem()});
  t::QuoteSpec spec;
  spec.rtmr = *rtmrs;
  spec.report_data = std::string(48, '\x5a') + std::string(16, '\0');
  const std::string quote = t::BuildQuote(pki, spec);
  auto r = VerifyTdxEvidence(Evidence(quote, ccel), spec.report_data.substr(0, 48), std::nullopt,
                             Ctx(absl::FromUnixSeconds(1751328000)));
  ASSERT_TRUE(r.ok()) << r.status();
  auto j = ParseJson(r->claims_json, "claims");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ((*j)["uefi_event_logs"].size(), log->events.size());
  // A log that does not match the RTMRs fails.
  spec.rtmr[1][0] ^= 1;
  auto bad = VerifyTdxEvidence(Evidence(t::BuildQuote(pki, spec), ccel), std::nullopt, std::nullopt,
                               Ctx(absl::FromUnixSeconds(1751328000)));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("Eventlog does not pass measurement replay"));
}

TEST_F(TdxEvidenceTest, MalformedEvidenceIsRejected) {
  t::TestPki pki;
  UseCollateral(t::BuildCollateral(pki, {}), {pki.root_pem()});
  EXPECT_THAT(
      VerifyTdxEvidence("{}", std::nullopt, std::nullopt, Ctx(absl::Now())).status().message(),
      HasSubstr("quote"));
  EXPECT_THAT(VerifyTdxEvidence(R"({"quote":"!!"})", std::nullopt, std::nullopt, Ctx(absl::Now()))
                  .status()
                  .message(),
              HasSubstr("not standard base64"));
}

TEST(RegularizeDataTest, PadsAndTruncates) {
  EXPECT_EQ(RegularizeData("ab", 4), std::string("ab\0\0", 4));
  EXPECT_EQ(RegularizeData("abcdef", 4), "abcd");
}

}  // namespace
}  // namespace cocoon::attestation::tdx
