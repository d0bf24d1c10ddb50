#include "kbs/errors.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "base/status.h"

namespace cocoon::kbs {
namespace {

constexpr absl::string_view kPayloadUrl = "type.cocoon.dev/kbs.ErrorType";

struct TypeInfo {
  ErrorType type;
  absl::string_view name;
  int status;
};

constexpr TypeInfo kTypes[] = {
    {ErrorType::kAdminAuthInitialization, "AdminAuthInitialization", 401},
    {ErrorType::kAdminAuthAccess, "AdminAuthAccess", 401},
    {ErrorType::kAttestationError, "AttestationError", 401},
    {ErrorType::kHttpFailed, "HTTPFailed", 401},
    {ErrorType::kHttpsFailed, "HTTPSFailed", 401},
    {ErrorType::kInvalidRequestPath, "InvalidRequestPath", 404},
    {ErrorType::kJweError, "JweError", 401},
    {ErrorType::kPluginManagerInitialization, "PluginManagerInitialization", 401},
    {ErrorType::kPluginNotFound, "PluginNotFound", 404},
    {ErrorType::kPluginInternalError, "PluginInternalError", 401},
    {ErrorType::kPolicyDeny, "PolicyDeny", 401},
    {ErrorType::kParsePolicyError, "ParsePolicyError", 401},
    {ErrorType::kPolicyEngineError, "PolicyEngineError", 401},
    {ErrorType::kRvpsError, "RvpsError", 401},
    {ErrorType::kSerdeError, "SerdeError", 401},
    {ErrorType::kStorageBackendInitialization, "StorageBackendInitialization", 401},
    {ErrorType::kTokenNotFound, "TokenNotFound", 401},
    {ErrorType::kTokenVerifierError, "TokenVerifierError", 401},
    {ErrorType::kPrometheusError, "PrometheusError", 401},
    {ErrorType::kPayloadTooLarge, "PayloadTooLarge", 413},
};

const TypeInfo& Info(ErrorType type) {
  for (const TypeInfo& info : kTypes) {
    if (info.type == type) return info;
  }
  return kTypes[9];  // PluginInternalError
}

absl::StatusCode CodeFor(ErrorType type) {
  switch (type) {
    case ErrorType::kInvalidRequestPath:
    case ErrorType::kPluginNotFound:
      return absl::StatusCode::kNotFound;
    case ErrorType::kPolicyDeny:
    case ErrorType::kAdminAuthAccess:
      return absl::StatusCode::kPermissionDenied;
    case ErrorType::kPayloadTooLarge:
      return absl::StatusCode::kResourceExhausted;
    default:
      return absl::StatusCode::kUnauthenticated;
  }
}

}  // namespace

absl::string_view ErrorTypeName(ErrorType type) { return Info(type).name; }
int ErrorHttpStatus(ErrorType type) { return Info(type).status; }

absl::Status KbsError(ErrorType type, absl::string_view detail) {
  absl::Status status(CodeFor(type), detail);
  status.SetPayload(kPayloadUrl, absl::Cord(ErrorTypeName(type)));
  return status;
}

absl::Status WithErrorType(const absl::Status& status, ErrorType type, absl::string_view prefix) {
  if (status.ok() || GetErrorType(status).has_value()) return status;
  absl::Status out = Annotate(status, prefix);
  out.SetPayload(kPayloadUrl, absl::Cord(ErrorTypeName(type)));
  return out;
}

std::optional<ErrorType> GetErrorType(const absl::Status& status) {
  auto payload = status.GetPayload(kPayloadUrl);
  if (!payload) return std::nullopt;
  const std::string name(*payload);
  for (const TypeInfo& info : kTypes) {
    if (info.name == name) return info.type;
  }
  return std::nullopt;
}

HttpError ToHttpError(const absl::Status& status) {
  HttpError out;
  out.type = GetErrorType(status).value_or(ErrorType::kPluginInternalError);
  out.status = ErrorHttpStatus(out.type);
  std::string detail(status.message());
  if (!GetErrorType(status).has_value()) detail = absl::StrCat("Plugin internal error: ", detail);
  out.body = "{\"type\":";
  AppendGoJsonString(&out.body, absl::StrCat(kErrorTypePrefix, ErrorTypeName(out.type)));
  out.body += ",\"detail\":";
  AppendGoJsonString(&out.body, detail);
  out.body += "}";
  return out;
}

}  // namespace cocoon::kbs
