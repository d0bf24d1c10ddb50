#include "kbs/token.h"

#include "absl/strings/match.h"
#include "crypto/jose/jws.h"
#include "gtest/gtest.h"
#include "kbs_test_util.h"
#include "testing/testdata.h"

namespace cocoon::kbs {
namespace {

using testing::NewKey;

TEST(TokenTest, JwkEndorsementScenarios) {
  struct Scenario {
    int n;
    bool ok;
  };
  // 01 ok, 02 leaf != jwk, 03 no x5c, 04 wrong anchor, 05 leaf + intermediate with root trusted,
  // 06 permuted intermediates, 07 partial chain in trust.
  for (const Scenario& s :
       {Scenario{1, true}, Scenario{2, false}, Scenario{3, false}, Scenario{4, false},
        Scenario{5, true}, Scenario{6, true}, Scenario{7, true}}) {
    SCOPED_TRACE(s.n);
    const std::string base = absl::StrCat("trustee/kbs/test_data/jwk/scenario0", s.n);
    COCOON_TESTDATA_OR_SKIP(jwk_path, base + "-jwk.json");
    COCOON_TESTDATA_OR_SKIP(trust_path, base + "-trust.pem");
    auto jwk = ReadFile(jwk_path);
    auto trust = ReadFile(trust_path);
    ASSERT_TRUE(jwk.ok() && trust.ok());
    auto key = VerifyJwkEndorsement(*jwk, *trust);
    EXPECT_EQ(key.ok(), s.ok) << key.status();
  }
}

class TokenVerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto signer = TokenSigner::FromKey(NewKey(crypto::KeyType::kEcP256));
    ASSERT_TRUE(signer.ok());
    signer_ = *std::move(signer);
  }
  std::string Claims(int64_t exp_offset) {
    const int64_t now = absl::ToUnixSeconds(absl::Now());
    return Json({{"iat", now}, {"exp", now + exp_offset}, {"submods", Json::object()}}).dump();
  }
  std::unique_ptr<TokenVerifier> Verifier(AttestationTokenConfig config = {}, bool own = true) {
    auto v =
        TokenVerifier::Create(config, own ? std::optional(signer_->public_key()) : std::nullopt);
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? *std::move(v) : nullptr;
  }
  std::unique_ptr<TokenSigner> signer_;
};

TEST_F(TokenVerifierTest, OwnTokenVerifies) {
  auto token = signer_->Sign(Claims(300));
  ASSERT_TRUE(token.ok());
  auto parts = jose::JwsParse(*token);
  auto header = ParseJson(parts->header, "h");
  EXPECT_EQ((*header)["alg"], "ES256");
  EXPECT_EQ((*header)["typ"], "JWT");
  EXPECT_EQ((*header)["jwk"]["alg"], "ES256");
  auto claims = Verifier()->Verify(*token);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_TRUE(absl::StrContains(*claims, "submods"));
}

TEST_F(TokenVerifierTest, ForeignSignerNeedsTrust) {
  auto other = TokenSigner::FromKey(NewKey(crypto::KeyType::kEcP256));
  auto token = (*other)->Sign(Claims(300));
  auto result = Verifier()->Verify(*token);
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(absl::StrContains(result.status().message(), "not trusted"));
  AttestationTokenConfig insecure;
  insecure.insecure_header_jwk = true;
  EXPECT_TRUE(Verifier(insecure)->Verify(*token).ok());
}

TEST_F(TokenVerifierTest, TrustedJwkSetByKid) {
  crypto::PrivateKey key = NewKey(crypto::KeyType::kEcP256);
  testing::TempDir dir;
  auto jwk = jose::PublicJwkJson(key.GetPublic(), "ES256");
  auto parsed = ParseJson(*jwk, "jwk");
  (*parsed)["kid"] = "signer-1";
  Json jwks = Json::object();
  jwks["keys"] = Json::array({*parsed});
  const std::string path = dir.Write("jwks.json", jwks.dump());
  AttestationTokenConfig config;
  config.trusted_jwk_sets = {absl::StrCat("file://", path)};
  auto token = jose::JwsSign(R"({"alg":"ES256","kid":"signer-1","typ":"JWT"})", Claims(300), key,
                             crypto::SignatureAlg::kEs256);
  ASSERT_TRUE(token.ok());
  EXPECT_TRUE(Verifier(config, false)->Verify(*token).ok());
  auto unknown = jose::JwsSign(R"({"alg":"ES256","kid":"nope","typ":"JWT"})", Claims(300), key,
                               crypto::SignatureAlg::kEs256);
  EXPECT_FALSE(Verifier(config, false)->Verify(*unknown).ok());
}

TEST_F(TokenVerifierTest, ExpiredAndMissingExpAndAlgNone) {
  auto expired = signer_->Sign(Claims(-120));
  auto r = Verifier()->Verify(*expired);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::StrContains(r.status().message(), "expired")) << r.status();
  auto no_exp = signer_->Sign(R"({"iat":1})");
  EXPECT_FALSE(Verifier()->Verify(*no_exp).ok());
  const std::string none =
      absl::StrCat(Base64UrlEncode(R"({"alg":"none"})"), ".", Base64UrlEncode(Claims(300)), ".");
  r = Verifier()->Verify(none);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::StrContains(r.status().message(), "none")) << r.status();
}

TEST_F(TokenVerifierTest, NoTrustMaterialIsAStartupError) {
  auto v = TokenVerifier::Create({}, std::nullopt);
  ASSERT_FALSE(v.ok());
  EXPECT_TRUE(absl::StrContains(v.status().message(), "no trusted verification materials"));
}

TEST(TokenSignerTest, RefusesNonP256Keys) {
  EXPECT_FALSE(TokenSigner::FromKey(NewKey(crypto::KeyType::kEcP384)).ok());
}

}  // namespace
}  // namespace cocoon::kbs
