#include "attestation/dcap/quote.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "attestation/dcap/byte_reader.h"
#include "base/encoding.h"
#include "base/status.h"

namespace cocoon::attestation::dcap {
namespace {

constexpr uint16_t kCertTypePckChain = 5;
constexpr uint16_t kCertTypeQeReport = 6;

absl::Status ReadInto(ByteReader& r, size_t n, absl::string_view field, std::string* out) {
  COCOON_ASSIGN_OR_RETURN(absl::string_view b, r.Bytes(n, field));
  out->assign(b.data(), b.size());
  return absl::OkStatus();
}

absl::StatusOr<EnclaveReport> ParseEnclaveReport(ByteReader& r) {
  EnclaveReport rep;
  const size_t start = r.offset();
  COCOON_ASSIGN_OR_RETURN(absl::string_view raw, r.Bytes(kEnclaveReportSize, "qe_report"));
  rep.raw.assign(raw.data(), raw.size());
  ByteReader q(raw, "QE report", start);
  COCOON_RETURN_IF_ERROR(ReadInto(q, 16, "cpu_svn", &rep.cpu_svn));
  COCOON_ASSIGN_OR_RETURN(rep.misc_select, q.U32Le("misc_select"));
  COCOON_RETURN_IF_ERROR(q.Skip(28, "reserved1"));
  COCOON_RETURN_IF_ERROR(ReadInto(q, 16, "attributes", &rep.attributes));
  COCOON_RETURN_IF_ERROR(ReadInto(q, 32, "mr_enclave", &rep.mr_enclave));
  COCOON_RETURN_IF_ERROR(q.Skip(32, "reserved2"));
  COCOON_RETURN_IF_ERROR(ReadInto(q, 32, "mr_signer", &rep.mr_signer));
  COCOON_RETURN_IF_ERROR(q.Skip(96, "reserved3"));
  COCOON_ASSIGN_OR_RETURN(rep.isv_prod_id, q.U16Le("isv_prod_id"));
  COCOON_ASSIGN_OR_RETURN(rep.isv_svn, q.U16Le("isv_svn"));
  COCOON_RETURN_IF_ERROR(q.Skip(60, "reserved4"));
  COCOON_RETURN_IF_ERROR(ReadInto(q, 64, "report_data", &rep.report_data));
  return rep;
}

}  // namespace

absl::StatusOr<TdQuoteBody> ParseTdQuoteBody(absl::string_view bytes, size_t base_offset,
                                             bool td15) {
  ByteReader r(bytes, "TD quote body", base_offset);
  TdQuoteBody b;
  COCOON_RETURN_IF_ERROR(ReadInto(r, 16, "tee_tcb_svn", &b.tee_tcb_svn));
  COCOON_RETURN_IF_ERROR(ReadInto(r, 48, "mr_seam", &b.mr_seam));
  COCOON_RETURN_IF_ERROR(ReadInto(r, 48, "mrsigner_seam", &b.mrsigner_seam));
  COCOON_RETURN_IF_ERROR(ReadInto(r, 8, "seam_attributes", &b.seam_attributes));
  COCOON_RETURN_IF_ERROR(ReadInto(r, 8, "td_attributes", &b.td_attributes));
  COCOON_RETURN_IF_ERROR(ReadInto(r, 8, "xfam", &b.xfam));
  COCOON_RETURN_IF_ERROR(ReadInto(r, 48, "mr_td", &b.mr_td));
  COCOON_RETURN_IF_ERROR(ReadInto(r, 48, "mr_config_id", &b.mr_config_id));
  COCOON_RETURN_IF_ERROR(ReadInto(r, 48, "mr_owner", &b.mr_owner));
  COCOON_RETURN_IF_ERROR(ReadInto(r, 48, "mr_owner_config", &b.mr_owner_config));
  for (int i = 0; i < 4; ++i) {
    COCOON_RETURN_IF_ERROR(ReadInto(r, 48, absl::StrCat("rtmr", i), &b.rtmr[i]));
  }
  COCOON_RETURN_IF_ERROR(ReadInto(r, 64, "report_data", &b.report_data));
  if (td15) {
    std::string svn2, servicetd;
    COCOON_RETURN_IF_ERROR(ReadInto(r, 16, "tee_tcb_svn2", &svn2));
    COCOON_RETURN_IF_ERROR(ReadInto(r, 48, "mr_servicetd", &servicetd));
    b.tee_tcb_svn2 = std::move(svn2);
    b.mr_servicetd = std::move(servicetd);
  }
  return b;
}

absl::StatusOr<Quote> ParseQuote(absl::string_view bytes) {
  ByteReader r(bytes, "TD quote");
  Quote q;
  // Header.
  COCOON_ASSIGN_OR_RETURN(absl::string_view header_raw, r.Bytes(kQuoteHeaderSize, "header"));
  {
    ByteReader h(header_raw, "TD quote");
    COCOON_ASSIGN_OR_RETURN(q.header.version, h.U16Le("header.version"));
    if (q.header.version != 4 && q.header.version != 5) {
      return h.ErrorAt("header.version", 0,
                       absl::StrCat("unsupported quote version ", q.header.version,
                                    " (only TDX quotes v4 and v5 are accepted)"));
    }
    COCOON_ASSIGN_OR_RETURN(q.header.att_key_type, h.U16Le("header.att_key_type"));
    if (q.header.att_key_type != kAttKeyTypeEcdsaP256) {
      return h.ErrorAt("header.att_key_type", 2,
                       absl::StrCat("unsupported attestation key type ", q.header.att_key_type,
                                    " (only 2 = ECDSA-256-with-P-256)"));
    }
    COCOON_ASSIGN_OR_RETURN(q.header.tee_type, h.U32Le("header.tee_type"));
    if (q.header.tee_type != kTeeTypeTdx) {
      return h.ErrorAt(
          "header.tee_type", 4,
          absl::StrCat("tee type 0x", absl::Hex(q.header.tee_type), " is not TDX (0x81)"));
    }
    COCOON_RETURN_IF_ERROR(ReadInto(h, 4, "header.reserved", &q.header.reserved));
    COCOON_RETURN_IF_ERROR(ReadInto(h, 16, "header.qe_vendor_id", &q.header.qe_vendor_id));
    if (q.header.qe_vendor_id != kIntelQeVendorId) {
      return h.ErrorAt("header.qe_vendor_id", 12,
                       absl::StrCat("unknown QE vendor ", HexEncode(q.header.qe_vendor_id)));
    }
    COCOON_RETURN_IF_ERROR(ReadInto(h, 20, "header.user_data", &q.header.user_data));
    q.header.raw.assign(header_raw.data(), header_raw.size());
  }
  // Body (v5: preceded by the descriptor, which is part of the signed region).
  if (q.header.version == 5) {
    const size_t type_off = r.offset();
    COCOON_ASSIGN_OR_RETURN(q.body_type, r.U16Le("body_descriptor.type"));
    COCOON_ASSIGN_OR_RETURN(q.body_size, r.U32Le("body_descriptor.size"));
    size_t expected = 0;
    if (q.body_type == 2) {
      expected = kTdReport10Size;
    } else if (q.body_type == 3) {
      expected = kTdReport15Size;
    } else {
      return r.ErrorAt("body_descriptor.type", type_off,
                       absl::StrCat("unsupported body type ", q.body_type,
                                    " (2 = TD report 1.0, 3 = TD report 1.5)"));
    }
    if (q.body_size != expected) {
      return r.ErrorAt("body_descriptor.size", type_off + 2,
                       absl::StrCat("body size ", q.body_size, " does not match body type ",
                                    q.body_type, " (expected ", expected, ")"));
    }
  }
  const size_t body_off = r.offset();
  COCOON_ASSIGN_OR_RETURN(absl::string_view body_raw, r.Bytes(q.body_size, "body"));
  COCOON_ASSIGN_OR_RETURN(q.body, ParseTdQuoteBody(body_raw, body_off, q.body_type == 3));
  q.signed_region.assign(bytes.data(), r.offset());

  // Signature data.
  const size_t sig_len_off = r.offset();
  COCOON_ASSIGN_OR_RETURN(uint32_t sig_len, r.U32Le("signature_data_len"));
  if (sig_len > r.remaining()) {
    return r.ErrorAt(
        "signature_data_len", sig_len_off,
        absl::StrCat("declares ", sig_len, " bytes, only ", r.remaining(), " present"));
  }
  const size_t sig_off = r.offset();
  COCOON_ASSIGN_OR_RETURN(absl::string_view sig_data, r.Bytes(sig_len, "signature_data"));
  q.trailing_bytes = r.remaining();
  q.signature_data_offset = sig_off;

  ByteReader s(sig_data, "TD quote", sig_off);
  COCOON_RETURN_IF_ERROR(ReadInto(s, 64, "signature", &q.signature));
  COCOON_RETURN_IF_ERROR(ReadInto(s, 64, "attestation_key", &q.attestation_key));
  const size_t outer_type_off = s.offset();
  COCOON_ASSIGN_OR_RETURN(uint16_t outer_type, s.U16Le("certification_data.type"));
  if (outer_type != kCertTypeQeReport) {
    return s.ErrorAt(
        "certification_data.type", outer_type_off,
        absl::StrCat("type ", outer_type, " is not 6 (PCK_ID_QE_REPORT_CERTIFICATION_DATA)"));
  }
  const size_t outer_size_off = s.offset();
  COCOON_ASSIGN_OR_RETURN(uint32_t outer_size, s.U32Le("certification_data.size"));
  if (outer_size != s.remaining()) {
    return s.ErrorAt(
        "certification_data.size", outer_size_off,
        absl::StrCat("declares ", outer_size, " bytes, the signature data holds ", s.remaining()));
  }
  COCOON_ASSIGN_OR_RETURN(absl::string_view outer, s.Bytes(outer_size, "certification_data"));
  ByteReader c(outer, "TD quote", outer_size_off + 4);
  q.qe_report_offset = c.offset();
  COCOON_ASSIGN_OR_RETURN(q.qe_report, ParseEnclaveReport(c));
  COCOON_RETURN_IF_ERROR(ReadInto(c, 64, "qe_report_signature", &q.qe_report_signature));
  COCOON_ASSIGN_OR_RETURN(uint16_t auth_size, c.U16Le("qe_auth_data.size"));
  COCOON_RETURN_IF_ERROR(ReadInto(c, auth_size, "qe_auth_data", &q.qe_auth_data));
  const size_t inner_type_off = c.offset();
  COCOON_ASSIGN_OR_RETURN(q.certification_data_type, c.U16Le("pck_cert_data.type"));
  if (q.certification_data_type < 1 || q.certification_data_type > kCertTypePckChain) {
    return c.ErrorAt(
        "pck_cert_data.type", inner_type_off,
        absl::StrCat("unsupported certification data type ", q.certification_data_type));
  }
  const size_t inner_size_off = c.offset();
  COCOON_ASSIGN_OR_RETURN(uint32_t inner_size, c.U32Le("pck_cert_data.size"));
  if (inner_size != c.remaining()) {
    return c.ErrorAt("pck_cert_data.size", inner_size_off,
                     absl::StrCat("declares ", inner_size, " bytes, ", c.remaining(),
                                  " remain in the QE certification data"));
  }
  COCOON_RETURN_IF_ERROR(ReadInto(c, inner_size, "pck_cert_data", &q.certification_data));
  return q;
}

}  // namespace cocoon::attestation::dcap
