// TPMS_ATTEST unmarshalling and TPMT_SIGNATURE stripping.
#include <cstddef>
#include <cstdint>

#include "attestation/tpm/tpms_attest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view in(reinterpret_cast<const char*>(data), size);
  auto a = cocoon::attestation::tpm::ParseTpmsAttest(in);
  if (a.ok()) {
    for (const auto& s : a->pcr_select) (void)s.Pcrs();
  }
  (void)cocoon::attestation::tpm::RawRsaSignature(in);
  return 0;
}
