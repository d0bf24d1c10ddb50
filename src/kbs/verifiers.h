// The verifiers the kbs binary serves, built from kbs-config.toml's
// [attestation_service.verifier_config]: "sample", and the DCAP verifiers "tdx" and "az-tdx-vtpm"
// (also "aztdxvtpm") with their collateral source and trust anchors.
//
//   [attestation_service.verifier_config.dcap]
//   collateral = { source = "pcs" | "pccs" | "thim" | "offline", ... }   # docs/attestation.md
//   trusted_test_roots = ["/path/test-root-ca.pem"]                      # tests and demos only
//
// Only the Intel SGX Root CA (pinned) is trusted by default. A root in `trusted_test_roots` is
// trusted in addition, and every start reports a warning naming it (design decision 2).
#ifndef COCOON_KBS_VERIFIERS_H_
#define COCOON_KBS_VERIFIERS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "attestation/verifier.h"

namespace cocoon::kbs {

struct VerifierSetup {
  std::shared_ptr<const attestation::VerifierRegistry> registry;
  // One line per trusted test root; the caller logs each as a warning at every start.
  std::vector<std::string> warnings;
};

// `verifier_config_json`: KbsConfig::attestation_service.verifier_config_json. Errors name the
// key (verifier_config.dcap.trusted_test_roots[0]: ...).
absl::StatusOr<VerifierSetup> BuildVerifiers(absl::string_view verifier_config_json);

}  // namespace cocoon::kbs

#endif  // COCOON_KBS_VERIFIERS_H_
