// KBS error types and the single mapping from absl::Status to the KBS HTTP error body.
//
// Handlers tag a status with an ErrorType (the upstream error variant); ToHttpError turns any
// status into the wire form {"type": "<prefix>/<Variant>", "detail": "<message>"} with the status
// code upstream uses: 404 for InvalidRequestPath and PluginNotFound, 413 for an oversized body,
// 401 for everything else.
#ifndef COCOON_KBS_ERRORS_H_
#define COCOON_KBS_ERRORS_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace cocoon::kbs {

enum class ErrorType {
  kAdminAuthInitialization,
  kAdminAuthAccess,
  kAttestationError,
  kHttpFailed,
  kHttpsFailed,
  kInvalidRequestPath,
  kJweError,
  kPluginManagerInitialization,
  kPluginNotFound,
  kPluginInternalError,
  kPolicyDeny,
  kParsePolicyError,
  kPolicyEngineError,
  kRvpsError,
  kSerdeError,
  kStorageBackendInitialization,
  kTokenNotFound,
  kTokenVerifierError,
  kPrometheusError,
  kPayloadTooLarge,  // cocoon: the body limit (upstream answers 413 without a KBS body)
};

inline constexpr absl::string_view kErrorTypePrefix =
    "https://github.com/confidential-containers/kbs/errors/";

// Upstream variant name, e.g. "PolicyDeny".
absl::string_view ErrorTypeName(ErrorType type);
// HTTP status code of the variant.
int ErrorHttpStatus(ErrorType type);

// A status tagged with `type`; `detail` is the whole detail text of the error body.
absl::Status KbsError(ErrorType type, absl::string_view detail);
// Tags `status` with `type` and prefixes `prefix` to its message, unless it is OK or already
// tagged (the innermost tag wins, so a handler can wrap everything it calls).
absl::Status WithErrorType(const absl::Status& status, ErrorType type, absl::string_view prefix);
std::optional<ErrorType> GetErrorType(const absl::Status& status);

struct HttpError {
  int status = 401;
  ErrorType type = ErrorType::kPluginInternalError;
  std::string body;  // JSON error body
};
// The one place statuses become KBS HTTP errors. Untagged statuses become PluginInternalError.
HttpError ToHttpError(const absl::Status& status);

}  // namespace cocoon::kbs

#endif  // COCOON_KBS_ERRORS_H_
