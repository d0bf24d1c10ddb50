// Parser for the Azure paravisor's HCL report ("ATTESTATION_REPORT", vTPM NV 0x01400001): the
// 32-byte "HCLA" header, the 1184-byte hardware report area (a TDX TDREPORT in its first 1024
// bytes), the IGVM request data and the variable data JSON. All integers are little-endian.
#ifndef COCOON_AA_ATTESTER_HCL_REPORT_H_
#define COCOON_AA_ATTESTER_HCL_REPORT_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cocoon::aa {

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
  uint32_t report_type = 0;  // 4 = TDX
  uint32_t hash_type = 0;    // 1 = SHA-256
  std::string var_data;      // exactly VariableDataSize bytes

  // The TDREPORT (first 1024 bytes of the hardware report) — meaningful for report_type 4.
  std::string td_report() const { return hw_report.substr(0, kTdReportSize); }
};

// Trailing bytes (NV zero padding) are allowed. Errors name the field and its offset.
absl::StatusOr<HclReport> ParseHclReport(absl::string_view bytes);

}  // namespace cocoon::aa

#endif  // COCOON_AA_ATTESTER_HCL_REPORT_H_
