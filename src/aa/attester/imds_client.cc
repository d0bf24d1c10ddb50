#include "aa/attester/imds_client.h"

#include <curl/curl.h>

#include <memory>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/encoding.h"
#include "base/json.h"
#include "base/status.h"

namespace cocoon::aa {
namespace {

constexpr size_t kMaxResponse = 1 << 20;

size_t Collect(char* data, size_t size, size_t n, void* out) {
  auto* s = static_cast<std::string*>(out);
  size_t len = size * n;
  if (s->size() + len > kMaxResponse) return 0;  // aborts the transfer
  s->append(data, len);
  return len;
}

struct HttpResult {
  long status = 0;
  std::string body;
};

absl::StatusOr<HttpResult> Post(const ImdsOptions& options, const std::string& url,
                                const std::string& body) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return absl::InternalError("IMDS: curl_easy_init failed");
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Metadata: true");
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> owned(headers, curl_slist_free_all);
  HttpResult result;
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(c, CURLOPT_PROXY, "");  // IMDS is link-local: never through a proxy
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(options.connect_timeout)));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(options.timeout)));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &result.body);
  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) {
    return absl::UnavailableError(
        absl::StrCat("IMDS: POST ", url, " failed: ", curl_easy_strerror(rc)));
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &result.status);
  return result;
}

}  // namespace

absl::StatusOr<std::string> GetTdQuote(const ImdsOptions& options, absl::string_view td_report) {
  std::string url = absl::StrCat(absl::StripSuffix(options.base_url, "/"), "/acc/tdquote");
  HttpResult last;
  for (bool url_safe : {false, true}) {
    std::string report = url_safe ? Base64UrlEncode(td_report) : Base64Encode(td_report);
    std::string body = absl::StrCat("{\"report\":\"", report, "\"}");
    COCOON_ASSIGN_OR_RETURN(last, Post(options, url, body));
    if (last.status >= 200 && last.status < 300) break;
  }
  if (last.status < 200 || last.status >= 300) {
    std::string excerpt = last.body.substr(0, 200);
    return absl::UnavailableError(
        absl::StrCat("IMDS: POST ", url, " returned HTTP ", last.status, ": ", excerpt));
  }
  COCOON_ASSIGN_OR_RETURN(Json response, ParseJson(last.body, "IMDS tdquote response"));
  if (!response.is_object())
    return absl::InvalidArgumentError("IMDS tdquote response: not an object");
  COCOON_ASSIGN_OR_RETURN(std::string quote_b64,
                          GetString(response, "quote", "IMDS tdquote response"));
  auto quote = Base64Decode(quote_b64, Base64Alphabet::kStandard, Base64Padding::kOptional);
  if (!quote.ok()) quote = Base64Decode(quote_b64, Base64Alphabet::kUrl, Base64Padding::kOptional);
  if (!quote.ok()) {
    return Annotate(quote.status(), "IMDS tdquote response: \"quote\" is not base64");
  }
  if (quote->empty()) return absl::InvalidArgumentError("IMDS tdquote response: empty quote");
  return *std::move(quote);
}

}  // namespace cocoon::aa
