// The az-tdx-vtpm attester end to end against the Azure TDX vTPM emulator (swtpm + synthetic HCL
// report + /acc/tdquote stand-in): the evidence's parts must be mutually consistent.
#include "aa/attester/az_tdx_vtpm_attester.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "aa/attester/attester.h"
#include "absl/time/clock.h"
#include "attestation/az_tdx_vtpm/hcl_report.h"
#include "base/encoding.h"
#include "base/file_util.h"
#include "base/json.h"
#include "crypto/asymmetric.h"
#include "crypto/keys.h"
#include "crypto/stream_cipher.h"
#include "emulator.h"
#include "swtpm_process.h"
#include "tpm/tpm.h"

namespace cocoon::aa {
namespace {

uint16_t Be16(absl::string_view b, size_t at) {
  return static_cast<uint16_t>((static_cast<uint8_t>(b[at]) << 8) |
                               static_cast<uint8_t>(b[at + 1]));
}
uint32_t Le32(absl::string_view b, size_t at) {
  return uint32_t{static_cast<uint8_t>(b[at])} | (uint32_t{static_cast<uint8_t>(b[at + 1])} << 8) |
         (uint32_t{static_cast<uint8_t>(b[at + 2])} << 16) |
         (uint32_t{static_cast<uint8_t>(b[at + 3])} << 24);
}
uint16_t Le16(absl::string_view b, size_t at) {
  return static_cast<uint16_t>(static_cast<uint8_t>(b[at]) |
                               (static_cast<uint8_t>(b[at + 1]) << 8));
}

class AzTdxVtpmAttesterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::SwtpmProcess::Available()) {
      GTEST_SKIP() << "swtpm is not installed (apt-get install swtpm swtpm-tools)";
    }
    auto dir = MakeTempDir("/tmp/az_attester_test_");
    ASSERT_TRUE(dir.ok());
    dir_ = *dir;
    auto swtpm = testing::SwtpmProcess::Start(dir_ + "/swtpm");
    ASSERT_TRUE(swtpm.ok()) << swtpm.status();
    swtpm_ = std::move(*swtpm);
    StartEmulator(testing::AzEmulatorOptions::ReportEncoding::kAny);
  }
  void StartEmulator(testing::AzEmulatorOptions::ReportEncoding encoding) {
    emulator_.reset();
    testing::AzEmulatorOptions options;
    options.swtpm_port = swtpm_->port();
    options.out_dir = dir_ + "/emulator";
    options.report_encoding = encoding;
    auto emu = testing::AzTdxVtpmEmulator::Start(options);
    ASSERT_TRUE(emu.ok()) << emu.status();
    emulator_ = std::move(*emu);
    config_.tee = "az-tdx-vtpm";
    config_.tcti = emulator_->tcti();
    config_.imds_url = emulator_->tdquote_base_url();
    config_.settle_delay = absl::ZeroDuration();
  }
  void TearDown() override {
    emulator_.reset();
    swtpm_.reset();
    if (!dir_.empty()) (void)RemoveAll(dir_);
  }

  // Checks every binding between the parts; returns the parsed HCL report.
  attestation::az::HclReport CheckConsistent(const AzTdxVtpmEvidence& e,
                                             absl::string_view report_data) {
    // HCL report: var data hash in the TD report, user-data = report data.
    auto hcl = attestation::az::ParseHclReport(e.hcl_report);
    EXPECT_TRUE(hcl.ok()) << hcl.status();
    if (!hcl.ok()) return {};
    EXPECT_EQ(hcl->report_type, attestation::az::kHclReportTypeTdx);
    EXPECT_EQ(hcl->hash_type, 1u);
    EXPECT_EQ(hcl->report_size, attestation::az::kHclVarDataOffset + hcl->var_data.size());
    EXPECT_LE(e.hcl_report.size(), 2048u);
    std::string td_report = hcl->td_report();
    EXPECT_EQ(static_cast<uint8_t>(td_report[0]), 0x81);
    EXPECT_EQ(td_report.substr(128, 32), crypto::Sha256(hcl->var_data));
    EXPECT_EQ(td_report.substr(160, 32), std::string(32, '\0'));
    auto var = ParseJson(hcl->var_data, "var data");
    EXPECT_TRUE(var.ok());
    std::string padded(report_data);
    padded.resize(64, '\0');
    auto user_data = HexDecode((*var)["user-data"].get<std::string>());
    EXPECT_TRUE(user_data.ok());
    EXPECT_EQ(*user_data, padded);
    const Json& jwk = (*var)["keys"][0];
    EXPECT_EQ(jwk["kid"], "HCLAkPub");
    auto n = Base64UrlDecode(jwk["n"].get<std::string>());
    auto ex = Base64UrlDecode(jwk["e"].get<std::string>());
    auto ak = crypto::PublicKey::FromRsa(*n, *ex);
    EXPECT_TRUE(ak.ok());
    EXPECT_TRUE(ak->Equals(emulator_->ak()));

    // TPM quote: signed by HCLAkPub, extraData = report data, PCR digest over the 24 values.
    EXPECT_TRUE(
        crypto::Verify(*ak, crypto::SignatureAlg::kRs256, e.tpm_message, e.tpm_signature).ok());
    absl::string_view m = e.tpm_message;
    EXPECT_EQ(m.substr(0, 6), absl::string_view("\xff\x54\x43\x47\x80\x18", 6));
    size_t at = 6 + 2 + Be16(m, 6);
    EXPECT_EQ(m.substr(at + 2, Be16(m, at)), report_data);
    EXPECT_EQ(e.pcrs.size(), 24u);
    std::string concat;
    for (const auto& p : e.pcrs) concat += p;
    EXPECT_EQ(m.substr(m.size() - 32), crypto::Sha256(concat));

    // TD quote v4: body = TD report fields, signatures and the QE binding.
    absl::string_view q = e.td_quote;
    EXPECT_GE(q.size(), 1020u);
    EXPECT_EQ(Le16(q, 0), 4);
    EXPECT_EQ(Le16(q, 2), 2);
    EXPECT_EQ(Le32(q, 4), 0x81u);
    EXPECT_EQ(q.substr(568, 64), td_report.substr(128, 64));  // REPORTDATA
    EXPECT_EQ(q.substr(184, 48), td_report.substr(528, 48));  // MRTD
    EXPECT_EQ(q.substr(48, 16), td_report.substr(264, 16));   // TEE_TCB_SVN
    EXPECT_EQ(Le32(q, 632), q.size() - 636);
    std::string att_key(q.substr(700, 64));
    auto att_pub = crypto::PublicKey::FromEcPoint(crypto::KeyType::kEcP256, att_key.substr(0, 32),
                                                  att_key.substr(32));
    EXPECT_TRUE(att_pub.ok());
    EXPECT_TRUE(
        crypto::Verify(*att_pub, crypto::SignatureAlg::kEs256, q.substr(0, 632), q.substr(636, 64))
            .ok());
    EXPECT_EQ(Le16(q, 764), 6);
    absl::string_view qe_report = q.substr(770, 384);
    auto pck = crypto::PublicKey::Parse(emulator_->pki().pck_pem);
    EXPECT_TRUE(
        crypto::Verify(*pck, crypto::SignatureAlg::kEs256, qe_report, q.substr(1154, 64)).ok());
    uint16_t auth_size = Le16(q, 1218);
    EXPECT_EQ(auth_size, 32);
    EXPECT_EQ(qe_report.substr(320, 32), crypto::Sha256(att_key + std::string(q.substr(1220, 32))));
    EXPECT_EQ(Le16(q, 1252), 5);
    uint32_t chain_size = Le32(q, 1254);
    EXPECT_EQ(q.substr(1258, chain_size), emulator_->pki().PckChainPem() + std::string(1, '\0'));
    return *hcl;
  }

  std::string dir_;
  std::unique_ptr<testing::SwtpmProcess> swtpm_;
  std::unique_ptr<testing::AzTdxVtpmEmulator> emulator_;
  AttesterConfig config_;
};

TEST_F(AzTdxVtpmAttesterTest, EvidenceIsConsistent) {
  AzTdxVtpmAttester attester(config_);
  std::string report_data = crypto::RandomBytes(48);
  absl::Time t0 = absl::Now();
  auto e = attester.Collect(report_data);
  absl::Time t1 = absl::Now();
  ASSERT_TRUE(e.ok()) << e.status();
  std::printf("timing: az-tdx-vtpm GetEvidence against the emulator %s\n",
              absl::FormatDuration(t1 - t0).c_str());
  CheckConsistent(*e, report_data);
  EXPECT_EQ(emulator_->quotes_served(), 1);
  EXPECT_EQ(emulator_->hcl_regenerations(), 1);

  // A different length redefines NV 0x01400002; the HCL report follows.
  std::string longer = crypto::RandomBytes(64);
  auto e2 = attester.Collect(longer);
  ASSERT_TRUE(e2.ok()) << e2.status();
  attestation::az::HclReport h2 = CheckConsistent(*e2, longer);
  EXPECT_NE(e2->hcl_report, e->hcl_report);
  auto tpm = tpm::Tpm::Open(config_.tcti);
  ASSERT_TRUE(tpm.ok());
  auto nv = (*tpm)->NvRead(kNvReportData);
  ASSERT_TRUE(nv.ok());
  EXPECT_EQ(*nv, longer);
}

TEST_F(AzTdxVtpmAttesterTest, EvidenceJsonV2) {
  auto attester = CreateAttester(config_);
  ASSERT_TRUE(attester.ok()) << attester.status();
  EXPECT_EQ((*attester)->tee(), "az-tdx-vtpm");
  std::string report_data = crypto::RandomBytes(48);
  auto json = (*attester)->GetEvidence(report_data);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(json->rfind("{\"version\":2,\"tpm_quote\":{\"signature\":\"", 0), 0u) << *json;
  auto parsed = ParseJson(*json, "evidence");
  ASSERT_TRUE(parsed.ok());
  AzTdxVtpmEvidence e;
  e.tpm_signature = *HexDecode((*parsed)["tpm_quote"]["signature"].get<std::string>());
  e.tpm_message = *HexDecode((*parsed)["tpm_quote"]["message"].get<std::string>());
  for (const auto& p : (*parsed)["tpm_quote"]["pcrs"])
    e.pcrs.push_back(*HexDecode(p.get<std::string>()));
  std::string hcl_b64 = (*parsed)["hcl_report"];
  std::string quote_b64 = (*parsed)["td_quote"];
  EXPECT_EQ(hcl_b64.find_first_of("+/"), std::string::npos);
  EXPECT_EQ(hcl_b64.size() % 4, 0u);  // padded
  e.hcl_report = *Base64Decode(hcl_b64, Base64Alphabet::kUrl, Base64Padding::kRequired);
  e.td_quote = *Base64Decode(quote_b64, Base64Alphabet::kUrl, Base64Padding::kRequired);
  CheckConsistent(e, report_data);
}

TEST_F(AzTdxVtpmAttesterTest, ImdsFallsBackToBase64Url) {
  StartEmulator(testing::AzEmulatorOptions::ReportEncoding::kUrlOnly);
  AzTdxVtpmAttester attester(config_);
  auto e = attester.Collect(std::string(48, 'a'));
  ASSERT_TRUE(e.ok()) << e.status();
  CheckConsistent(*e, std::string(48, 'a'));
}

TEST_F(AzTdxVtpmAttesterTest, DetectsAzTdxVtpmAndBindsInitData) {
  AttesterConfig detect = config_;
  detect.tee = "";
  detect.tsm_report_root = dir_ + "/no-tsm";
  detect.tdx_guest_device = dir_ + "/no-tdx-guest";
  std::string warning;
  EXPECT_EQ(DetectTee(detect, &warning), "az-tdx-vtpm");
  EXPECT_TRUE(warning.empty());

  AzTdxVtpmAttester attester(config_);
  std::string digest = crypto::Sha256("initdata toml");
  ASSERT_TRUE(attester.BindInitData(digest).ok());
  EXPECT_FALSE(attester.BindInitData("short").ok());
  auto e = attester.Collect(std::string(48, 'b'));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->pcrs[8], crypto::Sha256(std::string(32, '\0') + digest));
}

TEST_F(AzTdxVtpmAttesterTest, Errors) {
  AzTdxVtpmAttester attester(config_);
  EXPECT_EQ(attester.Collect("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(attester.Collect(std::string(65, 'x')).status().code(),
            absl::StatusCode::kInvalidArgument);
  AttesterConfig no_imds = config_;
  no_imds.imds_url = "http://127.0.0.1:1";
  no_imds.imds_connect_timeout = absl::Seconds(1);
  auto e = AzTdxVtpmAttester(no_imds).Collect(std::string(48, 'c'));
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("TD quote"), absl::string_view::npos) << e.status();
}

}  // namespace
}  // namespace cocoon::aa
