#include "base/encoding.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cocoon {
namespace {

using ::testing::HasSubstr;

TEST(Base64Test, EncodesRfc4648Vectors) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode("fo", Base64Alphabet::kStandard, false), "Zm8");
}

TEST(Base64Test, UrlAlphabetUsesDashAndUnderscore) {
  const std::string data("\xfb\xff\xbf", 3);
  EXPECT_EQ(Base64Encode(data), "+/+/");
  EXPECT_EQ(Base64UrlEncode(data), "-_-_");
  EXPECT_EQ(*Base64UrlDecode("-_-_"), data);
}

TEST(Base64Test, RoundTripsEveryLength) {
  std::string data;
  for (int i = 0; i < 70; ++i) {
    data.push_back(static_cast<char>(i * 37));
    EXPECT_EQ(*Base64Decode(Base64Encode(data)), data);
    EXPECT_EQ(*Base64UrlDecode(Base64UrlEncode(data)), data);
    EXPECT_EQ(*Base64Decode(Base64Encode(data, Base64Alphabet::kStandard, false),
                            Base64Alphabet::kStandard, Base64Padding::kOptional),
              data);
  }
}

TEST(Base64Test, RejectsIllegalCharacterWithOffset) {
  auto r = Base64Decode("Zm9v!mFy");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("illegal character at byte 4"));
}

TEST(Base64Test, ReportsTheFirstIllegalCharacterAtEveryPosition) {
  const std::string good = Base64UrlEncode("0123456789");  // 14 symbols: 3 quads and a tail
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = '.';
    if (i + 1 < bad.size()) bad[i + 1] = '+';  // a second illegal symbol must not be reported
    auto r = Base64UrlDecode(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_THAT(r.status().message(), HasSubstr(absl::StrCat("illegal character at byte ", i)));
  }
}

TEST(Base64Test, RequiredPaddingRejectsUnpadded) {
  // Go's StdEncoding rejects "Zm8" the same way ("illegal base64 data").
  EXPECT_FALSE(Base64Decode("Zm8").ok());
  EXPECT_TRUE(Base64Decode("Zm8", Base64Alphabet::kStandard, Base64Padding::kOptional).ok());
}

TEST(Base64Test, NoPaddingRejectsPadded) {
  auto r = Base64UrlDecode("Zm8=");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("padding not allowed"));
}

TEST(Base64Test, RejectsNonCanonicalTrailingBits) { EXPECT_FALSE(Base64Decode("Zm9=").ok()); }

TEST(Base64Test, RejectsDanglingCharacter) {
  EXPECT_FALSE(Base64Decode("Zm9vY", Base64Alphabet::kStandard, Base64Padding::kOptional).ok());
}

TEST(Base64Test, IgnoresLineBreaksLikeGo) { EXPECT_EQ(*Base64Decode("Zm9v\r\nYmFy"), "foobar"); }

TEST(HexTest, RoundTripsAndAcceptsUpperCase) {
  EXPECT_EQ(HexEncode(std::string("\x00\xab\xff", 3)), "00abff");
  EXPECT_EQ(*HexDecode("00ABff"), std::string("\x00\xab\xff", 3));
}

TEST(HexTest, RejectsOddLengthAndBadDigit) {
  EXPECT_THAT(HexDecode("abc").status().message(), HasSubstr("odd length"));
  EXPECT_THAT(HexDecode("zz").status().message(), HasSubstr("byte 0"));
}

}  // namespace
}  // namespace cocoon
