// The DCAP-based verifiers behind the attestation service's Verifier interface: "tdx" and
// "az-tdx-vtpm" (also registered as "aztdxvtpm"), sharing one set of trust anchors and one
// collateral cache.
#ifndef COCOON_ATTESTATION_AZ_TDX_VTPM_DCAP_VERIFIERS_H_
#define COCOON_ATTESTATION_AZ_TDX_VTPM_DCAP_VERIFIERS_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "attestation/collateral/provider.h"
#include "attestation/dcap/pki.h"
#include "attestation/tdx/tdx_verifier.h"
#include "attestation/verifier.h"

namespace cocoon::attestation {

struct DcapVerifierConfig {
  collateral::CollateralConfig collateral;
  // PEM files of extra trusted roots (test PKIs). Never needed for Intel-signed evidence.
  std::vector<std::string> trusted_root_files;
  // Fixed verification time (tests); now when unset.
  std::optional<absl::Time> at;
};

// Shared state of the DCAP verifiers: roots and the collateral provider.
class DcapVerifierBackend {
 public:
  static absl::StatusOr<std::shared_ptr<DcapVerifierBackend>> Create(
      const DcapVerifierConfig& config);
  // For tests and the CLI: any provider (e.g. a StaticCollateralProvider).
  static std::shared_ptr<DcapVerifierBackend> FromParts(
      std::unique_ptr<dcap::TrustedRoots> roots, std::unique_ptr<dcap::CollateralProvider> provider,
      std::optional<absl::Time> at);

  VerifierContext context() const { return VerifierContext{roots_.get(), provider_.get(), at_}; }
  const dcap::TrustedRoots& roots() const { return *roots_; }

 private:
  std::unique_ptr<dcap::TrustedRoots> roots_;
  std::unique_ptr<dcap::CollateralProvider> provider_;
  std::optional<absl::Time> at_;
};

// Registers "tdx", "az-tdx-vtpm" and "aztdxvtpm" on `registry`.
void RegisterDcapVerifiers(std::shared_ptr<DcapVerifierBackend> backend,
                           VerifierRegistry* registry);

}  // namespace cocoon::attestation

#endif  // COCOON_ATTESTATION_AZ_TDX_VTPM_DCAP_VERIFIERS_H_
