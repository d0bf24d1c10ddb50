#include "cli/attestation_cmd.h"

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "attestation/dcap/collateral.h"
#include "base/encoding.h"
#include "base/file_util.h"
#include "base/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_pki.h"
#include "testing/testdata.h"
#include "vectors.h"

namespace cocoon::cli {
namespace {

using ::cocoon::testing::ReadTestdata;
using ::testing::HasSubstr;
namespace t = ::cocoon::attestation::testing;

class AttestationCmdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = MakeTempDir("/tmp/cocoon-attcmd-test-");
    ASSERT_TRUE(dir.ok());
    dir_ = *dir;
  }
  void TearDown() override { (void)RemoveAll(dir_); }

  std::string Write(const std::string& name, absl::string_view data) {
    const std::string path = absl::StrCat(dir_, "/", name);
    EXPECT_TRUE(WriteFileAtomic(path, data).ok());
    return path;
  }

  // Runs `cocoon <args>` through the registered commands; returns (exit code, parsed stdout).
  std::pair<int, Json> Run(std::vector<std::string> args) {
    CLI::App app{"cocoon"};
    int exit_code = -1;
    RegisterAttestationCommands(app, &exit_code);
    std::vector<const char*> argv = {"cocoon"};
    for (const auto& a : args) argv.push_back(a.c_str());
    ::testing::internal::CaptureStdout();
    app.parse(static_cast<int>(argv.size()), argv.data());
    const std::string out = ::testing::internal::GetCapturedStdout();
    auto j = ParseJson(out, "cli output");
    return {exit_code, j.ok() ? *j : Json()};
  }

  std::string TdxEvidenceFile(absl::string_view quote) {
    Json j = {{"quote", Base64Encode(quote)}, {"cc_eventlog", nullptr}};
    return Write("evidence.json", j.dump());
  }

  std::string dir_;
};

TEST_F(AttestationCmdTest, VerifiesTdxQuoteUpToDateWithPinnedTime) {
  COCOON_TESTDATA_OR_SKIP(path, t::kE1Quote);
  const std::string ev = TdxEvidenceFile(ReadTestdata(t::kE1Quote));
  const std::string col = Write("col.json", ReadTestdata(t::kE1Collateral));
  auto [rc, out] = Run({"attestation", "verify", "--tee", "tdx", "--evidence", ev, "--collateral",
                        col, "--at", "2025-07-01T00:00:00Z"});
  EXPECT_EQ(rc, 0) << out.dump();
  EXPECT_EQ(out["verified"], true);
  EXPECT_EQ(out["tcb_status"], "UpToDate");
  EXPECT_EQ(out["collateral_expired"], false);
  EXPECT_EQ(out["claims"]["quote"]["header"]["version"], "0400");
  EXPECT_FALSE(out.contains("error"));
}

TEST_F(AttestationCmdTest, ExpiredCollateralStillVerifiesWithFlag) {
  COCOON_TESTDATA_OR_SKIP(path, t::kE1Quote);
  const std::string ev = TdxEvidenceFile(ReadTestdata(t::kE1Quote));
  const std::string col = Write("col.json", ReadTestdata(t::kE1Collateral));
  auto [rc, out] = Run({"attestation", "verify", "--tee", "tdx", "--evidence", ev, "--collateral",
                        col, "--at", "2026-09-01T00:00:00Z"});
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(out["collateral_expired"], true);
  EXPECT_EQ(out["claims"]["collateral_expiration_status"], "1");
}

TEST_F(AttestationCmdTest, WrongReportDataExitsOneWithError) {
  COCOON_TESTDATA_OR_SKIP(path, t::kE1Quote);
  const std::string ev = TdxEvidenceFile(ReadTestdata(t::kE1Quote));
  const std::string col = Write("col.json", ReadTestdata(t::kE1Collateral));
  auto [rc, out] = Run({"attestation", "verify", "--tee", "tdx", "--evidence", ev, "--collateral",
                        col, "--at", "2025-07-01T00:00:00Z", "--report-data", "00ff"});
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(out["verified"], false);
  EXPECT_THAT(out["error"].get<std::string>(), HasSubstr("report data mismatch"));
}

TEST_F(AttestationCmdTest, BundleDirectoryWithoutTheFmspcFails) {
  COCOON_TESTDATA_OR_SKIP(path, "trustee/deps/verifier/test_data/az-tdx-vtpm/evidence-v1.json");
  const std::string ev = Write(
      "az.json", ReadTestdata("trustee/deps/verifier/test_data/az-tdx-vtpm/evidence-v1.json"));
  auto [rc, out] = Run({"attestation", "verify", "--tee", "az-tdx-vtpm", "--evidence", ev,
                        "--collateral", dir_, "--report-data", HexEncode("challenge")});
  EXPECT_EQ(rc, 1);
  EXPECT_THAT(out["error"].get<std::string>(), HasSubstr("no collateral for FMSPC 00806f050000"));
}

TEST_F(AttestationCmdTest, TestRootIsAcceptedOnlyWithTrustedRoot) {
  t::TestPki pki;
  const std::string nonce(48, '\x42');
  const std::string ev = Write("az.json", t::BuildAzEvidence(pki, nonce, 2, nonce));
  const std::string col =
      Write("col.json", attestation::dcap::SerializeCollateralJson(t::BuildCollateral(pki, {})));
  const std::string root = Write("root.pem", pki.root_pem());
  std::vector<std::string> base = {
      "attestation",  "verify", "--tee", "az-tdx-vtpm",          "--evidence",    ev,
      "--collateral", col,      "--at",  "2025-07-01T00:00:00Z", "--report-data", HexEncode(nonce)};
  auto [rc1, out1] = Run(base);
  EXPECT_EQ(rc1, 1);
  EXPECT_THAT(out1["error"].get<std::string>(), HasSubstr("not a trusted root"));
  base.push_back("--trusted-root");
  base.push_back(root);
  auto [rc2, out2] = Run(base);
  EXPECT_EQ(rc2, 0) << out2.dump();
  EXPECT_EQ(out2["tcb_status"], "UpToDate");
  EXPECT_EQ(out2["claims"]["report_data"], HexEncode(nonce));
}

TEST_F(AttestationCmdTest, UnknownTeeIsRejected) {
  const std::string ev = Write("e.json", "{}");
  auto [rc, out] = Run({"attestation", "verify", "--tee", "sgx", "--evidence", ev});
  EXPECT_EQ(rc, 1);
  EXPECT_THAT(out["error"].get<std::string>(), HasSubstr("unknown --tee"));
}

}  // namespace
}  // namespace cocoon::cli

namespace cocoon::cli {
namespace {

TEST(AttestationCmdSampleTest, SampleEvidenceVerifiesAgainstReportData) {
  auto dir = MakeTempDir("/tmp/cocoon-attcmd-sample-");
  ASSERT_TRUE(dir.ok());
  const std::string rd(48, '\x07');
  const std::string path = *dir + "/sample.json";
  ASSERT_TRUE(
      WriteFileAtomic(path, Json({{"svn", "1"}, {"report_data", Base64Encode(rd)}}).dump()).ok());
  CLI::App app{"cocoon"};
  int exit_code = -1;
  RegisterAttestationCommands(app, &exit_code);
  const std::string hex = HexEncode(rd);
  const char* argv[] = {"cocoon",     "attestation", "verify",        "--tee",    "sample",
                        "--evidence", path.c_str(),  "--report-data", hex.c_str()};
  ::testing::internal::CaptureStdout();
  app.parse(9, argv);
  auto out = ParseJson(::testing::internal::GetCapturedStdout(), "out");
  EXPECT_EQ(exit_code, 0);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)["verified"], true);
  EXPECT_EQ((*out)["claims"]["svn"], "1");
  (void)RemoveAll(*dir);
}

}  // namespace
}  // namespace cocoon::cli
