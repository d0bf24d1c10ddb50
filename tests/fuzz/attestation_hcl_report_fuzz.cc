// Azure HCL report parser and the variable-data key lookup.
#include <cstddef>
#include <cstdint>

#include "attestation/az_tdx_vtpm/az_tdx_vtpm_verifier.h"
#include "attestation/az_tdx_vtpm/hcl_report.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view in(reinterpret_cast<const char*>(data), size);
  auto h = cocoon::attestation::az::ParseHclReport(in, /*require_tdx=*/false);
  if (h.ok()) {
    (void)cocoon::attestation::az::AkFromVarData(h->var_data);
    (void)cocoon::attestation::az::CheckUserData(h->var_data, "x");
  }
  return 0;
}
