// Fuzzes the HCL report parser (vTPM NV 0x01400001 contents) and the CCEL event-log trimming the
// attesters apply to data they read from the platform.
#include <cstddef>
#include <cstdint>
#include <string>

#include "aa/attester/hcl_report.h"
#include "aa/attester/tdx_attester.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string in(reinterpret_cast<const char*>(data), size);
  auto hcl = cocoon::aa::ParseHclReport(in);
  if (hcl.ok()) (void)hcl->td_report();
  (void)cocoon::aa::TrimCcelEventLog(in, "");
  return 0;
}
