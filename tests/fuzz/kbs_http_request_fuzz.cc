// The KBS HTTP/1.1 request parser on arbitrary bytes, delivered in pieces whose sizes come from
// the input itself, so incremental parsing is exercised as well as whole requests. Pipelined
// requests are parsed until the input runs out or a request is refused.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "kbs/http_request_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const size_t step = 1 + data[0] % 64;
  const absl::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  cocoon::kbs::HttpParseLimits limits;
  limits.max_header_bytes = 512;
  limits.max_body_bytes = 1024;
  limits.max_headers = 16;
  cocoon::kbs::HttpRequestParser parser(limits);
  std::string buffer;
  size_t fed = 0;
  while (fed < input.size() || !buffer.empty()) {
    const size_t n = std::min(step, input.size() - fed);
    buffer.append(input.data() + fed, n);
    fed += n;
    const auto r = parser.Parse(buffer);
    if (r == cocoon::kbs::HttpRequestParser::Result::kError) {
      const int s = parser.error_status();
      if (s < 400 || s > 599 || parser.error_message().empty()) std::abort();
      break;
    }
    if (r == cocoon::kbs::HttpRequestParser::Result::kNeedMore) {
      if (fed == input.size()) break;
      continue;
    }
    const size_t used = parser.consumed();
    if (used == 0 || used > buffer.size()) std::abort();
    if (parser.request().body.size() > limits.max_body_bytes) std::abort();
    if (parser.request().path.empty() || parser.request().path[0] != '/') std::abort();
    buffer.erase(0, used);
    parser.Reset();
  }
  return 0;
}
