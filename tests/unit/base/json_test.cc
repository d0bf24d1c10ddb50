#include "base/json.h"

#include "base/encoding.h"
#include "crypto/stream_cipher.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cocoon {
namespace {

using ::testing::HasSubstr;

std::string Canon(absl::string_view text) {
  auto j = ParseJson(text, "test");
  EXPECT_TRUE(j.ok()) << j.status();
  auto c = CanonicalJson(*j);
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? *c : "";
}

// The vector from Trustee's attestation-service unit test (reference/kbs-protocol.md 1.3).
TEST(CanonicalJsonTest, MatchesTrusteeSha384Vector) {
  const std::string c = Canon(R"({"b":1,"a":"test","c":{"d":"e"}})");
  EXPECT_EQ(c, R"({"a":"test","b":1,"c":{"d":"e"}})");
  EXPECT_EQ(HexEncode(crypto::Sha384(c)),
            "e71ce8e70d814ba6639c3612ebee0ff1f76f650f8dbb5e47157e0f3f525cd22c4597480a186427c813ca94"
            "1da78870c3");
}

TEST(CanonicalJsonTest, FormatsNumbersAsEcmaScript) {
  EXPECT_EQ(Canon("[1.0, -0, 1e21, 1e20, 0.000001, 1e-7, 123.456, 4.5e-10, 1E+30]"),
            "[1,0,1e+21,100000000000000000000,0.000001,1e-7,123.456,4.5e-10,1e+30]");
  EXPECT_EQ(Canon("[9007199254740993]"), "[9007199254740992]");
  EXPECT_EQ(Canon("[333333333.33333329]"), "[333333333.3333333]");
}

TEST(CanonicalJsonTest, SortsKeysByUtf16CodeUnits) {
  // U+1F600 (surrogates D83D..) sorts before U+FB33 in UTF-16 although not in UTF-8.
  EXPECT_EQ(Canon("{\"\xef\xac\xb3\":1,\"\xf0\x9f\x98\x80\":2,\"a\":3}"),
            "{\"a\":3,\"\xf0\x9f\x98\x80\":2,\"\xef\xac\xb3\":1}");
}

TEST(CanonicalJsonTest, EscapesOnlyWhatRfc8785Requires) {
  EXPECT_EQ(Canon(R"(["\u0001\n\"\\/<\u00e9"])"), "[\"\\u0001\\n\\\"\\\\/<\xc3\xa9\"]");
}

TEST(ParseJsonTest, ReportsByteOffset) {
  auto r = ParseJson(R"({"a": tru})", "config");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("config: invalid JSON at byte"));
}

TEST(ParseJsonTest, RejectsDeepNesting) {
  std::string deep(10000, '[');
  auto r = ParseJson(deep, "input");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("nested deeper than 128"));
}

TEST(ParseJsonTest, BracketsInsideStringsDoNotCountAsNesting) {
  std::string s = "\"" + std::string(500, '[') + "\"";
  EXPECT_TRUE(ParseJson(s, "input").ok());
}

TEST(GoJsonStringTest, EscapesHtmlCharactersLikeGo) {
  std::string out;
  AppendGoJsonString(&out, "a<b>&\"\\\n\x01\xe2\x80\xa8\xff");
  EXPECT_EQ(out, R"("a\u003cb\u003e\u0026\"\\\n\u0001\u2028\ufffd")");
}

TEST(GetStringTest, NamesMissingAndMistypedFields) {
  Json j = {{"a", 1}};
  EXPECT_THAT(GetString(j, "b", "opts").status().message(), HasSubstr("missing field \"b\""));
  EXPECT_THAT(GetString(j, "a", "opts").status().message(), HasSubstr("must be a string"));
}

}  // namespace
}  // namespace cocoon
