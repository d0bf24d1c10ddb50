#include "attestation/az_tdx_vtpm/hcl_report.h"

#include "absl/strings/str_cat.h"
#include "attestation/dcap/byte_reader.h"
#include "base/status.h"

namespace cocoon::attestation::az {

absl::StatusOr<HclReport> ParseHclReport(absl::string_view bytes, bool require_tdx) {
  ByteReader r(bytes, "HCL report");
  HclReport h;
  COCOON_ASSIGN_OR_RETURN(absl::string_view sig, r.Bytes(4, "signature"));
  if (sig != "HCLA") return r.ErrorAt("signature", 0, "is not \"HCLA\"");
  COCOON_ASSIGN_OR_RETURN(h.version, r.U32Le("version"));
  COCOON_ASSIGN_OR_RETURN(h.report_size, r.U32Le("report_size"));
  COCOON_ASSIGN_OR_RETURN(h.request_type, r.U32Le("request_type"));
  COCOON_ASSIGN_OR_RETURN(h.status, r.U32Le("status"));
  COCOON_RETURN_IF_ERROR(r.Skip(12, "reserved"));
  const size_t hw_off = r.offset();
  COCOON_ASSIGN_OR_RETURN(absl::string_view hw, r.Bytes(kHclHwReportSize, "hw_report"));
  h.hw_report = std::string(hw);
  const size_t data_size_off = r.offset();
  COCOON_ASSIGN_OR_RETURN(h.data_size, r.U32Le("igvm.data_size"));
  COCOON_ASSIGN_OR_RETURN(h.data_version, r.U32Le("igvm.version"));
  const size_t type_off = r.offset();
  COCOON_ASSIGN_OR_RETURN(h.report_type, r.U32Le("igvm.report_type"));
  const size_t hash_off = r.offset();
  COCOON_ASSIGN_OR_RETURN(h.hash_type, r.U32Le("igvm.report_data_hash_type"));
  const size_t var_size_off = r.offset();
  COCOON_ASSIGN_OR_RETURN(uint32_t var_size, r.U32Le("igvm.variable_data_size"));
  if (require_tdx && h.report_type != kHclReportTypeTdx) {
    return r.ErrorAt("igvm.report_type", type_off,
                     absl::StrCat("report type ", h.report_type, " is not TDX (4)"));
  }
  if (h.hash_type != 1) {
    return r.ErrorAt("igvm.report_data_hash_type", hash_off,
                     absl::StrCat("hash type ", h.hash_type, " is not SHA-256 (1)"));
  }
  if (h.data_size != 20ull + var_size) {
    return r.ErrorAt(
        "igvm.data_size", data_size_off,
        absl::StrCat("data size ", h.data_size, " is not 20 + variable data size ", var_size));
  }
  if (var_size > r.remaining()) {
    return r.ErrorAt(
        "igvm.variable_data_size", var_size_off,
        absl::StrCat("declares ", var_size, " bytes, only ", r.remaining(), " present"));
  }
  COCOON_ASSIGN_OR_RETURN(absl::string_view var, r.Bytes(var_size, "variable_data"));
  h.var_data = std::string(var);
  if (h.report_type == kHclReportTypeTdx) {
    // TDREPORT: REPORTTYPE @0, REPORTDATA @128, TEE_TCB_INFO @256, TDINFO @512.
    const absl::string_view td = hw.substr(0, kTdReportSize);
    h.td_report_type = std::string(td.substr(0, 4));
    if (static_cast<uint8_t>(td[0]) != 0x81) {
      return r.ErrorAt("hw_report.report_type", hw_off,
                       absl::StrCat("TDREPORT type 0x", absl::Hex(static_cast<uint8_t>(td[0])),
                                    " is not TDX (0x81)"));
    }
    h.td_report_data = std::string(td.substr(128, 64));
    dcap::TdQuoteBody& b = h.td;
    b.tee_tcb_svn = std::string(td.substr(264, 16));
    b.mr_seam = std::string(td.substr(280, 48));
    b.mrsigner_seam = std::string(td.substr(328, 48));
    b.seam_attributes = std::string(td.substr(376, 8));
    b.td_attributes = std::string(td.substr(512, 8));
    b.xfam = std::string(td.substr(520, 8));
    b.mr_td = std::string(td.substr(528, 48));
    b.mr_config_id = std::string(td.substr(576, 48));
    b.mr_owner = std::string(td.substr(624, 48));
    b.mr_owner_config = std::string(td.substr(672, 48));
    for (int i = 0; i < 4; ++i) b.rtmr[i] = std::string(td.substr(720 + 48 * i, 48));
    b.report_data = h.td_report_data;
  }
  return h;
}

}  // namespace cocoon::attestation::az
