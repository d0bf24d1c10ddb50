// The KBS protocol 0.4.0 (RCAR handshake, resources, admin API) independent of the HTTP server:
// KbsService::Handle maps one request to one response. The HTTP front end (http_server.h) and
// the tests drive it.
#ifndef COCOON_KBS_KBS_SERVICE_H_
#define COCOON_KBS_KBS_SERVICE_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "attestation/verifier.h"
#include "kbs/config.h"
#include "kbs/metrics.h"
#include "kbs/policy_engine.h"

namespace cocoon::kbs {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // URL path, percent-decoded, without the query
  std::string query;   // raw query string without '?'
  std::vector<std::pair<std::string, std::string>> query_params;
  std::string cookie;         // Cookie header ("" when absent)
  std::string authorization;  // Authorization header ("" when absent)
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type;  // "" for an empty body
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // One line for the operator log (never a secret); empty when not worth logging.
  std::string log_line;
  bool log_warning = false;
};

// Builds the error response for `status` (through ToHttpError).
HttpResponse ErrorResponse(const absl::Status& status);

struct KbsServiceOptions {
  // Default: NewRegoPolicyEngine().
  std::shared_ptr<const PolicyEngine> policy_engine;
  // Default: a registry with the sample verifier.
  std::shared_ptr<const attestation::VerifierRegistry> verifiers;
  std::function<absl::Time()> clock = [] { return absl::Now(); };
};

class KbsService {
 public:
  static absl::StatusOr<std::unique_ptr<KbsService>> Create(const KbsConfig& config,
                                                            KbsServiceOptions options = {});
  ~KbsService();

  HttpResponse Handle(const HttpRequest& request);

  Metrics& metrics();
  const KbsConfig& config() const;

  class Impl;

 private:
  explicit KbsService(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A registry holding the verifiers built into this binary (sample; more as they land).
std::shared_ptr<const attestation::VerifierRegistry> DefaultVerifiers();

}  // namespace cocoon::kbs

#endif  // COCOON_KBS_KBS_SERVICE_H_
