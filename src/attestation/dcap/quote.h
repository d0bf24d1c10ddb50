// Intel TDX DCAP quotes, versions 4 and 5: a pure, bounds-checked parser (no cryptography).
//
// Layout facts: docs/attestation.md and shared/docs/reference/tdx-and-azure-vtpm.md §1. Every
// size field is checked against the bytes present; trailing bytes after the signature data (real
// quotes carry padding) are tolerated and counted. Errors name the field and the byte offset.
#ifndef COCOON_ATTESTATION_DCAP_QUOTE_H_
#define COCOON_ATTESTATION_DCAP_QUOTE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cocoon::attestation::dcap {

inline constexpr uint32_t kTeeTypeTdx = 0x81;
inline constexpr uint16_t kAttKeyTypeEcdsaP256 = 2;
inline constexpr size_t kQuoteHeaderSize = 48;
inline constexpr size_t kTdReport10Size = 584;
inline constexpr size_t kTdReport15Size = 648;
inline constexpr size_t kEnclaveReportSize = 384;
// Intel's QE vendor id 939a7233-f79c-4ca9-940a-0db3957f0607.
inline constexpr absl::string_view kIntelQeVendorId =
    "\x93\x9a\x72\x33\xf7\x9c\x4c\xa9\x94\x0a\x0d\xb3\x95\x7f\x06\x07";

struct QuoteHeader {
  uint16_t version = 0;
  uint16_t att_key_type = 0;
  uint32_t tee_type = 0;
  std::string reserved;      // 4 bytes
  std::string qe_vendor_id;  // 16 bytes
  std::string user_data;     // 20 bytes
  std::string raw;           // the 48 header bytes
};

// TD report body (TD 1.0; TD 1.5 adds the two optional fields).
struct TdQuoteBody {
  std::string tee_tcb_svn;                  // 16
  std::string mr_seam;                      // 48
  std::string mrsigner_seam;                // 48
  std::string seam_attributes;              // 8
  std::string td_attributes;                // 8
  std::string xfam;                         // 8
  std::string mr_td;                        // 48
  std::string mr_config_id;                 // 48
  std::string mr_owner;                     // 48
  std::string mr_owner_config;              // 48
  std::array<std::string, 4> rtmr;          // 48 each
  std::string report_data;                  // 64
  std::optional<std::string> tee_tcb_svn2;  // 16, TD 1.5
  std::optional<std::string> mr_servicetd;  // 48, TD 1.5
};

// SGX REPORTBODY of the quoting enclave.
struct EnclaveReport {
  std::string cpu_svn;  // 16
  uint32_t misc_select = 0;
  std::string attributes;  // 16
  std::string mr_enclave;  // 32
  std::string mr_signer;   // 32
  uint16_t isv_prod_id = 0;
  uint16_t isv_svn = 0;
  std::string report_data;  // 64
  std::string raw;          // 384
};

struct Quote {
  QuoteHeader header;
  // v4: 2 (TD 1.0) with size 584; v5: from the body descriptor (2 = TD 1.0, 3 = TD 1.5).
  uint16_t body_type = 2;
  uint32_t body_size = kTdReport10Size;
  TdQuoteBody body;
  std::string signed_region;    // header [+ descriptor] + body: what the quote signature covers
  std::string signature;        // 64 bytes r||s
  std::string attestation_key;  // 64 bytes X||Y
  EnclaveReport qe_report;
  std::string qe_report_signature;  // 64 bytes r||s
  std::string qe_auth_data;
  uint16_t certification_data_type = 0;  // inner type; 5 = PEM PCK chain
  std::string certification_data;        // the PCK chain bytes as present (may end in NUL)
  size_t signature_data_offset = 0;      // absolute offset of the quote signature
  size_t qe_report_offset = 0;           // absolute offset of the QE report
  size_t trailing_bytes = 0;             // bytes after the signature data (padding)
};

// Parses a TDX quote (v4 or v5). Rejects other versions, non-ECDSA-P256 keys, non-TDX TEEs, a
// foreign QE vendor and certification data that is not type 6 wrapping type 1..5.
absl::StatusOr<Quote> ParseQuote(absl::string_view bytes);

// Parses the 584-byte TD 1.0 body layout (also used for the TDREPORT's quote-equivalent fields).
absl::StatusOr<TdQuoteBody> ParseTdQuoteBody(absl::string_view bytes, size_t base_offset,
                                             bool td15);

}  // namespace cocoon::attestation::dcap

#endif  // COCOON_ATTESTATION_DCAP_QUOTE_H_
