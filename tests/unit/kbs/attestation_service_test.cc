#include "kbs/attestation_service.h"

#include "base/file_util.h"
#include "crypto/stream_cipher.h"
#include "gtest/gtest.h"
#include "testing/testdata.h"

namespace cocoon::kbs {
namespace {

TEST(AttestationServiceTest, TeeNamesAcceptBothSpellings) {
  EXPECT_EQ(NormalizeTeeName("az-tdx-vtpm"), "az-tdx-vtpm");
  EXPECT_EQ(NormalizeTeeName("aztdxvtpm"), "az-tdx-vtpm");
  EXPECT_EQ(NormalizeTeeName("azsnpvtpm"), "az-snp-vtpm");
  EXPECT_EQ(NormalizeTeeName("sample"), "sample");
  EXPECT_EQ(NormalizeTeeName("bogus"), "");
}

TEST(AttestationServiceTest, EarStatusIsTheWorstTier) {
  EXPECT_EQ(EarStatus(Json::object()), "none");
  EXPECT_EQ(EarStatus(Json{{"a", 0}, {"b", 2}, {"c", 3}}), "affirming");
  EXPECT_EQ(EarStatus(Json{{"a", 2}, {"b", 33}}), "warning");
  EXPECT_EQ(EarStatus(Json{{"a", 2}, {"b", 97}, {"c", 33}}), "contraindicated");
  EXPECT_EQ(EarStatus(Json{{"a", -1}, {"b", 1}}), "none");
}

TEST(AttestationServiceTest, InitDataWithKataPolicy) {
  COCOON_TESTDATA_OR_SKIP(path, "trustee/integration-tests/tests/init-data-with-policy.toml");
  auto text = ReadFile(path);
  ASSERT_TRUE(text.ok());
  auto init = ParseInitData(*text);
  ASSERT_TRUE(init.ok()) << init.status();
  EXPECT_EQ(init->digest, crypto::Sha256(*text));  // algorithm = 'sha256'
  const Json& claims = init->claims;
  ASSERT_TRUE(claims.contains("agent_policy_claims"));
  EXPECT_FALSE(claims.contains("policy.rego"));
  const Json& containers = claims["agent_policy_claims"]["containers"];
  ASSERT_TRUE(containers.is_array());
  bool found = false;
  for (const Json& c : containers) {
    const Json::json_pointer p("/OCI/Annotations/io.kubernetes.cri.image-name");
    if (c.contains(p) && c[p] == "bitnami/nginx:latest") found = true;
  }
  EXPECT_TRUE(found);
}

TEST(AttestationServiceTest, InitDataErrors) {
  EXPECT_FALSE(ParseInitData("algorithm = 'md5'\n").ok());
  EXPECT_FALSE(ParseInitData("[data\n").ok());
  auto ok = ParseInitData(
      "version = '0.1.0'\nalgorithm = 'sha384'\n[data]\n\"cdh.toml\" = '''\n"
      "socket = \"unix:///run/cdh.sock\"\n'''\n");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->digest.size(), 48u);
  EXPECT_EQ(ok->claims["cdh.toml"]["socket"], "unix:///run/cdh.sock");
}

}  // namespace
}  // namespace cocoon::kbs
