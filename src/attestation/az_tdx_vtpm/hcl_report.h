// Azure HCL attestation report ("HCLA") carrying a TDX TDREPORT and the variable (runtime) data,
// as the paravisor writes it to vTPM NV index 0x01400001. Pure, bounds-checked parsing, shared by
// the verifier and the node's attester. All integers are little-endian; trailing bytes (the NV
// index's zero padding) are allowed.
#ifndef COCOON_ATTESTATION_AZ_TDX_VTPM_HCL_REPORT_H_
#define COCOON_ATTESTATION_AZ_TDX_VTPM_HCL_REPORT_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "attestation/dcap/quote.h"

namespace cocoon::attestation::az {

inline constexpr uint32_t kHclReportTypeSnp = 2;
inline constexpr uint32_t kHclReportTypeTdx = 4;
inline constexpr size_t kHclHeaderSize = 32;
inline constexpr size_t kHclHwReportSize = 1184;
inline constexpr size_t kHclVarDataOffset = 1236;
inline constexpr size_t kTdReportSize = 1024;

struct HclReport {
  uint32_t version = 0;
  uint32_t report_size = 0;
  uint32_t request_type = 0;
  uint32_t status = 0;
  std::string hw_report;  // 1184 bytes
  uint32_t data_size = 0;
  uint32_t data_version = 0;
  uint32_t report_type = 0;
  uint32_t hash_type = 0;
  std::string var_data;  // exactly VariableDataSize bytes
  // TDX (report_type 4): fields of the TDREPORT at hw_report[0..1024).
  std::string td_report_type;  // 4
  std::string td_report_data;  // 64
  dcap::TdQuoteBody td;        // the quote-equivalent TDREPORT fields

  // The TDREPORT (the first 1024 bytes of the hardware report), which the attester sends to the
  // quoting endpoint; meaningful for report type 4.
  std::string td_report() const { return hw_report.substr(0, kTdReportSize); }
};

// Parses the header, the IGVM request data and the variable data. For report type 4 the TDREPORT
// fields are read too. `require_tdx` rejects other report types.
absl::StatusOr<HclReport> ParseHclReport(absl::string_view bytes, bool require_tdx = true);

}  // namespace cocoon::attestation::az

#endif  // COCOON_ATTESTATION_AZ_TDX_VTPM_HCL_REPORT_H_
