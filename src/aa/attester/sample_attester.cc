#include "aa/attester/sample_attester.h"

#include "absl/strings/str_cat.h"
#include "base/encoding.h"

namespace cocoon::aa {

absl::StatusOr<std::string> SampleAttester::GetEvidence(absl::string_view report_data) {
  // Base64 never needs JSON escaping, so the text is assembled directly.
  return absl::StrCat("{\"svn\":\"1\",\"report_data\":\"", Base64Encode(report_data), "\"}");
}

}  // namespace cocoon::aa
