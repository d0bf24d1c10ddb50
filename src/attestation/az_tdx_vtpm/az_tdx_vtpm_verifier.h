// Verifier for Azure TDX CVM evidence (`az-tdx-vtpm`; the older spelling `aztdxvtpm` is the same
// TEE): the TD quote fully (DCAP), SHA256(HCL variable data) == TD quote REPORTDATA[0..32) with
// the rest zero, the vTPM AK (HCLAkPub) taken from that now-trusted variable data, the TPM quote
// signature, nonce == expected report data, the PCR digest, v2 user-data, and PCR 8 for init data.
#ifndef COCOON_ATTESTATION_AZ_TDX_VTPM_AZ_TDX_VTPM_VERIFIER_H_
#define COCOON_ATTESTATION_AZ_TDX_VTPM_AZ_TDX_VTPM_VERIFIER_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "attestation/az_tdx_vtpm/evidence.h"
#include "attestation/az_tdx_vtpm/hcl_report.h"
#include "attestation/dcap/crypto_util.h"
#include "attestation/tdx/tdx_verifier.h"
#include "attestation/tpm/tpms_attest.h"

namespace cocoon::attestation::az {

// True for "az-tdx-vtpm" and the pre-2025 spelling "aztdxvtpm".
bool IsAzTdxVtpmTeeName(absl::string_view tee);

// The steps, exposed for tests and diagnostics.
// SHA256(var data) == report_data[0..32) and report_data[32..64) == 0.
absl::Status CheckVarDataBinding(absl::string_view var_data, absl::string_view report_data);
// The RSA key of the JWK with kid "HCLAkPub" in the variable data.
absl::StatusOr<EvpPkeyPtr> AkFromVarData(absl::string_view var_data);
// RSASSA-PKCS1-v1_5/SHA-256 signature, TPMS_ATTEST parse, nonce (exact, when given), PCR digest.
absl::StatusOr<tpm::TpmsAttest> CheckTpmQuote(const TpmQuote& quote, EVP_PKEY* ak,
                                              std::optional<absl::string_view> expected_nonce);
// v2: hex(var data "user-data")[0..len(expected)) == expected.
absl::Status CheckUserData(absl::string_view var_data, absl::string_view expected);
// PCR8 == SHA256(32 zero bytes || init data hash), the hash being 32 bytes.
absl::Status CheckInitDataPcr(const TpmQuote& quote, const tpm::TpmsAttest& attest,
                              absl::string_view init_data_hash);

absl::StatusOr<VerificationResult> VerifyAzTdxVtpmEvidence(
    absl::string_view evidence_json, std::optional<absl::string_view> expected_report_data,
    std::optional<absl::string_view> expected_init_data_hash, const VerifierContext& context);

}  // namespace cocoon::attestation::az

#endif  // COCOON_ATTESTATION_AZ_TDX_VTPM_AZ_TDX_VTPM_VERIFIER_H_
