#include "crypto/key_wrap.h"

#include <string>

#include "absl/strings/ascii.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "unit/crypto/test_util.h"

namespace cocoon::crypto {
namespace {

using testing::Unhex;

struct WrapVector {
  const char* name;
  const char* kek;
  const char* key;
  const char* wrapped;
};

class AesKeyWrapRfc3394Test : public ::testing::TestWithParam<WrapVector> {};

TEST_P(AesKeyWrapRfc3394Test, WrapsAndUnwrapsThePublishedVector) {
  const WrapVector& v = GetParam();
  auto wrapped = AesKeyWrap(Unhex(v.kek), Unhex(v.key));
  ASSERT_TRUE(wrapped.ok()) << wrapped.status();
  EXPECT_EQ(HexEncode(*wrapped), absl::AsciiStrToLower(v.wrapped));
  auto unwrapped = AesKeyUnwrap(Unhex(v.kek), Unhex(v.wrapped));
  ASSERT_TRUE(unwrapped.ok()) << unwrapped.status();
  EXPECT_EQ(HexEncode(unwrapped->view()), absl::AsciiStrToLower(v.key));
}

constexpr char kKek128[] = "000102030405060708090A0B0C0D0E0F";
constexpr char kKek192[] = "000102030405060708090A0B0C0D0E0F1011121314151617";
constexpr char kKek256[] = "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F";
constexpr char kKey128[] = "00112233445566778899AABBCCDDEEFF";
constexpr char kKey192[] = "00112233445566778899AABBCCDDEEFF0001020304050607";
constexpr char kKey256[] = "00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F";

INSTANTIATE_TEST_SUITE_P(
    Rfc3394Section4, AesKeyWrapRfc3394Test,
    ::testing::Values(
        WrapVector{"4_1", kKek128, kKey128, "1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5"},
        WrapVector{"4_2", kKek192, kKey128, "96778B25AE6CA435F92B5B97C050AED2468AB8A17AD84E5D"},
        WrapVector{"4_3", kKek256, kKey128, "64E8C3F9CE0F5BA263E9777905818A2A93C8191E7D6E8AE7"},
        WrapVector{"4_4", kKek192, kKey192,
                   "031D33264E15D33268F24EC260743EDCE1C6C7DDEE725A936BA814915C6762D2"},
        WrapVector{"4_5", kKek256, kKey192,
                   "A8F9BC1612C68B3FF6E6F4FBE30E71E4769C8B80A32CB8958CD5D17D6B254DA1"},
        WrapVector{"4_6", kKek256, kKey256,
                   "28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD"
                   "21"}),
    [](const ::testing::TestParamInfo<WrapVector>& info) { return std::string(info.param.name); });

TEST(AesKeyUnwrap, FailsTheIntegrityCheckOnWrongKekOrModifiedData) {
  const std::string wrapped = Unhex("1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5");
  std::string kek = Unhex(kKek128);
  kek[0] ^= 1;
  EXPECT_ERROR_HAS(AesKeyUnwrap(kek, wrapped), "integrity check failed");
  for (size_t i = 0; i < wrapped.size(); ++i) {
    std::string bad = wrapped;
    bad[i] ^= 0x10;
    EXPECT_ERROR_HAS(AesKeyUnwrap(Unhex(kKek128), bad), "integrity check failed");
  }
}

TEST(AesKeyWrap, RejectsBadLengths) {
  EXPECT_ERROR_HAS(AesKeyWrap(std::string(20, 'k'), std::string(16, 'x')),
                   "invalid KEK length of 20 bytes");
  EXPECT_ERROR_HAS(AesKeyWrap(std::string(16, 'k'), std::string(8, 'x')),
                   "multiple of 8 bytes, at least 16");
  EXPECT_ERROR_HAS(AesKeyWrap(std::string(16, 'k'), std::string(17, 'x')),
                   "multiple of 8 bytes, at least 16");
  EXPECT_ERROR_HAS(AesKeyUnwrap(std::string(16, 'k'), std::string(16, 'x')),
                   "multiple of 8 bytes, at least 24");
  EXPECT_ERROR_HAS(AesKeyUnwrap(std::string(16, 'k'), std::string(25, 'x')),
                   "multiple of 8 bytes, at least 24");
  EXPECT_ERROR_HAS(AesKeyUnwrap(std::string(16, 'k'), std::string(8192, 'x')),
                   "multiple of 8 bytes, at least 24");
}

}  // namespace
}  // namespace cocoon::crypto
