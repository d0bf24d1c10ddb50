#include "kbs/http_request_parser.h"

#include <string>

#include "gtest/gtest.h"

namespace cocoon::kbs {
namespace {

using Result = HttpRequestParser::Result;

HttpParseLimits SmallLimits() {
  HttpParseLimits limits;
  limits.max_header_bytes = 256;
  limits.max_body_bytes = 64;
  limits.max_headers = 4;
  return limits;
}

// Parses `text` fed one byte at a time; returns the final result.
Result FeedBytewise(HttpRequestParser& parser, const std::string& text) {
  std::string buffer;
  Result r = Result::kNeedMore;
  for (char c : text) {
    buffer.push_back(c);
    r = parser.Parse(buffer);
    if (r != Result::kNeedMore) break;
  }
  return r;
}

TEST(HttpRequestParserTest, ParsesRequestLineHeadersAndFixedBody) {
  HttpRequestParser parser(HttpParseLimits{});
  const std::string text =
      "POST /kbs/v0/auth HTTP/1.1\r\nHost: kbs\r\nContent-Type: application/json\r\n"
      "Content-Length: 5\r\n\r\nhello";
  ASSERT_EQ(parser.Parse(text), Result::kComplete);
  const ParsedHttpRequest& r = parser.request();
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/kbs/v0/auth");
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(r.Header("content-type"), "application/json");
  EXPECT_TRUE(r.keep_alive);
  EXPECT_EQ(parser.consumed(), text.size());
}

TEST(HttpRequestParserTest, SameResultWhenBytesTrickleInOneByOne) {
  HttpRequestParser parser(HttpParseLimits{});
  ASSERT_EQ(FeedBytewise(parser, "GET /a%2Fb?x=1+2&y=%41 HTTP/1.1\r\nCookie: a=1\r\n\r\n"),
            Result::kComplete);
  EXPECT_EQ(parser.request().path, "/a/b");
  EXPECT_EQ(parser.request().query, "x=1+2&y=%41");
  ASSERT_EQ(parser.request().query_params.size(), 2u);
  EXPECT_EQ(parser.request().query_params[0].second, "1 2");
  EXPECT_EQ(parser.request().query_params[1].second, "A");
}

TEST(HttpRequestParserTest, PipelinedRequestsAreParsedOneAfterAnother) {
  HttpRequestParser parser(HttpParseLimits{});
  std::string buffer = "GET /one HTTP/1.1\r\n\r\nGET /two HTTP/1.1\r\nConnection: close\r\n\r\n";
  ASSERT_EQ(parser.Parse(buffer), Result::kComplete);
  EXPECT_EQ(parser.request().path, "/one");
  buffer.erase(0, parser.consumed());
  parser.Reset();
  ASSERT_EQ(parser.Parse(buffer), Result::kComplete);
  EXPECT_EQ(parser.request().path, "/two");
  EXPECT_FALSE(parser.request().keep_alive);
  EXPECT_EQ(parser.consumed(), buffer.size());
}

TEST(HttpRequestParserTest, Http10ClosesUnlessKeepAliveIsAsked) {
  HttpRequestParser a(HttpParseLimits{});
  ASSERT_EQ(a.Parse("GET / HTTP/1.0\r\n\r\n"), Result::kComplete);
  EXPECT_FALSE(a.request().keep_alive);
  HttpRequestParser b(HttpParseLimits{});
  ASSERT_EQ(b.Parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"), Result::kComplete);
  EXPECT_TRUE(b.request().keep_alive);
}

TEST(HttpRequestParserTest, DecodesChunkedBodyWithExtensionsAndTrailers) {
  HttpRequestParser parser(HttpParseLimits{});
  ASSERT_EQ(FeedBytewise(parser,
                         "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                         "3;name=v\r\nabc\r\n0A\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n"),
            Result::kComplete);
  EXPECT_EQ(parser.request().body, "abc0123456789");
}

TEST(HttpRequestParserTest, ReportsExpectContinueUntilTheBodyStarts) {
  HttpRequestParser parser(HttpParseLimits{});
  std::string buffer = "PUT /x HTTP/1.1\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n";
  ASSERT_EQ(parser.Parse(buffer), Result::kNeedMore);
  EXPECT_TRUE(parser.WantsContinue());
  buffer += "abc";
  ASSERT_EQ(parser.Parse(buffer), Result::kComplete);
  EXPECT_FALSE(parser.WantsContinue());
}

TEST(HttpRequestParserTest, LeadingEmptyLinesAreSkipped) {
  HttpRequestParser parser(HttpParseLimits{});
  ASSERT_EQ(parser.Parse("\r\n\r\nGET /h HTTP/1.1\r\n\r\n"), Result::kComplete);
  EXPECT_EQ(parser.request().path, "/h");
}

struct Refusal {
  const char* name;
  std::string text;
  int status;
  const char* message;
};

class HttpRequestParserRefusalTest : public testing::TestWithParam<Refusal> {};

TEST_P(HttpRequestParserRefusalTest, RefusesWithStatusAndMessage) {
  const Refusal& c = GetParam();
  HttpRequestParser parser(SmallLimits());
  ASSERT_EQ(parser.Parse(c.text), Result::kError) << c.name;
  EXPECT_EQ(parser.error_status(), c.status) << c.name;
  EXPECT_NE(parser.error_message().find(c.message), std::string::npos)
      << c.name << ": " << parser.error_message();
  // A refused parser stays refused.
  EXPECT_EQ(parser.Parse(c.text), Result::kError);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, HttpRequestParserRefusalTest,
    testing::Values(
        Refusal{"no_version", "GET /\r\n\r\n", 400, "malformed request line"},
        Refusal{"two_spaces", "GET  / HTTP/1.1\r\n\r\n", 400, "malformed request line"},
        Refusal{"absolute_form", "GET http://x/ HTTP/1.1\r\n\r\n", 400, "starting with '/'"},
        Refusal{"bad_method", "G(T / HTTP/1.1\r\n\r\n", 400, "bad method"},
        Refusal{"http2", "GET / HTTP/2.0\r\n\r\n", 505, "not supported"},
        Refusal{"not_http", "GET / FTP/1.0\r\n\r\n", 400, "bad HTTP version"},
        Refusal{"control_in_target", "GET /a\x01 HTTP/1.1\r\n\r\n", 400, "byte 6"},
        Refusal{"bad_escape", "GET /a%zz HTTP/1.1\r\n\r\n", 400, "percent-encoding"},
        Refusal{"encoded_nul", "GET /a%00 HTTP/1.1\r\n\r\n", 400, "NUL"},
        Refusal{"bad_query", "GET /a?x=%4 HTTP/1.1\r\n\r\n", 400, "query"},
        Refusal{"no_colon", "GET / HTTP/1.1\r\nHost kbs\r\n\r\n", 400, "header line 2"},
        Refusal{"space_before_colon", "GET / HTTP/1.1\r\nHost : kbs\r\n\r\n", 400, "header line 2"},
        Refusal{"folding", "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", 400, "line folding"},
        Refusal{"control_in_value", "GET / HTTP/1.1\r\nA: b\x01\r\n\r\n", 400, "control character"},
        Refusal{"too_many_headers",
                "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\n\r\n", 431,
                "more than 4 header fields"},
        Refusal{"header_too_big", "GET / HTTP/1.1\r\nA: " + std::string(300, 'a') + "\r\n\r\n", 431,
                "exceeds 256 bytes"},
        Refusal{"bad_length", "POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", 400,
                "bad Content-Length"},
        Refusal{"negative_length", "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400,
                "bad Content-Length"},
        Refusal{"two_lengths", "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                400, "two different"},
        Refusal{"length_and_chunked",
                "POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
                "both Content-Length and Transfer-Encoding"},
        Refusal{"gzip_coding", "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501,
                "chunked"},
        Refusal{"body_too_big", "POST / HTTP/1.1\r\nContent-Length: 65\r\n\r\n", 413,
                "65 bytes exceeds the limit of 64"},
        Refusal{"chunked_too_big", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n41\r\n",
                413, "limit of 64"},
        Refusal{"bad_chunk_size", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                400, "malformed chunk size at byte"},
        Refusal{"chunk_without_crlf",
                "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\naXY", 400,
                "not followed by CRLF"},
        Refusal{"chunked_http10", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
                "HTTP/1.0"}),
    [](const testing::TestParamInfo<Refusal>& info) { return std::string(info.param.name); });

TEST(HttpRequestParserTest, OversizedHeadersAreRefusedBeforeTheEndArrives) {
  HttpRequestParser parser(SmallLimits());
  EXPECT_EQ(FeedBytewise(parser, "GET / HTTP/1.1\r\nA: " + std::string(400, 'a')), Result::kError);
  EXPECT_EQ(parser.error_status(), 431);
}

TEST(HttpRequestParserTest, PercentDecodeRejectsTruncatedEscapes) {
  std::string out;
  EXPECT_FALSE(PercentDecode("%", false, &out));
  EXPECT_FALSE(PercentDecode("%4", false, &out));
  EXPECT_TRUE(PercentDecode("%41+", false, &out));
  EXPECT_EQ(out, "A+");
  EXPECT_TRUE(PercentDecode("%41+", true, &out));
  EXPECT_EQ(out, "A ");
}

}  // namespace
}  // namespace cocoon::kbs
