#include "test_pki.h"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "attestation/dcap/collateral.h"
#include "base/encoding.h"
#include "crypto/stream_cipher.h"
#include "gtest/gtest.h"

namespace cocoon::attestation::testing {
namespace {

EvpPkeyPtr NewP256() { return EvpPkeyPtr(EVP_EC_gen("P-256")); }

X509_NAME* Name(absl::string_view cn) {
  X509_NAME* n = X509_NAME_new();
  X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(std::string(cn).c_str()), -1,
                             -1, 0);
  X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("cocoon test"), -1, -1, 0);
  return n;
}

void AddExt(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  ASSERT_NE(ext, nullptr);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

std::string Tlv(uint8_t tag, absl::string_view value) {
  std::string out(1, static_cast<char>(tag));
  if (value.size() < 128) {
    out.push_back(static_cast<char>(value.size()));
  } else if (value.size() < 256) {
    out += "\x81";
    out.push_back(static_cast<char>(value.size()));
  } else {
    out += "\x82";
    out.push_back(static_cast<char>(value.size() >> 8));
    out.push_back(static_cast<char>(value.size() & 0xff));
  }
  return out + std::string(value);
}

std::string Oid(absl::string_view suffix) {
  return Tlv(0x06,
             absl::StrCat(absl::string_view("\x2a\x86\x48\x86\xf8\x4d\x01\x0d\x01", 9), suffix));
}

std::string DerInt(unsigned v) {
  std::string b;
  if (v == 0) b.push_back('\0');
  while (v > 0) {
    b.insert(b.begin(), static_cast<char>(v & 0xff));
    v >>= 8;
  }
  if (static_cast<uint8_t>(b[0]) & 0x80) b.insert(b.begin(), '\0');
  return Tlv(0x02, b);
}

std::string SgxExtensionDer(const PkiOptions& o) {
  std::string tcb;
  std::string cpusvn;
  for (int i = 0; i < 16; ++i) {
    tcb +=
        Tlv(0x30, Oid(std::string{'\x02', static_cast<char>(i + 1)}) + DerInt(o.pck_components[i]));
    cpusvn.push_back(static_cast<char>(o.pck_components[i]));
  }
  tcb += Tlv(0x30, Oid("\x02\x11") + DerInt(o.pcesvn));
  tcb += Tlv(0x30, Oid("\x02\x12") + Tlv(0x04, cpusvn));
  std::string items;
  items += Tlv(0x30, Oid("\x01") + Tlv(0x04, std::string(16, '\x42')));
  items += Tlv(0x30, Oid("\x02") + Tlv(0x30, tcb));
  items += Tlv(0x30, Oid("\x03") + Tlv(0x04, std::string(2, '\0')));
  items += Tlv(0x30, Oid("\x04") + Tlv(0x04, o.fmspc));
  items += Tlv(0x30, Oid("\x05") + Tlv(0x0a, std::string(1, '\x01')));
  items += Tlv(0x30, Oid("\x06") + Tlv(0x04, std::string(16, '\x77')));
  items +=
      Tlv(0x30, Oid("\x07") +
                    Tlv(0x30, Tlv(0x30, Oid("\x07\x01") + Tlv(0x01, "\xff")) +
                                  Tlv(0x30, Oid("\x07\x02") + Tlv(0x01, "\xff")) +
                                  Tlv(0x30, Oid("\x07\x03") + Tlv(0x01, std::string(1, '\0')))));
  return Tlv(0x30, items);
}

X509Ptr MakeCert(absl::string_view cn, long serial, EVP_PKEY* key, X509* issuer,
                 EVP_PKEY* issuer_key, absl::Time nb, absl::Time na, bool ca,
                 const std::string* sgx_ext) {
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_NAME* subject = Name(cn);
  X509_set_subject_name(cert.get(), subject);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : subject);
  X509_NAME_free(subject);
  ASN1_TIME_set(X509_getm_notBefore(cert.get()), absl::ToTimeT(nb));
  ASN1_TIME_set(X509_getm_notAfter(cert.get()), absl::ToTimeT(na));
  X509_set_pubkey(cert.get(), key);
  X509* iss = issuer ? issuer : cert.get();
  AddExt(cert.get(), iss, NID_subject_key_identifier, "hash");
  AddExt(cert.get(), iss, NID_authority_key_identifier, "keyid:always");
  if (ca) {
    AddExt(cert.get(), iss, NID_basic_constraints, "critical,CA:TRUE");
    AddExt(cert.get(), iss, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    AddExt(cert.get(), iss, NID_basic_constraints, "critical,CA:FALSE");
    AddExt(cert.get(), iss, NID_key_usage, "critical,digitalSignature,nonRepudiation");
  }
  if (sgx_ext != nullptr) {
    ASN1_OBJECT* obj = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
    ASN1_OCTET_STRING* os = ASN1_OCTET_STRING_new();
    ASN1_OCTET_STRING_set(os, reinterpret_cast<const unsigned char*>(sgx_ext->data()),
                          static_cast<int>(sgx_ext->size()));
    X509_EXTENSION* ext = X509_EXTENSION_create_by_OBJ(nullptr, obj, 0, os);
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(os);
    ASN1_OBJECT_free(obj);
  }
  X509_sign(cert.get(), issuer_key, EVP_sha256());
  return cert;
}

std::string Pem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(len));
  BIO_free(bio);
  return out;
}

std::string Crl(X509* issuer, EVP_PKEY* key, const std::vector<long>& serials, absl::Time tu,
                absl::Time nu) {
  X509_CRL* crl = X509_CRL_new();
  X509_CRL_set_version(crl, 1);
  X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer));
  ASN1_TIME* t = ASN1_TIME_new();
  ASN1_TIME_set(t, absl::ToTimeT(tu));
  X509_CRL_set1_lastUpdate(crl, t);
  ASN1_TIME_set(t, absl::ToTimeT(nu));
  X509_CRL_set1_nextUpdate(crl, t);
  for (long s : serials) {
    X509_REVOKED* r = X509_REVOKED_new();
    ASN1_INTEGER* serial = ASN1_INTEGER_new();
    ASN1_INTEGER_set(serial, s);
    X509_REVOKED_set_serialNumber(r, serial);
    ASN1_TIME_set(t, absl::ToTimeT(tu));
    X509_REVOKED_set_revocationDate(r, t);
    X509_CRL_add0_revoked(crl, r);
    ASN1_INTEGER_free(serial);
  }
  ASN1_TIME_free(t);
  ASN1_INTEGER* num = ASN1_INTEGER_new();
  ASN1_INTEGER_set(num, 7);
  X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0);
  ASN1_INTEGER_free(num);
  X509_CRL_sort(crl);
  X509_CRL_sign(crl, key, EVP_sha256());
  unsigned char* der = nullptr;
  const int len = i2d_X509_CRL(crl, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  X509_CRL_free(crl);
  return out;
}

std::string SignRaw(EVP_PKEY* key, absl::string_view data) {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  EVP_DigestSignInit(md, nullptr, EVP_sha256(), nullptr, key);
  size_t len = 0;
  EVP_DigestSign(md, nullptr, &len, reinterpret_cast<const unsigned char*>(data.data()),
                 data.size());
  std::string der(len, '\0');
  EVP_DigestSign(md, reinterpret_cast<unsigned char*>(der.data()), &len,
                 reinterpret_cast<const unsigned char*>(data.data()), data.size());
  der.resize(len);
  EVP_MD_CTX_free(md);
  auto raw = EcdsaDerToRaw(der, 32);
  EXPECT_TRUE(raw.ok());
  return raw.ok() ? *raw : "";
}

std::string RawXY(EVP_PKEY* key) {
  unsigned char buf[65];
  size_t len = 0;
  EVP_PKEY_get_octet_string_param(key, "pub", buf, sizeof(buf), &len);
  return std::string(reinterpret_cast<char*>(buf) + 1, 64);
}

void PutU16(std::string* s, uint16_t v) {
  s->push_back(static_cast<char>(v & 0xff));
  s->push_back(static_cast<char>(v >> 8));
}
void PutU32(std::string* s, uint32_t v) {
  for (int i = 0; i < 4; ++i) s->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::string Hex(absl::string_view b) { return HexEncode(b); }

}  // namespace

TestPki::TestPki(const PkiOptions& o) : options_(o) {
  root_key_ = NewP256();
  inter_key_ = NewP256();
  pck_key_ = NewP256();
  tcb_key_ = NewP256();
  root_ = MakeCert("Test SGX Root CA", 1, root_key_.get(), nullptr, root_key_.get(), o.not_before,
                   o.not_after, true, nullptr);
  inter_ = MakeCert("Test SGX PCK Platform CA", intermediate_serial(), inter_key_.get(),
                    root_.get(), root_key_.get(), o.not_before, o.not_after, true, nullptr);
  const std::string ext = SgxExtensionDer(o);
  pck_ = MakeCert("Test SGX PCK Certificate", pck_serial(), pck_key_.get(), inter_.get(),
                  inter_key_.get(), o.not_before, o.pck_not_after, false, &ext);
  tcb_ = MakeCert("Test SGX TCB Signing", 0x33, tcb_key_.get(), root_.get(), root_key_.get(),
                  o.not_before, o.not_after, false, nullptr);
}

std::string TestPki::root_pem() const { return Pem(root_.get()); }
std::string TestPki::intermediate_pem() const { return Pem(inter_.get()); }
std::string TestPki::pck_pem() const { return Pem(pck_.get()); }
std::string TestPki::tcb_signing_pem() const { return Pem(tcb_.get()); }
std::string TestPki::pck_chain_pem() const {
  return absl::StrCat(pck_pem(), intermediate_pem(), root_pem(), std::string(1, '\0'));
}

std::string TestPki::RootCrl(const std::vector<long>& serials, absl::Time tu, absl::Time nu) const {
  if (tu == absl::Time()) tu = absl::FromUnixSeconds(1740000000);
  if (nu == absl::Time()) nu = absl::FromUnixSeconds(1790000000);
  return Crl(root_.get(), root_key_.get(), serials, tu, nu);
}
std::string TestPki::PckCrl(const std::vector<long>& serials, absl::Time tu, absl::Time nu) const {
  if (tu == absl::Time()) tu = absl::FromUnixSeconds(1749000000);
  if (nu == absl::Time()) nu = absl::FromUnixSeconds(1752592000);
  return Crl(inter_.get(), inter_key_.get(), serials, tu, nu);
}
std::string TestPki::SignWithTcbKey(absl::string_view data) const {
  return SignRaw(tcb_key_.get(), data);
}
std::string TestPki::SignWithPckKey(absl::string_view data) const {
  return SignRaw(pck_key_.get(), data);
}

std::string BuildQuote(const TestPki& pki, const QuoteSpec& spec, QuoteLayout* layout) {
  EvpPkeyPtr att_key(EVP_EC_gen("P-256"));
  std::string q;
  PutU16(&q, static_cast<uint16_t>(spec.version));
  PutU16(&q, 2);
  PutU32(&q, 0x81);
  PutU32(&q, 0);
  q += std::string("\x93\x9a\x72\x33\xf7\x9c\x4c\xa9\x94\x0a\x0d\xb3\x95\x7f\x06\x07", 16);
  q += std::string(16, '\x01') + std::string(4, '\0');
  if (spec.version == 5) {
    PutU16(&q, static_cast<uint16_t>(spec.body_type));
    PutU32(&q, spec.body_type == 3 ? 648 : 584);
  }
  const size_t body_offset = q.size();
  for (uint8_t b : spec.tee_tcb_svn) q.push_back(static_cast<char>(b));
  q += std::string(48, '\x5e');  // mr_seam
  q += std::string(48, '\0');    // mrsigner_seam
  q += std::string(8, '\0');     // seam_attributes
  q += spec.td_attributes;
  q += std::string("\xe7\x18\x06\x00\x00\x00\x00\x00", 8);  // xfam
  q += spec.mr_td;
  q += spec.mr_config_id;
  q += std::string(48, '\0');  // mr_owner
  q += std::string(48, '\0');  // mr_owner_config
  for (const auto& r : spec.rtmr) q += r;
  q += spec.report_data;
  if (spec.version == 5 && spec.body_type == 3) {
    for (uint8_t b : spec.tee_tcb_svn2) q.push_back(static_cast<char>(b));
    q += std::string(48, '\0');
  }
  const std::string signed_region = q;
  const std::string att_xy = RawXY(att_key.get());
  const std::string auth_data = std::string(
      "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c"
      "\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19"
      "\x1a\x1b\x1c\x1d\x1e\x1f",
      32);
  // QE report.
  std::string rep;
  rep += std::string(16, '\x03');  // cpu_svn
  PutU32(&rep, 0);                 // misc_select
  rep += std::string(28, '\0');
  rep += std::string("\x11\x00\x00\x00\x00\x00\x00\x00\xe7\x00\x00\x00\x00\x00\x00\x00", 16);
  rep += std::string(32, '\x4e');  // mr_enclave
  rep += std::string(32, '\0');
  rep += spec.qe_mrsigner;
  rep += std::string(96, '\0');
  PutU16(&rep, spec.qe_isvprodid);
  PutU16(&rep, spec.qe_isvsvn);
  rep += std::string(60, '\0');
  rep += crypto::Sha256(att_xy + auth_data) + std::string(32, '\0');
  const std::string chain = pki.pck_chain_pem();
  std::string cert;
  cert += rep;
  cert += pki.SignWithPckKey(rep);
  PutU16(&cert, 32);
  cert += auth_data;
  PutU16(&cert, 5);
  PutU32(&cert, static_cast<uint32_t>(chain.size()));
  cert += chain;
  std::string sig;
  sig += SignRaw(att_key.get(), signed_region);
  sig += att_xy;
  PutU16(&sig, 6);
  PutU32(&sig, static_cast<uint32_t>(cert.size()));
  sig += cert;
  PutU32(&q, static_cast<uint32_t>(sig.size()));
  const size_t sig_off = q.size();
  q += sig;
  q += std::string(spec.padding, '\0');
  if (layout != nullptr) {
    layout->body_offset = body_offset;
    layout->signature_offset = sig_off;
    layout->attestation_key_offset = sig_off + 64;
    layout->qe_report_offset = sig_off + 134;
    layout->qe_report_signature_offset = sig_off + 134 + 384;
    layout->qe_auth_data_offset = sig_off + 134 + 384 + 64 + 2;
    layout->pck_chain_offset = layout->qe_auth_data_offset + 32 + 6;
  }
  return q;
}

dcap::Collateral BuildCollateral(const TestPki& pki, const CollateralSpec& spec) {
  const PkiOptions& o = pki.options();
  auto comps = [](const std::array<uint8_t, 16>& v) {
    std::string s = "[";
    for (size_t i = 0; i < 16; ++i) {
      absl::StrAppend(&s, i ? "," : "", "{\"svn\":", v[i], "}");
    }
    return s + "]";
  };
  std::array<uint8_t, 16> sgx1 = o.pck_components;
  std::array<uint8_t, 16> zero{};
  std::array<uint8_t, 16> tdx1{};
  tdx1[2] = 2;
  uint16_t pcesvn1 = o.pcesvn;
  uint16_t pcesvn2 = 0;
  if (spec.not_supported) {
    sgx1[7] = static_cast<uint8_t>(sgx1[7] + 1);
    zero[7] = static_cast<uint8_t>(o.pck_components[7] + 1);
    pcesvn2 = 0;
  }
  const std::string issue = dcap::FormatRfc3339(spec.issue);
  const std::string next = dcap::FormatRfc3339(spec.next_update);
  const std::string zero48 = Hex(std::string(48, '\0'));
  std::string tcb = absl::StrCat(
      R"({"id":"TDX","version":3,"issueDate":")", issue, R"(","nextUpdate":")", next,
      R"(","fmspc":")", absl::AsciiStrToUpper(Hex(spec.fmspc)),
      R"(","pceId":"0000","tcbType":0,"tcbEvaluationDataNumber":17,"tdxModule":{"mrsigner":")",
      zero48, R"(","attributes":"0000000000000000","attributesMask":"FFFFFFFFFFFFFFFF"})");
  if (spec.with_module_identities) {
    absl::StrAppend(&tcb, R"(,"tdxModuleIdentities":[{"id":"TDX_01","mrsigner":")", zero48,
                    R"(","attributes":"0000000000000000","attributesMask":"FFFFFFFFFFFFFFFF",)",
                    R"("tcbLevels":[{"tcb":{"isvsvn":3},"tcbDate":"2024-03-13T00:00:00Z",)",
                    R"("tcbStatus":")", spec.module_status, R"("},)",
                    R"({"tcb":{"isvsvn":0},"tcbDate":"2023-08-09T00:00:00Z",)",
                    R"("tcbStatus":"OutOfDate","advisoryIDs":["INTEL-SA-00960"]}]}])");
  }
  absl::StrAppend(&tcb, R"(,"tcbLevels":[{"tcb":{"sgxtcbcomponents":)", comps(sgx1),
                  R"(,"pcesvn":)", pcesvn1, R"(,"tdxtcbcomponents":)", comps(tdx1),
                  R"(},"tcbDate":"2024-03-13T00:00:00Z","tcbStatus":")", spec.platform_status,
                  R"("},{"tcb":{"sgxtcbcomponents":)", comps(zero), R"(,"pcesvn":)", pcesvn2,
                  R"(,"tdxtcbcomponents":)", comps(std::array<uint8_t, 16>{}),
                  R"(},"tcbDate":"2018-01-04T00:00:00Z","tcbStatus":"OutOfDate",)",
                  R"("advisoryIDs":["INTEL-SA-00086"]}]})");
  std::string qe = absl::StrCat(
      R"({"id":"TD_QE","version":2,"issueDate":")", issue, R"(","nextUpdate":")", next,
      R"(","tcbEvaluationDataNumber":17,"miscselect":"00000000","miscselectMask":"FFFFFFFF",)",
      R"("attributes":"11000000000000000000000000000000",)",
      R"("attributesMask":"FBFFFFFFFFFFFFFF0000000000000000","mrsigner":")",
      absl::AsciiStrToUpper(Hex(spec.qe_mrsigner)),
      R"(","isvprodid":2,"tcbLevels":[{"tcb":{"isvsvn":4},"tcbDate":"2024-03-13T00:00:00Z",)",
      R"("tcbStatus":")", spec.qe_status,
      R"("},{"tcb":{"isvsvn":0},"tcbDate":"2018-08-15T00:00:00Z","tcbStatus":"OutOfDate"}]})");
  dcap::Collateral c;
  c.tcb_info_body = tcb;
  c.tcb_info_signature = pki.SignWithTcbKey(tcb);
  c.qe_identity_body = qe;
  c.qe_identity_signature = pki.SignWithTcbKey(qe);
  c.tcb_info_issuer_chain = pki.tcb_signing_pem() + pki.root_pem();
  c.qe_identity_issuer_chain = c.tcb_info_issuer_chain;
  c.pck_crl_issuer_chain = pki.intermediate_pem() + pki.root_pem();
  c.pck_crl = pki.PckCrl(spec.revoked_pck_serials);
  c.root_ca_crl = pki.RootCrl(spec.revoked_root_serials);
  return c;
}

}  // namespace cocoon::attestation::testing

namespace cocoon::attestation::testing {
namespace {

void PutBe16(std::string* s, uint16_t v) {
  s->push_back(static_cast<char>(v >> 8));
  s->push_back(static_cast<char>(v & 0xff));
}

std::string RsaSign(EVP_PKEY* key, absl::string_view data) {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  EVP_DigestSignInit(md, &pctx, EVP_sha256(), nullptr, key);
  EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING);
  size_t len = 0;
  EVP_DigestSign(md, nullptr, &len, reinterpret_cast<const unsigned char*>(data.data()),
                 data.size());
  std::string sig(len, '\0');
  EVP_DigestSign(md, reinterpret_cast<unsigned char*>(sig.data()), &len,
                 reinterpret_cast<const unsigned char*>(data.data()), data.size());
  sig.resize(len);
  EVP_MD_CTX_free(md);
  return sig;
}

std::string BnParam(EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  EVP_PKEY_get_bn_param(key, name, &bn);
  std::string out(static_cast<size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  BN_free(bn);
  return out;
}

}  // namespace

std::string BuildAzEvidence(const TestPki& pki, absl::string_view nonce, int version,
                            absl::string_view user_data, absl::string_view init_data_hash,
                            AzEvidenceParts* parts) {
  EvpPkeyPtr ak(EVP_RSA_gen(2048));
  const std::string n = Base64UrlEncode(BnParam(ak.get(), "n"));
  const std::string e = Base64UrlEncode(BnParam(ak.get(), "e"));
  const std::string var = absl::StrCat(
      R"({"keys":[{"kid":"HCLAkPub","key_ops":["sign"],"kty":"RSA","e":")", e, R"(","n":")", n,
      R"("}],"vm-configuration":{"console-enabled":true,"secure-boot":true,"tpm-enabled":true},)",
      R"("user-data":")", HexEncode(user_data), R"("})");
  const std::string var_hash = crypto::Sha256(var);
  // HCL report with a TDREPORT whose REPORTDATA binds the variable data.
  std::string td(1184, '\0');
  td[0] = static_cast<char>(0x81);
  td.replace(128, 32, var_hash);
  std::string hcl = "HCLA";
  PutU32(&hcl, 2);
  PutU32(&hcl, static_cast<uint32_t>(1236 + var.size()));
  PutU32(&hcl, 2);
  PutU32(&hcl, 0);
  hcl += std::string(12, '\0');
  hcl += td;
  PutU32(&hcl, static_cast<uint32_t>(20 + var.size()));
  PutU32(&hcl, 1);
  PutU32(&hcl, 4);
  PutU32(&hcl, 1);
  PutU32(&hcl, static_cast<uint32_t>(var.size()));
  hcl += var;
  hcl.resize(std::max<size_t>(hcl.size(), 2600), '\0');
  QuoteSpec qs;
  qs.report_data = var_hash + std::string(32, '\0');
  qs.td_attributes = std::string(8, '\0');
  const std::string quote = BuildQuote(pki, qs);
  // 24 SHA-256 PCRs; PCR 8 carries the init data when given.
  std::vector<std::string> pcrs;
  for (int i = 0; i < 24; ++i) pcrs.push_back(std::string(32, static_cast<char>(i)));
  if (!init_data_hash.empty()) {
    pcrs[8] = crypto::Sha256(std::string(32, '\0') + std::string(init_data_hash));
  }
  std::string concat;
  for (const auto& p : pcrs) concat += p;
  std::string msg = std::string("\xff\x54\x43\x47\x80\x18", 6);
  PutBe16(&msg, 34);
  msg += std::string("\x00\x0b", 2) + std::string(32, '\x0a');
  PutBe16(&msg, static_cast<uint16_t>(nonce.size()));
  msg += std::string(nonce);
  msg += std::string("\x00\x00\x00\x00\x15\x25\x67\x85\x00\x00\x00\x01\x00\x00\x00\x00\x01", 17);
  msg += std::string("\x20\x20\x03\x12\x00\x12\x00\x03", 8);
  msg += std::string("\x00\x00\x00\x01\x00\x0b\x03\xff\xff\xff", 10);
  PutBe16(&msg, 32);
  msg += crypto::Sha256(concat);
  const std::string sig = RsaSign(ak.get(), msg);
  std::string pcr_json;
  for (size_t i = 0; i < pcrs.size(); ++i) {
    absl::StrAppend(&pcr_json, i ? "," : "", "\"", HexEncode(pcrs[i]), "\"");
  }
  if (parts != nullptr) {
    *parts = {var, hcl, quote, msg, sig, pcrs};
  }
  std::string out = "{";
  if (version > 0) absl::StrAppend(&out, "\"version\":", version, ",");
  absl::StrAppend(&out, R"("tpm_quote":{"signature":")", HexEncode(sig), R"(","message":")",
                  HexEncode(msg), R"(","pcrs":[)", pcr_json, R"(]},"hcl_report":")",
                  Base64Encode(hcl, Base64Alphabet::kUrl, true), R"(","td_quote":")",
                  Base64Encode(quote, Base64Alphabet::kUrl, true), "\"}");
  return out;
}

}  // namespace cocoon::attestation::testing
