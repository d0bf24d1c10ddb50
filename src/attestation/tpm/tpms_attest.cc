#include "attestation/tpm/tpms_attest.h"

#include "absl/strings/str_cat.h"
#include "attestation/dcap/byte_reader.h"
#include "base/status.h"

namespace cocoon::attestation::tpm {
namespace {

absl::StatusOr<std::string> Tpm2b(ByteReader& r, absl::string_view field, size_t max) {
  const size_t off = r.offset();
  COCOON_ASSIGN_OR_RETURN(uint16_t size, r.U16Be(absl::StrCat(field, ".size")));
  if (size > max) {
    return r.ErrorAt(field, off, absl::StrCat("size ", size, " exceeds the maximum ", max));
  }
  COCOON_ASSIGN_OR_RETURN(absl::string_view b, r.Bytes(size, field));
  return std::string(b);
}

}  // namespace

std::vector<int> PcrSelection::Pcrs() const {
  std::vector<int> out;
  for (size_t i = 0; i < select.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      if (static_cast<uint8_t>(select[i]) & (1u << bit))
        out.push_back(static_cast<int>(i * 8 + bit));
    }
  }
  return out;
}

absl::StatusOr<TpmsAttest> ParseTpmsAttest(absl::string_view bytes) {
  ByteReader r(bytes, "TPMS_ATTEST");
  TpmsAttest a;
  COCOON_ASSIGN_OR_RETURN(a.magic, r.U32Be("magic"));
  if (a.magic != kTpmGeneratedValue) {
    return r.ErrorAt("magic", 0, "is not TPM_GENERATED_VALUE (0xff544347)");
  }
  COCOON_ASSIGN_OR_RETURN(a.type, r.U16Be("type"));
  if (a.type != kTpmStAttestQuote) {
    return r.ErrorAt("type", 4,
                     absl::StrCat("0x", absl::Hex(a.type), " is not TPM_ST_ATTEST_QUOTE (0x8018)"));
  }
  COCOON_ASSIGN_OR_RETURN(a.qualified_signer, Tpm2b(r, "qualifiedSigner", 2 + 64));
  COCOON_ASSIGN_OR_RETURN(a.extra_data, Tpm2b(r, "extraData", 64));
  COCOON_ASSIGN_OR_RETURN(a.clock, r.U64Be("clockInfo.clock"));
  COCOON_ASSIGN_OR_RETURN(a.reset_count, r.U32Be("clockInfo.resetCount"));
  COCOON_ASSIGN_OR_RETURN(a.restart_count, r.U32Be("clockInfo.restartCount"));
  const size_t safe_off = r.offset();
  COCOON_ASSIGN_OR_RETURN(uint8_t safe, r.U8("clockInfo.safe"));
  if (safe > 1) return r.ErrorAt("clockInfo.safe", safe_off, "is not a TPMI_YES_NO");
  a.safe = safe == 1;
  COCOON_ASSIGN_OR_RETURN(a.firmware_version, r.U64Be("firmwareVersion"));
  const size_t count_off = r.offset();
  COCOON_ASSIGN_OR_RETURN(uint32_t count, r.U32Be("pcrSelect.count"));
  if (count > 16) return r.ErrorAt("pcrSelect.count", count_off, "more than 16 selections");
  for (uint32_t i = 0; i < count; ++i) {
    PcrSelection s;
    COCOON_ASSIGN_OR_RETURN(s.hash, r.U16Be("pcrSelect.hash"));
    const size_t size_off = r.offset();
    COCOON_ASSIGN_OR_RETURN(uint8_t size, r.U8("pcrSelect.sizeofSelect"));
    if (size > 4) return r.ErrorAt("pcrSelect.sizeofSelect", size_off, "larger than 4");
    COCOON_ASSIGN_OR_RETURN(absl::string_view sel, r.Bytes(size, "pcrSelect.pcrSelect"));
    s.select = std::string(sel);
    a.pcr_select.push_back(std::move(s));
  }
  COCOON_ASSIGN_OR_RETURN(a.pcr_digest, Tpm2b(r, "pcrDigest", 64));
  if (!r.empty()) {
    return r.Error("end", absl::StrCat(r.remaining(), " unexpected trailing bytes"));
  }
  return a;
}

absl::StatusOr<std::string> RawRsaSignature(absl::string_view sig) {
  // TPMT_SIGNATURE: sigAlg 0x0014 (RSASSA), hash 0x000b, TPM2B size, bytes.
  if (sig.size() >= 6 && sig.substr(0, 4) == absl::string_view("\x00\x14\x00\x0b", 4)) {
    ByteReader r(sig, "TPMT_SIGNATURE", 0);
    COCOON_RETURN_IF_ERROR(r.Skip(4, "sigAlg/hash"));
    COCOON_ASSIGN_OR_RETURN(uint16_t size, r.U16Be("signature.size"));
    if (size != r.remaining()) {
      return r.ErrorAt("signature.size", 4, "does not match the bytes present");
    }
    return std::string(sig.substr(6));
  }
  return std::string(sig);
}

}  // namespace cocoon::attestation::tpm
