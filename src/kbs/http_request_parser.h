// An incremental HTTP/1.1 request parser (RFC 9112) for the KBS front end.
//
// The connection keeps the bytes it has read in one buffer and calls Parse() with all bytes not
// yet consumed by earlier requests, each time more arrive. The parser remembers how far it got,
// so a request that trickles in byte by byte is scanned once, not once per byte.
//
// Accepted: origin-form targets ("/path?query"), HTTP/1.0 and 1.1, Content-Length or
// `Transfer-Encoding: chunked` bodies (extensions and trailers are read and dropped), leading
// empty lines before the request line. Refused, with the status to answer and a message naming
// the field and byte offset: a malformed request line (400), another HTTP version (505), a header
// section over the limit (431), a malformed header line (400), Content-Length together with
// Transfer-Encoding or two different Content-Lengths (400; both are request-smuggling vectors),
// a transfer coding other than chunked (501), a body over the limit (413, decided from the
// Content-Length before any body byte is read), a malformed chunk (400), and a path with broken
// percent-encoding or an encoded NUL (400).
#ifndef COCOON_KBS_HTTP_REQUEST_PARSER_H_
#define COCOON_KBS_HTTP_REQUEST_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace cocoon::kbs {

struct ParsedHttpRequest {
  std::string method;  // as sent, e.g. "GET"
  std::string target;  // as sent, e.g. "/kbs/v0/resource/a/b/c?x=1"
  std::string path;    // percent-decoded path of the target
  std::string query;   // raw query without '?'
  std::vector<std::pair<std::string, std::string>> query_params;  // decoded, '+' as space
  // Header names lower-cased, values with surrounding whitespace removed, in arrival order.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // de-chunked
  int minor_version = 1;
  bool keep_alive = true;  // after this request, per version and Connection header

  // The value of the first header called `name` (lower case), or "" when absent.
  absl::string_view Header(absl::string_view name) const;
  // All values of `name` joined with `separator` (e.g. several Cookie headers).
  std::string JoinedHeader(absl::string_view name, absl::string_view separator) const;
};

struct HttpParseLimits {
  size_t max_header_bytes = 16 * 1024;  // request line + headers + blank line
  size_t max_headers = 100;
  size_t max_body_bytes = 2 * 1024 * 1024;
};

class HttpRequestParser {
 public:
  enum class Result { kNeedMore, kComplete, kError };

  explicit HttpRequestParser(HttpParseLimits limits) : limits_(limits) {}

  // `buffer` holds every byte received after the previous request (it must start with the same
  // bytes on each call and only grow). kComplete: request() is whole and consumed() bytes of the
  // buffer belong to it. kError: error_status()/error_message() say why; the connection must be
  // answered and closed.
  Result Parse(absl::string_view buffer);

  // Headers are in and the client waits for "100 Continue" before sending the body.
  bool WantsContinue() const { return want_continue_; }
  // True once any byte of a request has arrived (used for the header-read deadline).
  bool Started() const { return started_; }
  bool HeadersDone() const { return state_ != State::kHeaders; }

  ParsedHttpRequest& request() { return request_; }
  size_t consumed() const { return consumed_; }
  int error_status() const { return error_status_; }
  const std::string& error_message() const { return error_message_; }

  // Ready for the next request on the same connection.
  void Reset();

 private:
  enum class State { kHeaders, kFixedBody, kChunkSize, kChunkData, kChunkDataEnd, kTrailers };

  Result Fail(int status, std::string message);
  Result ParseHead(absl::string_view head);
  Result ParseChunked(absl::string_view buffer);

  HttpParseLimits limits_;
  State state_ = State::kHeaders;
  ParsedHttpRequest request_;
  bool started_ = false;
  bool want_continue_ = false;
  size_t scan_from_ = 0;      // where to resume looking for the end of the header section
  size_t head_len_ = 0;       // bytes of request line + headers + blank line (+ leading CRLFs)
  size_t body_len_ = 0;       // Content-Length
  size_t pos_ = 0;            // chunked: next unread byte of the buffer
  uint64_t chunk_left_ = 0;   // chunked: bytes of the current chunk still to copy
  size_t trailers_from_ = 0;  // chunked: where the trailer section starts
  size_t consumed_ = 0;
  int error_status_ = 0;
  std::string error_message_;
};

// Percent-decodes `in`; '+' becomes a space when `plus_as_space`. False on a broken escape.
bool PercentDecode(absl::string_view in, bool plus_as_space, std::string* out);

}  // namespace cocoon::kbs

#endif  // COCOON_KBS_HTTP_REQUEST_PARSER_H_
