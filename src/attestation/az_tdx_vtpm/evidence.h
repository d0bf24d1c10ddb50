// az-tdx-vtpm evidence as the attestation agent sends it: v0 (byte arrays, no version key),
// v1/v2 (hex TPM quote, base64url HCL report and TD quote; v2 adds the user-data binding).
#ifndef COCOON_ATTESTATION_AZ_TDX_VTPM_EVIDENCE_H_
#define COCOON_ATTESTATION_AZ_TDX_VTPM_EVIDENCE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cocoon::attestation::az {

struct TpmQuote {
  std::string signature;          // raw RSASSA signature (a TPMT_SIGNATURE header is stripped)
  std::string message;            // marshalled TPMS_ATTEST
  std::vector<std::string> pcrs;  // PCR values in selection order (SHA-256: 32 bytes each)
};

struct AzTdxVtpmEvidence {
  int version = 0;
  TpmQuote tpm_quote;
  std::string hcl_report;
  std::string td_quote;
};

absl::StatusOr<AzTdxVtpmEvidence> ParseAzTdxVtpmEvidence(absl::string_view json);

// The bincode serialisation of the TPM quote (u64le length + signature, u64le length + message,
// u64le count + count x 32-byte PCRs).
absl::StatusOr<TpmQuote> ParseBincodeTpmQuote(absl::string_view bytes);

// Builds v1/v2 evidence JSON (for emulators and tests).
std::string SerializeAzTdxVtpmEvidence(const AzTdxVtpmEvidence& evidence);

}  // namespace cocoon::attestation::az

#endif  // COCOON_ATTESTATION_AZ_TDX_VTPM_EVIDENCE_H_
