// The sample TEE (no hardware): {"svn":"1","report_data":"<standard base64 of the report data>"}.
// Only a verifier configured to accept the sample TEE takes it.
#ifndef COCOON_AA_ATTESTER_SAMPLE_ATTESTER_H_
#define COCOON_AA_ATTESTER_SAMPLE_ATTESTER_H_

#include <string>

#include "aa/attester/attester.h"

namespace cocoon::aa {

class SampleAttester : public Attester {
 public:
  std::string tee() const override { return std::string(kTeeSample); }
  absl::StatusOr<std::string> GetEvidence(absl::string_view report_data) override;
};

}  // namespace cocoon::aa

#endif  // COCOON_AA_ATTESTER_SAMPLE_ATTESTER_H_
