#include "kbs/ecdh_jwe.h"

#include "crypto/jose/jwe.h"
#include "gtest/gtest.h"
#include "kbs_test_util.h"

namespace cocoon::kbs {
namespace {

using testing::NewKey;

TEST(EcdhJweTest, InteroperatesWithTheGenericJose) {
  for (crypto::KeyType type : {crypto::KeyType::kEcP256, crypto::KeyType::kEcP521}) {
    crypto::PrivateKey key = NewKey(type);
    auto tee = TeePubKeyFromPublicKey(key.GetPublic());
    ASSERT_TRUE(tee.ok());
    // Ours -> generic decryptor.
    auto jwe = EcdhEsA256KwEncrypt(tee->crv, tee->x, tee->y, "payload");
    ASSERT_TRUE(jwe.ok()) << jwe.status();
    auto plain = jose::JweDecrypt(*jwe, key);
    ASSERT_TRUE(plain.ok()) << plain.status();
    EXPECT_EQ(plain->view(), "payload");
    // Generic encryptor -> ours.
    auto generic =
        jose::JweEncrypt("other", {jose::JweRecipient{key.GetPublic(), "ECDH-ES+A256KW"}},
                         jose::JweSerialization::kFlattened);
    ASSERT_TRUE(generic.ok());
    auto mine = EcdhEsA256KwDecrypt(*generic, key);
    ASSERT_TRUE(mine.ok()) << mine.status();
    EXPECT_EQ(mine->view(), "other");
    // The wrong key fails.
    EXPECT_FALSE(EcdhEsA256KwDecrypt(*jwe, NewKey(type)).ok());
  }
}

TEST(EcdhJweTest, RejectsBadPointsAndOtherAlgorithms) {
  const std::string zeros = Base64UrlEncode(std::string(32, '\0'));
  EXPECT_FALSE(EcdhEsA256KwEncrypt("P-256", zeros, zeros, "x").ok());
  EXPECT_FALSE(EcdhEsA256KwEncrypt("P-256", Base64UrlEncode("short"), zeros, "x").ok());
  EXPECT_FALSE(EcdhEsA256KwEncrypt("P-384", zeros, zeros, "x").ok());
  crypto::PrivateKey rsa = NewKey(crypto::KeyType::kRsa);
  auto oaep = jose::JweEncrypt("x", {jose::JweRecipient{rsa.GetPublic(), "RSA-OAEP-256"}},
                               jose::JweSerialization::kFlattened);
  EXPECT_EQ(EcdhEsA256KwDecrypt(*oaep, rsa).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace cocoon::kbs
