// The attestation agent on the Azure TDX vTPM emulator: evidence over ttrpc and runtime
// measurements (PCR extend + AAEL record).
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "aa/aa_client.h"
#include "aa/agent.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/encoding.h"
#include "base/file_util.h"
#include "base/json.h"
#include "crypto/stream_cipher.h"
#include "emulator.h"
#include "rpc/ttrpc_server.h"
#include "swtpm_process.h"
#include "tpm/tpm.h"

namespace cocoon::aa {
namespace {

class AgentAzTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::SwtpmProcess::Available()) GTEST_SKIP() << "swtpm is not installed";
    auto dir = MakeTempDir("/tmp/aa_az_test_");
    ASSERT_TRUE(dir.ok());
    dir_ = *dir;
    auto swtpm = testing::SwtpmProcess::Start(dir_ + "/swtpm");
    ASSERT_TRUE(swtpm.ok()) << swtpm.status();
    swtpm_ = std::move(*swtpm);
    testing::AzEmulatorOptions options;
    options.swtpm_port = swtpm_->port();
    options.out_dir = dir_ + "/emulator";
    auto emu = testing::AzTdxVtpmEmulator::Start(options);
    ASSERT_TRUE(emu.ok()) << emu.status();
    emulator_ = std::move(*emu);
    config_.attester.tee = "az-tdx-vtpm";
    config_.attester.tcti = emulator_->tcti();
    config_.attester.imds_url = emulator_->tdquote_base_url();
    config_.attester.settle_delay = absl::ZeroDuration();
    config_.enable_eventlog = true;
    config_.init_pcr = 23;  // PCRs 17..22 need locality 3+ on a TPM
    config_.eventlog_path = dir_ + "/aael/eventlog";
  }
  void TearDown() override {
    server_.Stop();
    emulator_.reset();
    swtpm_.reset();
    if (!dir_.empty()) (void)RemoveAll(dir_);
  }

  std::string dir_;
  AaConfig config_;
  std::unique_ptr<testing::SwtpmProcess> swtpm_;
  std::unique_ptr<testing::AzTdxVtpmEmulator> emulator_;
  rpc::TtrpcServer server_;
};

TEST_F(AgentAzTest, EvidenceOverTtrpcAndRuntimeMeasurement) {
  auto agent = AttestationAgent::Create(config_);
  ASSERT_TRUE(agent.ok()) << agent.status();
  std::vector<std::string> events;
  RegisterAttestationAgentService(agent->get(), &server_,
                                  [&events](absl::string_view e, const absl::Status& s) {
                                    events.push_back(absl::StrCat(e, s.ok() ? ": ok" : ": failed"));
                                  });
  const std::string socket = absl::StrCat("unix://", dir_, "/aa.sock");
  ASSERT_TRUE(server_.Start(socket).ok());
  AttestationAgentClient client(socket);
  EXPECT_EQ(*client.GetTeeType(), "az-tdx-vtpm");
  auto evidence = client.GetEvidence(std::string(48, '\x42'));
  ASSERT_TRUE(evidence.ok()) << evidence.status();
  auto j = ParseJson(*evidence, "evidence");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ((*j)["version"], 2);
  EXPECT_EQ((*j)["tpm_quote"]["pcrs"].size(), 24u);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events[0], "GetEvidence (az-tdx-vtpm, 48 bytes of runtime data): ok");

  // PCR 23 before, the extend, PCR 23 after = SHA256(before || SHA256(tagged event)).
  std::string before;
  {
    auto tpm = tpm::Tpm::Open(emulator_->tcti());
    ASSERT_TRUE(tpm.ok()) << tpm.status();
    auto pcrs = (*tpm)->PcrRead();
    ASSERT_TRUE(pcrs.ok());
    before = (*pcrs)[23];
  }
  auto r = (*agent)->ExtendRuntimeMeasurement("github.com/confidential-containers", "pull",
                                              "image digest", std::nullopt);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, MeasurementResult::kOk);
  const std::string tagged =
      AaelTaggedEvent("github.com/confidential-containers", "pull", "image digest");
  {
    auto tpm = tpm::Tpm::Open(emulator_->tcti());
    ASSERT_TRUE(tpm.ok());
    auto pcrs = (*tpm)->PcrRead();
    ASSERT_TRUE(pcrs.ok());
    EXPECT_EQ((*pcrs)[23], crypto::Sha256(before + crypto::Sha256(tagged)));
  }
  auto log = ReadFile(config_.eventlog_path, 1 << 20);
  ASSERT_TRUE(log.ok()) << log.status();
  // register 23, EV_EVENT_TAG, one sha256 digest, event size, event.
  EXPECT_EQ(HexEncode(log->substr(0, 14)), "1700000006000000010000000b00");
  EXPECT_EQ(log->substr(14, 32), crypto::Sha256(tagged));
  EXPECT_EQ(log->substr(50), tagged);
  // PCR 17 (the upstream default, an RTMR on TDX) is refused on the vTPM with a hint.
  auto pcr17 = (*agent)->ExtendRuntimeMeasurement("d", "o", "c", 17);
  EXPECT_EQ(pcr17.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(pcr17.status().message().find("locality"), absl::string_view::npos);
  // A multi-line event is refused.
  EXPECT_FALSE((*agent)->ExtendRuntimeMeasurement("d", "o", "a\nb", std::nullopt).ok());
}

}  // namespace
}  // namespace cocoon::aa
