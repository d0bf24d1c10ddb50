#include "crypto/aead.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "unit/crypto/test_util.h"

namespace cocoon::crypto {
namespace {

using testing::Unhex;

// McGrew & Viega, "The Galois/Counter Mode of Operation", test cases 4, 13 and 14.
TEST(AesGcm, MatchesGcmSpecTestCase4WithAad) {
  const std::string key = Unhex("feffe9928665731c6d6a8f9467308308");
  const std::string iv = Unhex("cafebabefacedbaddecaf888");
  const std::string pt = Unhex(
      "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449"
      "a6b525b16aedf5aa0de657ba637b39");
  const std::string aad = Unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
  std::string tag;
  auto ct = AesGcmEncrypt(key, iv, pt, aad, &tag);
  ASSERT_TRUE(ct.ok()) << ct.status();
  EXPECT_EQ(HexEncode(*ct),
            "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a"
            "5aac84aa051ba30b396a0aac973d58e091");
  EXPECT_EQ(HexEncode(tag), "5bc94fbc3221a5db94fae95ae7121a47");
  auto back = AesGcmDecrypt(key, iv, *ct, aad, tag);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->view(), pt);
}

TEST(AesGcm, MatchesGcmSpecTestCases13And14With256BitKey) {
  const std::string key(32, '\0');
  const std::string iv(12, '\0');
  std::string tag;
  auto empty = AesGcmEncrypt(key, iv, "", "", &tag);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  EXPECT_EQ(HexEncode(tag), "530f8afbc74536b9a963b4f1c4cb738b");
  auto ct = AesGcmEncrypt(key, iv, std::string(16, '\0'), "", &tag);
  ASSERT_TRUE(ct.ok());
  EXPECT_EQ(HexEncode(*ct), "cea7403d4d606b6e074ec5d3baf39d18");
  EXPECT_EQ(HexEncode(tag), "d0d1c8a799996bf0265b98b5d48ab919");
  auto back = AesGcmDecrypt(key, iv, "", "", Unhex("530f8afbc74536b9a963b4f1c4cb738b"));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->empty());
}

TEST(AesGcm, DetectsTamperingOfEveryInput) {
  const std::string key(24, 'k');
  const std::string iv(12, 'i');
  std::string tag;
  auto ct = AesGcmEncrypt(key, iv, "attack at dawn", "header", &tag);
  ASSERT_TRUE(ct.ok());
  std::string bad_ct = *ct;
  bad_ct[0] ^= 1;
  std::string bad_tag = tag;
  bad_tag[15] ^= 0x80;
  std::string bad_iv = iv;
  bad_iv[0] ^= 1;
  EXPECT_ERROR_HAS(AesGcmDecrypt(key, iv, bad_ct, "header", tag), "authentication failed");
  EXPECT_ERROR_HAS(AesGcmDecrypt(key, iv, *ct, "headeR", tag), "authentication failed");
  EXPECT_ERROR_HAS(AesGcmDecrypt(key, iv, *ct, "header", bad_tag), "authentication failed");
  EXPECT_ERROR_HAS(AesGcmDecrypt(key, bad_iv, *ct, "header", tag), "authentication failed");
  EXPECT_ERROR_HAS(AesGcmDecrypt(std::string(24, 'K'), iv, *ct, "header", tag),
                   "authentication failed");
}

TEST(AesGcm, RejectsBadKeyIvAndTagLengths) {
  std::string tag;
  EXPECT_ERROR_HAS(AesGcmEncrypt(std::string(20, 'k'), std::string(12, 'i'), "x", "", &tag),
                   "invalid key length of 20 bytes");
  EXPECT_ERROR_HAS(AesGcmEncrypt(std::string(32, 'k'), std::string(16, 'i'), "x", "", &tag),
                   "invalid IV length of 16 bytes");
  EXPECT_ERROR_HAS(AesGcmDecrypt(std::string(32, 'k'), std::string(12, 'i'), "x", "", "short"),
                   "invalid tag length of 5 bytes");
}

// RFC 7518 Appendix B: AES_CBC_HMAC_SHA2 test cases.
constexpr char kCbcPlaintext[] =
    "A cipher system must not be required to be secret, and it must be able to fall into the "
    "hands of the enemy without inconvenience";
constexpr char kCbcAad[] = "The second principle of Auguste Kerckhoffs";
constexpr char kCbcIv[] = "1af38c2dc2b96ffdd86694092341bc04";

std::string CountingKey(size_t n) {
  std::string key;
  for (size_t i = 0; i < n; ++i) key.push_back(static_cast<char>(i));
  return key;
}

struct CbcVector {
  size_t key_size;
  const char* ciphertext;
  const char* tag;
};

class AesCbcHmacRfcTest : public ::testing::TestWithParam<CbcVector> {};

TEST_P(AesCbcHmacRfcTest, EncryptsAndDecryptsRfc7518AppendixBVector) {
  const CbcVector& v = GetParam();
  const std::string key = CountingKey(v.key_size);
  std::string tag;
  auto ct = AesCbcHmacEncrypt(key, Unhex(kCbcIv), kCbcPlaintext, kCbcAad, &tag);
  ASSERT_TRUE(ct.ok()) << ct.status();
  EXPECT_EQ(HexEncode(*ct), v.ciphertext);
  EXPECT_EQ(HexEncode(tag), v.tag);
  auto pt = AesCbcHmacDecrypt(key, Unhex(kCbcIv), Unhex(v.ciphertext), kCbcAad, Unhex(v.tag));
  ASSERT_TRUE(pt.ok()) << pt.status();
  EXPECT_EQ(pt->view(), kCbcPlaintext);
}

INSTANTIATE_TEST_SUITE_P(
    B1B2B3, AesCbcHmacRfcTest,
    ::testing::Values(
        CbcVector{32,
                  "c80edfa32ddf39d5ef00c0b468834279a2e46a1b8049f792f76bfe54b903a9c9a94ac9b47ad2655c"
                  "5f10f9aef71427e2fc6f9b3f399a221489f16362c703233609d45ac69864e3321cf82935ac4096c8"
                  "6e133314c54019e8ca7980dfa4b9cf1b384c486f3a54c51078158ee5d79de59fbd34d848b3d69550"
                  "a67646344427ade54b8851ffb598f7f80074b9473c82e2db",
                  "652c3fa36b0a7c5b3219fab3a30bc1c4"},
        CbcVector{48,
                  "ea65da6b59e61edb419be62d19712ae5d303eeb50052d0dfd6697f77224c8edb000d279bdc14c107"
                  "2654bd30944230c657bed4ca0c9f4a8466f22b226d1746214bf8cfc2400add9f5126e479663fc90b"
                  "3bed787a2f0ffcbf3904be2a641d5c2105bfe591bae23b1d7449e532eef60a9ac8bb6c6b01d35d49"
                  "787bcd57ef484927f280adc91ac0c4e79c7b11efc60054e3",
                  "8490ac0e58949bfe51875d733f93ac2075168039ccc733d7"},
        CbcVector{64,
                  "4affaaadb78c31c5da4b1b590d10ffbd3dd8d5d302423526912da037ecbcc7bd822c301dd67c373b"
                  "ccb584ad3e9279c2e6d12a1374b77f077553df829410446b36ebd97066296ae6427ea75c2e0846a1"
                  "1a09ccf5370dc80bfecbad28c73f09b3a3b75e662a2594410ae496b2e2e6609e31e6e02cc837f053"
                  "d21f37ff4f51950bbe2638d09dd7a4930930806d0703b1f6",
                  "4dd3b4c088a7f45c216839645b2012bf2e6269a8c56a816dbc1b267761955bc5"}));

TEST(AesCbcHmac, RejectsTamperingBeforeDecrypting) {
  const std::string key = CountingKey(32);
  const std::string iv = Unhex(kCbcIv);
  std::string tag;
  auto ct = AesCbcHmacEncrypt(key, iv, "hello", "aad", &tag);
  ASSERT_TRUE(ct.ok());
  std::string bad = *ct;
  bad.back() ^= 1;
  EXPECT_ERROR_HAS(AesCbcHmacDecrypt(key, iv, bad, "aad", tag), "authentication failed");
  EXPECT_ERROR_HAS(AesCbcHmacDecrypt(key, iv, *ct, "aaD", tag), "authentication failed");
  std::string bad_iv = iv;
  bad_iv[3] ^= 4;
  EXPECT_ERROR_HAS(AesCbcHmacDecrypt(key, bad_iv, *ct, "aad", tag), "authentication failed");
  EXPECT_ERROR_HAS(AesCbcHmacDecrypt(key, iv, *ct, "aad", tag.substr(1)),
                   "invalid tag length of 15 bytes; need 16");
  EXPECT_ERROR_HAS(AesCbcHmacDecrypt(std::string(40, 'k'), iv, *ct, "aad", tag),
                   "invalid key length of 40 bytes");
}

TEST(AesCbcHmac, ReportsBadPaddingWhenTheMacIsValid) {
  // A correctly MACed ciphertext whose padding is wrong: encrypt 16 bytes, drop the padding
  // block, and MAC the rest ourselves.
  const std::string key = CountingKey(32);
  const std::string iv = Unhex(kCbcIv);
  std::string tag;
  auto ct = AesCbcHmacEncrypt(key, iv, std::string(16, 'p'), "", &tag);
  ASSERT_TRUE(ct.ok());
  const std::string truncated = ct->substr(0, 16);
  auto mac = HmacSha2(32, key.substr(0, 16),
                      {"", iv, truncated, absl::string_view("\0\0\0\0\0\0\0\0", 8)});
  ASSERT_TRUE(mac.ok());
  EXPECT_ERROR_HAS(AesCbcHmacDecrypt(key, iv, truncated, "", mac->substr(0, 16)), "bad padding");
}

TEST(HmacSha2, MatchesRfc4231TestCase2) {
  auto mac256 = HmacSha2(32, "Jefe", {"what do ya want ", "for nothing?"});
  ASSERT_TRUE(mac256.ok());
  EXPECT_EQ(HexEncode(*mac256), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_ERROR_HAS(HmacSha2(20, "k", {"x"}), "unsupported hash size 20");
}

}  // namespace
}  // namespace cocoon::crypto
