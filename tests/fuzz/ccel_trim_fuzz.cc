// Fuzzes the CCEL event-log trimming the tdx attester applies to the table it reads from the
// platform. (The HCL report parser the az-tdx-vtpm attester uses is fuzzed by
// attestation_hcl_report_fuzz.)
#include <cstddef>
#include <cstdint>
#include <string>

#include "aa/attester/tdx_attester.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string in(reinterpret_cast<const char*>(data), size);
  (void)cocoon::aa::TrimCcelEventLog(in, "");
  return 0;
}
