#include "kbs/tee_key.h"

#include "crypto/jose/jwe.h"
#include "crypto/stream_cipher.h"
#include "gtest/gtest.h"
#include "kbs_test_util.h"

namespace cocoon::kbs {
namespace {

using testing::NewKey;

TEST(TeeKeyTest, UpstreamCanonicalJsonSha384Vector) {
  auto j = ParseJson(R"({"b":1,"a":"test","c":{"d":"e"}})", "vector");
  ASSERT_TRUE(j.ok());
  auto canonical = CanonicalJson(*j);
  ASSERT_TRUE(canonical.ok());
  EXPECT_EQ(*canonical, R"({"a":"test","b":1,"c":{"d":"e"}})");
  EXPECT_EQ(HexEncode(crypto::Sha384(*canonical)),
            "e71ce8e70d814ba6639c3612ebee0ff1f76f650f8dbb5e47157e0f3f525cd22c4597480a186427c813ca9"
            "41da78870c3");
}

TEST(TeeKeyTest, UpstreamJweAadVector) {
  EXPECT_EQ(Base64UrlEncode(R"({"alg":"fakealg","enc":"fakeenc"})"),
            "eyJhbGciOiJmYWtlYWxnIiwiZW5jIjoiZmFrZWVuYyJ9");
}

TEST(TeeKeyTest, RuntimeDataDigestDropsUnknownJwkMembers) {
  auto jwk = ParseJson(
      R"({"kty":"EC","crv":"P-256","alg":"ECDH-ES+A256KW","kid":"k1","use":"enc",
          "x":"AAAA","y":"BBBB"})",
      "jwk");
  auto key = TeePubKeyFromJson(*jwk);
  ASSERT_TRUE(key.ok()) << key.status();
  const std::string additional;
  auto digest = RuntimeDataDigest("nonce", *key, &additional);
  ASSERT_TRUE(digest.ok());
  EXPECT_EQ(digest->size(), 48u);
  const std::string expected_text =
      R"({"additional-evidence":"","nonce":"nonce","tee-pubkey":{"alg":"ECDH-ES+A256KW","crv":"P-256","kty":"EC","x":"AAAA","y":"BBBB"}})";
  EXPECT_EQ(*digest, crypto::Sha384(expected_text));
  // Device evidence: no additional-evidence member.
  auto device = RuntimeDataDigest("nonce", *key, nullptr);
  EXPECT_EQ(
      *device,
      crypto::Sha384(
          R"({"nonce":"nonce","tee-pubkey":{"alg":"ECDH-ES+A256KW","crv":"P-256","kty":"EC","x":"AAAA","y":"BBBB"}})"));
}

TEST(TeeKeyTest, RsaKeyKeepsTypedMembers) {
  auto jwk =
      ParseJson(R"({"kty":"RSA","alg":"RSA-OAEP-256","n":"AQAB","e":"AQAB","x5c":[]})", "jwk");
  auto key = TeePubKeyFromJson(*jwk);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(TeePubKeyToJson(*key).dump(),
            R"({"alg":"RSA-OAEP-256","e":"AQAB","kty":"RSA","n":"AQAB"})");
}

TEST(TeeKeyTest, MalformedKeysAreRejected) {
  for (const char* text : {R"({"kty":"oct","alg":"A256KW"})", R"({"kty":"EC","alg":"x"})",
                           R"({"kty":"RSA","alg":"RSA1_5","n":"!!","e":"AQAB"})", R"([])"}) {
    auto j = ParseJson(text, "jwk");
    EXPECT_FALSE(TeePubKeyFromJson(*j).ok()) << text;
  }
}

TEST(TeeKeyTest, EncryptResourceRoundTripsForEveryAlgorithm) {
  struct Case {
    crypto::KeyType type;
    const char* alg;
  };
  for (const Case& c :
       {Case{crypto::KeyType::kRsa, "RSA-OAEP-256"}, Case{crypto::KeyType::kRsa, "RSA1_5"},
        Case{crypto::KeyType::kEcP256, "ECDH-ES+A256KW"},
        Case{crypto::KeyType::kEcP521, "ECDH-ES+A256KW"}}) {
    SCOPED_TRACE(c.alg);
    crypto::PrivateKey priv = NewKey(c.type);
    auto key = TeePubKeyFromPublicKey(priv.GetPublic(), c.alg);
    ASSERT_TRUE(key.ok());
    auto jwe = EncryptResource(*key, "the secret");
    ASSERT_TRUE(jwe.ok()) << jwe.status();
    auto parsed = ParseJson(*jwe, "jwe");
    ASSERT_TRUE(parsed.ok());
    // Exactly the five members of the Trustee response, no "aad".
    EXPECT_EQ(parsed->size(), 5u);
    for (const char* m : {"protected", "encrypted_key", "iv", "ciphertext", "tag"}) {
      EXPECT_TRUE(parsed->contains(m)) << m;
    }
    EXPECT_EQ(Base64UrlDecode((*parsed)["iv"].get<std::string>())->size(), 12u);
    EXPECT_EQ(Base64UrlDecode((*parsed)["tag"].get<std::string>())->size(), 16u);
    const std::string header = *Base64UrlDecode((*parsed)["protected"].get<std::string>());
    EXPECT_EQ(header.rfind(absl::StrCat(R"({"alg":")", c.alg, R"(","enc":"A256GCM")"), 0), 0u)
        << header;
    auto detailed = jose::JweDecryptDetailed(*jwe, priv);
    ASSERT_TRUE(detailed.ok()) << detailed.status();
    EXPECT_EQ(detailed->plaintext.view(), "the secret");
    // The protected header is the AAD: changing it breaks decryption.
    Json tampered = *parsed;
    tampered["protected"] =
        Base64UrlEncode(absl::StrCat(header.substr(0, header.size() - 1), R"(,"x":1})"));
    EXPECT_FALSE(jose::JweDecrypt(tampered.dump(), priv).ok());
  }
}

TEST(TeeKeyTest, UnsupportedAlgorithmsAreRefused) {
  crypto::PrivateKey p384 = NewKey(crypto::KeyType::kEcP384);
  auto key = TeePubKeyFromPublicKey(p384.GetPublic());
  EXPECT_FALSE(EncryptResource(*key, "x").ok());
  crypto::PrivateKey rsa = NewKey(crypto::KeyType::kRsa);
  auto oaep1 = TeePubKeyFromPublicKey(rsa.GetPublic(), "RSA-OAEP");
  EXPECT_FALSE(EncryptResource(*oaep1, "x").ok());
}

}  // namespace
}  // namespace cocoon::kbs
