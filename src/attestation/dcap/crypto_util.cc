#include "attestation/dcap/crypto_util.h"

#include <openssl/core_names.h>
#include <openssl/rsa.h>

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <cstring>

#include <ctime>

#include "absl/strings/str_cat.h"

namespace cocoon::attestation {

absl::Status OsslError(absl::string_view what, absl::StatusCode code) {
  std::string reason;
  unsigned long err;
  while ((err = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(err, buf, sizeof(buf));
    if (reason.empty()) reason = buf;
  }
  if (reason.empty()) return absl::Status(code, std::string(what));
  return absl::Status(code, absl::StrCat(what, ": ", reason));
}

absl::StatusOr<EvpPkeyPtr> P256KeyFromXY(absl::string_view xy) {
  if (xy.size() != 64) {
    return absl::InvalidArgumentError("P-256 public key must be 64 bytes (X||Y)");
  }
  unsigned char point[65];
  point[0] = 0x04;
  std::memcpy(point + 1, xy.data(), 64);
  OSSL_PARAM params[3];
  char group[] = "prime256v1";
  params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
  params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point));
  params[2] = OSSL_PARAM_construct_end();
  crypto::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* pkey = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
    return OsslError("invalid P-256 public key");
  }
  return EvpPkeyPtr(pkey);
}

absl::StatusOr<EvpPkeyPtr> RsaKeyFromNumbers(absl::string_view n, absl::string_view e) {
  crypto::BnPtr bn_n(BN_bin2bn(crypto::Uc(n), static_cast<int>(n.size()), nullptr));
  crypto::BnPtr bn_e(BN_bin2bn(crypto::Uc(e), static_cast<int>(e.size()), nullptr));
  crypto::OsslParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bn_n || !bn_e || !bld ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get())) {
    return OsslError("building RSA key", absl::StatusCode::kInternal);
  }
  crypto::OsslParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  crypto::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* pkey = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0) {
    return OsslError("invalid RSA public key");
  }
  return EvpPkeyPtr(pkey);
}

absl::StatusOr<std::string> EcdsaRawToDer(absl::string_view raw) {
  if (raw.empty() || raw.size() % 2 != 0) {
    return absl::InvalidArgumentError("raw ECDSA signature has an odd or zero length");
  }
  const size_t half = raw.size() / 2;
  BIGNUM* r = BN_bin2bn(crypto::Uc(raw), static_cast<int>(half), nullptr);
  BIGNUM* s = BN_bin2bn(crypto::Uc(raw.substr(half)), static_cast<int>(half), nullptr);
  crypto::EcdsaSigPtr sig(ECDSA_SIG_new());
  if (r == nullptr || s == nullptr || !sig || !ECDSA_SIG_set0(sig.get(), r, s)) {
    BN_free(r);
    BN_free(s);
    return OsslError("ECDSA signature conversion", absl::StatusCode::kInternal);
  }
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig.get(), &der);
  if (len <= 0) return OsslError("ECDSA signature encoding", absl::StatusCode::kInternal);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

absl::StatusOr<std::string> EcdsaDerToRaw(absl::string_view der, size_t field_size) {
  const unsigned char* p = crypto::Uc(der);
  crypto::EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) return OsslError("invalid DER ECDSA signature");
  std::string out(2 * field_size, '\0');
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  if (BN_bn2binpad(r, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(field_size)) <
          0 ||
      BN_bn2binpad(s, reinterpret_cast<unsigned char*>(out.data() + field_size),
                   static_cast<int>(field_size)) < 0) {
    return absl::InvalidArgumentError("ECDSA signature component too large");
  }
  return out;
}

namespace {

absl::Status DigestVerify(EVP_PKEY* key, absl::string_view data, absl::string_view sig,
                          absl::string_view what, bool pkcs1) {
  // Fetched once: implicit fetches by name cost more than the verification itself.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  crypto::EvpMdCtxPtr md(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!md || EVP_DigestVerifyInit(md.get(), &pctx, sha256, nullptr, key) <= 0) {
    return OsslError(absl::StrCat(what, ": verifier set-up"), absl::StatusCode::kInternal);
  }
  if (pkcs1 && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0) {
    return OsslError(absl::StrCat(what, ": verifier set-up"), absl::StatusCode::kInternal);
  }
  const int rc =
      EVP_DigestVerify(md.get(), crypto::Uc(sig), sig.size(), crypto::Uc(data), data.size());
  if (rc != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat(what, ": signature does not verify"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status VerifyEcdsaP256Raw(EVP_PKEY* key, absl::string_view data, absl::string_view sig,
                                absl::string_view what) {
  if (sig.size() != 64) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": signature is not 64 bytes"));
  }
  auto der = EcdsaRawToDer(sig);
  if (!der.ok()) return der.status();
  return DigestVerify(key, data, *der, what, false);
}

absl::Status VerifyRsaPkcs1Sha256(EVP_PKEY* key, absl::string_view data, absl::string_view sig,
                                  absl::string_view what) {
  return DigestVerify(key, data, sig, what, true);
}

absl::Time Asn1TimeToAbsl(const ASN1_TIME* t) {
  struct tm tm {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return absl::InfinitePast();
  return absl::FromTimeT(timegm(&tm));
}

}  // namespace cocoon::attestation
