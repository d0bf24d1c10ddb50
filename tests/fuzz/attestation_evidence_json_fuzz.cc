// az-tdx-vtpm evidence JSON (v0/v1/v2), the bincode TPM quote, and tdx claim parsing.
#include <cstddef>
#include <cstdint>

#include "attestation/az_tdx_vtpm/evidence.h"
#include "attestation/tdx/tdx_verifier.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view in(reinterpret_cast<const char*>(data), size);
  (void)cocoon::attestation::az::ParseAzTdxVtpmEvidence(in);
  (void)cocoon::attestation::az::ParseBincodeTpmQuote(in);
  (void)cocoon::attestation::tdx::ParseTdxClaims(in, std::nullopt);
  return 0;
}
