// Cross-check with the verifier (src/attestation): evidence the production attester produces
// against the emulator verifies end to end when the verifier trusts the emulator's test root and
// is given its collateral, and fails without that root.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "aa/attester/az_tdx_vtpm_attester.h"
#include "absl/time/clock.h"
#include "attestation/az_tdx_vtpm/az_tdx_vtpm_verifier.h"
#include "attestation/collateral/provider.h"
#include "attestation/dcap/collateral.h"
#include "attestation/dcap/pki.h"
#include "base/file_util.h"
#include "crypto/stream_cipher.h"
#include "emulator.h"
#include "swtpm_process.h"

namespace cocoon::aa {
namespace {

namespace dcap = attestation::dcap;

TEST(AzTdxVtpmVerifyTest, EmulatedEvidenceVerifies) {
  if (!testing::SwtpmProcess::Available()) GTEST_SKIP() << "swtpm is not installed";
  auto dir = MakeTempDir("/tmp/az_verify_test_");
  ASSERT_TRUE(dir.ok());
  auto swtpm = testing::SwtpmProcess::Start(*dir + "/swtpm");
  ASSERT_TRUE(swtpm.ok()) << swtpm.status();
  testing::AzEmulatorOptions options;
  options.swtpm_port = (*swtpm)->port();
  options.out_dir = *dir + "/emulator";
  auto emu = testing::AzTdxVtpmEmulator::Start(options);
  ASSERT_TRUE(emu.ok()) << emu.status();

  AttesterConfig config;
  config.tcti = (*emu)->tcti();
  config.imds_url = (*emu)->tdquote_base_url();
  config.settle_delay = absl::ZeroDuration();
  AzTdxVtpmAttester attester(config);
  std::string init_data = crypto::Sha256("initdata");
  ASSERT_TRUE(attester.BindInitData(init_data).ok());
  std::string report_data = crypto::RandomBytes(48);
  auto evidence = attester.GetEvidence(report_data);
  ASSERT_TRUE(evidence.ok()) << evidence.status();

  auto root = ReadFile((*emu)->root_ca_path());
  ASSERT_TRUE(root.ok());
  auto roots = dcap::TrustedRoots::WithExtra({*root});
  ASSERT_TRUE(roots.ok()) << roots.status();
  auto collateral_json = ReadFile((*emu)->collateral_path());
  ASSERT_TRUE(collateral_json.ok());
  auto collateral = dcap::ParseCollateralJson(*collateral_json);
  ASSERT_TRUE(collateral.ok()) << collateral.status();
  auto provider = attestation::collateral::StaticCollateralProvider::Create(*collateral, *roots);
  ASSERT_TRUE(provider.ok()) << provider.status();

  attestation::VerifierContext context;
  context.roots = &*roots;
  context.collateral = provider->get();
  auto result =
      attestation::az::VerifyAzTdxVtpmEvidence(*evidence, report_data, init_data, context);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->tcb_status, dcap::TcbStatus::kUpToDate);
  EXPECT_FALSE(result->collateral_expired);

  // Wrong nonce, and the Intel root alone, must both fail.
  EXPECT_FALSE(attestation::az::VerifyAzTdxVtpmEvidence(*evidence, crypto::RandomBytes(48),
                                                        std::nullopt, context)
                   .ok());
  auto intel = dcap::TrustedRoots::IntelOnly();
  ASSERT_TRUE(intel.ok());
  attestation::VerifierContext untrusted = context;
  untrusted.roots = &*intel;
  EXPECT_FALSE(
      attestation::az::VerifyAzTdxVtpmEvidence(*evidence, report_data, std::nullopt, untrusted)
          .ok());
  emu->reset();
  swtpm->reset();
  (void)RemoveAll(*dir);
}

}  // namespace
}  // namespace cocoon::aa
