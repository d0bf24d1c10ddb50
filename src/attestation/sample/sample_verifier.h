// The "sample" TEE verifier, for development and tests without TEE hardware.
//
// Evidence {"svn": "<string>", "report_data": "<standard base64>"}; the decoded report data must
// equal the expected report data exactly. Nothing is signed, so a sample attestation proves
// nothing: the default resource policy denies it.
#ifndef COCOON_ATTESTATION_SAMPLE_SAMPLE_VERIFIER_H_
#define COCOON_ATTESTATION_SAMPLE_SAMPLE_VERIFIER_H_

#include "attestation/verifier.h"

namespace cocoon::attestation {

class SampleVerifier final : public Verifier {
 public:
  absl::StatusOr<VerifiedClaims> Evaluate(
      absl::string_view evidence_json, absl::string_view expected_report_data,
      const std::optional<std::string>& expected_init_data_hash) const override;
};

}  // namespace cocoon::attestation

#endif  // COCOON_ATTESTATION_SAMPLE_SAMPLE_VERIFIER_H_
