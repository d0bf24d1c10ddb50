// kbs's verifier set from verifier_config: the registered TEEs, the explicit test-root key and
// its warning, and config errors naming the key.
#include "kbs/verifiers.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "kbs/metrics.h"

namespace cocoon::kbs {
namespace {

TEST(VerifiersTest, DefaultRegistersSampleTdxAndAzure) {
  auto setup = BuildVerifiers("{}");
  ASSERT_TRUE(setup.ok()) << setup.status();
  EXPECT_TRUE(setup->warnings.empty());
  for (const char* tee : {"sample", "tdx", "az-tdx-vtpm", "aztdxvtpm"}) {
    EXPECT_NE(setup->registry->Find(tee), nullptr) << tee;
  }
  EXPECT_EQ(setup->registry->Find("snp"), nullptr);
}

TEST(VerifiersTest, TestRootOnlyThroughExplicitKeyWithWarning) {
  auto missing = BuildVerifiers(R"({"dcap":{"trusted_test_roots":["/nonexistent/root.pem"]}})");
  EXPECT_FALSE(missing.ok());
  auto wrong = BuildVerifiers(R"({"dcap":{"trusted_test_roots":"root.pem"}})");
  EXPECT_TRUE(absl::StrContains(wrong.status().message(), "dcap.trusted_test_roots"));
  auto unknown = BuildVerifiers(R"({"dcap":{"trusted_roots":["x"]}})");
  EXPECT_TRUE(absl::StrContains(unknown.status().message(), "dcap.trusted_roots: unknown key"));
  auto bad_collateral = BuildVerifiers(R"({"dcap":{"collateral":{"source":"nope"}}})");
  EXPECT_FALSE(bad_collateral.ok());
}

TEST(VerifiersTest, FailureReasons) {
  EXPECT_EQ(AttestationFailureReason(
                "verifier az-tdx-vtpm: TD quote: PCK chain: chain does not lead to a trusted root"),
            "untrusted_root");
  EXPECT_EQ(AttestationFailureReason("verifier az-tdx-vtpm: TPM quote nonce mismatch: extraData"),
            "tpm_nonce_mismatch");
  EXPECT_EQ(AttestationFailureReason("TDX Quote report data mismatch: SHA256(HCL variable data)"),
            "hcl_report_mismatch");
  EXPECT_EQ(AttestationFailureReason("nonce mismatch: runtime-data.nonce is not the challenge"),
            "nonce_mismatch");
  EXPECT_EQ(AttestationFailureReason("something else"), "other");
  Metrics m;
  m.RecordAttestationFailure("az-tdx-vtpm", "untrusted_root");
  EXPECT_TRUE(absl::StrContains(
      m.Render(),
      "kbs_attestation_failures_total{tee=\"az-tdx-vtpm\",reason=\"untrusted_root\"} 1"));
}

}  // namespace
}  // namespace cocoon::kbs
