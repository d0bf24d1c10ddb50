#include "attestation/sample/sample_verifier.h"

#include "absl/strings/str_cat.h"
#include "base/encoding.h"
#include "base/json.h"
#include "base/secret_bytes.h"
#include "base/status.h"

namespace cocoon::attestation {

absl::StatusOr<VerifiedClaims> SampleVerifier::Evaluate(
    absl::string_view evidence_json, absl::string_view expected_report_data,
    const std::optional<std::string>& expected_init_data_hash) const {
  COCOON_ASSIGN_OR_RETURN(Json evidence, ParseJson(evidence_json, "sample evidence", 16));
  if (!evidence.is_object()) return absl::InvalidArgumentError("sample evidence: not an object");
  COCOON_ASSIGN_OR_RETURN(std::string svn, GetString(evidence, "svn", "sample evidence"));
  COCOON_ASSIGN_OR_RETURN(std::string report_data_b64,
                          GetString(evidence, "report_data", "sample evidence"));
  COCOON_ASSIGN_OR_RETURN_CTX(std::string report_data, Base64Decode(report_data_b64),
                              "sample evidence: report_data");
  if (!ConstantTimeEquals(report_data, expected_report_data)) {
    return absl::InvalidArgumentError(
        "sample evidence: report data does not match the expected runtime data digest");
  }
  Json claims = Json::object();
  claims["svn"] = svn;
  claims["report_data"] = report_data_b64;
  claims["launch_digest"] = "abcde";
  claims["platform_version"] = {{"major", 1}, {"minor", 4}};
  claims["debug"] = false;
  if (expected_init_data_hash) claims["init_data"] = Base64Encode(*expected_init_data_hash);
  return VerifiedClaims{claims.dump(), "cpu"};
}

}  // namespace cocoon::attestation
