#include "attestation/dcap/collateral.h"

#include <openssl/x509v3.h>

#include <algorithm>
#include <atomic>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/encoding.h"
#include "base/json.h"
#include "base/status.h"

namespace cocoon::attestation::dcap {
namespace {

bool IsWs(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

size_t SkipWs(absl::string_view s, size_t p) {
  while (p < s.size() && IsWs(s[p])) ++p;
  return p;
}

// End of the JSON string starting at s[p] == '"' (index after the closing quote).
absl::StatusOr<size_t> ScanString(absl::string_view s, size_t p) {
  ++p;
  while (p < s.size()) {
    if (s[p] == '\\') {
      p += 2;
      continue;
    }
    if (s[p] == '"') return p + 1;
    ++p;
  }
  return absl::InvalidArgumentError(absl::StrCat("unterminated JSON string at byte ", p));
}

// End of the JSON value starting at s[p]. Containers are matched by bracket counting with
// strings skipped, so the bytes are taken exactly as present.
absl::StatusOr<size_t> ScanValue(absl::string_view s, size_t p) {
  if (p >= s.size()) return absl::InvalidArgumentError("JSON value expected at end of input");
  if (s[p] == '"') return ScanString(s, p);
  if (s[p] == '{' || s[p] == '[') {
    int depth = 0;
    while (p < s.size()) {
      const char c = s[p];
      if (c == '"') {
        COCOON_ASSIGN_OR_RETURN(p, ScanString(s, p));
        continue;
      }
      if (c == '{' || c == '[') {
        if (++depth > kMaxJsonDepth) {
          return absl::InvalidArgumentError(absl::StrCat("JSON nested too deeply at byte ", p));
        }
      } else if (c == '}' || c == ']') {
        if (--depth == 0) return p + 1;
      }
      ++p;
    }
    return absl::InvalidArgumentError("unterminated JSON container");
  }
  while (p < s.size() && s[p] != ',' && s[p] != '}' && s[p] != ']' && !IsWs(s[p])) ++p;
  return p;
}

absl::StatusOr<std::string> HexField(const Json& j, absl::string_view key, size_t bytes,
                                     absl::string_view where) {
  COCOON_ASSIGN_OR_RETURN(std::string text, GetString(j, key, where));
  auto raw = HexDecode(text);
  if (!raw.ok() || raw->size() != bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ".", key, ": expected ", bytes, " bytes of hex, got \"", text, "\""));
  }
  return *std::move(raw);
}

absl::StatusOr<int64_t> IntField(const Json& j, absl::string_view key, absl::string_view where) {
  auto it = j.find(std::string(key));
  if (it == j.end() || !it->is_number_integer()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ".", key, ": missing or not an integer"));
  }
  return it->get<int64_t>();
}

const Json* ArrayField(const Json& j, absl::string_view key) {
  auto it = j.find(std::string(key));
  if (it == j.end() || !it->is_array()) return nullptr;
  return &*it;
}

absl::StatusOr<std::vector<std::string>> Advisories(const Json& level, absl::string_view where) {
  std::vector<std::string> out;
  auto it = level.find("advisoryIDs");
  if (it == level.end()) return out;
  if (!it->is_array())
    return absl::InvalidArgumentError(absl::StrCat(where, ".advisoryIDs: not an array"));
  for (const auto& a : *it) {
    if (!a.is_string())
      return absl::InvalidArgumentError(absl::StrCat(where, ".advisoryIDs: not strings"));
    out.push_back(a.get<std::string>());
  }
  return out;
}

absl::StatusOr<std::vector<IsvTcbLevel>> ParseIsvLevels(const Json& j, absl::string_view where) {
  const Json* levels = ArrayField(j, "tcbLevels");
  if (levels == nullptr)
    return absl::InvalidArgumentError(absl::StrCat(where, ".tcbLevels: missing"));
  std::vector<IsvTcbLevel> out;
  for (size_t i = 0; i < levels->size(); ++i) {
    const Json& l = (*levels)[i];
    const std::string w = absl::StrCat(where, ".tcbLevels[", i, "]");
    if (!l.is_object() || !l.contains("tcb") || !l["tcb"].is_object()) {
      return absl::InvalidArgumentError(absl::StrCat(w, ": malformed"));
    }
    IsvTcbLevel lvl;
    COCOON_ASSIGN_OR_RETURN(int64_t isvsvn, IntField(l["tcb"], "isvsvn", w));
    if (isvsvn < 0 || isvsvn > 0xffff)
      return absl::InvalidArgumentError(absl::StrCat(w, ": isvsvn out of range"));
    lvl.isvsvn = static_cast<uint16_t>(isvsvn);
    COCOON_ASSIGN_OR_RETURN(lvl.tcb_date, GetString(l, "tcbDate", w));
    COCOON_ASSIGN_OR_RETURN(lvl.tcb_status, GetString(l, "tcbStatus", w));
    COCOON_ASSIGN_OR_RETURN(lvl.advisory_ids, Advisories(l, w));
    out.push_back(std::move(lvl));
  }
  return out;
}

absl::StatusOr<std::array<uint8_t, 16>> Components(const Json& tcb, absl::string_view key,
                                                   absl::string_view where) {
  const Json* comps = ArrayField(tcb, key);
  if (comps == nullptr || comps->size() != 16) {
    return absl::InvalidArgumentError(absl::StrCat(where, ".", key, ": must hold 16 components"));
  }
  std::array<uint8_t, 16> out{};
  for (size_t i = 0; i < 16; ++i) {
    const Json& c = (*comps)[i];
    if (!c.is_object())
      return absl::InvalidArgumentError(absl::StrCat(where, ".", key, ": malformed"));
    COCOON_ASSIGN_OR_RETURN(int64_t svn, IntField(c, "svn", absl::StrCat(where, ".", key)));
    if (svn < 0) return absl::InvalidArgumentError(absl::StrCat(where, ".", key, ": negative svn"));
    out[i] = static_cast<uint8_t>(svn);  // QVL truncates to uint8 as well
  }
  return out;
}

absl::StatusOr<TdxModuleIdentity> ParseModule(const Json& j, absl::string_view where,
                                              bool with_levels) {
  TdxModuleIdentity m;
  if (with_levels) {
    COCOON_ASSIGN_OR_RETURN(m.id, GetString(j, "id", where));
  }
  COCOON_ASSIGN_OR_RETURN(m.mrsigner, HexField(j, "mrsigner", 48, where));
  COCOON_ASSIGN_OR_RETURN(m.attributes, HexField(j, "attributes", 8, where));
  COCOON_ASSIGN_OR_RETURN(m.attributes_mask, HexField(j, "attributesMask", 8, where));
  if (with_levels) {
    COCOON_ASSIGN_OR_RETURN(m.tcb_levels, ParseIsvLevels(j, where));
  }
  return m;
}

int64_t CrlNumber(X509_CRL* crl) {
  ASN1_INTEGER* num =
      static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crl, NID_crl_number, nullptr, nullptr));
  if (num == nullptr) return -1;
  int64_t v = -1;
  if (ASN1_INTEGER_get_int64(&v, num) != 1) v = -1;
  ASN1_INTEGER_free(num);
  return v;
}

absl::Status CheckSignedDoc(absl::string_view body, absl::string_view sig,
                            absl::string_view chain_pem, const TrustedRoots& roots,
                            X509_CRL* root_crl, absl::string_view what,
                            std::vector<X509Ptr>* chain_out) {
  COCOON_ASSIGN_OR_RETURN(std::vector<X509Ptr> chain,
                          ParsePemCertificates(chain_pem, absl::StrCat(what, " issuer chain")));
  // Order-independent: PCS sends [signer, root], QVL's samples [root, signer].
  X509* signer = nullptr;
  std::vector<X509*> inter;
  for (auto& cert : chain) {
    const bool self_issued = X509_check_issued(cert.get(), cert.get()) == X509_V_OK;
    if (self_issued) {
      if (!roots.IsTrusted(cert.get())) {
        return absl::PermissionDeniedError(absl::StrCat(
            what, " issuer chain: root ", CertFingerprint(cert.get()), " is not a trusted root"));
      }
    } else if (signer == nullptr && absl::StrContains(CertSubjectCn(cert.get()), "TCB Signing")) {
      signer = cert.get();
    } else {
      inter.push_back(cert.get());
    }
  }
  if (signer == nullptr) {
    return absl::PermissionDeniedError(
        absl::StrCat(what, " issuer chain: no TCB signing certificate (CN \"... TCB Signing\")"));
  }
  std::vector<X509_CRL*> crls;
  if (root_crl != nullptr) crls.push_back(root_crl);
  // Time is evaluated by the caller against the verification time; here only the chain,
  // signatures and revocation (the CRLs' own validity is checked per verification).
  COCOON_ASSIGN_OR_RETURN(ChainCheck check,
                          VerifyCertChain(signer, inter, crls, roots, absl::InfinitePast(),
                                          absl::StrCat(what, " issuer chain"),
                                          "TCB signing certificate", "TCB signing CA",
                                          /*check_time=*/false));
  (void)check;
  EVP_PKEY* key = X509_get0_pubkey(signer);
  if (key == nullptr) return OsslError(absl::StrCat(what, ": signing key"));
  COCOON_RETURN_IF_ERROR(VerifyEcdsaP256Raw(key, body, sig, absl::StrCat(what, " signature")));
  *chain_out = std::move(chain);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<absl::Time> ParseRfc3339(absl::string_view s, absl::string_view field) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(s), &t, &err)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": \"", s, "\" is not an RFC 3339 time: ", err));
  }
  return t;
}

std::string FormatRfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

absl::StatusOr<SignedJson> SplitSignedJson(absl::string_view response, absl::string_view body_key) {
  const std::string what = absl::StrCat("signed ", body_key, " response");
  size_t p = SkipWs(response, 0);
  if (p >= response.size() || response[p] != '{') {
    return absl::InvalidArgumentError(absl::StrCat(what, ": not a JSON object"));
  }
  p = SkipWs(response, p + 1);
  std::optional<absl::string_view> body;
  std::optional<std::string> sig_hex;
  while (p < response.size() && response[p] != '}') {
    if (response[p] != '"') {
      return absl::InvalidArgumentError(absl::StrCat(what, ": member name expected at byte ", p));
    }
    COCOON_ASSIGN_OR_RETURN(size_t key_end, ScanString(response, p));
    const absl::string_view key = response.substr(p + 1, key_end - p - 2);
    p = SkipWs(response, key_end);
    if (p >= response.size() || response[p] != ':') {
      return absl::InvalidArgumentError(absl::StrCat(what, ": ':' expected at byte ", p));
    }
    p = SkipWs(response, p + 1);
    COCOON_ASSIGN_OR_RETURN(size_t value_end, ScanValue(response, p));
    const absl::string_view value = response.substr(p, value_end - p);
    if (key == body_key) {
      body = value;
    } else if (key == "signature") {
      if (value.size() < 2 || value.front() != '"') {
        return absl::InvalidArgumentError(absl::StrCat(what, ": signature is not a string"));
      }
      sig_hex = std::string(value.substr(1, value.size() - 2));
    }
    p = SkipWs(response, value_end);
    if (p < response.size() && response[p] == ',') p = SkipWs(response, p + 1);
  }
  if (!body || !sig_hex) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": \"", body_key, "\" and \"signature\" members are required"));
  }
  // Validate the whole response as JSON too.
  COCOON_RETURN_IF_ERROR(ParseJson(response, what).status());
  auto sig = HexDecode(*sig_hex);
  if (!sig.ok() || sig->size() != 64) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": signature must be 64 bytes of hex"));
  }
  return SignedJson{std::string(*body), *std::move(sig)};
}

absl::StatusOr<TcbInfo> ParseTcbInfoBody(absl::string_view body) {
  COCOON_ASSIGN_OR_RETURN(Json j, ParseJson(body, "tcbInfo", 16));
  if (!j.is_object()) return absl::InvalidArgumentError("tcbInfo: not an object");
  TcbInfo t;
  const absl::string_view w = "tcbInfo";
  auto id = j.find("id");
  t.id = (id != j.end() && id->is_string()) ? id->get<std::string>() : "";
  COCOON_ASSIGN_OR_RETURN(int64_t version, IntField(j, "version", w));
  t.version = static_cast<int>(version);
  COCOON_ASSIGN_OR_RETURN(t.issue_date, GetString(j, "issueDate", w));
  COCOON_ASSIGN_OR_RETURN(t.next_update, GetString(j, "nextUpdate", w));
  COCOON_ASSIGN_OR_RETURN(t.issue_time, ParseRfc3339(t.issue_date, "tcbInfo.issueDate"));
  COCOON_ASSIGN_OR_RETURN(t.next_update_time, ParseRfc3339(t.next_update, "tcbInfo.nextUpdate"));
  COCOON_ASSIGN_OR_RETURN(t.fmspc, HexField(j, "fmspc", 6, w));
  COCOON_ASSIGN_OR_RETURN(t.pce_id, HexField(j, "pceId", 2, w));
  if (j.contains("tcbType")) {
    COCOON_ASSIGN_OR_RETURN(int64_t tt, IntField(j, "tcbType", w));
    t.tcb_type = static_cast<int>(tt);
  }
  COCOON_ASSIGN_OR_RETURN(t.tcb_evaluation_data_number, IntField(j, "tcbEvaluationDataNumber", w));
  if (auto m = j.find("tdxModule"); m != j.end()) {
    if (!m->is_object()) return absl::InvalidArgumentError("tcbInfo.tdxModule: not an object");
    COCOON_ASSIGN_OR_RETURN(t.tdx_module, ParseModule(*m, "tcbInfo.tdxModule", false));
  }
  if (const Json* ids = ArrayField(j, "tdxModuleIdentities"); ids != nullptr) {
    for (size_t i = 0; i < ids->size(); ++i) {
      if (!(*ids)[i].is_object())
        return absl::InvalidArgumentError("tcbInfo.tdxModuleIdentities: malformed");
      COCOON_ASSIGN_OR_RETURN(
          TdxModuleIdentity mi,
          ParseModule((*ids)[i], absl::StrCat("tcbInfo.tdxModuleIdentities[", i, "]"), true));
      t.tdx_module_identities.push_back(std::move(mi));
    }
  }
  const Json* levels = ArrayField(j, "tcbLevels");
  if (levels == nullptr) return absl::InvalidArgumentError("tcbInfo.tcbLevels: missing");
  for (size_t i = 0; i < levels->size(); ++i) {
    const Json& l = (*levels)[i];
    const std::string lw = absl::StrCat("tcbInfo.tcbLevels[", i, "]");
    if (!l.is_object() || !l.contains("tcb") || !l["tcb"].is_object()) {
      return absl::InvalidArgumentError(absl::StrCat(lw, ": malformed"));
    }
    const Json& tcb = l["tcb"];
    TcbLevel lvl;
    COCOON_ASSIGN_OR_RETURN(lvl.sgx_components, Components(tcb, "sgxtcbcomponents", lw));
    COCOON_ASSIGN_OR_RETURN(int64_t pcesvn, IntField(tcb, "pcesvn", lw));
    if (pcesvn < 0 || pcesvn > 0xffff)
      return absl::InvalidArgumentError(absl::StrCat(lw, ": pcesvn out of range"));
    lvl.pcesvn = static_cast<uint16_t>(pcesvn);
    if (tcb.contains("tdxtcbcomponents")) {
      COCOON_ASSIGN_OR_RETURN(lvl.tdx_components, Components(tcb, "tdxtcbcomponents", lw));
    }
    COCOON_ASSIGN_OR_RETURN(lvl.tcb_date, GetString(l, "tcbDate", lw));
    COCOON_ASSIGN_OR_RETURN(lvl.tcb_status, GetString(l, "tcbStatus", lw));
    COCOON_ASSIGN_OR_RETURN(lvl.advisory_ids, Advisories(l, lw));
    t.tcb_levels.push_back(std::move(lvl));
  }
  return t;
}

absl::StatusOr<QeIdentity> ParseQeIdentityBody(absl::string_view body) {
  COCOON_ASSIGN_OR_RETURN(Json j, ParseJson(body, "enclaveIdentity", 16));
  if (!j.is_object()) return absl::InvalidArgumentError("enclaveIdentity: not an object");
  QeIdentity q;
  const absl::string_view w = "enclaveIdentity";
  COCOON_ASSIGN_OR_RETURN(q.id, GetString(j, "id", w));
  COCOON_ASSIGN_OR_RETURN(int64_t version, IntField(j, "version", w));
  q.version = static_cast<int>(version);
  COCOON_ASSIGN_OR_RETURN(q.issue_date, GetString(j, "issueDate", w));
  COCOON_ASSIGN_OR_RETURN(q.next_update, GetString(j, "nextUpdate", w));
  COCOON_ASSIGN_OR_RETURN(q.issue_time, ParseRfc3339(q.issue_date, "enclaveIdentity.issueDate"));
  COCOON_ASSIGN_OR_RETURN(q.next_update_time,
                          ParseRfc3339(q.next_update, "enclaveIdentity.nextUpdate"));
  COCOON_ASSIGN_OR_RETURN(q.tcb_evaluation_data_number, IntField(j, "tcbEvaluationDataNumber", w));
  COCOON_ASSIGN_OR_RETURN(std::string misc, HexField(j, "miscselect", 4, w));
  COCOON_ASSIGN_OR_RETURN(std::string misc_mask, HexField(j, "miscselectMask", 4, w));
  // The hex strings are the big-endian rendering of the u32 value.
  auto be32 = [](absl::string_view b) {
    return static_cast<uint32_t>(static_cast<uint8_t>(b[0])) << 24 |
           static_cast<uint32_t>(static_cast<uint8_t>(b[1])) << 16 |
           static_cast<uint32_t>(static_cast<uint8_t>(b[2])) << 8 |
           static_cast<uint32_t>(static_cast<uint8_t>(b[3]));
  };
  q.miscselect = be32(misc);
  q.miscselect_mask = be32(misc_mask);
  COCOON_ASSIGN_OR_RETURN(q.attributes, HexField(j, "attributes", 16, w));
  COCOON_ASSIGN_OR_RETURN(q.attributes_mask, HexField(j, "attributesMask", 16, w));
  COCOON_ASSIGN_OR_RETURN(q.mrsigner, HexField(j, "mrsigner", 32, w));
  COCOON_ASSIGN_OR_RETURN(int64_t prodid, IntField(j, "isvprodid", w));
  if (prodid < 0 || prodid > 0xffff)
    return absl::InvalidArgumentError("enclaveIdentity.isvprodid out of range");
  q.isvprodid = static_cast<uint16_t>(prodid);
  COCOON_ASSIGN_OR_RETURN(q.tcb_levels, ParseIsvLevels(j, w));
  return q;
}

absl::StatusOr<Collateral> ParseCollateralJson(absl::string_view json) {
  COCOON_ASSIGN_OR_RETURN(Json j, ParseJson(json, "collateral", 16));
  if (!j.is_object()) return absl::InvalidArgumentError("collateral: not a JSON object");
  Collateral c;
  auto signed_doc = [&](absl::string_view key, absl::string_view pcs_key, std::string* body,
                        std::string* sig) -> absl::Status {
    auto it = j.find(std::string(key));
    if (it == j.end())
      return absl::InvalidArgumentError(absl::StrCat("collateral.", key, ": missing"));
    if (it->is_string()) {
      const std::string text = it->get<std::string>();
      // Either the exact signed body (with a separate <key>_signature) or a whole PCS response.
      auto sig_it = j.find(absl::StrCat(key, "_signature"));
      if (sig_it != j.end() && sig_it->is_string()) {
        *body = text;
        auto raw = HexDecode(sig_it->get<std::string>());
        if (!raw.ok() || raw->size() != 64) {
          return absl::InvalidArgumentError(
              absl::StrCat("collateral.", key, "_signature: must be 64 bytes of hex"));
        }
        *sig = *std::move(raw);
        return absl::OkStatus();
      }
      COCOON_ASSIGN_OR_RETURN(SignedJson s, SplitSignedJson(text, pcs_key));
      *body = std::move(s.body);
      *sig = std::move(s.signature);
      return absl::OkStatus();
    }
    return absl::InvalidArgumentError(absl::StrCat("collateral.", key, ": must be a string"));
  };
  COCOON_RETURN_IF_ERROR(
      signed_doc("tcb_info", "tcbInfo", &c.tcb_info_body, &c.tcb_info_signature));
  COCOON_RETURN_IF_ERROR(
      signed_doc("qe_identity", "enclaveIdentity", &c.qe_identity_body, &c.qe_identity_signature));
  COCOON_ASSIGN_OR_RETURN(c.tcb_info_issuer_chain,
                          GetString(j, "tcb_info_issuer_chain", "collateral"));
  COCOON_ASSIGN_OR_RETURN(c.qe_identity_issuer_chain,
                          GetString(j, "qe_identity_issuer_chain", "collateral"));
  COCOON_ASSIGN_OR_RETURN(c.pck_crl, GetString(j, "pck_crl", "collateral"));
  COCOON_ASSIGN_OR_RETURN(c.root_ca_crl, GetString(j, "root_ca_crl", "collateral"));
  if (j.contains("pck_crl_issuer_chain")) {
    COCOON_ASSIGN_OR_RETURN(c.pck_crl_issuer_chain,
                            GetString(j, "pck_crl_issuer_chain", "collateral"));
  }
  return c;
}

std::string SerializeCollateralJson(const Collateral& c) {
  auto crl_hex = [](const std::string& crl) {
    // Stored as hex DER; PEM or hex inputs are normalised when they parse.
    auto parsed = ParseCrl(crl, "CRL");
    if (!parsed.ok()) return HexEncode(crl);
    unsigned char* der = nullptr;
    const int len = i2d_X509_CRL(parsed->get(), &der);
    if (len <= 0) return HexEncode(crl);
    std::string out = HexEncode(absl::string_view(reinterpret_cast<char*>(der), len));
    OPENSSL_free(der);
    return out;
  };
  OrderedJson j;
  j["tcb_info_issuer_chain"] = c.tcb_info_issuer_chain;
  j["tcb_info"] = c.tcb_info_body;
  j["tcb_info_signature"] = HexEncode(c.tcb_info_signature);
  j["qe_identity_issuer_chain"] = c.qe_identity_issuer_chain;
  j["qe_identity"] = c.qe_identity_body;
  j["qe_identity_signature"] = HexEncode(c.qe_identity_signature);
  j["pck_crl_issuer_chain"] = c.pck_crl_issuer_chain;
  j["pck_crl"] = crl_hex(c.pck_crl);
  j["root_ca_crl"] = crl_hex(c.root_ca_crl);
  return j.dump(2, ' ', false, OrderedJson::error_handler_t::replace);
}

absl::StatusOr<std::shared_ptr<const CheckedCollateral>> CheckCollateral(
    const Collateral& collateral, const TrustedRoots& roots) {
  static std::atomic<uint64_t> next_id{1};
  auto out = std::make_shared<CheckedCollateral>();
  out->id = next_id.fetch_add(1);
  COCOON_ASSIGN_OR_RETURN(out->root_ca_crl, ParseCrl(collateral.root_ca_crl, "Root CA CRL"));
  COCOON_ASSIGN_OR_RETURN(out->pck_crl, ParseCrl(collateral.pck_crl, "PCK CRL"));
  COCOON_RETURN_IF_ERROR(CheckSignedDoc(
      collateral.tcb_info_body, collateral.tcb_info_signature, collateral.tcb_info_issuer_chain,
      roots, out->root_ca_crl.get(), "TCB info", &out->tcb_signing_chain));
  COCOON_RETURN_IF_ERROR(
      CheckSignedDoc(collateral.qe_identity_body, collateral.qe_identity_signature,
                     collateral.qe_identity_issuer_chain, roots, out->root_ca_crl.get(),
                     "QE identity", &out->qe_signing_chain));
  COCOON_ASSIGN_OR_RETURN(out->tcb_info, ParseTcbInfoBody(collateral.tcb_info_body));
  COCOON_ASSIGN_OR_RETURN(out->qe_identity, ParseQeIdentityBody(collateral.qe_identity_body));
  out->pck_crl_number = CrlNumber(out->pck_crl.get());
  out->root_ca_crl_number = CrlNumber(out->root_ca_crl.get());
  const absl::Time pck_this = Asn1TimeToAbsl(X509_CRL_get0_lastUpdate(out->pck_crl.get()));
  const absl::Time root_this = Asn1TimeToAbsl(X509_CRL_get0_lastUpdate(out->root_ca_crl.get()));
  out->earliest_issue_date =
      std::min({out->tcb_info.issue_time, out->qe_identity.issue_time, pck_this, root_this});
  out->latest_issue_date =
      std::max({out->tcb_info.issue_time, out->qe_identity.issue_time, pck_this, root_this});
  absl::Time exp = std::min({out->tcb_info.next_update_time, out->qe_identity.next_update_time,
                             Asn1TimeToAbsl(X509_CRL_get0_nextUpdate(out->pck_crl.get())),
                             Asn1TimeToAbsl(X509_CRL_get0_nextUpdate(out->root_ca_crl.get()))});
  for (const auto* chain : {&out->tcb_signing_chain, &out->qe_signing_chain}) {
    for (const auto& cert : *chain) {
      exp = std::min(exp, Asn1TimeToAbsl(X509_get0_notAfter(cert.get())));
    }
  }
  out->earliest_expiration = exp;
  return std::shared_ptr<const CheckedCollateral>(std::move(out));
}

bool CollateralExpired(const CheckedCollateral& c, absl::Time at) {
  return at > c.earliest_expiration;
}

}  // namespace cocoon::attestation::dcap
