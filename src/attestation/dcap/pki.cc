#include "attestation/dcap/pki.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <cctype>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/encoding.h"
#include "base/status.h"
#include "crypto/stream_cipher.h"

namespace cocoon::attestation::dcap {
namespace {

// The Intel SGX Root CA (public certificate; pinned by kIntelSgxRootCaSha256).
constexpr absl::string_view kIntelSgxRootCaPem =
    "-----BEGIN CERTIFICATE-----\n"
    "MIICjzCCAjSgAwIBAgIUImUM1lqdNInzg7SVUr9QGzknBqwwCgYIKoZIzj0EAwIw\n"
    "aDEaMBgGA1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENv\n"
    "cnBvcmF0aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJ\n"
    "BgNVBAYTAlVTMB4XDTE4MDUyMTEwNDUxMFoXDTQ5MTIzMTIzNTk1OVowaDEaMBgG\n"
    "A1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENvcnBvcmF0\n"
    "aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJBgNVBAYT\n"
    "AlVTMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEC6nEwMDIYZOj/iPWsCzaEKi7\n"
    "1OiOSLRFhWGjbnBVJfVnkY4u3IjkDYYL0MxO4mqsyYjlBalTVYxFP2sJBK5zlKOB\n"
    "uzCBuDAfBgNVHSMEGDAWgBQiZQzWWp00ifODtJVSv1AbOScGrDBSBgNVHR8ESzBJ\n"
    "MEegRaBDhkFodHRwczovL2NlcnRpZmljYXRlcy50cnVzdGVkc2VydmljZXMuaW50\n"
    "ZWwuY29tL0ludGVsU0dYUm9vdENBLmRlcjAdBgNVHQ4EFgQUImUM1lqdNInzg7SV\n"
    "Ur9QGzknBqwwDgYDVR0PAQH/BAQDAgEGMBIGA1UdEwEB/wQIMAYBAf8CAQEwCgYI\n"
    "KoZIzj0EAwIDSQAwRgIhAOW/5QkR+S9CiSDcNoowLuPRLsWGf/Yi7GSX94BgwTwg\n"
    "AiEA4J0lrHoMs+Xo5o/sX6O9QWxHRAvZUGOdRQ7cvqRXaqI=\n"
    "-----END CERTIFICATE-----\n";

// DER of OID 1.2.840.113741.1.13.1 (without tag and length).
constexpr absl::string_view kSgxExtOid = "\x2a\x86\x48\x86\xf8\x4d\x01\x0d\x01";

struct Tlv {
  uint8_t tag;
  absl::string_view value;
};

// Reads one DER TLV from `in`, advancing it. `base` is the offset of `in` in the extension.
absl::StatusOr<Tlv> ReadTlv(absl::string_view* in, absl::string_view field) {
  auto err = [&](absl::string_view m) {
    return absl::InvalidArgumentError(absl::StrCat("PCK SGX extension: ", field, ": ", m));
  };
  if (in->size() < 2) return err("truncated TLV");
  const uint8_t tag = static_cast<uint8_t>((*in)[0]);
  size_t len = static_cast<uint8_t>((*in)[1]);
  size_t hdr = 2;
  if (len & 0x80) {
    const size_t n = len & 0x7f;
    if (n == 0 || n > 3 || in->size() < 2 + n) return err("bad length encoding");
    len = 0;
    for (size_t i = 0; i < n; ++i) len = (len << 8) | static_cast<uint8_t>((*in)[2 + i]);
    hdr += n;
  }
  if (len > in->size() - hdr) return err("length exceeds the data present");
  Tlv t{tag, in->substr(hdr, len)};
  in->remove_prefix(hdr + len);
  return t;
}

absl::StatusOr<uint64_t> DerUint(const Tlv& t, absl::string_view field) {
  if ((t.tag != 0x02 && t.tag != 0x0a) || t.value.empty() || t.value.size() > 3 ||
      (static_cast<uint8_t>(t.value[0]) & 0x80)) {
    return absl::InvalidArgumentError(
        absl::StrCat("PCK SGX extension: ", field, ": not a small non-negative INTEGER"));
  }
  uint64_t v = 0;
  for (char c : t.value) v = (v << 8) | static_cast<uint8_t>(c);
  return v;
}

absl::StatusOr<std::string> DerOctets(const Tlv& t, size_t size, absl::string_view field) {
  if (t.tag != 0x04 || t.value.size() != size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "PCK SGX extension: ", field, ": expected an OCTET STRING of ", size, " bytes"));
  }
  return std::string(t.value);
}

absl::StatusOr<bool> DerBool(const Tlv& t, absl::string_view field) {
  if (t.tag != 0x01 || t.value.size() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("PCK SGX extension: ", field, ": expected a BOOLEAN"));
  }
  return t.value[0] != 0;
}

// Last arc of `oid` if it is `prefix`.N with one more small arc, else -1.
int ChildArc(absl::string_view oid, absl::string_view prefix) {
  if (oid.size() != prefix.size() + 1 || !absl::StartsWith(oid, prefix)) return -1;
  const uint8_t last = static_cast<uint8_t>(oid.back());
  return (last & 0x80) ? -1 : last;
}

}  // namespace

std::string CertFingerprint(X509* cert) {
  unsigned char* der = nullptr;
  const int len = i2d_X509(cert, &der);
  if (len <= 0) return "";
  std::string out = HexEncode(crypto::Sha256(
      absl::string_view(reinterpret_cast<const char*>(der), static_cast<size_t>(len))));
  OPENSSL_free(der);
  return out;
}

std::string CertSubjectCn(X509* cert) {
  char buf[256] = {0};
  if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof(buf)) <
      0) {
    return "";
  }
  return buf;
}

absl::StatusOr<std::vector<X509Ptr>> ParsePemCertificates(absl::string_view pem,
                                                          absl::string_view what) {
  while (!pem.empty() && (pem.back() == '\0' || absl::ascii_isspace(pem.back()))) {
    pem.remove_suffix(1);
  }
  if (pem.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": NUL byte inside the PEM chain"));
  }
  if (!absl::StrContains(pem, "-----BEGIN CERTIFICATE-----")) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": no PEM certificate found (only PEM PCK chains are supported)"));
  }
  std::vector<X509Ptr> out;
  crypto::BioPtr bio = crypto::MemBio(pem);
  while (true) {
    X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
    if (cert == nullptr) {
      const unsigned long err = ERR_peek_last_error();
      if (ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE &&
          !out.empty()) {
        ERR_clear_error();
        break;
      }
      return OsslError(absl::StrCat(what, ": certificate ", out.size() + 1, " does not parse"));
    }
    out.emplace_back(cert);
    if (out.size() > 8) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": too many certificates"));
    }
  }
  return out;
}

absl::StatusOr<X509CrlPtr> ParseCrl(absl::string_view data, absl::string_view what) {
  absl::string_view trimmed = absl::StripAsciiWhitespace(data);
  if (absl::StartsWith(trimmed, "-----BEGIN")) {
    crypto::BioPtr bio = crypto::MemBio(trimmed);
    X509_CRL* crl = PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr);
    if (crl == nullptr) return OsslError(absl::StrCat(what, ": PEM CRL does not parse"));
    return X509CrlPtr(crl);
  }
  std::string der_storage;
  absl::string_view der = data;
  if (!data.empty() && data[0] != 0x30) {
    auto hex = HexDecode(trimmed);
    if (!hex.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": CRL is neither DER, PEM nor hex-encoded DER"));
    }
    der_storage = std::move(*hex);
    der = der_storage;
  }
  const unsigned char* p = crypto::Uc(der);
  X509_CRL* crl = d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size()));
  if (crl == nullptr) return OsslError(absl::StrCat(what, ": DER CRL does not parse"));
  return X509CrlPtr(crl);
}

absl::StatusOr<TrustedRoots> TrustedRoots::IntelOnly() { return WithExtra({}); }

absl::StatusOr<TrustedRoots> TrustedRoots::WithExtra(const std::vector<std::string>& pem_bundles) {
  static std::atomic<uint64_t> next_id{1};
  TrustedRoots roots;
  roots.id_ = next_id.fetch_add(1);
  roots.store_ = std::shared_ptr<X509_STORE>(X509_STORE_new(), X509_STORE_free);
  if (!roots.store_) return OsslError("X509_STORE_new", absl::StatusCode::kInternal);
  COCOON_ASSIGN_OR_RETURN(std::vector<X509Ptr> intel,
                          ParsePemCertificates(kIntelSgxRootCaPem, "Intel SGX Root CA"));
  const std::string intel_fp = CertFingerprint(intel[0].get());
  if (intel_fp != kIntelSgxRootCaSha256) {
    return absl::InternalError("embedded Intel SGX Root CA does not match its pinned fingerprint");
  }
  std::vector<X509Ptr> all = std::move(intel);
  for (const std::string& bundle : pem_bundles) {
    COCOON_ASSIGN_OR_RETURN(std::vector<X509Ptr> extra,
                            ParsePemCertificates(bundle, "trusted root"));
    for (auto& c : extra) all.push_back(std::move(c));
  }
  for (auto& c : all) {
    const std::string fp = CertFingerprint(c.get());
    bool dup = false;
    for (const auto& f : roots.fingerprints_) dup |= (f == fp);
    if (dup) continue;
    if (X509_STORE_add_cert(roots.store_.get(), c.get()) != 1) {
      return OsslError("adding a trusted root", absl::StatusCode::kInternal);
    }
    roots.fingerprints_.push_back(fp);
  }
  return roots;
}

bool TrustedRoots::IsTrusted(X509* cert) const {
  const std::string fp = CertFingerprint(cert);
  for (const auto& f : fingerprints_) {
    if (f == fp) return true;
  }
  return false;
}

absl::StatusOr<SgxExtensions> ParseSgxExtensions(X509* pck) {
  ASN1_OBJECT* obj = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
  const int idx = X509_get_ext_by_OBJ(pck, obj, -1);
  ASN1_OBJECT_free(obj);
  if (idx < 0) {
    return absl::InvalidArgumentError(
        "PCK certificate has no SGX extension (1.2.840.113741.1.13.1)");
  }
  X509_EXTENSION* ext = X509_get_ext(pck, idx);
  const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(ext);
  return ParseSgxExtensionsDer(
      absl::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                        static_cast<size_t>(ASN1_STRING_length(data))));
}

absl::StatusOr<SgxExtensions> ParseSgxExtensionsDer(absl::string_view der) {
  SgxExtensions ext;
  COCOON_ASSIGN_OR_RETURN(Tlv top, ReadTlv(&der, "top-level SEQUENCE"));
  if (top.tag != 0x30) return absl::InvalidArgumentError("PCK SGX extension: not a SEQUENCE");
  bool have_ppid = false, have_tcb = false, have_pceid = false, have_fmspc = false,
       have_type = false;
  absl::string_view items = top.value;
  while (!items.empty()) {
    COCOON_ASSIGN_OR_RETURN(Tlv item, ReadTlv(&items, "element"));
    if (item.tag != 0x30)
      return absl::InvalidArgumentError("PCK SGX extension: element is not a SEQUENCE");
    absl::string_view body = item.value;
    COCOON_ASSIGN_OR_RETURN(Tlv oid, ReadTlv(&body, "element OID"));
    if (oid.tag != 0x06) return absl::InvalidArgumentError("PCK SGX extension: element has no OID");
    COCOON_ASSIGN_OR_RETURN(Tlv value, ReadTlv(&body, "element value"));
    const int arc = ChildArc(oid.value, kSgxExtOid);
    switch (arc) {
      case 1: {
        COCOON_ASSIGN_OR_RETURN(ext.ppid, DerOctets(value, 16, "PPID"));
        have_ppid = true;
        break;
      }
      case 2: {
        if (value.tag != 0x30)
          return absl::InvalidArgumentError("PCK SGX extension: TCB is not a SEQUENCE");
        const std::string tcb_prefix = absl::StrCat(kSgxExtOid, "\x02");
        absl::string_view comps = value.value;
        int count = 0;
        uint32_t seen = 0;
        while (!comps.empty()) {
          COCOON_ASSIGN_OR_RETURN(Tlv c, ReadTlv(&comps, "TCB component"));
          absl::string_view cb = c.value;
          COCOON_ASSIGN_OR_RETURN(Tlv coid, ReadTlv(&cb, "TCB component OID"));
          COCOON_ASSIGN_OR_RETURN(Tlv cval, ReadTlv(&cb, "TCB component value"));
          const int n = ChildArc(coid.value, tcb_prefix);
          if (n >= 1 && n <= 16) {
            COCOON_ASSIGN_OR_RETURN(uint64_t svn, DerUint(cval, absl::StrCat("TCB COMP", n)));
            if (svn > 255)
              return absl::InvalidArgumentError("PCK SGX extension: component SVN above 255");
            ext.cpu_svn_components[n - 1] = static_cast<uint8_t>(svn);
          } else if (n == 17) {
            COCOON_ASSIGN_OR_RETURN(uint64_t v, DerUint(cval, "PCESVN"));
            if (v > 0xffff)
              return absl::InvalidArgumentError("PCK SGX extension: PCESVN too large");
            ext.pcesvn = static_cast<uint16_t>(v);
          } else if (n == 18) {
            COCOON_ASSIGN_OR_RETURN(ext.cpusvn, DerOctets(cval, 16, "CPUSVN"));
          } else {
            return absl::InvalidArgumentError("PCK SGX extension: unknown TCB element");
          }
          seen |= 1u << n;
          ++count;
        }
        if (count != 18 || seen != 0x7fffeu) {
          return absl::InvalidArgumentError(
              "PCK SGX extension: TCB must hold exactly the 18 components");
        }
        have_tcb = true;
        break;
      }
      case 3: {
        COCOON_ASSIGN_OR_RETURN(ext.pce_id, DerOctets(value, 2, "PCE-ID"));
        have_pceid = true;
        break;
      }
      case 4: {
        COCOON_ASSIGN_OR_RETURN(ext.fmspc, DerOctets(value, 6, "FMSPC"));
        have_fmspc = true;
        break;
      }
      case 5: {
        COCOON_ASSIGN_OR_RETURN(uint64_t t, DerUint(value, "SGX type"));
        if (t > 2) return absl::InvalidArgumentError("PCK SGX extension: unknown SGX type");
        ext.sgx_type = static_cast<int>(t);
        have_type = true;
        break;
      }
      case 6: {
        COCOON_ASSIGN_OR_RETURN(ext.platform_instance_id,
                                DerOctets(value, 16, "platform instance id"));
        break;
      }
      case 7: {
        if (value.tag != 0x30)
          return absl::InvalidArgumentError("PCK SGX extension: configuration is not a SEQUENCE");
        const std::string cfg_prefix = absl::StrCat(kSgxExtOid, "\x07");
        absl::string_view cfgs = value.value;
        while (!cfgs.empty()) {
          COCOON_ASSIGN_OR_RETURN(Tlv c, ReadTlv(&cfgs, "configuration element"));
          absl::string_view cb = c.value;
          COCOON_ASSIGN_OR_RETURN(Tlv coid, ReadTlv(&cb, "configuration OID"));
          COCOON_ASSIGN_OR_RETURN(Tlv cval, ReadTlv(&cb, "configuration value"));
          COCOON_ASSIGN_OR_RETURN(bool b, DerBool(cval, "configuration flag"));
          switch (ChildArc(coid.value, cfg_prefix)) {
            case 1:
              ext.dynamic_platform = b;
              break;
            case 2:
              ext.cached_keys = b;
              break;
            case 3:
              ext.smt_enabled = b;
              break;
            default:
              break;
          }
        }
        break;
      }
      default:
        break;  // unknown elements are ignored
    }
  }
  if (!have_ppid || !have_tcb || !have_pceid || !have_fmspc || !have_type) {
    return absl::InvalidArgumentError(
        "PCK SGX extension: missing PPID, TCB, PCE-ID, FMSPC or SGX type");
  }
  return ext;
}

namespace {

struct VerifyState {
  bool expired = false;
};

int VerifyCallback(int ok, X509_STORE_CTX* ctx) {
  if (ok) return ok;
  const int err = X509_STORE_CTX_get_error(ctx);
  if (err == X509_V_ERR_CERT_HAS_EXPIRED || err == X509_V_ERR_CRL_HAS_EXPIRED) {
    auto* state = static_cast<VerifyState*>(X509_STORE_CTX_get_app_data(ctx));
    if (state != nullptr) state->expired = true;
    return 1;
  }
  return ok;
}

}  // namespace

absl::StatusOr<ChainCheck> VerifyCertChain(X509* leaf, const std::vector<X509*>& intermediates,
                                           const std::vector<X509_CRL*>& crls,
                                           const TrustedRoots& roots, absl::Time at,
                                           absl::string_view what, absl::string_view leaf_name,
                                           absl::string_view intermediate_name, bool check_time) {
  struct StackX509Free {
    void operator()(STACK_OF(X509) * s) const { sk_X509_free(s); }
  };
  struct StackCrlFree {
    void operator()(STACK_OF(X509_CRL) * s) const { sk_X509_CRL_free(s); }
  };
  using StackX509 = std::unique_ptr<STACK_OF(X509), StackX509Free>;
  using StackCrl = std::unique_ptr<STACK_OF(X509_CRL), StackCrlFree>;
  StackX509 untrusted(sk_X509_new_null());
  StackCrl crl_stack(sk_X509_CRL_new_null());
  if (!untrusted || !crl_stack) return OsslError("allocation", absl::StatusCode::kInternal);
  for (X509* c : intermediates) sk_X509_push(untrusted.get(), c);
  for (X509_CRL* c : crls) sk_X509_CRL_push(crl_stack.get(), c);
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), roots.store(), leaf, untrusted.get()) != 1) {
    return OsslError("X509_STORE_CTX_init", absl::StatusCode::kInternal);
  }
  X509_STORE_CTX_set0_crls(ctx.get(), crl_stack.get());
  VerifyState state;
  X509_STORE_CTX_set_app_data(ctx.get(), &state);
  X509_STORE_CTX_set_verify_cb(ctx.get(), VerifyCallback);
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  if (check_time) X509_VERIFY_PARAM_set_time(param, absl::ToTimeT(at));
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
  if (!check_time) X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_NO_CHECK_TIME);
  if (X509_verify_cert(ctx.get()) != 1) {
    const int err = X509_STORE_CTX_get_error(ctx.get());
    const int depth = X509_STORE_CTX_get_error_depth(ctx.get());
    ERR_clear_error();
    const absl::string_view who = depth == 0 ? leaf_name : intermediate_name;
    switch (err) {
      case X509_V_ERR_CERT_REVOKED:
        return absl::PermissionDeniedError(absl::StrCat(what, ": ", who, " is revoked"));
      case X509_V_ERR_UNABLE_TO_GET_CRL:
        return absl::FailedPreconditionError(
            absl::StrCat(what, ": no CRL available for the issuer of the ", who));
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
      case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
        return absl::PermissionDeniedError(absl::StrCat(what,
                                                        ": chain does not lead to a trusted root (",
                                                        X509_verify_cert_error_string(err), ")"));
      default:
        return absl::PermissionDeniedError(
            absl::StrCat(what, ": ", who, ": ", X509_verify_cert_error_string(err)));
    }
  }
  ChainCheck out;
  out.expired = state.expired;
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx.get());
  for (int i = 0; i < sk_X509_num(chain); ++i) {
    X509* c = sk_X509_value(chain, i);
    out.chain.push_back(c);
    out.earliest_expiration =
        std::min(out.earliest_expiration, Asn1TimeToAbsl(X509_get0_notAfter(c)));
  }
  for (X509_CRL* c : crls) {
    out.earliest_expiration =
        std::min(out.earliest_expiration, Asn1TimeToAbsl(X509_CRL_get0_nextUpdate(c)));
  }
  if (check_time && at > out.earliest_expiration) out.expired = true;
  return out;
}

}  // namespace cocoon::attestation::dcap
