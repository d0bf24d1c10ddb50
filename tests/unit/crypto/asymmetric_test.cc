#include "crypto/asymmetric.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"

#include "crypto/stream_cipher.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "unit/crypto/test_util.h"

namespace cocoon::crypto {
namespace {

using testing::B64u;
using testing::Unhex;

PrivateKey MustGenerate(KeyType type) {
  auto key = PrivateKey::Generate(type);
  EXPECT_TRUE(key.ok()) << key.status();
  return *std::move(key);
}

class RsaTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    key_ = &testing::CachedKey(KeyType::kRsa, 0);
    other_ = &testing::CachedKey(KeyType::kRsa, 1);
  }
  static const PrivateKey* key_;
  static const PrivateKey* other_;
};
const PrivateKey* RsaTest::key_ = nullptr;
const PrivateKey* RsaTest::other_ = nullptr;

TEST_F(RsaTest, OaepRoundTripsWithBothHashes) {
  for (OaepHash hash : {OaepHash::kSha1, OaepHash::kSha256}) {
    auto ct = RsaOaepEncrypt(key_->GetPublic(), hash, "content key 0123456789abcdef");
    ASSERT_TRUE(ct.ok()) << ct.status();
    EXPECT_EQ(ct->size(), 256u);
    auto pt = RsaOaepDecrypt(*key_, hash, *ct);
    ASSERT_TRUE(pt.ok()) << pt.status();
    EXPECT_EQ(pt->view(), "content key 0123456789abcdef");
  }
}

TEST_F(RsaTest, OaepFailsWithWrongKeyOrWrongHash) {
  auto ct = RsaOaepEncrypt(key_->GetPublic(), OaepHash::kSha256, "secret");
  ASSERT_TRUE(ct.ok());
  EXPECT_ERROR_HAS(RsaOaepDecrypt(*other_, OaepHash::kSha256, *ct),
                   "RSA-OAEP (SHA-256): decryption failed");
  EXPECT_ERROR_HAS(RsaOaepDecrypt(*key_, OaepHash::kSha1, *ct),
                   "RSA-OAEP (SHA-1): decryption failed");
  EXPECT_ERROR_HAS(RsaOaepDecrypt(*key_, OaepHash::kSha256, ct->substr(1)),
                   "ciphertext is 255 bytes; the 2048-bit key needs 256");
}

TEST_F(RsaTest, Pkcs1v15RoundTripsAndRejectsGarbage) {
  auto ct = RsaPkcs1v15Encrypt(key_->GetPublic(), "0123456789abcdef");
  ASSERT_TRUE(ct.ok()) << ct.status();
  auto pt = RsaPkcs1v15Decrypt(*key_, *ct);
  ASSERT_TRUE(pt.ok()) << pt.status();
  EXPECT_EQ(pt->view(), "0123456789abcdef");
  // With implicit rejection (OpenSSL 3.2+) a bad ciphertext yields unrelated bytes; without it,
  // an error. Either way the plaintext is not recovered.
  auto bad = RsaPkcs1v15Decrypt(*other_, *ct);
  if (bad.ok()) {
    EXPECT_NE(bad->view(), "0123456789abcdef");
  } else {
    EXPECT_THAT(testing::Message(bad), ::testing::HasSubstr("decryption failed"));
  }
}

TEST(RsaEncryption, RejectsNonRsaKeys) {
  PrivateKey ec = MustGenerate(KeyType::kEcP256);
  EXPECT_ERROR_HAS(RsaOaepEncrypt(ec.GetPublic(), OaepHash::kSha1, "x"),
                   "needs an RSA key, got EC P-256");
  EXPECT_ERROR_HAS(RsaPkcs1v15Decrypt(ec, std::string(256, 'x')), "needs an RSA key");
}

TEST(Ecdh, BothSidesDeriveTheSameSecretOnEveryCurve) {
  for (KeyType type : {KeyType::kEcP256, KeyType::kEcP384, KeyType::kEcP521}) {
    PrivateKey a = MustGenerate(type);
    PrivateKey b = MustGenerate(type);
    auto z1 = EcdhSharedSecret(a, b.GetPublic());
    auto z2 = EcdhSharedSecret(b, a.GetPublic());
    ASSERT_TRUE(z1.ok() && z2.ok());
    EXPECT_EQ(z1->size(), EcFieldSize(type));
    EXPECT_TRUE(*z1 == *z2);
  }
}

TEST(Ecdh, RejectsCurveMismatchAndNonEcKeys) {
  PrivateKey p256 = MustGenerate(KeyType::kEcP256);
  PrivateKey p384 = MustGenerate(KeyType::kEcP384);
  PrivateKey ed = MustGenerate(KeyType::kEd25519);
  EXPECT_ERROR_HAS(EcdhSharedSecret(p256, p384.GetPublic()),
                   "peer key is EC P-384 but the private key is EC P-256");
  EXPECT_ERROR_HAS(EcdhSharedSecret(ed, p256.GetPublic()), "needs an EC private key");
}

// RFC 7518 Appendix C: ECDH-ES key agreement between Alice's ephemeral key and Bob's key.
TEST(ConcatKdf, ReproducesRfc7518AppendixC) {
  auto alice =
      PrivateKey::FromEc(KeyType::kEcP256, B64u("0_NxaRPUMQoAJt50Gz8YiTr8gRTwyEaCumd-MToTmIo"),
                         B64u("gI0GAILBdu7T53akrFmMyGcsF3n5dO7MmwNBHKW5SV0"),
                         B64u("SLW_xSffzlPWrHEVI30DHM_4egVwt3NQqeUD7nMFpps"));
  auto bob =
      PrivateKey::FromEc(KeyType::kEcP256, B64u("VEmDZpDXXK8p8N0Cndsxs924q6nS1RXFASRl6BfUqdw"),
                         B64u("weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ"),
                         B64u("e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck"));
  ASSERT_TRUE(alice.ok()) << alice.status();
  ASSERT_TRUE(bob.ok()) << bob.status();
  auto z = EcdhSharedSecret(*bob, alice->GetPublic());
  ASSERT_TRUE(z.ok());
  const unsigned char kZ[] = {158, 86,  217, 29,  129, 113, 53,  211, 114, 131, 66,
                              131, 191, 132, 38,  156, 251, 49,  110, 163, 218, 128,
                              106, 72,  246, 218, 167, 121, 140, 254, 144, 196};
  EXPECT_EQ(z->view(), absl::string_view(reinterpret_cast<const char*>(kZ), sizeof(kZ)));
  auto key = ConcatKdfSha256(z->view(), 16, "A128GCM", "Alice", "Bob");
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(Base64UrlEncode(key->view()), "VqqN6vgjbSBcIijNcacQGg");
}

TEST(ConcatKdf, ProducesMultipleHashBlocksAndRejectsZeroLength) {
  auto long_key = ConcatKdfSha256("z", 48, "alg", "", "");
  ASSERT_TRUE(long_key.ok());
  EXPECT_EQ(long_key->size(), 48u);
  auto short_key = ConcatKdfSha256("z", 32, "alg", "", "");
  ASSERT_TRUE(short_key.ok());
  // Different keydatalen changes OtherInfo, so the first block differs too.
  EXPECT_NE(long_key->view().substr(0, 32), short_key->view());
  EXPECT_ERROR_HAS(ConcatKdfSha256("z", 0, "alg", "", ""), "outside 1..1024");
}

struct SignCase {
  SignatureAlg alg;
  KeyType type;
  size_t raw_size;  // 0 = not fixed here
};

class SignatureTest : public ::testing::TestWithParam<SignCase> {};

TEST_P(SignatureTest, SignsVerifiesAndRejectsTampering) {
  const SignCase& c = GetParam();
  PrivateKey key = MustGenerate(c.type);
  auto sig = Sign(key, c.alg, "payload");
  ASSERT_TRUE(sig.ok()) << sig.status();
  if (c.raw_size != 0) {
    EXPECT_EQ(sig->size(), c.raw_size);
  }
  EXPECT_TRUE(Verify(key.GetPublic(), c.alg, "payload", *sig).ok());
  absl::Status tampered_data = Verify(key.GetPublic(), c.alg, "payloaD", *sig);
  EXPECT_EQ(tampered_data.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_ERROR_HAS(tampered_data, "signature invalid");
  std::string bad = *sig;
  bad[bad.size() / 3] ^= 0x01;
  EXPECT_ERROR_HAS(Verify(key.GetPublic(), c.alg, "payload", bad), "signature invalid");
  PrivateKey other = MustGenerate(c.type);
  EXPECT_ERROR_HAS(Verify(other.GetPublic(), c.alg, "payload", *sig), "signature invalid");
}

TEST_P(SignatureTest, PreparedSignerAndVerifierAreReusableFromManyThreads) {
  const SignCase& c = GetParam();
  PrivateKey key = MustGenerate(c.type);
  auto signer = Signer::Create(key, c.alg);
  ASSERT_TRUE(signer.ok()) << signer.status();
  auto verifier = SignatureVerifier::Create(key.GetPublic(), c.alg);
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        const std::string data = absl::StrCat("payload ", t, " ", i);
        auto sig = signer->Sign(data);
        if (!sig.ok() || (c.raw_size != 0 && sig->size() != c.raw_size) ||
            !verifier->Verify(data, *sig).ok() ||
            !Verify(key.GetPublic(), c.alg, data, *sig).ok() ||
            verifier->Verify(absl::StrCat(data, "!"), *sig).code() !=
                absl::StatusCode::kUnauthenticated) {
          ++failures;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto one_shot = Sign(key, c.alg, "x");
  ASSERT_TRUE(one_shot.ok());
  EXPECT_TRUE(verifier->Verify("x", *one_shot).ok());
  // Moving keeps the prepared state usable.
  Signer moved = *std::move(signer);
  auto sig = moved.Sign("y");
  ASSERT_TRUE(sig.ok()) << sig.status();
  EXPECT_TRUE(verifier->Verify("y", *sig).ok());
}

INSTANTIATE_TEST_SUITE_P(AllAlgs, SignatureTest,
                         ::testing::Values(SignCase{SignatureAlg::kEs256, KeyType::kEcP256, 64},
                                           SignCase{SignatureAlg::kEs384, KeyType::kEcP384, 96},
                                           SignCase{SignatureAlg::kEs512, KeyType::kEcP521, 132},
                                           SignCase{SignatureAlg::kEdDsa, KeyType::kEd25519, 64},
                                           SignCase{SignatureAlg::kRs256, KeyType::kRsa, 256},
                                           SignCase{SignatureAlg::kPs256, KeyType::kRsa, 256}),
                         [](const auto& info) {
                           return std::string(SignatureAlgName(info.param.alg));
                         });

TEST(Signature, RejectsAlgorithmKeyMismatchAndBadRawLength) {
  PrivateKey p256 = MustGenerate(KeyType::kEcP256);
  EXPECT_ERROR_HAS(Sign(p256, SignatureAlg::kEs384, "x"),
                   "algorithm ES384 needs an EC P-384 key, got EC P-256");
  EXPECT_ERROR_HAS(Sign(p256, SignatureAlg::kRs256, "x"), "needs an RSA key");
  EXPECT_ERROR_HAS(Signer::Create(p256, SignatureAlg::kEs384), "needs an EC P-384 key");
  EXPECT_ERROR_HAS(SignatureVerifier::Create(p256.GetPublic(), SignatureAlg::kRs256),
                   "needs an RSA key");
  EXPECT_ERROR_HAS(Verify(p256.GetPublic(), SignatureAlg::kEs256, "x", std::string(63, 'x')),
                   "ES256 signature must be 64 bytes");
}

TEST(Signature, NamesRoundTrip) {
  for (SignatureAlg alg : {SignatureAlg::kEs256, SignatureAlg::kEs384, SignatureAlg::kEs512,
                           SignatureAlg::kEdDsa, SignatureAlg::kRs256, SignatureAlg::kPs256}) {
    EXPECT_EQ(SignatureAlgFromName(SignatureAlgName(alg)), alg);
  }
  EXPECT_FALSE(SignatureAlgFromName("none").has_value());
  EXPECT_FALSE(SignatureAlgFromName("HS256").has_value());
  EXPECT_FALSE(SignatureAlgFromName("es256").has_value());
}

constexpr char kRfc7515Payload[] =
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVl"
    "fQ";

// RFC 7515 Appendix A.3: ES256 verification with the raw r || s signature.
TEST(Signature, VerifiesRfc7515AppendixA3) {
  auto key =
      PublicKey::FromEcPoint(KeyType::kEcP256, B64u("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"),
                             B64u("x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"));
  ASSERT_TRUE(key.ok()) << key.status();
  const std::string input = std::string("eyJhbGciOiJFUzI1NiJ9.") + kRfc7515Payload;
  const std::string sig = B64u(
      "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q");
  EXPECT_TRUE(Verify(*key, SignatureAlg::kEs256, input, sig).ok());
  // The same check through the digest interface TPM/TDX verifiers use.
  EXPECT_TRUE(VerifyEcdsaDigest(*key, Sha256(input), sig).ok());
  EXPECT_ERROR_HAS(VerifyEcdsaDigest(*key, Sha256(input + "x"), sig), "signature invalid");
}

constexpr char kRfc7515RsaN[] =
    "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4"
    "QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdb"
    "BYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-D"
    "WNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";
constexpr char kRfc7515RsaD[] =
    "Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7YwVol2NXOoA"
    "Je46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_V51gfpR"
    "LI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3ccPDVZF"
    "D9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ";
constexpr char kRfc7515Rs256Sig[] =
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5ju"
    "jGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07"
    "Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipU"
    "TI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";

// RFC 7515 Appendix A.2: RS256 is deterministic, so both signing and verification are exact.
TEST(Signature, ReproducesRfc7515AppendixA2) {
  PrivateKey::RsaNumbers numbers;
  numbers.n = B64u(kRfc7515RsaN);
  numbers.e = B64u("AQAB");
  numbers.d = SecretBytes(B64u(kRfc7515RsaD));
  auto key = PrivateKey::FromRsa(numbers);
  ASSERT_TRUE(key.ok()) << key.status();
  const std::string input = std::string("eyJhbGciOiJSUzI1NiJ9.") + kRfc7515Payload;
  auto sig = Sign(*key, SignatureAlg::kRs256, input);
  ASSERT_TRUE(sig.ok()) << sig.status();
  EXPECT_EQ(Base64UrlEncode(*sig), kRfc7515Rs256Sig);
  auto pub = PublicKey::FromRsa(numbers.n, numbers.e);
  ASSERT_TRUE(pub.ok());
  EXPECT_TRUE(Verify(*pub, SignatureAlg::kRs256, input, B64u(kRfc7515Rs256Sig)).ok());
}

// RFC 8037 Appendix A.4: Ed25519 is deterministic too.
TEST(Signature, ReproducesRfc8037AppendixA4) {
  auto key = PrivateKey::FromEd25519(B64u("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"));
  ASSERT_TRUE(key.ok()) << key.status();
  auto x = key->GetPublic().GetEd25519();
  ASSERT_TRUE(x.ok());
  EXPECT_EQ(Base64UrlEncode(*x), "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo");
  auto sig =
      Sign(*key, SignatureAlg::kEdDsa, "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc");
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(
      Base64UrlEncode(*sig),
      "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg");
}

TEST(EcdsaEncoding, ConvertsBetweenDerAndRaw) {
  PrivateKey key = MustGenerate(KeyType::kEcP521);
  auto raw = Sign(key, SignatureAlg::kEs512, "data");
  ASSERT_TRUE(raw.ok());
  auto der = EcdsaRawToDer(*raw);
  ASSERT_TRUE(der.ok()) << der.status();
  EXPECT_EQ((*der)[0], '\x30');
  auto back = EcdsaDerToRaw(*der, 66);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, *raw);
  // r = 1, s = 2 pads to the field size.
  auto small = EcdsaDerToRaw(std::string("\x30\x06\x02\x01\x01\x02\x01\x02", 8), 32);
  ASSERT_TRUE(small.ok()) << small.status();
  EXPECT_EQ(HexEncode(*small), std::string(62, '0') + "01" + std::string(62, '0') + "02");
}

TEST(EcdsaEncoding, RejectsMalformedInput) {
  EXPECT_ERROR_HAS(EcdsaDerToRaw("garbage", 32), "not a DER ECDSA-Sig-Value");
  EXPECT_ERROR_HAS(EcdsaDerToRaw(std::string("\x30\x06\x02\x01\x01\x02\x01\x02\x00", 9), 32),
                   "not a DER ECDSA-Sig-Value");
  const std::string big_r = "\x30\x26\x02\x21\x01" + std::string(32, '\xff') + "\x02\x01\x02";
  EXPECT_ERROR_HAS(EcdsaDerToRaw(big_r, 32), "larger than the curve field");
  EXPECT_ERROR_HAS(EcdsaRawToDer("abc"), "not a valid r || s");
  EXPECT_ERROR_HAS(EcdsaRawToDer(""), "not a valid r || s");
}

}  // namespace
}  // namespace cocoon::crypto
