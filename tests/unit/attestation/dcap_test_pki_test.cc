// DCAP verification against a PKI generated at test time: the cases public vectors cannot cover.
#include "absl/strings/str_cat.h"
#include "attestation/dcap/verifier.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_pki.h"

namespace cocoon::attestation::dcap {
namespace {

using ::testing::HasSubstr;
namespace t = ::cocoon::attestation::testing;
using t::BuildCollateral;
using t::BuildQuote;

const absl::Time kAt = absl::FromUnixSeconds(1751328000);  // 2025-07-01

class TestPkiVerifyTest : public ::testing::Test {
 protected:
  static const t::TestPki& Pki() {
    static const t::TestPki* pki = new t::TestPki();
    return *pki;
  }

  absl::StatusOr<QuoteVerification> Verify(const std::string& quote, const Collateral& c,
                                           absl::Time at = kAt, bool trust_test_root = true) {
    auto roots =
        trust_test_root ? TrustedRoots::WithExtra({Pki().root_pem()}) : TrustedRoots::IntelOnly();
    if (!roots.ok()) return roots.status();
    auto prepared = PrepareQuote(quote);
    if (!prepared.ok()) return prepared.status();
    auto checked = CheckCollateral(c, *roots);
    if (!checked.ok()) return checked.status();
    return VerifyPreparedQuote(*prepared, **checked, *roots, at);
  }
};

TEST_F(TestPkiVerifyTest, GeneratedQuoteIsUpToDateUnderConfiguredTestRoot) {
  auto v = Verify(BuildQuote(Pki(), {}), BuildCollateral(Pki(), {}));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->tcb.status, TcbStatus::kUpToDate);
  EXPECT_FALSE(v->collateral_expired);
  EXPECT_EQ(v->pck_crl_number, 7);
}

TEST_F(TestPkiVerifyTest, TestRootIsRejectedUnlessConfigured) {
  auto v = Verify(BuildQuote(Pki(), {}), BuildCollateral(Pki(), {}), kAt, false);
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(v.status().message(), HasSubstr("not a trusted root"));
}

TEST_F(TestPkiVerifyTest, RevokedPckIsRejected) {
  t::CollateralSpec spec;
  spec.revoked_pck_serials = {0x99, Pki().pck_serial()};
  auto v = Verify(BuildQuote(Pki(), {}), BuildCollateral(Pki(), spec));
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(v.status().message(), HasSubstr("PCK chain: PCK certificate is revoked"));
}

TEST_F(TestPkiVerifyTest, RevokedIntermediateIsRejected) {
  t::CollateralSpec spec;
  spec.revoked_root_serials = {Pki().intermediate_serial()};
  auto v = Verify(BuildQuote(Pki(), {}), BuildCollateral(Pki(), spec));
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(v.status().message(), HasSubstr("PCK intermediate CA is revoked"));
}

TEST_F(TestPkiVerifyTest, ExpiredPckChainIsFlaggedNotFailed) {
  t::PkiOptions o;
  o.pck_not_after = absl::FromUnixSeconds(1750000000);  // before kAt
  t::TestPki pki(o);
  auto roots = TrustedRoots::WithExtra({pki.root_pem()});
  ASSERT_TRUE(roots.ok());
  auto prepared = PrepareQuote(BuildQuote(pki, {}));
  ASSERT_TRUE(prepared.ok()) << prepared.status();
  auto checked = CheckCollateral(BuildCollateral(pki, {}), *roots);
  ASSERT_TRUE(checked.ok()) << checked.status();
  auto v = VerifyPreparedQuote(*prepared, **checked, *roots, kAt);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(v->collateral_expired);
  EXPECT_EQ(v->earliest_expiration, absl::FromUnixSeconds(1750000000));
}

TEST_F(TestPkiVerifyTest, CrlFromTheWrongIssuerIsRejected) {
  Collateral c = BuildCollateral(Pki(), {});
  c.pck_crl = c.root_ca_crl;
  auto v = Verify(BuildQuote(Pki(), {}), c);
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(v.status().message(),
              HasSubstr("PCK CRL: issuer is not the PCK certificate's issuer"));
}

TEST_F(TestPkiVerifyTest, MissingCrlIsReported) {
  Collateral c = BuildCollateral(Pki(), {});
  c.pck_crl.clear();
  auto v = Verify(BuildQuote(Pki(), {}), c);
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(v.status().message(), HasSubstr("PCK CRL"));
  // The chain check itself names the missing CRL.
  auto roots = TrustedRoots::WithExtra({Pki().root_pem()});
  ASSERT_TRUE(roots.ok());
  auto prepared = PrepareQuote(BuildQuote(Pki(), {}));
  ASSERT_TRUE(prepared.ok());
  auto root_crl = ParseCrl(Pki().RootCrl(), "root CRL");
  ASSERT_TRUE(root_crl.ok());
  auto chain = VerifyCertChain(prepared->pck, {prepared->intermediate}, {root_crl->get()}, *roots,
                               kAt, "PCK chain", "PCK certificate", "PCK intermediate CA");
  ASSERT_FALSE(chain.ok());
  EXPECT_THAT(chain.status().message(),
              HasSubstr("no CRL available for the issuer of the PCK certificate"));
}

TEST_F(TestPkiVerifyTest, UnknownFmspcCollateralIsTcbInfoMismatch) {
  t::CollateralSpec spec;
  spec.fmspc = std::string("\x11\x22\x33\x44\x55\x66", 6);
  auto v = Verify(BuildQuote(Pki(), {}), BuildCollateral(Pki(), spec));
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(v.status().message(), HasSubstr("TCB info mismatch: FMSPC 112233445566"));
}

struct Flip {
  const char* region;
  size_t t::QuoteLayout::*field;
  size_t delta;
  const char* error;
};

TEST_F(TestPkiVerifyTest, FlippedBitInEachSignedRegionHasItsOwnError) {
  t::QuoteLayout layout;
  const std::string good = BuildQuote(Pki(), {}, &layout);
  const Collateral c = BuildCollateral(Pki(), {});
  ASSERT_TRUE(Verify(good, c).ok());
  const Flip flips[] = {
      {"header", nullptr, 30, "quote: signature does not verify"},
      {"body", &t::QuoteLayout::body_offset, 200, "quote: signature does not verify"},
      {"quote signature", &t::QuoteLayout::signature_offset, 5, "quote: signature does not verify"},
      {"attestation key", &t::QuoteLayout::attestation_key_offset, 40,
       "QE report data does not bind the attestation key"},
      {"QE report", &t::QuoteLayout::qe_report_offset, 100, "QE report: signature does not verify"},
      {"QE report signature", &t::QuoteLayout::qe_report_signature_offset, 3,
       "QE report: signature does not verify"},
      {"QE auth data", &t::QuoteLayout::qe_auth_data_offset, 7,
       "QE report data does not bind the attestation key"},
  };
  for (const Flip& f : flips) {
    std::string bad = good;
    const size_t off = (f.field ? layout.*(f.field) : 0) + f.delta;
    bad[off] ^= 0x01;
    auto v = Verify(bad, c);
    ASSERT_FALSE(v.ok()) << f.region;
    EXPECT_THAT(v.status().message(), HasSubstr(f.error)) << f.region;
  }
}

TEST_F(TestPkiVerifyTest, V5QuoteVerifiesAndAnyDescriptorChangeIsRejected) {
  t::QuoteSpec spec;
  spec.version = 5;
  spec.body_type = 2;
  const std::string q = BuildQuote(Pki(), spec);
  ASSERT_TRUE(Verify(q, BuildCollateral(Pki(), {})).ok());
  // The descriptor is signed, but every change of it is caught earlier by the type/size rule.
  std::string bad = q;
  bad[48] = 3;  // claims TD 1.5 with a TD 1.0 size
  auto v = Verify(bad, BuildCollateral(Pki(), {}));
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(v.status().message(), HasSubstr("body_descriptor.size at byte 50"));
}

TEST_F(TestPkiVerifyTest, FlippedPckChainByteFailsTheChain) {
  t::QuoteLayout layout;
  std::string q = BuildQuote(Pki(), {}, &layout);
  // Inside the leaf's base64 body, well past the header line.
  const size_t off = layout.pck_chain_offset + 300;
  q[off] = q[off] == 'A' ? 'B' : 'A';
  auto v = Verify(q, BuildCollateral(Pki(), {}));
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(v.status().message(), HasSubstr("PCK"));
}

TEST_F(TestPkiVerifyTest, ModuleOutOfDateMakesPlatformOutOfDate) {
  t::CollateralSpec spec;
  spec.module_status = "OutOfDate";
  auto v = Verify(BuildQuote(Pki(), {}), BuildCollateral(Pki(), spec));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->tcb.status, TcbStatus::kOutOfDate);
}

TEST_F(TestPkiVerifyTest, ConfigurationNeededWithOutdatedQeBecomesOutOfDateConfigurationNeeded) {
  t::CollateralSpec spec;
  spec.platform_status = "ConfigurationNeeded";
  spec.qe_status = "OutOfDate";
  auto v = Verify(BuildQuote(Pki(), {}), BuildCollateral(Pki(), spec));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->tcb.status, TcbStatus::kOutOfDateConfigurationNeeded);
}

TEST_F(TestPkiVerifyTest, RevokedModuleLevelMakesStatusRevoked) {
  t::CollateralSpec spec;
  spec.module_status = "Revoked";
  auto v = Verify(BuildQuote(Pki(), {}), BuildCollateral(Pki(), spec));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->tcb.status, TcbStatus::kRevoked);
}

TEST_F(TestPkiVerifyTest, NoMatchingLevelIsNotSupported) {
  t::CollateralSpec spec;
  spec.not_supported = true;
  auto v = Verify(BuildQuote(Pki(), {}), BuildCollateral(Pki(), spec));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->tcb.status, TcbStatus::kNotSupported);
}

TEST_F(TestPkiVerifyTest, OldQeIsvsvnUsesLowerQeLevel) {
  t::QuoteSpec q;
  q.qe_isvsvn = 3;
  auto v = Verify(BuildQuote(Pki(), q), BuildCollateral(Pki(), {}));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->tcb.qe_status, "OutOfDate");
  EXPECT_EQ(v->tcb.status, TcbStatus::kOutOfDate);
}

TEST_F(TestPkiVerifyTest, UpdatedTd15ModuleAdvisesRelaunch) {
  t::QuoteSpec q;
  q.version = 5;
  q.body_type = 3;
  q.tee_tcb_svn[0] = 1;   // launched with module SVN 1 (OutOfDate level)
  q.tee_tcb_svn2[0] = 3;  // now at 3 (UpToDate)
  auto v = Verify(BuildQuote(Pki(), q), BuildCollateral(Pki(), {}));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->tcb.status, TcbStatus::kTdRelaunchAdvised);
  ASSERT_TRUE(v->tcb.current_status.has_value());
  EXPECT_EQ(*v->tcb.current_status, TcbStatus::kUpToDate);
}

TEST_F(TestPkiVerifyTest, UnknownModuleVersionIsModuleMismatch) {
  t::QuoteSpec q;
  q.tee_tcb_svn[1] = 2;
  auto v = Verify(BuildQuote(Pki(), q), BuildCollateral(Pki(), {}));
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(v.status().message(), HasSubstr("TDX module mismatch"));
}

TEST_F(TestPkiVerifyTest, ForeignQeSignerIsQeIdentityMismatch) {
  t::QuoteSpec q;
  q.qe_mrsigner = std::string(32, '\x01');
  auto v = Verify(BuildQuote(Pki(), q), BuildCollateral(Pki(), {}));
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(v.status().message(), HasSubstr("QE identity mismatch: MRSIGNER"));
}

TEST_F(TestPkiVerifyTest, UnrecognizedTcbStatusIsAnError) {
  t::CollateralSpec spec;
  spec.platform_status = "Fine";
  auto v = Verify(BuildQuote(Pki(), {}), BuildCollateral(Pki(), spec));
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(v.status().message(), HasSubstr("unrecognized TCB status \"Fine\""));
}

}  // namespace
}  // namespace cocoon::attestation::dcap

namespace cocoon::attestation::dcap {
namespace {

TEST(CachedChainVerdictTest, ReusedVerdictStillHonoursTheVerificationTime) {
  namespace t = ::cocoon::attestation::testing;
  t::TestPki pki;
  auto roots = TrustedRoots::WithExtra({pki.root_pem()});
  ASSERT_TRUE(roots.ok());
  auto prepared = PrepareQuote(t::BuildQuote(pki, {}));
  ASSERT_TRUE(prepared.ok());
  auto checked = CheckCollateral(t::BuildCollateral(pki, {}), *roots);
  ASSERT_TRUE(checked.ok());
  auto v1 = VerifyPreparedQuote(*prepared, **checked, *roots, absl::FromUnixSeconds(1751328000));
  ASSERT_TRUE(v1.ok()) << v1.status();
  EXPECT_FALSE(v1->collateral_expired);
  auto v2 = VerifyPreparedQuote(*prepared, **checked, *roots, absl::FromUnixSeconds(1800000000));
  ASSERT_TRUE(v2.ok());
  EXPECT_TRUE(v2->collateral_expired);
  auto v3 = VerifyPreparedQuote(*prepared, **checked, *roots, absl::FromUnixSeconds(1600000000));
  ASSERT_FALSE(v3.ok());
  EXPECT_THAT(v3.status().message(), ::testing::HasSubstr("not yet valid"));
}

}  // namespace
}  // namespace cocoon::attestation::dcap
