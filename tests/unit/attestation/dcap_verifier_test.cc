#include "attestation/dcap/verifier.h"

#include "absl/strings/str_cat.h"
#include "base/encoding.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/testdata.h"
#include "vectors.h"

namespace cocoon::attestation::dcap {
namespace {

using ::cocoon::testing::ReadTestdata;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
namespace t = ::cocoon::attestation::testing;

absl::StatusOr<QuoteVerification> Verify(const std::string& quote, const Collateral& collateral,
                                         absl::Time at) {
  auto roots = TrustedRoots::IntelOnly();
  if (!roots.ok()) return roots.status();
  auto prepared = PrepareQuote(quote);
  if (!prepared.ok()) return prepared.status();
  auto checked = CheckCollateral(collateral, *roots);
  if (!checked.ok()) return checked.status();
  return VerifyPreparedQuote(*prepared, **checked, *roots, at);
}

TEST(DcapVerifyTest, PhalaV4QuoteIsUpToDateInItsWindow) {
  COCOON_TESTDATA_OR_SKIP(path, t::kE1Quote);
  auto v = Verify(ReadTestdata(t::kE1Quote), t::PhalaCollateral(t::kE1Collateral), t::E1Time());
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->tcb.status, TcbStatus::kUpToDate);
  EXPECT_TRUE(v->tcb.advisory_ids.empty());
  EXPECT_FALSE(v->collateral_expired);
  EXPECT_EQ(v->tcb.module_status, "UpToDate");
  EXPECT_EQ(v->tcb.qe_status, "UpToDate");
  EXPECT_EQ(v->tcb_evaluation_data_number, 17);
  EXPECT_EQ(v->root_key_id.size(), 48u);
}

TEST(DcapVerifyTest, PhalaV4QuoteIsUpToDateOneSecondBeforeWindowEnd) {
  COCOON_TESTDATA_OR_SKIP(path, t::kE1Quote);
  auto end = ParseRfc3339("2025-07-19T10:00:34Z", "t");
  ASSERT_TRUE(end.ok());
  auto v = Verify(ReadTestdata(t::kE1Quote), t::PhalaCollateral(t::kE1Collateral), *end);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_FALSE(v->collateral_expired);
  EXPECT_EQ(v->tcb.status, TcbStatus::kUpToDate);
}

TEST(DcapVerifyTest, ExpiredCollateralIsAFlagNotAFailure) {
  COCOON_TESTDATA_OR_SKIP(path, t::kE1Quote);
  auto v = Verify(ReadTestdata(t::kE1Quote), t::PhalaCollateral(t::kE1Collateral),
                  absl::FromUnixSeconds(1790000000));  // 2026-09
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(v->collateral_expired);
  EXPECT_EQ(v->tcb.status, TcbStatus::kUpToDate);
  EXPECT_EQ(FormatRfc3339(v->earliest_expiration), "2025-07-19T10:00:35Z");
}

TEST(DcapVerifyTest, PhalaV5OutdatedQuoteIsTcbNotSupported) {
  COCOON_TESTDATA_OR_SKIP(path, t::kE2Quote);
  auto v = Verify(ReadTestdata(t::kE2Quote), t::PhalaCollateral(t::kE2Collateral), t::E2Time());
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->tcb.status, TcbStatus::kNotSupported);
  EXPECT_FALSE(v->collateral_expired);
}

TEST(DcapVerifyTest, TrusteeV4QuoteWithGtgCollateralIsUpToDateOnModuleVersionZeroPath) {
  COCOON_TESTDATA_OR_SKIP(path, t::kE3Quote);
  auto v = Verify(ReadTestdata(t::kE3Quote), t::Gtg2023Collateral(), t::E3Time());
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->tcb.status, TcbStatus::kUpToDate);
  EXPECT_FALSE(v->tcb.module_status.has_value());
  EXPECT_EQ(v->tcb.qe_status, "UpToDate");
  EXPECT_FALSE(v->collateral_expired);
}

TEST(DcapVerifyTest, PhalaHexQuotesAreTcbNotSupported) {
  COCOON_TESTDATA_OR_SKIP(path, "dcap-qvl-phala/sample/tdx-quote.hex");
  for (const char* f :
       {"dcap-qvl-phala/sample/tdx-quote.hex", "dcap-qvl-phala/sample/quote-from-tappd.hex"}) {
    auto v = Verify(t::ReadHexQuote(f), t::PhalaCollateral(t::kE1Collateral), t::E1Time());
    ASSERT_TRUE(v.ok()) << f << ": " << v.status();
    EXPECT_EQ(v->tcb.status, TcbStatus::kNotSupported) << f;
  }
}

TEST(DcapVerifyTest, TrusteeV5QuoteIsTcbNotSupported) {
  COCOON_TESTDATA_OR_SKIP(path, t::kTrQuote5);
  auto v = Verify(ReadTestdata(t::kTrQuote5), t::PhalaCollateral(t::kE2Collateral), t::E2Time());
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->tcb.status, TcbStatus::kNotSupported);
}

TEST(DcapVerifyTest, GtgSprQuoteIsTcbNotSupported) {
  COCOON_TESTDATA_OR_SKIP(path, t::kSprQuote);
  auto v = Verify(ReadTestdata(t::kSprQuote), t::Gtg2023Collateral(), t::E3Time());
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->tcb.status, TcbStatus::kNotSupported);
}

TEST(DcapVerifyTest, QuoteWithOtherFmspcCollateralIsTcbInfoMismatch) {
  COCOON_TESTDATA_OR_SKIP(path, t::kE1Quote);
  auto v = Verify(ReadTestdata(t::kE1Quote), t::PhalaCollateral(t::kE2Collateral), t::E2Time());
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(v.status().message(), HasSubstr("TCB info mismatch: FMSPC 90c06f000000"));
}

TEST(DcapVerifyTest, CollateralPastCrlWindowWithoutPinnedTimeIsFlaggedExpired) {
  COCOON_TESTDATA_OR_SKIP(path, t::kE3Quote);
  auto v = Verify(ReadTestdata(t::kE3Quote), t::Gtg2023Collateral(), absl::Now());
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(v->collateral_expired);
}

TEST(DcapVerifyTest, ModifiedTcbInfoBodyFailsItsSignature) {
  COCOON_TESTDATA_OR_SKIP(path, t::kE1Collateral);
  Collateral c = t::PhalaCollateral(t::kE1Collateral);
  c.tcb_info_body[c.tcb_info_body.find("UpToDate")] = 'u';
  auto roots = TrustedRoots::IntelOnly();
  ASSERT_TRUE(roots.ok());
  auto checked = CheckCollateral(c, *roots);
  ASSERT_FALSE(checked.ok());
  EXPECT_THAT(checked.status().message(),
              HasSubstr("TCB info signature: signature does not verify"));
}

TEST(DcapVerifyTest, ModifiedQeIdentityBodyFailsItsSignature) {
  COCOON_TESTDATA_OR_SKIP(path, t::kE1Collateral);
  Collateral c = t::PhalaCollateral(t::kE1Collateral);
  c.qe_identity_body[c.qe_identity_body.find("TD_QE") + 1] = 'E';
  auto roots = TrustedRoots::IntelOnly();
  ASSERT_TRUE(roots.ok());
  auto checked = CheckCollateral(c, *roots);
  ASSERT_FALSE(checked.ok());
  EXPECT_THAT(checked.status().message(),
              HasSubstr("QE identity signature: signature does not verify"));
}

TEST(DcapVerifyTest, TrusteeCollateralFilesVerifyWith2025SigningChain) {
  COCOON_TESTDATA_OR_SKIP(path, "trustee/deps/verifier/test_data/tcbInfo.json");
  auto tcb =
      SplitSignedJson(ReadTestdata("trustee/deps/verifier/test_data/tcbInfo.json"), "tcbInfo");
  ASSERT_TRUE(tcb.ok()) << tcb.status();
  auto qe = SplitSignedJson(ReadTestdata("trustee/deps/verifier/test_data/enclaveIdentity.json"),
                            "enclaveIdentity");
  ASSERT_TRUE(qe.ok()) << qe.status();
  Collateral c = t::PhalaCollateral(t::kE1Collateral);
  c.tcb_info_body = tcb->body;
  c.tcb_info_signature = tcb->signature;
  c.qe_identity_body = qe->body;
  c.qe_identity_signature = qe->signature;
  c.tcb_info_issuer_chain = ReadTestdata("generated/tdx/intel_tcb_signing_chain_2025-2032.pem");
  auto roots = TrustedRoots::IntelOnly();
  ASSERT_TRUE(roots.ok());
  auto checked = CheckCollateral(c, *roots);
  ASSERT_TRUE(checked.ok()) << checked.status();
  EXPECT_EQ(HexEncode((*checked)->tcb_info.fmspc), "00a06d080000");
  ASSERT_EQ((*checked)->tcb_info.tdx_module_identities.size(), 2u);
  EXPECT_EQ((*checked)->tcb_info.tcb_evaluation_data_number, 17);
  EXPECT_EQ((*checked)->qe_identity.id, "TD_QE");
}

TEST(DcapVerifyTest, GtgV5TcbInfoHasModuleIdentitiesAndVerifies) {
  COCOON_TESTDATA_OR_SKIP(path, "go-tdx-guest/testing/testdata/sample_tcbinfo_response_v5");
  auto tcb = SplitSignedJson(
      ReadTestdata("go-tdx-guest/testing/testdata/sample_tcbinfo_response_v5"), "tcbInfo");
  ASSERT_TRUE(tcb.ok()) << tcb.status();
  Collateral c = t::PhalaCollateral(t::kE2Collateral);
  c.tcb_info_body = tcb->body;
  c.tcb_info_signature = tcb->signature;
  auto roots = TrustedRoots::IntelOnly();
  ASSERT_TRUE(roots.ok());
  auto checked = CheckCollateral(c, *roots);
  ASSERT_TRUE(checked.ok()) << checked.status();
  std::vector<std::string> ids;
  for (const auto& m : (*checked)->tcb_info.tdx_module_identities) ids.push_back(m.id);
  EXPECT_THAT(ids, ElementsAre("TDX_03", "TDX_01"));
}

TEST(DcapVerifyTest, QvlTestRootCollateralIsNotTrustedByDefault) {
  COCOON_TESTDATA_OR_SKIP(path, "intel-qvl/Src/AttestationApp/sampleData/tdx/tcbInfo.json");
  const std::string dir = "intel-qvl/Src/AttestationApp/sampleData/tdx/";
  auto tcb = SplitSignedJson(ReadTestdata(dir + "tcbInfo.json"), "tcbInfo");
  auto qe = SplitSignedJson(ReadTestdata(dir + "qeIdentity.json"), "enclaveIdentity");
  ASSERT_TRUE(tcb.ok() && qe.ok());
  Collateral c;
  c.tcb_info_body = tcb->body;
  c.tcb_info_signature = tcb->signature;
  c.qe_identity_body = qe->body;
  c.qe_identity_signature = qe->signature;
  c.tcb_info_issuer_chain = ReadTestdata(dir + "tcbSignChain.pem");
  c.qe_identity_issuer_chain = c.tcb_info_issuer_chain;
  c.pck_crl = ReadTestdata(dir + "intermediateCaCrl.der");
  c.root_ca_crl = ReadTestdata(dir + "rootCaCrl.der");
  auto intel = TrustedRoots::IntelOnly();
  ASSERT_TRUE(intel.ok());
  auto checked = CheckCollateral(c, *intel);
  ASSERT_FALSE(checked.ok());
  EXPECT_THAT(checked.status().message(), HasSubstr("not a trusted root"));
  // Trusted when configured explicitly.
  auto with_test_root = TrustedRoots::WithExtra({ReadTestdata(dir + "trustedRootCaCert.pem")});
  ASSERT_TRUE(with_test_root.ok()) << with_test_root.status();
  auto ok = CheckCollateral(c, *with_test_root);
  EXPECT_TRUE(ok.ok()) << ok.status();
}

TEST(DcapVerifyTest, IntelRootIsPinnedByFingerprint) {
  auto roots = TrustedRoots::IntelOnly();
  ASSERT_TRUE(roots.ok());
  ASSERT_EQ(roots->fingerprints().size(), 1u);
  EXPECT_EQ(roots->fingerprints()[0], kIntelSgxRootCaSha256);
  COCOON_TESTDATA_OR_SKIP(path, "go-tdx-guest/verify/trusted_root.pem");
  auto certs = ParsePemCertificates(ReadTestdata("go-tdx-guest/verify/trusted_root.pem"), "root");
  ASSERT_TRUE(certs.ok());
  EXPECT_TRUE(roots->IsTrusted((*certs)[0].get()));
}

TEST(DcapVerifyTest, SplitSignedJsonKeepsExactBytes) {
  COCOON_TESTDATA_OR_SKIP(
      path, "generated/tdx/from-Phala-dcap-qvl/tdx_quote_collateral/tcb_info.pcs.json");
  const std::string dir = "generated/tdx/from-Phala-dcap-qvl/tdx_quote_collateral/";
  auto s = SplitSignedJson(ReadTestdata(dir + "tcb_info.pcs.json"), "tcbInfo");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->body, ReadTestdata(dir + "tcb_info_body.json"));
}

}  // namespace
}  // namespace cocoon::attestation::dcap
