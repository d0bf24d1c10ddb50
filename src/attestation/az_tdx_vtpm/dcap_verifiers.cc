#include "attestation/az_tdx_vtpm/dcap_verifiers.h"

#include <utility>

#include "attestation/az_tdx_vtpm/az_tdx_vtpm_verifier.h"
#include "base/file_util.h"
#include "base/status.h"

namespace cocoon::attestation {

absl::StatusOr<std::shared_ptr<DcapVerifierBackend>> DcapVerifierBackend::Create(
    const DcapVerifierConfig& config) {
  std::vector<std::string> pems;
  for (const auto& f : config.trusted_root_files) {
    COCOON_ASSIGN_OR_RETURN(std::string pem, ReadFile(f, 1 << 20));
    pems.push_back(std::move(pem));
  }
  COCOON_ASSIGN_OR_RETURN(dcap::TrustedRoots roots, dcap::TrustedRoots::WithExtra(pems));
  auto backend = std::make_shared<DcapVerifierBackend>();
  backend->roots_ = std::make_unique<dcap::TrustedRoots>(std::move(roots));
  backend->provider_ = std::make_unique<collateral::CachingCollateralProvider>(
      config.collateral, backend->roots_.get());
  backend->at_ = config.at;
  return backend;
}

std::shared_ptr<DcapVerifierBackend> DcapVerifierBackend::FromParts(
    std::unique_ptr<dcap::TrustedRoots> roots, std::unique_ptr<dcap::CollateralProvider> provider,
    std::optional<absl::Time> at) {
  auto backend = std::make_shared<DcapVerifierBackend>();
  backend->roots_ = std::move(roots);
  backend->provider_ = std::move(provider);
  backend->at_ = at;
  return backend;
}

namespace {

// One evidence format's verification function over the shared backend.
class DcapVerifier final : public Verifier {
 public:
  using VerifyFn = absl::StatusOr<VerificationResult> (*)(
      absl::string_view evidence_json, std::optional<absl::string_view> expected_report_data,
      std::optional<absl::string_view> expected_init_data_hash, const VerifierContext& context);

  DcapVerifier(std::shared_ptr<DcapVerifierBackend> backend, VerifyFn verify)
      : backend_(std::move(backend)), verify_(verify) {}

  absl::StatusOr<VerifiedClaims> Evaluate(
      absl::string_view evidence_json, absl::string_view expected_report_data,
      const std::optional<std::string>& expected_init_data_hash) const override {
    std::optional<absl::string_view> init;
    if (expected_init_data_hash) init = *expected_init_data_hash;
    COCOON_ASSIGN_OR_RETURN(VerificationResult r, verify_(evidence_json, expected_report_data, init,
                                                          backend_->context()));
    return VerifiedClaims{std::move(r.claims_json), r.tee_class};
  }

 private:
  std::shared_ptr<DcapVerifierBackend> backend_;
  VerifyFn verify_;
};

}  // namespace

void RegisterDcapVerifiers(std::shared_ptr<DcapVerifierBackend> backend,
                           VerifierRegistry* registry) {
  registry->Register("tdx", std::make_shared<DcapVerifier>(backend, &tdx::VerifyTdxEvidence));
  auto az = std::make_shared<DcapVerifier>(backend, &az::VerifyAzTdxVtpmEvidence);
  registry->Register("az-tdx-vtpm", az);
  registry->Register("aztdxvtpm", az);
}

}  // namespace cocoon::attestation
