// Azure IMDS TD-quote client: POST <base>/acc/tdquote with {"report": base64(TDREPORT)} and the
// headers "Metadata: true" and "Content-Type: application/json" (exactly; a charset parameter
// gets HTTP 415). The body is sent with standard base64 first and, after a non-2xx answer, with
// base64url without padding; the "quote" in the answer is accepted in either alphabet.
#ifndef COCOON_AA_ATTESTER_IMDS_CLIENT_H_
#define COCOON_AA_ATTESTER_IMDS_CLIENT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace cocoon::aa {

struct ImdsOptions {
  std::string base_url = "http://169.254.169.254";
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration timeout = absl::Seconds(60);
};

absl::StatusOr<std::string> GetTdQuote(const ImdsOptions& options, absl::string_view td_report);

}  // namespace cocoon::aa

#endif  // COCOON_AA_ATTESTER_IMDS_CLIENT_H_
