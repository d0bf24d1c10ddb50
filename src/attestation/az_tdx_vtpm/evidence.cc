#include "attestation/az_tdx_vtpm/evidence.h"

#include "absl/strings/str_cat.h"
#include "attestation/dcap/byte_reader.h"
#include "attestation/tpm/tpms_attest.h"
#include "base/encoding.h"
#include "base/json.h"
#include "base/status.h"

namespace cocoon::attestation::az {
namespace {

constexpr size_t kMaxPcrs = 24;

absl::StatusOr<std::string> ByteArray(const Json& j, absl::string_view where) {
  if (!j.is_array()) return absl::InvalidArgumentError(absl::StrCat(where, ": not a byte array"));
  std::string out;
  out.reserve(j.size());
  for (const auto& b : j) {
    if (!b.is_number_unsigned() || b.get<uint64_t>() > 255) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": element is not a byte"));
    }
    out.push_back(static_cast<char>(b.get<uint64_t>()));
  }
  return out;
}

absl::StatusOr<std::string> HexString(const Json& j, absl::string_view where) {
  if (!j.is_string()) return absl::InvalidArgumentError(absl::StrCat(where, ": not a hex string"));
  auto raw = HexDecode(j.get<std::string>());
  if (!raw.ok())
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", raw.status().message()));
  return *std::move(raw);
}

absl::StatusOr<std::string> B64Url(const Json& j, absl::string_view where) {
  if (!j.is_string()) return absl::InvalidArgumentError(absl::StrCat(where, ": not a string"));
  auto raw = Base64Decode(j.get<std::string>(), Base64Alphabet::kUrl, Base64Padding::kOptional);
  if (!raw.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": not base64url: ", raw.status().message()));
  }
  return *std::move(raw);
}

const Json* Member(const Json& j, const char* key) {
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

}  // namespace

absl::StatusOr<AzTdxVtpmEvidence> ParseAzTdxVtpmEvidence(absl::string_view json) {
  COCOON_ASSIGN_OR_RETURN(Json j, ParseJson(json, "az-tdx-vtpm evidence", 8));
  if (!j.is_object()) return absl::InvalidArgumentError("az-tdx-vtpm evidence: not a JSON object");
  AzTdxVtpmEvidence e;
  if (const Json* v = Member(j, "version"); v != nullptr) {
    if (!v->is_number_unsigned() || v->get<uint64_t>() < 1 || v->get<uint64_t>() > 2) {
      return absl::InvalidArgumentError("az-tdx-vtpm evidence: version must be 1 or 2");
    }
    e.version = static_cast<int>(v->get<uint64_t>());
  }
  const Json* tq = Member(j, "tpm_quote");
  const Json* hcl = Member(j, "hcl_report");
  const Json* td = Member(j, "td_quote");
  if (tq == nullptr || !tq->is_object() || hcl == nullptr || td == nullptr) {
    return absl::InvalidArgumentError(
        "az-tdx-vtpm evidence: tpm_quote (object), hcl_report and td_quote are required");
  }
  const Json* sig = Member(*tq, "signature");
  const Json* msg = Member(*tq, "message");
  const Json* pcrs = Member(*tq, "pcrs");
  if (sig == nullptr || msg == nullptr || pcrs == nullptr || !pcrs->is_array()) {
    return absl::InvalidArgumentError(
        "az-tdx-vtpm evidence: tpm_quote needs signature, message and pcrs");
  }
  if (pcrs->size() > kMaxPcrs) {
    return absl::InvalidArgumentError("az-tdx-vtpm evidence: more than 24 PCRs");
  }
  std::string raw_sig;
  if (e.version == 0) {
    COCOON_ASSIGN_OR_RETURN(raw_sig, ByteArray(*sig, "tpm_quote.signature"));
    COCOON_ASSIGN_OR_RETURN(e.tpm_quote.message, ByteArray(*msg, "tpm_quote.message"));
    for (size_t i = 0; i < pcrs->size(); ++i) {
      COCOON_ASSIGN_OR_RETURN(std::string p,
                              ByteArray((*pcrs)[i], absl::StrCat("tpm_quote.pcrs[", i, "]")));
      e.tpm_quote.pcrs.push_back(std::move(p));
    }
    COCOON_ASSIGN_OR_RETURN(e.hcl_report, ByteArray(*hcl, "hcl_report"));
    COCOON_ASSIGN_OR_RETURN(e.td_quote, ByteArray(*td, "td_quote"));
  } else {
    COCOON_ASSIGN_OR_RETURN(raw_sig, HexString(*sig, "tpm_quote.signature"));
    COCOON_ASSIGN_OR_RETURN(e.tpm_quote.message, HexString(*msg, "tpm_quote.message"));
    for (size_t i = 0; i < pcrs->size(); ++i) {
      COCOON_ASSIGN_OR_RETURN(std::string p,
                              HexString((*pcrs)[i], absl::StrCat("tpm_quote.pcrs[", i, "]")));
      e.tpm_quote.pcrs.push_back(std::move(p));
    }
    COCOON_ASSIGN_OR_RETURN(e.hcl_report, B64Url(*hcl, "hcl_report"));
    COCOON_ASSIGN_OR_RETURN(e.td_quote, B64Url(*td, "td_quote"));
  }
  COCOON_ASSIGN_OR_RETURN(e.tpm_quote.signature, tpm::RawRsaSignature(raw_sig));
  return e;
}

absl::StatusOr<TpmQuote> ParseBincodeTpmQuote(absl::string_view bytes) {
  ByteReader r(bytes, "bincode TPM quote");
  TpmQuote q;
  auto vec = [&](absl::string_view field, size_t max) -> absl::StatusOr<std::string> {
    const size_t off = r.offset();
    COCOON_ASSIGN_OR_RETURN(uint64_t len, r.U64Le(absl::StrCat(field, ".len")));
    if (len > max) return r.ErrorAt(field, off, absl::StrCat("length ", len, " exceeds ", max));
    COCOON_ASSIGN_OR_RETURN(absl::string_view b, r.Bytes(len, field));
    return std::string(b);
  };
  COCOON_ASSIGN_OR_RETURN(q.signature, vec("signature", 1024));
  COCOON_ASSIGN_OR_RETURN(q.message, vec("message", 4096));
  const size_t count_off = r.offset();
  COCOON_ASSIGN_OR_RETURN(uint64_t count, r.U64Le("pcrs.count"));
  if (count > kMaxPcrs) return r.ErrorAt("pcrs.count", count_off, "more than 24 PCRs");
  for (uint64_t i = 0; i < count; ++i) {
    COCOON_ASSIGN_OR_RETURN(absl::string_view p, r.Bytes(32, "pcrs"));
    q.pcrs.emplace_back(p);
  }
  if (!r.empty()) return r.Error("end", "unexpected trailing bytes");
  return q;
}

std::string SerializeAzTdxVtpmEvidence(const AzTdxVtpmEvidence& e) {
  OrderedJson j;
  j["version"] = e.version == 0 ? 2 : e.version;
  OrderedJson pcrs = OrderedJson::array();
  for (const auto& p : e.tpm_quote.pcrs) pcrs.push_back(HexEncode(p));
  j["tpm_quote"] = {{"signature", HexEncode(e.tpm_quote.signature)},
                    {"message", HexEncode(e.tpm_quote.message)},
                    {"pcrs", pcrs}};
  j["hcl_report"] = Base64Encode(e.hcl_report, Base64Alphabet::kUrl, true);
  j["td_quote"] = Base64Encode(e.td_quote, Base64Alphabet::kUrl, true);
  return j.dump();
}

}  // namespace cocoon::attestation::az
