#include "attestation/dcap/quote.h"

#include "absl/strings/str_cat.h"
#include "attestation/dcap/verifier.h"
#include "base/encoding.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/testdata.h"
#include "vectors.h"

namespace cocoon::attestation::dcap {
namespace {

using ::cocoon::testing::ReadTestdata;
using ::testing::HasSubstr;
namespace t = ::cocoon::attestation::testing;

TEST(QuoteParseTest, ParsesV4QuoteAndCountsTrailingPadding) {
  COCOON_TESTDATA_OR_SKIP(path, t::kE1Quote);
  auto q = ParseQuote(ReadTestdata(t::kE1Quote));
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->header.version, 4);
  EXPECT_EQ(q->body_type, 2);
  EXPECT_EQ(q->signed_region.size(), 632u);
  EXPECT_EQ(q->trailing_bytes, 70u);
  EXPECT_EQ(q->qe_auth_data.size(), 32u);
  EXPECT_EQ(q->certification_data_type, 5);
  EXPECT_EQ(HexEncode(q->body.tee_tcb_svn).substr(0, 6), "060103");
}

TEST(QuoteParseTest, ParsesV5Td15QuoteWithDescriptorInSignedRegion) {
  COCOON_TESTDATA_OR_SKIP(path, t::kE2Quote);
  auto q = ParseQuote(ReadTestdata(t::kE2Quote));
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->header.version, 5);
  EXPECT_EQ(q->body_type, 3);
  EXPECT_EQ(q->body_size, 648u);
  EXPECT_EQ(q->signed_region.size(), 702u);
  ASSERT_TRUE(q->body.tee_tcb_svn2.has_value());
  ASSERT_TRUE(q->body.mr_servicetd.has_value());
}

TEST(QuoteParseTest, ParsesTrusteeQuotesV4AndV5) {
  COCOON_TESTDATA_OR_SKIP(p4, t::kE3Quote);
  auto q4 = ParseQuote(ReadTestdata(t::kE3Quote));
  ASSERT_TRUE(q4.ok()) << q4.status();
  EXPECT_EQ(HexEncode(q4->body.mr_td).substr(0, 8), "705ee938");
  EXPECT_EQ(HexEncode(q4->body.td_attributes), "0100001000000000");
  auto q5 = ParseQuote(ReadTestdata(t::kTrQuote5));
  ASSERT_TRUE(q5.ok()) << q5.status();
  EXPECT_EQ(q5->header.version, 5);
  EXPECT_EQ(HexEncode(q5->body.mr_td).substr(0, 8), "dfba221b");
}

TEST(QuoteParseTest, ToleratesTextTrailerAndChainWithoutNul) {
  COCOON_TESTDATA_OR_SKIP(path, t::kSprQuote);
  auto p = PrepareQuote(ReadTestdata(t::kSprQuote));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->quote.trailing_bytes, 39u);
  EXPECT_EQ(p->quote.certification_data.back(), '\n');
  EXPECT_EQ(HexEncode(p->pck_extensions.fmspc), "50806f000000");
}

TEST(QuoteParseTest, ToleratesLargePaddingOfCosQuote) {
  COCOON_TESTDATA_OR_SKIP(path, t::kCosQuote);
  auto p = PrepareQuote(ReadTestdata(t::kCosQuote));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->quote.trailing_bytes, 3065u);
  EXPECT_EQ(p->quote.qe_auth_data, std::string(32, '\0'));
}

TEST(QuoteParseTest, ParsesPhalaHexQuotes) {
  COCOON_TESTDATA_OR_SKIP(path, "dcap-qvl-phala/sample/tdx-quote.hex");
  for (const char* f :
       {"dcap-qvl-phala/sample/tdx-quote.hex", "dcap-qvl-phala/sample/quote-from-tappd.hex"}) {
    auto p = PrepareQuote(t::ReadHexQuote(f));
    ASSERT_TRUE(p.ok()) << f << ": " << p.status();
    EXPECT_EQ(HexEncode(p->pck_extensions.fmspc), "b0c06f000000");
  }
}

TEST(QuoteParseTest, ReadsPckExtensionsOfPlatformCaPck) {
  COCOON_TESTDATA_OR_SKIP(path, t::kE1Quote);
  auto p = PrepareQuote(ReadTestdata(t::kE1Quote));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->ca, PckCaKind::kPlatform);
  EXPECT_EQ(p->pck_extensions.pcesvn, 11);
  EXPECT_EQ(p->pck_extensions.cpu_svn_components[7], 5);
  EXPECT_EQ(p->pck_extensions.pce_id, std::string(2, '\0'));
  EXPECT_TRUE(p->pck_extensions.platform_instance_id.has_value());
}

TEST(QuoteParseTest, RejectsSgxQuoteV3WithVersionAndOffset) {
  COCOON_TESTDATA_OR_SKIP(path, "trustee/deps/verifier/test_data/occlum_quote.dat");
  auto q = ParseQuote(ReadTestdata("trustee/deps/verifier/test_data/occlum_quote.dat"));
  ASSERT_FALSE(q.ok());
  EXPECT_THAT(q.status().message(), HasSubstr("header.version at byte 0"));
  EXPECT_THAT(q.status().message(), HasSubstr("unsupported quote version 3"));
}

TEST(QuoteParseTest, QvlDerChainQuoteParsesButPemChainFailsGracefully) {
  COCOON_TESTDATA_OR_SKIP(path, "intel-qvl/Src/AttestationApp/sampleData/tdx/quote.dat");
  const std::string bytes = ReadTestdata("intel-qvl/Src/AttestationApp/sampleData/tdx/quote.dat");
  ASSERT_TRUE(ParseQuote(bytes).ok());
  auto p = PrepareQuote(bytes);
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.status().message(), HasSubstr("PCK chain"));
}

TEST(QuoteParseTest, EveryTruncationFailsWithFieldAndOffset) {
  COCOON_TESTDATA_OR_SKIP(path, t::kE1Quote);
  const std::string bytes = ReadTestdata(t::kE1Quote);
  auto full = ParseQuote(bytes);
  ASSERT_TRUE(full.ok());
  const size_t end = bytes.size() - full->trailing_bytes;
  for (size_t len = 0; len < end; len += (len < 800 ? 1 : 97)) {
    auto q = ParseQuote(absl::string_view(bytes).substr(0, len));
    ASSERT_FALSE(q.ok()) << len;
    EXPECT_THAT(q.status().message(), HasSubstr(" at byte ")) << len;
  }
}

TEST(QuoteParseTest, SignatureDataLengthBeyondInputIsReportedAtItsOffset) {
  COCOON_TESTDATA_OR_SKIP(path, t::kE1Quote);
  std::string bytes = ReadTestdata(t::kE1Quote);
  bytes[632] = '\xff';
  bytes[633] = '\xff';
  auto q = ParseQuote(bytes);
  ASSERT_FALSE(q.ok());
  EXPECT_THAT(q.status().message(), HasSubstr("signature_data_len at byte 632"));
}

TEST(QuoteParseTest, NestedCertificationDataMustBeConsumedExactly) {
  COCOON_TESTDATA_OR_SKIP(path, t::kE1Quote);
  std::string bytes = ReadTestdata(t::kE1Quote);
  bytes[766] = static_cast<char>(bytes[766] + 1);  // certification_data.size
  auto q = ParseQuote(bytes);
  ASSERT_FALSE(q.ok());
  EXPECT_THAT(q.status().message(), HasSubstr("certification_data.size at byte 766"));
}

TEST(QuoteParseTest, RejectsWrongKeyTypeTeeTypeAndVendor) {
  COCOON_TESTDATA_OR_SKIP(path, t::kE1Quote);
  const std::string good = ReadTestdata(t::kE1Quote);
  std::string b = good;
  b[2] = 3;
  EXPECT_THAT(ParseQuote(b).status().message(), HasSubstr("header.att_key_type at byte 2"));
  b = good;
  b[4] = 0;
  EXPECT_THAT(ParseQuote(b).status().message(), HasSubstr("is not TDX"));
  b = good;
  b[12] ^= 1;
  EXPECT_THAT(ParseQuote(b).status().message(), HasSubstr("unknown QE vendor"));
  b = good;
  b[764] = 5;
  EXPECT_THAT(ParseQuote(b).status().message(), HasSubstr("certification_data.type at byte 764"));
}

TEST(QuoteParseTest, V5BodySizeMustMatchBodyType) {
  COCOON_TESTDATA_OR_SKIP(path, t::kE2Quote);
  std::string b = ReadTestdata(t::kE2Quote);
  b[50] = static_cast<char>(0x89);  // 0x289 = 649
  EXPECT_THAT(ParseQuote(b).status().message(), HasSubstr("body_descriptor.size at byte 50"));
  b = ReadTestdata(t::kE2Quote);
  b[48] = 4;
  EXPECT_THAT(ParseQuote(b).status().message(), HasSubstr("unsupported body type 4"));
}

}  // namespace
}  // namespace cocoon::attestation::dcap
