// RCAR and admin request bodies through the whole service: the first byte picks the endpoint,
// the rest is the body (for /attest, a valid session cookie is attached).
#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/strings/str_cat.h"
#include "kbs/kbs_service.h"

namespace {

cocoon::kbs::KbsService* Service() {
  static cocoon::kbs::KbsService* service = [] {
    cocoon::kbs::KbsConfig config;
    config.http_server.insecure_http = true;
    config.resource_plugin.enabled = true;
    config.admin.mode = cocoon::kbs::AdminConfig::Mode::kInsecureAllowAll;
    return cocoon::kbs::KbsService::Create(config)->release();
  }();
  return service;
}

std::string Cookie() {
  static std::string cookie = [] {
    cocoon::kbs::HttpRequest r;
    r.method = "POST";
    r.path = "/kbs/v0/auth";
    r.body = R"({"version":"0.4.0","tee":"sample","extra-params":""})";
    cocoon::kbs::HttpResponse resp = Service()->Handle(r);
    for (const auto& [k, v] : resp.headers) {
      if (k == "Set-Cookie") return v.substr(0, v.find(';'));
    }
    return std::string();
  }();
  return cookie;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const char* const kPaths[] = {"/kbs/v0/auth", "/kbs/v0/attest", "/kbs/v0/resource-policy",
                                       "/kbs/v0/attestation-policy", "/kbs/v0/reference-value"};
  cocoon::kbs::HttpRequest r;
  r.method = "POST";
  r.path = kPaths[data[0] % 5];
  r.body.assign(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] % 5 == 1) r.cookie = Cookie();
  (void)Service()->Handle(r);
  return 0;
}
