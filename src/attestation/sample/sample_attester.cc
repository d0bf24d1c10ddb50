#include "attestation/sample/sample_attester.h"

#include "base/encoding.h"
#include "base/json.h"

namespace cocoon::attestation {

std::string SampleEvidence(absl::string_view report_data, absl::string_view svn) {
  Json j = Json::object();
  j["svn"] = std::string(svn);
  j["report_data"] = Base64Encode(report_data);
  return j.dump();
}

}  // namespace cocoon::attestation
