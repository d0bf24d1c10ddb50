#include "kbs/http_request_parser.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace cocoon::kbs {
namespace {

// RFC 9110 token characters (method and header names).
bool IsTokenChar(unsigned char c) {
  if (absl::ascii_isalnum(c)) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool IsToken(absl::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return IsTokenChar(static_cast<unsigned char>(c));
  });
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

absl::string_view TrimOws(absl::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool PercentDecode(absl::string_view in, bool plus_as_space, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = HexValue(in[i + 1]);
      const int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return true;
}

absl::string_view ParsedHttpRequest::Header(absl::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return {};
}

std::string ParsedHttpRequest::JoinedHeader(absl::string_view name,
                                            absl::string_view separator) const {
  std::string out;
  for (const auto& [k, v] : headers) {
    if (k != name) continue;
    if (!out.empty()) absl::StrAppend(&out, separator);
    absl::StrAppend(&out, v);
  }
  return out;
}

void HttpRequestParser::Reset() {
  state_ = State::kHeaders;
  request_ = ParsedHttpRequest();
  started_ = want_continue_ = false;
  scan_from_ = head_len_ = body_len_ = pos_ = trailers_from_ = consumed_ = 0;
  chunk_left_ = 0;
  error_status_ = 0;
  error_message_.clear();
}

HttpRequestParser::Result HttpRequestParser::Fail(int status, std::string message) {
  error_status_ = status;
  error_message_ = std::move(message);
  return Result::kError;
}

HttpRequestParser::Result HttpRequestParser::Parse(absl::string_view buffer) {
  if (error_status_ != 0) return Result::kError;
  if (state_ == State::kHeaders) {
    // Leading empty lines before a request are allowed (RFC 9112 section 2.2).
    size_t lead = 0;
    while (lead < buffer.size() && (buffer[lead] == '\r' || buffer[lead] == '\n')) ++lead;
    if (lead == buffer.size()) {
      if (lead > limits_.max_header_bytes) {
        return Fail(431, absl::StrCat("more than ", limits_.max_header_bytes,
                                      " bytes of empty lines before the request line"));
      }
      return Result::kNeedMore;
    }
    started_ = true;
    const size_t from = std::max(lead, scan_from_ >= 3 ? scan_from_ - 3 : 0);
    const size_t end = buffer.find("\r\n\r\n", from);
    if (end == absl::string_view::npos || end + 4 - lead > limits_.max_header_bytes) {
      if (buffer.size() - lead > limits_.max_header_bytes) {
        return Fail(431, absl::StrCat("request header section exceeds ", limits_.max_header_bytes,
                                      " bytes"));
      }
      scan_from_ = buffer.size();
      return Result::kNeedMore;
    }
    head_len_ = end + 4;
    const Result head = ParseHead(buffer.substr(lead, end + 2 - lead));
    if (head == Result::kError) return head;
    if (state_ == State::kHeaders) {  // no body
      consumed_ = head_len_;
      return Result::kComplete;
    }
    pos_ = head_len_;
  }
  if (state_ == State::kFixedBody) {
    if (buffer.size() - head_len_ < body_len_) return Result::kNeedMore;
    request_.body = std::string(buffer.substr(head_len_, body_len_));
    consumed_ = head_len_ + body_len_;
    want_continue_ = false;
    return Result::kComplete;
  }
  return ParseChunked(buffer);
}

HttpRequestParser::Result HttpRequestParser::ParseHead(absl::string_view head) {
  // `head` is the request line and the header lines, each ending in CRLF.
  const size_t line_end = head.find("\r\n");
  const absl::string_view line = head.substr(0, line_end);
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == absl::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == absl::string_view::npos || line.find(' ', sp2 + 1) != absl::string_view::npos) {
    return Fail(400, "malformed request line: expected \"METHOD /target HTTP/1.1\"");
  }
  const absl::string_view method = line.substr(0, sp1);
  const absl::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const absl::string_view version = line.substr(sp2 + 1);
  if (!IsToken(method)) return Fail(400, "malformed request line: bad method");
  if (target.empty() || target.front() != '/') {
    return Fail(400, "malformed request line: the target must be a path starting with '/'");
  }
  for (size_t i = 0; i < target.size(); ++i) {
    const unsigned char c = target[i];
    if (c <= 0x20 || c >= 0x7f) {
      return Fail(400, absl::StrCat("malformed request line: byte ", sp1 + 1 + i,
                                    " of the target is not a visible ASCII character"));
    }
  }
  if (version == "HTTP/1.1") {
    request_.minor_version = 1;
  } else if (version == "HTTP/1.0") {
    request_.minor_version = 0;
  } else if (absl::StartsWith(version, "HTTP/")) {
    return Fail(505, "HTTP version not supported: only HTTP/1.0 and HTTP/1.1 are served");
  } else {
    return Fail(400, "malformed request line: bad HTTP version");
  }
  request_.method = std::string(method);
  request_.target = std::string(target);
  const size_t q = target.find('?');
  const absl::string_view raw_path = target.substr(0, q);
  if (!PercentDecode(raw_path, false, &request_.path) ||
      request_.path.find('\0') != std::string::npos) {
    return Fail(400, "malformed request path: broken percent-encoding or an encoded NUL");
  }
  if (q != absl::string_view::npos) {
    request_.query = std::string(target.substr(q + 1));
    for (absl::string_view item : absl::StrSplit(request_.query, '&', absl::SkipEmpty())) {
      const size_t eq = item.find('=');
      std::string key, value;
      if (!PercentDecode(item.substr(0, eq), true, &key) ||
          (eq != absl::string_view::npos && !PercentDecode(item.substr(eq + 1), true, &value))) {
        return Fail(400, "malformed query string: broken percent-encoding");
      }
      request_.query_params.emplace_back(std::move(key), std::move(value));
    }
  }

  bool have_length = false, chunked = false, keep_alive_token = false, close_token = false;
  bool expect_continue = false;
  uint64_t length = 0;
  size_t offset = line_end + 2;
  size_t line_no = 2;  // the request line is line 1
  while (offset < head.size()) {
    const size_t eol = head.find("\r\n", offset);
    const absl::string_view h = head.substr(offset, eol - offset);
    const auto where = [line_no, offset] {
      return absl::StrCat("header line ", line_no, " (byte ", offset, ")");
    };
    ++line_no;
    offset = eol + 2;
    if (request_.headers.size() >= limits_.max_headers) {
      return Fail(431, absl::StrCat("more than ", limits_.max_headers, " header fields"));
    }
    if (!h.empty() && (h.front() == ' ' || h.front() == '\t')) {
      return Fail(400, absl::StrCat("obsolete line folding at ", where()));
    }
    const size_t colon = h.find(':');
    if (colon == absl::string_view::npos || !IsToken(h.substr(0, colon))) {
      return Fail(400, absl::StrCat("malformed ", where(), ": expected \"name: value\""));
    }
    const absl::string_view value = TrimOws(h.substr(colon + 1));
    for (unsigned char c : value) {
      if ((c < 0x20 && c != '\t') || c == 0x7f) {
        return Fail(400, absl::StrCat("control character in the value at ", where()));
      }
    }
    std::string name = absl::AsciiStrToLower(h.substr(0, colon));
    if (name == "content-length") {
      uint64_t n = 0;
      if (value.empty() || value.size() > 18 ||
          !std::all_of(value.begin(), value.end(), absl::ascii_isdigit)) {
        return Fail(400, absl::StrCat("bad Content-Length at ", where()));
      }
      for (char c : value) n = n * 10 + static_cast<uint64_t>(c - '0');
      if (have_length && n != length) return Fail(400, "two different Content-Length values");
      have_length = true;
      length = n;
    } else if (name == "transfer-encoding") {
      if (!absl::EqualsIgnoreCase(value, "chunked") || chunked) {
        return Fail(501, "only the \"chunked\" transfer coding is supported");
      }
      chunked = true;
    } else if (name == "connection") {
      for (absl::string_view token : absl::StrSplit(value, ',')) {
        token = TrimOws(token);
        if (absl::EqualsIgnoreCase(token, "close")) close_token = true;
        if (absl::EqualsIgnoreCase(token, "keep-alive")) keep_alive_token = true;
      }
    } else if (name == "expect") {
      expect_continue = absl::EqualsIgnoreCase(value, "100-continue");
    }
    request_.headers.emplace_back(std::move(name), std::string(value));
  }
  if (have_length && chunked) {
    return Fail(400, "both Content-Length and Transfer-Encoding are present");
  }
  request_.keep_alive = !close_token && (request_.minor_version == 1 || keep_alive_token);
  if (chunked) {
    if (request_.minor_version == 0) return Fail(400, "chunked transfer coding in HTTP/1.0");
    state_ = State::kChunkSize;
    want_continue_ = expect_continue;
  } else if (length > 0) {
    if (length > limits_.max_body_bytes) {
      return Fail(413, absl::StrCat("request body of ", length, " bytes exceeds the limit of ",
                                    limits_.max_body_bytes, " bytes"));
    }
    body_len_ = static_cast<size_t>(length);
    state_ = State::kFixedBody;
    want_continue_ = expect_continue;
  }
  return Result::kNeedMore;
}

HttpRequestParser::Result HttpRequestParser::ParseChunked(absl::string_view buffer) {
  for (;;) {
    switch (state_) {
      case State::kChunkSize: {
        const size_t eol = buffer.find("\r\n", pos_);
        if (eol == absl::string_view::npos) {
          if (buffer.size() - pos_ > 1024) {
            return Fail(400, absl::StrCat("chunk size line at byte ", pos_, " is too long"));
          }
          return Result::kNeedMore;
        }
        absl::string_view size = buffer.substr(pos_, eol - pos_);
        size = TrimOws(size.substr(0, size.find(';')));
        if (size.empty() || size.size() > 15) {
          return Fail(400, absl::StrCat("malformed chunk size at byte ", pos_));
        }
        uint64_t n = 0;
        for (char c : size) {
          const int v = HexValue(c);
          if (v < 0) return Fail(400, absl::StrCat("malformed chunk size at byte ", pos_));
          n = n * 16 + static_cast<uint64_t>(v);
        }
        if (request_.body.size() + n > limits_.max_body_bytes) {
          return Fail(413, absl::StrCat("request body exceeds the limit of ",
                                        limits_.max_body_bytes, " bytes"));
        }
        pos_ = eol + 2;
        want_continue_ = false;
        chunk_left_ = n;
        state_ = n == 0 ? State::kTrailers : State::kChunkData;
        trailers_from_ = pos_;
        break;
      }
      case State::kChunkData: {
        const size_t n = std::min<uint64_t>(buffer.size() - pos_, chunk_left_);
        request_.body.append(buffer.data() + pos_, n);
        pos_ += n;
        chunk_left_ -= n;
        if (chunk_left_ > 0) return Result::kNeedMore;
        state_ = State::kChunkDataEnd;
        break;
      }
      case State::kChunkDataEnd:
        if (buffer.size() - pos_ < 2) return Result::kNeedMore;
        if (buffer.substr(pos_, 2) != "\r\n") {
          return Fail(400, absl::StrCat("chunk data not followed by CRLF at byte ", pos_));
        }
        pos_ += 2;
        state_ = State::kChunkSize;
        break;
      case State::kTrailers: {
        // Trailer fields are read and dropped; an empty line ends the request.
        const size_t eol = buffer.find("\r\n", pos_);
        if (eol == absl::string_view::npos) {
          if (buffer.size() - trailers_from_ > limits_.max_header_bytes) {
            return Fail(431, "trailer section too large");
          }
          return Result::kNeedMore;
        }
        const bool last = eol == pos_;
        pos_ = eol + 2;
        if (pos_ - trailers_from_ > limits_.max_header_bytes) {
          return Fail(431, "trailer section too large");
        }
        if (last) {
          consumed_ = pos_;
          return Result::kComplete;
        }
        break;
      }
      default:
        return Fail(500, "parser in an impossible state");
    }
  }
}

}  // namespace cocoon::kbs
