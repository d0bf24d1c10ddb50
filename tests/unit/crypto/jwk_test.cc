#include "crypto/jose/jwk.h"

#include <string>

#include "base/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/testdata.h"
#include "unit/crypto/test_util.h"

namespace cocoon::jose {
namespace {

using ::cocoon::crypto::KeyType;
using ::cocoon::crypto::PrivateKey;
using ::cocoon::crypto::PublicKey;
using ::cocoon::crypto::testing::B64u;
using ::cocoon::testing::ReadTestdata;
using ::testing::HasSubstr;

// RFC 7638 section 3.1 (the key of RFC 7517 Appendix A.1).
constexpr char kRfc7638N[] =
    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPe"
    "bWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY36"
    "8QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4l"
    "Fd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";

TEST(JwkThumbprint, MatchesRfc7638Example) {
  const std::string json = std::string(R"({"kty":"RSA","n":")") + kRfc7638N +
                           R"(","e":"AQAB","alg":"RS256","kid":"2011-04-29"})";
  auto jwk = ParseJwk(json);
  ASSERT_TRUE(jwk.ok()) << jwk.status();
  EXPECT_EQ(jwk->alg, "RS256");
  EXPECT_EQ(jwk->kid, "2011-04-29");
  EXPECT_FALSE(jwk->private_key.has_value());
  auto thumbprint = JwkThumbprint(jwk->public_key);
  ASSERT_TRUE(thumbprint.ok());
  EXPECT_EQ(*thumbprint, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
  auto canonical = PublicJwkJson(jwk->public_key);
  ASSERT_TRUE(canonical.ok());
  EXPECT_EQ(*canonical, std::string(R"({"e":"AQAB","kty":"RSA","n":")") + kRfc7638N + "\"}");
}

// RFC 8037 Appendix A.1-A.3: the Ed25519 key and its thumbprint.
TEST(JwkThumbprint, MatchesRfc8037Example) {
  auto jwk =
      ParseJwk(R"({"kty":"OKP","crv":"Ed25519","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",)"
               R"("x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})");
  ASSERT_TRUE(jwk.ok()) << jwk.status();
  ASSERT_TRUE(jwk->private_key.has_value());
  EXPECT_EQ(jwk->private_key->type(), KeyType::kEd25519);
  auto thumbprint = JwkThumbprint(jwk->public_key);
  ASSERT_TRUE(thumbprint.ok());
  EXPECT_EQ(*thumbprint, "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
  auto pub = PublicJwkJson(jwk->public_key);
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(*pub,
            R"({"crv":"Ed25519","kty":"OKP","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})");
  auto priv = PrivateJwkJson(*jwk->private_key);
  ASSERT_TRUE(priv.ok());
  EXPECT_EQ(priv->view(),
            R"({"crv":"Ed25519","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","kty":"OKP",)"
            R"("x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})");
}

TEST(PublicJwkJson, WritesSortedMembersWithOptionalAlg) {
  auto key =
      PublicKey::FromEcPoint(KeyType::kEcP256, B64u("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"),
                             B64u("x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"));
  ASSERT_TRUE(key.ok());
  auto json = PublicJwkJson(*key, "ES256");
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(*json, R"({"alg":"ES256","crv":"P-256","kty":"EC",)"
                   R"("x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",)"
                   R"("y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})");
}

TEST(PublicJwkJson, LeftPadsEcCoordinatesLikeTheTrusteeJwks) {
  COCOON_TESTDATA_OR_SKIP(path,
                          "trustee/attestation-service/tests/fixtures/jwk/expected-jwks.json");
  const std::string dir = "trustee/attestation-service/tests/fixtures/jwk/";
  auto key = PrivateKey::Parse(ReadTestdata(dir + "signing-key.pem"));
  ASSERT_TRUE(key.ok()) << key.status();
  auto expected = ParseJson(ReadTestdata(dir + "expected-jwks.json"), "expected");
  ASSERT_TRUE(expected.ok());
  const Json& want = (*expected)["keys"][0];
  auto json = PublicJwkJson(key->GetPublic(), "ES256");
  ASSERT_TRUE(json.ok());
  auto got = ParseJson(*json, "got");
  ASSERT_TRUE(got.ok());
  for (const char* member : {"kty", "crv", "alg", "x", "y"}) {
    EXPECT_EQ((*got)[member], want[member]) << member;
  }
  // The fixture's x starts with a zero byte: it must stay 32 bytes.
  EXPECT_EQ(B64u((*got)["x"].get<std::string>()).size(), 32u);
  // The set parses, and its x5c leaf carries the same key.
  auto set = ParseJwkSet(ReadTestdata(dir + "expected-jwks.json"));
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ(set->size(), 1u);
  EXPECT_TRUE((*set)[0].public_key.Equals(key->GetPublic()));
  ASSERT_FALSE((*set)[0].x5c.empty());
  auto leaf = PublicKey::Parse((*set)[0].x5c[0]);
  ASSERT_TRUE(leaf.ok()) << leaf.status();
  EXPECT_TRUE(leaf->Equals(key->GetPublic()));
}

class JwkRoundTripTest : public ::testing::TestWithParam<KeyType> {};

TEST_P(JwkRoundTripTest, PrivateAndPublicJwkRoundTrip) {
  auto key = PrivateKey::Generate(GetParam());
  ASSERT_TRUE(key.ok());
  auto priv_json = PrivateJwkJson(*key, "test-alg");
  ASSERT_TRUE(priv_json.ok()) << priv_json.status();
  auto parsed = ParseJwk(priv_json->view());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_TRUE(parsed->private_key.has_value());
  EXPECT_EQ(parsed->alg, "test-alg");
  EXPECT_TRUE(parsed->public_key.Equals(key->GetPublic()));
  EXPECT_TRUE(parsed->private_key->GetPublic().Equals(key->GetPublic()));
  auto again = PrivateJwkJson(*parsed->private_key, "test-alg");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->view(), priv_json->view());

  auto pub_json = PublicJwkJson(key->GetPublic());
  ASSERT_TRUE(pub_json.ok());
  EXPECT_THAT(*pub_json, ::testing::Not(HasSubstr("\"d\"")));
  auto pub = ParseJwk(*pub_json);
  ASSERT_TRUE(pub.ok()) << pub.status();
  EXPECT_FALSE(pub->private_key.has_value());
  EXPECT_TRUE(pub->public_key.Equals(key->GetPublic()));
  auto t1 = JwkThumbprint(pub->public_key);
  auto t2 = JwkThumbprint(key->GetPublic());
  ASSERT_TRUE(t1.ok() && t2.ok());
  EXPECT_EQ(*t1, *t2);
  EXPECT_EQ(t1->size(), 43u);
}

INSTANTIATE_TEST_SUITE_P(AllTypes, JwkRoundTripTest,
                         ::testing::Values(KeyType::kRsa, KeyType::kEcP256, KeyType::kEcP384,
                                           KeyType::kEcP521, KeyType::kEd25519));

TEST(ParseJwk, ReadsImgcryptTestKeys) {
  COCOON_TESTDATA_OR_SKIP(path,
                          "imgcrypt/script/tests/test_encryption.sh.extracted/JWKTESTKEY1.jwk");
  const std::string dir = "imgcrypt/script/tests/test_encryption.sh.extracted/";
  const struct {
    const char* priv;
    const char* pub;
    const char* alg;
    KeyType type;
  } cases[] = {
      {"JWKTESTKEY1.jwk", "JWKTESTPUBKEY1.jwk", "", KeyType::kRsa},
      {"JWKTESTKEY2.jwk", "JWKTESTPUBKEY2.jwk", "RSA-OAEP", KeyType::kRsa},
      {"JWKTESTKEY3.jwk", "JWKTESTPUBKEY3.jwk", "RSA-OAEP-256", KeyType::kRsa},
      {"JWKECTESTKEY1.jwk", "JWKECTESTPUBKEY1.jwk", "ECDH-ES+A128KW", KeyType::kEcP521},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.priv);
    auto priv = ParseJwk(ReadTestdata(dir + c.priv));
    ASSERT_TRUE(priv.ok()) << priv.status();
    ASSERT_TRUE(priv->private_key.has_value());
    EXPECT_EQ(priv->private_key->type(), c.type);
    EXPECT_EQ(priv->alg, c.alg);
    auto pub = ParseJwk(ReadTestdata(dir + c.pub));
    ASSERT_TRUE(pub.ok()) << pub.status();
    EXPECT_FALSE(pub->private_key.has_value());
    EXPECT_EQ(pub->alg, c.alg);
    EXPECT_TRUE(pub->public_key.Equals(priv->public_key));
  }
  auto ec = ParseJwk(ReadTestdata(dir + "JWKECTESTKEY1.jwk"));
  ASSERT_TRUE(ec.ok());
  EXPECT_EQ(ec->use, "enc");
  EXPECT_EQ(ec->kid, "bFYCcZ5aVw7LcnI8okm0cOSAnYw3mJ7r6jxCyxi93bc");
}

TEST(ParseJwk, ReadsGuestComponentsRsaJwks) {
  COCOON_TESTDATA_OR_SKIP(path, "guest-components/ocicrypt-rs/data/RSA_private.jwk");
  auto priv = ParseJwk(ReadTestdata("guest-components/ocicrypt-rs/data/RSA_private.jwk"));
  auto pub = ParseJwk(ReadTestdata("guest-components/ocicrypt-rs/data/RSA_public.jwk"));
  ASSERT_TRUE(priv.ok()) << priv.status();
  ASSERT_TRUE(pub.ok()) << pub.status();
  ASSERT_TRUE(priv->private_key.has_value());
  EXPECT_TRUE(priv->public_key.Equals(pub->public_key));
}

// Trustee KBS x5c endorsement vectors: the JWK parser must expose x5c so the KBS can check that
// the leaf certificate carries the JWK's key (scenario 02: it does not; 03: no x5c).
TEST(ParseJwk, ExposesX5cOfTrusteeKbsScenarios) {
  COCOON_TESTDATA_OR_SKIP(path, "trustee/kbs/test_data/jwk/scenario01-jwk.json");
  const struct {
    int n;
    size_t certs;
    bool leaf_matches;
  } cases[] = {{1, 1, true}, {2, 1, false}, {3, 0, false}, {4, 1, true},
               {5, 2, true}, {6, 3, true},  {7, 4, true}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.n);
    auto jwk = ParseJwk(
        ReadTestdata("trustee/kbs/test_data/jwk/scenario0" + std::to_string(c.n) + "-jwk.json"));
    ASSERT_TRUE(jwk.ok()) << jwk.status();
    EXPECT_EQ(jwk->alg, "RS256");
    EXPECT_EQ(jwk->public_key.type(), KeyType::kRsa);
    ASSERT_EQ(jwk->x5c.size(), c.certs);
    for (const std::string& der : jwk->x5c) {
      EXPECT_TRUE(PublicKey::Parse(der).ok());
    }
    if (c.certs > 0) {
      auto leaf = PublicKey::Parse(jwk->x5c[0]);
      ASSERT_TRUE(leaf.ok());
      EXPECT_EQ(leaf->Equals(jwk->public_key), c.leaf_matches);
    }
  }
}

TEST(ParseJwk, ErrorsNameTheMember) {
  EXPECT_ERROR_HAS(ParseJwk("[1]"), "JWK: expected a JSON object");
  EXPECT_ERROR_HAS(ParseJwk("{"), "JWK");
  EXPECT_ERROR_HAS(ParseJwk(R"({"n":"AQAB"})"), "missing member \"kty\"");
  EXPECT_ERROR_HAS(ParseJwk(R"({"kty":"oct","k":"AAAA"})"), "\"kty\" \"oct\" is not supported");
  EXPECT_ERROR_HAS(ParseJwk(R"({"kty":"RSA","e":"AQAB"})"), "missing member \"n\"");
  EXPECT_ERROR_HAS(ParseJwk(R"({"kty":"RSA","n":"AQAB","e":"AQAB","kid":7})"),
                   "member \"kid\" must be a string");
  EXPECT_ERROR_HAS(ParseJwk(R"({"kty":"RSA","n":"a+b","e":"AQAB"})"),
                   "member \"n\": base64: illegal character");
  EXPECT_ERROR_HAS(ParseJwk(R"({"kty":"RSA","n":"AQAB=","e":"AQAB"})"), "member \"n\"");
  EXPECT_ERROR_HAS(ParseJwk(R"({"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"})"),
                   "member \"x\" must be 32 bytes for P-256, got 3");
  EXPECT_ERROR_HAS(ParseJwk(R"({"kty":"EC","crv":"secp256k1","x":"AAAA","y":"AAAA"})"),
                   "\"crv\" \"secp256k1\" is not supported");
  EXPECT_ERROR_HAS(ParseJwk(R"({"kty":"EC","x":"AAAA","y":"AAAA"})"), "member \"crv\"");
  EXPECT_ERROR_HAS(ParseJwk(R"({"kty":"OKP","crv":"X25519","x":"AAAA"})"),
                   "\"crv\" \"X25519\" is not supported for kty OKP");
  EXPECT_ERROR_HAS(ParseJwk(R"({"kty":"RSA","n":"AQAB","e":"AQAB","d":"AQAB","p":"AQAB"})"),
                   "missing member \"q\"");
  EXPECT_ERROR_HAS(ParseJwk(R"({"kty":"RSA","n":"AQAB","e":"AQAB","x5c":"abc"})"),
                   "\"x5c\" must be an array");
}

TEST(ParseJwk, RejectsEcPointOffTheCurveAndMismatchedPrivateParts) {
  // RFC 7515 A.3 key with y changed in its last character.
  EXPECT_ERROR_HAS(
      ParseJwk(R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",)"
               R"("y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a4"})"),
      "not on the curve");
  // The A.3 public point with another curve point's scalar.
  EXPECT_ERROR_HAS(
      ParseJwk(R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",)"
               R"("y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",)"
               R"("d":"VEmDZpDXXK8p8N0Cndsxs924q6nS1RXFASRl6BfUqdw"})"),
      "does not match");
  EXPECT_ERROR_HAS(
      ParseJwk(R"({"kty":"OKP","crv":"Ed25519","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",)"
               R"("x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURA"})"),
      "member \"d\" does not match member \"x\"");
}

TEST(ParseJwkSet, SkipsUnsupportedKeyTypesAndNamesBadEntries) {
  auto set = ParseJwkSet(
      R"({"keys":[{"kty":"oct","k":"AAAA"},)"
      R"({"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]})");
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ(set->size(), 1u);
  EXPECT_EQ((*set)[0].public_key.type(), KeyType::kEd25519);
  EXPECT_ERROR_HAS(ParseJwkSet(R"({"keys":[{"kty":"EC","crv":"P-256"}]})"), "keys[0]");
  EXPECT_ERROR_HAS(ParseJwkSet(R"({"nokeys":[]})"), "member \"keys\"");
}

}  // namespace
}  // namespace cocoon::jose
