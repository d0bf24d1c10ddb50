#include "attestation/tdx/claims_json.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "attestation/dcap/collateral.h"
#include "base/encoding.h"

namespace cocoon::attestation::tdx {
namespace {

std::string HexLe16(uint16_t v) {
  const char b[2] = {static_cast<char>(v & 0xff), static_cast<char>(v >> 8)};
  return HexEncode(absl::string_view(b, 2));
}
std::string HexLe32(uint32_t v) {
  char b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return HexEncode(absl::string_view(b, 4));
}

bool Bit(absl::string_view attrs, int bit) {
  return (static_cast<uint8_t>(attrs[bit / 8]) >> (bit % 8)) & 1;
}

std::string Date(absl::Time t) {
  if (t == absl::InfinitePast() || t == absl::InfiniteFuture()) return "";
  return dcap::FormatRfc3339(t);
}

}  // namespace

Json QuoteClaims(const dcap::PreparedQuote& p) {
  const dcap::Quote& q = p.quote;
  const dcap::TdQuoteBody& b = q.body;
  Json header = {
      {"version", HexLe16(q.header.version)},
      {"att_key_type", HexLe16(q.header.att_key_type)},
      {"tee_type", HexLe32(q.header.tee_type)},
      {"reserved", HexEncode(q.header.reserved)},
      {"vendor_id", HexEncode(q.header.qe_vendor_id)},
      {"user_data", HexEncode(q.header.user_data)},
  };
  Json body = {
      {"tcb_svn", HexEncode(b.tee_tcb_svn)},
      {"mr_seam", HexEncode(b.mr_seam)},
      {"mrsigner_seam", HexEncode(b.mrsigner_seam)},
      {"seam_attributes", HexEncode(b.seam_attributes)},
      {"td_attributes", HexEncode(b.td_attributes)},
      {"xfam", HexEncode(b.xfam)},
      {"mr_td", HexEncode(b.mr_td)},
      {"mr_config_id", HexEncode(b.mr_config_id)},
      {"mr_owner", HexEncode(b.mr_owner)},
      {"mr_owner_config", HexEncode(b.mr_owner_config)},
      {"rtmr_0", HexEncode(b.rtmr[0])},
      {"rtmr_1", HexEncode(b.rtmr[1])},
      {"rtmr_2", HexEncode(b.rtmr[2])},
      {"rtmr_3", HexEncode(b.rtmr[3])},
      {"report_data", HexEncode(b.report_data)},
  };
  if (b.tee_tcb_svn2) body["tee_tcb_svn2"] = HexEncode(*b.tee_tcb_svn2);
  if (b.mr_servicetd) body["mr_servicetd"] = HexEncode(*b.mr_servicetd);
  Json quote = {{"header", header}, {"body", body}};
  if (q.header.version == 5) {
    quote["type"] = HexLe16(q.body_type);
    quote["size"] = HexLe32(q.body_size);
  }
  Json claims = {
      {"quote", quote},
      {"td_attributes",
       {{"debug", Bit(b.td_attributes, 0)},
        {"septve_disable", Bit(b.td_attributes, 28)},
        {"protection_keys", Bit(b.td_attributes, 30)},
        {"key_locker", Bit(b.td_attributes, 31)},
        {"perfmon", Bit(b.td_attributes, 63)}}},
      {"report_data", HexEncode(b.report_data)},
      {"init_data", HexEncode(b.mr_config_id)},
  };
  if (p.pck_extensions.platform_instance_id) {
    // Trustee emits the platform instance id byte-reversed; keep its claim value.
    std::string id = *p.pck_extensions.platform_instance_id;
    std::reverse(id.begin(), id.end());
    claims["platform_instance_id"] = HexEncode(id);
  }
  return claims;
}

void AddDcapClaims(const dcap::PreparedQuote& p, const dcap::QuoteVerification& v, Json* c) {
  Json& claims = *c;
  const dcap::SgxExtensions& ext = p.pck_extensions;
  claims["tcb_status"] = std::string(dcap::TcbStatusName(v.tcb.status));
  claims["collateral_expiration_status"] = v.collateral_expired ? "1" : "0";
  claims["advisory_ids"] = v.tcb.advisory_ids;
  claims["tcb_date"] = v.tcb.tcb_date;
  claims["earliest_issue_date"] = Date(v.earliest_issue_date);
  claims["latest_issue_date"] = Date(v.latest_issue_date);
  claims["earliest_expiration_date"] = Date(v.earliest_expiration);
  claims["pck_crl_num"] = v.pck_crl_number;
  claims["root_ca_crl_num"] = v.root_ca_crl_number;
  claims["tcb_eval_num"] = v.tcb_evaluation_data_number;
  claims["platform_provider_id"] = HexEncode(ext.ppid);
  claims["fmspc"] = HexEncode(ext.fmspc);
  claims["root_key_id"] = HexEncode(v.root_key_id);
  static constexpr const char* kSgxTypes[] = {"Standard", "Scalable", "Scalable with Integrity"};
  claims["sgx_type"] = kSgxTypes[ext.sgx_type];
  if (ext.sgx_type > 0) {
    claims["is_dynamic_platform"] = ext.dynamic_platform.value_or(false);
    claims["is_cached_keys"] = ext.cached_keys.value_or(false);
    claims["is_smt_enabled"] = ext.smt_enabled.value_or(false);
  }
  if (v.tcb.current_status) {
    claims["tcb_status_current"] = std::string(dcap::TcbStatusName(*v.tcb.current_status));
    claims["tcb_date_current"] = v.tcb.current_tcb_date;
    claims["advisory_ids_current"] = v.tcb.current_advisory_ids;
  }
}

}  // namespace cocoon::attestation::tdx
