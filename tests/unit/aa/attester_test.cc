// Attesters that need no TPM: evidence serialization, HCL parsing, tdx on a fake configfs, sample,
// detection fallback.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "aa/attester/attester.h"
#include "aa/attester/az_tdx_vtpm_attester.h"
#include "aa/attester/sample_attester.h"
#include "aa/attester/tdx_attester.h"
#include "attestation/az_tdx_vtpm/hcl_report.h"
#include "base/encoding.h"
#include "base/file_util.h"
#include "base/json.h"
#include "crypto/keys.h"
#include "crypto/stream_cipher.h"
#include "synthetic_td.h"
#include "testing/testdata.h"

namespace cocoon::aa {
namespace {

TEST(AzTdxVtpmEvidenceTest, Versions) {
  AzTdxVtpmEvidence e;
  e.tpm_signature = "\x01\x02";
  e.tpm_message = "\xff";
  e.pcrs = {std::string("\x00\x10", 2), "\x20"};
  e.hcl_report = "\xfb\xff";
  e.td_quote = "q";
  EXPECT_EQ(*SerializeAzTdxVtpmEvidence(e, 2),
            "{\"version\":2,\"tpm_quote\":{\"signature\":\"0102\",\"message\":\"ff\",\"pcrs\":["
            "\"0010\",\"20\"]},\"hcl_report\":\"-_8=\",\"td_quote\":\"cQ==\"}");
  EXPECT_EQ(SerializeAzTdxVtpmEvidence(e, 1)->substr(0, 12), "{\"version\":1");
  EXPECT_EQ(*SerializeAzTdxVtpmEvidence(e, 0),
            "{\"tpm_quote\":{\"signature\":[1,2],\"message\":[255],\"pcrs\":[[0,16],[32]]},"
            "\"hcl_report\":[251,255],\"td_quote\":[113]}");
  EXPECT_FALSE(SerializeAzTdxVtpmEvidence(e, 3).ok());
}

// The emulator's HCL report builder against the shared parser (malformed reports and the
// upstream sample are covered in tests/unit/attestation).
TEST(HclReportTest, SyntheticRoundTrip) {
  auto key = crypto::PrivateKey::Generate(crypto::KeyType::kRsa);
  ASSERT_TRUE(key.ok());
  std::string var = testing::BuildVarData(key->GetPublic(), "nonce");
  testing::PlatformTcb tcb;
  std::string td = testing::BuildTdReport(tcb, var, "mac key");
  auto bytes = testing::BuildHclReport(td, var);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(bytes->size(), 2048u);
  auto hcl = attestation::az::ParseHclReport(*bytes);
  ASSERT_TRUE(hcl.ok()) << hcl.status();
  EXPECT_EQ(hcl->version, 2u);
  EXPECT_EQ(hcl->report_type, attestation::az::kHclReportTypeTdx);
  EXPECT_EQ(hcl->var_data, var);
  EXPECT_EQ(hcl->td_report(), td);
  EXPECT_TRUE(testing::TdReportMacValid(td, "mac key"));
  EXPECT_FALSE(testing::TdReportMacValid(td, "other key"));
}

class TdxAttesterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = MakeTempDir("/tmp/tdx_attester_test_");
    ASSERT_TRUE(dir.ok());
    dir_ = *dir;
    std::filesystem::create_directories(dir_ + "/tsm/report");
    config_.tee = "tdx";
    config_.tsm_report_root = dir_ + "/tsm/report";
    config_.ccel_path = dir_ + "/CCEL";
    config_.tdx_guest_device = dir_ + "/tdx_guest";
    // Plays the kernel: fills the attributes of a freshly made report entry.
    config_.tsm_entry_created_hook = [this](const std::string& entry) {
      entries_.push_back(entry);
      (void)WriteFileAtomic(entry + "/provider", provider_);
      (void)WriteFileAtomic(entry + "/outblob", "QUOTE-BYTES");
      (void)WriteFileAtomic(entry + "/generation", generation_);
    };
  }
  void TearDown() override { (void)RemoveAll(dir_); }
  std::string dir_;
  AttesterConfig config_;
  std::vector<std::string> entries_;
  std::string provider_ = "tdx_guest\n";
  std::string generation_ = "1\n";
};

TEST_F(TdxAttesterTest, QuoteThroughConfigfs) {
  TdxAttester attester(config_);
  std::string report_data = crypto::RandomBytes(48);
  auto evidence = attester.GetEvidence(report_data);
  ASSERT_TRUE(evidence.ok()) << evidence.status();
  EXPECT_EQ(*evidence, "{\"cc_eventlog\":null,\"quote\":\"" + Base64Encode("QUOTE-BYTES") + "\"}");
  ASSERT_EQ(entries_.size(), 1u);
  auto inblob = ReadFile(entries_[0] + "/inblob");
  ASSERT_TRUE(inblob.ok());
  std::string padded = report_data;
  padded.resize(64, '\0');
  EXPECT_EQ(*inblob, padded);
  EXPECT_EQ(std::filesystem::path(entries_[0]).parent_path(), config_.tsm_report_root);
}

TEST_F(TdxAttesterTest, ProviderGenerationAndSize) {
  TdxAttester attester(config_);
  EXPECT_FALSE(attester.GetEvidence(std::string(65, 'x')).ok());
  provider_ = "sev_guest\n";
  auto wrong = attester.GetEvidence("x");
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("sev_guest"), absl::string_view::npos);
  provider_ = "tdx_guest\n";
  generation_ = "2\n";
  EXPECT_EQ(attester.GetEvidence("x").status().code(), absl::StatusCode::kAborted);
  AttesterConfig missing = config_;
  missing.tsm_report_root = dir_ + "/absent";
  EXPECT_FALSE(TdxAttester(missing).GetEvidence("x").ok());
}

std::string Le32(uint32_t v) {
  std::string s(4, '\0');
  for (int i = 0; i < 4; ++i) s[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
  return s;
}

TEST_F(TdxAttesterTest, CcelEventLogTrimmed) {
  // Spec ID event (TCG_PCR_EVENT), one SHA-384 TCG_PCR_EVENT2 record, then unused zero space.
  std::string first = Le32(0) + Le32(3) + std::string(20, '\0') + Le32(5) + "specs";
  std::string event2 = Le32(1) + Le32(0x80000001) + Le32(1) + std::string("\x0c\x00", 2) +
                       std::string(48, '\x11') + Le32(3) + "abc";
  std::string ccel = first + event2 + std::string(64, '\0');
  ASSERT_TRUE(WriteFileAtomic(config_.ccel_path, ccel).ok());
  auto trimmed = TrimCcelEventLog(ccel, "");
  ASSERT_TRUE(trimmed.has_value());
  EXPECT_EQ(*trimmed, first + event2 + std::string(8, '\xff'));
  EXPECT_EQ(*TrimCcelEventLog(first + event2 + std::string(16, '\xff'), "AAEL"),
            first + event2 + "AAEL" + std::string(8, '\xff'));
  EXPECT_FALSE(TrimCcelEventLog("", "x").has_value());

  TdxAttester attester(config_);
  auto evidence = attester.GetEvidence("n");
  ASSERT_TRUE(evidence.ok());
  auto j = ParseJson(*evidence, "evidence");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(*Base64Decode((*j)["cc_eventlog"].get<std::string>()), *trimmed);
}

TEST_F(TdxAttesterTest, Detection) {
  AttesterConfig detect = config_;
  detect.tee = "";
  detect.tcti = "swtpm:host=127.0.0.1,port=1";
  std::string warning;
  EXPECT_EQ(DetectTee(detect, &warning), "sample");
  EXPECT_NE(warning.find("sample"), std::string::npos);
  ASSERT_TRUE(WriteFileAtomic(detect.tdx_guest_device, "").ok());
  EXPECT_EQ(DetectTee(detect), "tdx");
  auto attester = CreateAttester(detect);
  ASSERT_TRUE(attester.ok());
  EXPECT_EQ((*attester)->tee(), "tdx");
  detect.tee = "snp";
  EXPECT_FALSE(CreateAttester(detect).ok());
}

TEST(SampleAttesterTest, Evidence) {
  SampleAttester attester;
  EXPECT_EQ(attester.tee(), "sample");
  EXPECT_EQ(*attester.GetEvidence("abc"), "{\"svn\":\"1\",\"report_data\":\"YWJj\"}");
  EXPECT_EQ(*attester.GetEvidence(""), "{\"svn\":\"1\",\"report_data\":\"\"}");
  EXPECT_EQ(attester.ExtendRuntimeMeasurement(std::string(32, 'x'), 17).code(),
            absl::StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace cocoon::aa
