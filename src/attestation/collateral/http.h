// Outbound HTTP GET through libcurl (proxies from the options or the environment, a CA bundle,
// timeouts). Used for collateral only; the verifiers never do network I/O themselves.
#ifndef COCOON_ATTESTATION_COLLATERAL_HTTP_H_
#define COCOON_ATTESTATION_COLLATERAL_HTTP_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cocoon::attestation::collateral {

struct HttpOptions {
  std::string proxy;      // empty: libcurl's environment handling (https_proxy, no_proxy)
  std::string ca_bundle;  // empty: the system default
  long timeout_seconds = 10;
  long connect_timeout_seconds = 5;
  size_t max_body_size = 8 << 20;
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

absl::StatusOr<HttpResponse> HttpGet(const std::string& url,
                                     const std::vector<std::string>& request_headers,
                                     const HttpOptions& options);

// Percent-decoding (PCS issuer-chain headers carry URL-encoded PEM).
std::string UrlDecode(absl::string_view s);

}  // namespace cocoon::attestation::collateral

#endif  // COCOON_ATTESTATION_COLLATERAL_HTTP_H_
