// The "sample" TEE attester: evidence that any verifier of the sample TEE accepts.
#ifndef COCOON_ATTESTATION_SAMPLE_SAMPLE_ATTESTER_H_
#define COCOON_ATTESTATION_SAMPLE_SAMPLE_ATTESTER_H_

#include <string>

#include "absl/strings/string_view.h"

namespace cocoon::attestation {

// {"svn":"1","report_data":"<standard base64 of report_data>"}
std::string SampleEvidence(absl::string_view report_data, absl::string_view svn = "1");

}  // namespace cocoon::attestation

#endif  // COCOON_ATTESTATION_SAMPLE_SAMPLE_ATTESTER_H_
