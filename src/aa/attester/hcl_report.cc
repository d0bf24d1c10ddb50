#include "aa/attester/hcl_report.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace cocoon::aa {
namespace {

uint32_t Le32(absl::string_view b, size_t at) {
  return uint32_t{static_cast<uint8_t>(b[at])} | (uint32_t{static_cast<uint8_t>(b[at + 1])} << 8) |
         (uint32_t{static_cast<uint8_t>(b[at + 2])} << 16) |
         (uint32_t{static_cast<uint8_t>(b[at + 3])} << 24);
}

}  // namespace

absl::StatusOr<HclReport> ParseHclReport(absl::string_view bytes) {
  if (bytes.size() < kHclVarDataOffset) {
    return absl::InvalidArgumentError(absl::StrCat("HCL report: ", bytes.size(),
                                                   " bytes, shorter than the fixed part (",
                                                   kHclVarDataOffset, ")"));
  }
  if (bytes.substr(0, 4) != "HCLA") {
    return absl::InvalidArgumentError(absl::StrFormat(
        "HCL report: signature at offset 0 is 0x%08x, not \"HCLA\"", Le32(bytes, 0)));
  }
  HclReport r;
  r.version = Le32(bytes, 4);
  r.report_size = Le32(bytes, 8);
  r.request_type = Le32(bytes, 12);
  r.status = Le32(bytes, 16);
  r.hw_report = std::string(bytes.substr(kHclHeaderSize, kHclHwReportSize));
  r.data_size = Le32(bytes, 1216);
  r.data_version = Le32(bytes, 1220);
  r.report_type = Le32(bytes, 1224);
  r.hash_type = Le32(bytes, 1228);
  uint32_t var_size = Le32(bytes, 1232);
  if (var_size > bytes.size() - kHclVarDataOffset) {
    return absl::InvalidArgumentError(
        absl::StrCat("HCL report: VariableDataSize ", var_size, " at offset 1232 exceeds the ",
                     bytes.size() - kHclVarDataOffset, " bytes after offset ", kHclVarDataOffset));
  }
  r.var_data = std::string(bytes.substr(kHclVarDataOffset, var_size));
  return r;
}

}  // namespace cocoon::aa
