#include "attestation/sample/sample_verifier.h"

#include "absl/strings/match.h"
#include "attestation/sample/sample_attester.h"
#include "base/json.h"
#include "gtest/gtest.h"

namespace cocoon::attestation {
namespace {

TEST(SampleVerifierTest, AcceptsMatchingReportData) {
  const std::string rd(48, '\x07');
  SampleVerifier v;
  auto claims = v.Evaluate(SampleEvidence(rd), rd, std::nullopt);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->tee_class, "cpu");
  auto j = ParseJson(claims->claims_json, "claims");
  EXPECT_EQ((*j)["svn"], "1");
  EXPECT_EQ((*j)["launch_digest"], "abcde");
  EXPECT_EQ((*j)["platform_version"]["major"], 1);
  EXPECT_EQ((*j)["platform_version"]["minor"], 4);
  EXPECT_EQ((*j)["debug"], false);
  EXPECT_FALSE(j->contains("init_data"));
  auto with_init = v.Evaluate(SampleEvidence(rd), rd, std::string("\x01\x02"));
  EXPECT_EQ((*ParseJson(with_init->claims_json, "c"))["init_data"], "AQI=");
}

TEST(SampleVerifierTest, RejectsMismatchAndMalformedEvidence) {
  SampleVerifier v;
  auto r = v.Evaluate(SampleEvidence(std::string(48, 'a')), std::string(48, 'b'), std::nullopt);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::StrContains(r.status().message(), "does not match"));
  // Padding differences are not tolerated: the digest must match exactly.
  EXPECT_FALSE(
      v.Evaluate(SampleEvidence(std::string(48, 'a')), std::string(64, 'a'), std::nullopt).ok());
  for (const char* bad : {"{}", "[]", "{\"svn\":\"1\",\"report_data\":\"!!\"}", "not json"}) {
    EXPECT_FALSE(v.Evaluate(bad, "x", std::nullopt).ok()) << bad;
  }
}

}  // namespace
}  // namespace cocoon::attestation
