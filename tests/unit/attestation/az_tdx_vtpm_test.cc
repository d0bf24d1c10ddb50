#include "attestation/az_tdx_vtpm/az_tdx_vtpm_verifier.h"

#include <openssl/pem.h>

#include <algorithm>
#include <functional>

#include "absl/strings/str_cat.h"
#include "attestation/collateral/provider.h"
#include "attestation/tpm/tpms_attest.h"
#include "base/encoding.h"
#include "base/json.h"
#include "crypto/stream_cipher.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_pki.h"
#include "testing/testdata.h"
#include "vectors.h"

namespace cocoon::attestation::az {
namespace {

using ::cocoon::testing::ReadTestdata;
using ::testing::HasSubstr;
namespace t = ::cocoon::attestation::testing;

const std::string kDir = "trustee/deps/verifier/test_data/az-tdx-vtpm/";
const absl::Time kAt = absl::FromUnixSeconds(1751328000);

TEST(TpmsAttestTest, ParsesAzureQuoteMessage) {
  COCOON_TESTDATA_OR_SKIP(path, kDir + "tpm-quote-v1.json");
  auto j = ParseJson(ReadTestdata(kDir + "tpm-quote-v1.json"), "q");
  ASSERT_TRUE(j.ok());
  auto msg = HexDecode((*j)["message"].get<std::string>());
  ASSERT_TRUE(msg.ok());
  auto a = tpm::ParseTpmsAttest(*msg);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->extra_data, "challenge");
  EXPECT_EQ(a->firmware_version, 0x2020031200120003u);
  ASSERT_EQ(a->pcr_select.size(), 1u);
  EXPECT_EQ(a->pcr_select[0].Pcrs().size(), 24u);
  EXPECT_EQ(HexEncode(a->pcr_digest),
            "6c0e21d918212d57872a752bcf358355d508d1d5b8cb632259b898b15f9f658d");
}

TEST(TpmsAttestTest, ParsesSnpSideQuoteWithPartialSelection) {
  COCOON_TESTDATA_OR_SKIP(path, "trustee/deps/verifier/test_data/az-snp-vtpm/tpm-quote.msg");
  auto a = tpm::ParseTpmsAttest(
      ReadTestdata("trustee/deps/verifier/test_data/az-snp-vtpm/tpm-quote.msg"));
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(HexEncode(a->pcr_select[0].select), "ff4000");
}

TEST(TpmsAttestTest, RejectsBadMagicTypeAndTrailingBytes) {
  COCOON_TESTDATA_OR_SKIP(path, "trustee/deps/verifier/test_data/az-snp-vtpm/tpm-quote.msg");
  const std::string good =
      ReadTestdata("trustee/deps/verifier/test_data/az-snp-vtpm/tpm-quote.msg");
  std::string b = good;
  b[0] = 0;
  EXPECT_THAT(tpm::ParseTpmsAttest(b).status().message(), HasSubstr("magic at byte 0"));
  b = good;
  b[5] = 0x17;
  EXPECT_THAT(tpm::ParseTpmsAttest(b).status().message(), HasSubstr("type at byte 4"));
  EXPECT_THAT(tpm::ParseTpmsAttest(good + "x").status().message(), HasSubstr("trailing"));
  EXPECT_THAT(tpm::ParseTpmsAttest(good.substr(0, 50)).status().message(), HasSubstr(" at byte "));
}

TEST(HclReportTest, ParsesTrusteeTdxHclReport) {
  COCOON_TESTDATA_OR_SKIP(path, kDir + "hcl-report.bin");
  auto h = ParseHclReport(ReadTestdata(kDir + "hcl-report.bin"));
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->version, 2u);
  EXPECT_EQ(h->report_size, 2437u);
  EXPECT_EQ(h->var_data.size(), 1201u);
  EXPECT_EQ(HexEncode(crypto::Sha256(h->var_data)),
            "9734504f161d104c74e3165c15f779b06a9bb40dfa71937817d7eee68e593839");
  EXPECT_EQ(HexEncode(h->td.mr_td).substr(0, 8), "024a32b0");
  EXPECT_TRUE(AkFromVarData(h->var_data).ok());
}

TEST(HclReportTest, TdReportFieldsEqualTheQuoteBody) {
  COCOON_TESTDATA_OR_SKIP(path, kDir + "hcl-report.bin");
  auto h = ParseHclReport(ReadTestdata(kDir + "hcl-report.bin"));
  auto q = dcap::ParseQuote(ReadTestdata(kDir + "td-quote.bin"));
  ASSERT_TRUE(h.ok() && q.ok());
  EXPECT_EQ(h->td.tee_tcb_svn, q->body.tee_tcb_svn);
  EXPECT_EQ(h->td.mr_seam, q->body.mr_seam);
  EXPECT_EQ(h->td.seam_attributes, q->body.seam_attributes);
  EXPECT_EQ(h->td.td_attributes, q->body.td_attributes);
  EXPECT_EQ(h->td.xfam, q->body.xfam);
  EXPECT_EQ(h->td.mr_td, q->body.mr_td);
  EXPECT_EQ(h->td.rtmr, q->body.rtmr);
  EXPECT_EQ(h->td.report_data, q->body.report_data);
}

TEST(HclReportTest, ParsesKinvolkTdxReportAndRejectsSnpForTdx) {
  COCOON_TESTDATA_OR_SKIP(path, "azure-cvm-tooling/az-cvm-vtpm/test/hcl-report-tdx.bin");
  auto h = ParseHclReport(ReadTestdata("azure-cvm-tooling/az-cvm-vtpm/test/hcl-report-tdx.bin"));
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->var_data.size(), 1202u);
  EXPECT_TRUE(CheckVarDataBinding(h->var_data, h->td_report_data).ok());
  auto snp = ParseHclReport(ReadTestdata("azure-cvm-tooling/az-cvm-vtpm/test/hcl-report-snp.bin"));
  ASSERT_FALSE(snp.ok());
  EXPECT_THAT(snp.status().message(), HasSubstr("igvm.report_type at byte 1224"));
  EXPECT_TRUE(ParseHclReport(ReadTestdata("azure-cvm-tooling/az-cvm-vtpm/test/hcl-report-snp.bin"),
                             /*require_tdx=*/false)
                  .ok());
}

TEST(HclReportTest, OversizedVariableDataIsRejectedAtItsOffset) {
  COCOON_TESTDATA_OR_SKIP(path, kDir + "hcl-report.bin");
  std::string b = ReadTestdata(kDir + "hcl-report.bin");
  b[1232] = static_cast<char>(0xff);
  b[1233] = static_cast<char>(0xff);
  auto h = ParseHclReport(b);
  ASSERT_FALSE(h.ok());
  EXPECT_THAT(h.status().message(), HasSubstr("at byte 1216"));
}

class UpstreamAzureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto path = ::cocoon::testing::TestdataPath(kDir + "evidence-v1.json");
    if (!path) GTEST_SKIP() << "NOTICE: upstream Azure vectors not found; skipping";
    auto ev = ParseAzTdxVtpmEvidence(ReadTestdata(kDir + "evidence-v1.json"));
    ASSERT_TRUE(ev.ok()) << ev.status();
    ev_ = *ev;
    auto hcl = ParseHclReport(ev_.hcl_report);
    ASSERT_TRUE(hcl.ok());
    hcl_ = *hcl;
  }
  AzTdxVtpmEvidence ev_;
  HclReport hcl_;
};

TEST_F(UpstreamAzureTest, EvidenceDecodesToTheBinaryFixtures) {
  EXPECT_EQ(ev_.version, 1);
  EXPECT_EQ(ev_.hcl_report, ReadTestdata(kDir + "hcl-report.bin"));
  EXPECT_EQ(ev_.td_quote, ReadTestdata(kDir + "td-quote.bin"));
  EXPECT_EQ(ev_.tpm_quote.pcrs.size(), 24u);
  EXPECT_EQ(HexEncode(ev_.tpm_quote.pcrs[0]),
            "782b20b10f55cc46e2142cc2145d548698073e5beb82752c8d7f9279f0d8a273");
}

TEST_F(UpstreamAzureTest, TpmQuoteVerifiesWithHclAkPubAndNonceChallenge) {
  auto ak = AkFromVarData(hcl_.var_data);
  ASSERT_TRUE(ak.ok()) << ak.status();
  auto a = CheckTpmQuote(ev_.tpm_quote, ak->get(), absl::string_view("challenge"));
  ASSERT_TRUE(a.ok()) << a.status();
}

TEST_F(UpstreamAzureTest, WrongNonceFlippedSignatureAndFlippedPcrEachFail) {
  auto ak = AkFromVarData(hcl_.var_data);
  ASSERT_TRUE(ak.ok());
  EXPECT_THAT(CheckTpmQuote(ev_.tpm_quote, ak->get(), absl::string_view("\x01\x02\x03\x04", 4))
                  .status()
                  .message(),
              HasSubstr("TPM quote nonce mismatch"));
  TpmQuote q = ev_.tpm_quote;
  q.signature[0] ^= 1;
  EXPECT_THAT(CheckTpmQuote(q, ak->get(), std::nullopt).status().message(),
              HasSubstr("TPM quote (HCLAkPub): signature does not verify"));
  q = ev_.tpm_quote;
  q.pcrs[0][0] ^= 1;
  EXPECT_THAT(CheckTpmQuote(q, ak->get(), std::nullopt).status().message(),
              HasSubstr("PCR digest mismatch"));
}

TEST_F(UpstreamAzureTest, VarDataIsBoundToTheTdQuote) {
  auto q = dcap::ParseQuote(ev_.td_quote);
  ASSERT_TRUE(q.ok());
  EXPECT_TRUE(CheckVarDataBinding(hcl_.var_data, q->body.report_data).ok());
  std::string bad = ev_.hcl_report;
  bad[0x0880] ^= 1;
  auto h = ParseHclReport(bad);
  ASSERT_TRUE(h.ok());
  EXPECT_THAT(CheckVarDataBinding(h->var_data, q->body.report_data).message(),
              HasSubstr("TDX Quote report data mismatch"));
}

TEST_F(UpstreamAzureTest, FullVerificationPassesSignaturesAndStopsAtMissingCollateral) {
  // No TCB info for Azure DCesv5's FMSPC 00806f050000 exists offline: an empty bundle reports it.
  auto roots = dcap::TrustedRoots::IntelOnly();
  ASSERT_TRUE(roots.ok());
  collateral::CollateralConfig cfg;
  cfg.source = collateral::Source::kOffline;
  cfg.bundle_dir = "/nonexistent-bundle";
  collateral::CachingCollateralProvider provider(cfg, &*roots);
  VerifierContext ctx{&*roots, &provider, kAt};
  auto r = VerifyAzTdxVtpmEvidence(ReadTestdata(kDir + "evidence-v1.json"),
                                   absl::string_view("challenge"), std::nullopt, ctx);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("no collateral for FMSPC 00806f050000"));
  // With another platform's (Platform CA) collateral the PCK chain, QE report, binding and quote
  // signature all pass and the FMSPC check stops it.
  auto e1 =
      collateral::StaticCollateralProvider::Create(t::PhalaCollateral(t::kE1Collateral), *roots);
  ASSERT_TRUE(e1.ok());
  VerifierContext ctx2{&*roots, e1->get(), kAt};
  r = VerifyAzTdxVtpmEvidence(ReadTestdata(kDir + "evidence-v1.json"),
                              absl::string_view("challenge"), std::nullopt, ctx2);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(),
              HasSubstr("TCB info mismatch: FMSPC b0c06f000000 is not the PCK's 00806f050000"));
}

TEST(BincodeQuoteTest, MatchesTheHexQuote) {
  COCOON_TESTDATA_OR_SKIP(path, kDir + "quote.bin");
  auto q = ParseBincodeTpmQuote(ReadTestdata(kDir + "quote.bin"));
  ASSERT_TRUE(q.ok()) << q.status();
  auto ev = ParseAzTdxVtpmEvidence(ReadTestdata(kDir + "evidence-v1.json"));
  ASSERT_TRUE(ev.ok());
  EXPECT_EQ(q->signature, ev->tpm_quote.signature);
  EXPECT_EQ(q->message, ev->tpm_quote.message);
  EXPECT_EQ(q->pcrs, ev->tpm_quote.pcrs);
}

TEST(BincodeQuoteTest, KinvolkSnpQuoteVerifiesWithItsAkPem) {
  COCOON_TESTDATA_OR_SKIP(path, "azure-cvm-tooling/az-cvm-vtpm/test/quote.bin");
  auto q = ParseBincodeTpmQuote(ReadTestdata("azure-cvm-tooling/az-cvm-vtpm/test/quote.bin"));
  ASSERT_TRUE(q.ok()) << q.status();
  const std::string pem = ReadTestdata("azure-cvm-tooling/az-cvm-vtpm/test/akpub.pem");
  crypto::BioPtr bio = crypto::MemBio(pem);
  EvpPkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  ASSERT_TRUE(key);
  EXPECT_TRUE(CheckTpmQuote(*q, key.get(), absl::string_view("challenge")).ok());
  EXPECT_FALSE(CheckTpmQuote(*q, key.get(), absl::string_view("\x01\x02\x03\x04", 4)).ok());
  TpmQuote rev = *q;
  std::reverse(rev.signature.begin(), rev.signature.end());
  EXPECT_FALSE(CheckTpmQuote(rev, key.get(), std::nullopt).ok());
}

TEST(EvidenceParseTest, ParsesV0AndV2ShapeFiles) {
  COCOON_TESTDATA_OR_SKIP(path, "generated/azure/az-tdx-vtpm-evidence-v0.shape.json");
  auto v0 =
      ParseAzTdxVtpmEvidence(ReadTestdata("generated/azure/az-tdx-vtpm-evidence-v0.shape.json"));
  ASSERT_TRUE(v0.ok()) << v0.status();
  EXPECT_EQ(v0->version, 0);
  auto v2 =
      ParseAzTdxVtpmEvidence(ReadTestdata("generated/azure/az-tdx-vtpm-evidence-v2.shape.json"));
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_EQ(v2->version, 2);
  EXPECT_EQ(v0->tpm_quote.message, v2->tpm_quote.message);
  EXPECT_EQ(v0->hcl_report, v2->hcl_report);
}

TEST(EvidenceParseTest, RejectsMalformedEvidence) {
  EXPECT_FALSE(ParseAzTdxVtpmEvidence("[]").ok());
  EXPECT_FALSE(
      ParseAzTdxVtpmEvidence(R"({"version":3,"tpm_quote":{},"hcl_report":"","td_quote":""})").ok());
  EXPECT_THAT(
      ParseAzTdxVtpmEvidence(
          R"({"version":1,"tpm_quote":{"signature":"zz","message":"","pcrs":[]},"hcl_report":"","td_quote":""})")
          .status()
          .message(),
      HasSubstr("tpm_quote.signature"));
}

// End-to-end with the test PKI.
class AzE2eTest : public ::testing::Test {
 protected:
  static const t::TestPki& Pki() {
    static const t::TestPki* pki = new t::TestPki();
    return *pki;
  }
  void SetUp() override {
    auto roots = dcap::TrustedRoots::WithExtra({Pki().root_pem()});
    ASSERT_TRUE(roots.ok());
    roots_ = std::make_unique<dcap::TrustedRoots>(*roots);
    auto p = collateral::StaticCollateralProvider::Create(t::BuildCollateral(Pki(), {}), *roots_);
    ASSERT_TRUE(p.ok()) << p.status();
    provider_ = std::move(*p);
  }
  VerifierContext Ctx() { return VerifierContext{roots_.get(), provider_.get(), kAt}; }

  std::unique_ptr<dcap::TrustedRoots> roots_;
  std::unique_ptr<collateral::StaticCollateralProvider> provider_;
};

const std::string kNonce(48, '\x42');

TEST_F(AzE2eTest, V2EvidenceVerifiesWithClaims) {
  const std::string init = crypto::Sha256("init data toml");
  const std::string ev = t::BuildAzEvidence(Pki(), kNonce, 2, kNonce + std::string(16, '\0'), init);
  for (absl::string_view tee : {"az-tdx-vtpm", "aztdxvtpm"}) EXPECT_TRUE(IsAzTdxVtpmTeeName(tee));
  auto r = VerifyAzTdxVtpmEvidence(ev, kNonce, init, Ctx());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->tcb_status, dcap::TcbStatus::kUpToDate);
  auto claims = ParseJson(r->claims_json, "claims");
  ASSERT_TRUE(claims.ok());
  EXPECT_EQ((*claims)["report_data"], HexEncode(kNonce));
  EXPECT_EQ((*claims)["tpm"]["pcr08"], (*claims)["init_data"]);
  EXPECT_EQ((*claims)["quote"]["header"]["tee_type"], "81000000");
  EXPECT_EQ((*claims)["tcb_status"], "UpToDate");
  EXPECT_EQ((*claims)["collateral_expiration_status"], "0");
  EXPECT_EQ((*claims)["td_attributes"]["septve_disable"], false);
}

TEST_F(AzE2eTest, V1EvidenceSkipsUserDataAndV0ByteArraysVerify) {
  t::AzEvidenceParts parts;
  const std::string v1 = t::BuildAzEvidence(Pki(), kNonce, 1, std::string(64, '\0'), "", &parts);
  EXPECT_TRUE(VerifyAzTdxVtpmEvidence(v1, kNonce, std::nullopt, Ctx()).ok());
  auto arr = [](const std::string& s) {
    Json a = Json::array();
    for (unsigned char c : s) a.push_back(c);
    return a;
  };
  Json pcrs = Json::array();
  for (const auto& p : parts.pcrs) pcrs.push_back(arr(p));
  Json v0 = {{"tpm_quote",
              {{"signature", arr(parts.tpm_signature)},
               {"message", arr(parts.tpm_message)},
               {"pcrs", pcrs}}},
             {"hcl_report", arr(parts.hcl_report)},
             {"td_quote", arr(parts.td_quote)}};
  auto r = VerifyAzTdxVtpmEvidence(v0.dump(), kNonce, std::nullopt, Ctx());
  EXPECT_TRUE(r.ok()) << r.status();
}

TEST_F(AzE2eTest, V2UserDataMustCarryTheReportData) {
  const std::string ev = t::BuildAzEvidence(Pki(), kNonce, 2, std::string(64, '\0'));
  auto r = VerifyAzTdxVtpmEvidence(ev, kNonce, std::nullopt, Ctx());
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(),
              HasSubstr("User-data in HCL variable data doesn't match report_data"));
}

TEST_F(AzE2eTest, WrongExpectedReportDataIsANonceMismatch) {
  const std::string ev = t::BuildAzEvidence(Pki(), kNonce, 2, kNonce);
  auto r = VerifyAzTdxVtpmEvidence(ev, std::string(48, '\x43'), std::nullopt, Ctx());
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("TPM quote nonce mismatch"));
}

TEST_F(AzE2eTest, WrongInitDataIsAPcr8Mismatch) {
  const std::string ev = t::BuildAzEvidence(Pki(), kNonce, 2, kNonce, crypto::Sha256("one"));
  auto r = VerifyAzTdxVtpmEvidence(ev, kNonce, crypto::Sha256("two"), Ctx());
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("init data mismatch: PCR8"));
}

TEST_F(AzE2eTest, EachSignedRegionFailsWithItsOwnError) {
  t::AzEvidenceParts parts;
  t::BuildAzEvidence(Pki(), kNonce, 2, kNonce, "", &parts);
  auto rebuild = [&](const t::AzEvidenceParts& p) {
    AzTdxVtpmEvidence e;
    e.version = 2;
    e.tpm_quote = {p.tpm_signature, p.tpm_message, p.pcrs};
    e.hcl_report = p.hcl_report;
    e.td_quote = p.td_quote;
    return SerializeAzTdxVtpmEvidence(e);
  };
  ASSERT_TRUE(VerifyAzTdxVtpmEvidence(rebuild(parts), kNonce, std::nullopt, Ctx()).ok());
  struct Case {
    const char* name;
    std::function<void(t::AzEvidenceParts*)> mutate;
    const char* error;
  };
  const Case cases[] = {
      {"var data", [](t::AzEvidenceParts* p) { p->hcl_report[1236 + 600] ^= 1; },
       "TDX Quote report data mismatch"},
      {"TD quote body", [](t::AzEvidenceParts* p) { p->td_quote[100] ^= 1; },
       "quote: signature does not verify"},
      {"TPM message", [](t::AzEvidenceParts* p) { p->tpm_message[60] ^= 1; },
       "TPM quote (HCLAkPub): signature does not verify"},
      {"TPM signature", [](t::AzEvidenceParts* p) { p->tpm_signature[10] ^= 1; },
       "TPM quote (HCLAkPub): signature does not verify"},
      {"PCR value", [](t::AzEvidenceParts* p) { p->pcrs[11][0] ^= 1; }, "PCR digest mismatch"},
  };
  for (const Case& c : cases) {
    t::AzEvidenceParts p = parts;
    c.mutate(&p);
    auto r = VerifyAzTdxVtpmEvidence(rebuild(p), kNonce, std::nullopt, Ctx());
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_THAT(r.status().message(), HasSubstr(c.error)) << c.name;
  }
}

}  // namespace
}  // namespace cocoon::attestation::az
