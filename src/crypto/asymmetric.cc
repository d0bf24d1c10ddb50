#include "crypto/asymmetric.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <climits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "crypto/openssl_util.h"
#include "crypto/ossl_ptr.h"
#include "crypto/stream_cipher.h"

namespace cocoon::crypto {
namespace {

const EVP_MD* OaepMd(OaepHash hash) { return hash == OaepHash::kSha1 ? EVP_sha1() : EVP_sha256(); }

absl::string_view OaepName(OaepHash hash) {
  return hash == OaepHash::kSha1 ? "RSA-OAEP (SHA-1)" : "RSA-OAEP (SHA-256)";
}

absl::Status RequireRsa(KeyType type, absl::string_view what) {
  if (type != KeyType::kRsa) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " needs an RSA key, got ", KeyTypeName(type)));
  }
  return absl::OkStatus();
}

// Common RSA encryption: `padding` is RSA_PKCS1_OAEP_PADDING or RSA_PKCS1_PADDING.
absl::StatusOr<std::string> RsaEncrypt(const PublicKey& key, int padding, const EVP_MD* md,
                                       absl::string_view plaintext, absl::string_view what) {
  COCOON_RETURN_IF_ERROR(RequireRsa(key.type(), what));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (ctx == nullptr) return OpenSslError("EVP_PKEY_CTX_new_from_pkey");
  if (EVP_PKEY_encrypt_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), padding) != 1 ||
      (md != nullptr && (EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), md) != 1 ||
                         EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), md) != 1))) {
    return OpenSslError(absl::StrCat(what, " init"));
  }
  size_t outlen = 0;
  if (EVP_PKEY_encrypt(ctx.get(), nullptr, &outlen, Uc(plaintext), plaintext.size()) != 1) {
    return OpenSslError(what);
  }
  std::string out(outlen, '\0');
  if (EVP_PKEY_encrypt(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &outlen,
                       Uc(plaintext), plaintext.size()) != 1) {
    return OpenSslError(what, absl::StatusCode::kInvalidArgument);
  }
  out.resize(outlen);
  return out;
}

absl::StatusOr<EvpPkeyCtxPtr> RsaDecryptCtx(const PrivateKey& key, absl::string_view ciphertext,
                                            absl::string_view what) {
  COCOON_RETURN_IF_ERROR(RequireRsa(key.type(), what));
  const size_t modulus_bytes = static_cast<size_t>((key.bits() + 7) / 8);
  if (ciphertext.size() != modulus_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ciphertext is ", ciphertext.size(),
                                                   " bytes; the ", key.bits(), "-bit key needs ",
                                                   modulus_bytes));
  }
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (ctx == nullptr) return OpenSslError("EVP_PKEY_CTX_new_from_pkey");
  if (EVP_PKEY_decrypt_init(ctx.get()) != 1) return OpenSslError(absl::StrCat(what, " init"));
  return ctx;
}

absl::StatusOr<SecretBytes> RsaDecryptWith(EVP_PKEY_CTX* ctx, absl::string_view ciphertext,
                                           absl::string_view what) {
  size_t outlen = 0;
  if (EVP_PKEY_decrypt(ctx, nullptr, &outlen, Uc(ciphertext), ciphertext.size()) != 1) {
    return OpenSslError(what);
  }
  SecretBytes out(outlen);
  if (EVP_PKEY_decrypt(ctx, out.data(), &outlen, Uc(ciphertext), ciphertext.size()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat(what, ": decryption failed"));
  }
  out.resize(outlen);
  return out;
}

const EVP_MD* SignatureMd(SignatureAlg alg) {
  switch (alg) {
    case SignatureAlg::kEs256:
    case SignatureAlg::kRs256:
    case SignatureAlg::kPs256:
      return EVP_sha256();
    case SignatureAlg::kEs384:
      return EVP_sha384();
    case SignatureAlg::kEs512:
      return EVP_sha512();
    case SignatureAlg::kEdDsa:
      return nullptr;
  }
  return nullptr;
}

const char* SignatureMdName(SignatureAlg alg) {
  const EVP_MD* md = SignatureMd(alg);
  return md == nullptr ? nullptr : EVP_MD_get0_name(md);
}

// A fresh context to sign or verify with, copied from a prepared one.
absl::StatusOr<EvpMdCtxPtr> CopyPrepared(const EVP_MD_CTX* prepared, SignatureAlg alg) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr || EVP_MD_CTX_copy_ex(ctx.get(), prepared) != 1) {
    return OpenSslError(absl::StrCat(SignatureAlgName(alg), " context copy"));
  }
  return ctx;
}

bool IsEcdsa(SignatureAlg alg) {
  return alg == SignatureAlg::kEs256 || alg == SignatureAlg::kEs384 || alg == SignatureAlg::kEs512;
}

absl::Status SetPss(EVP_PKEY_CTX* pctx) {
  if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) != 1) {
    return OpenSslError("RSA-PSS parameters");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> RsaOaepEncrypt(const PublicKey& key, OaepHash hash,
                                           absl::string_view plaintext) {
  return RsaEncrypt(key, RSA_PKCS1_OAEP_PADDING, OaepMd(hash), plaintext, OaepName(hash));
}

absl::StatusOr<SecretBytes> RsaOaepDecrypt(const PrivateKey& key, OaepHash hash,
                                           absl::string_view ciphertext) {
  const absl::string_view what = OaepName(hash);
  COCOON_ASSIGN_OR_RETURN(EvpPkeyCtxPtr ctx, RsaDecryptCtx(key, ciphertext, what));
  if (EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), OaepMd(hash)) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), OaepMd(hash)) != 1) {
    return OpenSslError(absl::StrCat(what, " parameters"));
  }
  return RsaDecryptWith(ctx.get(), ciphertext, what);
}

absl::StatusOr<std::string> RsaPkcs1v15Encrypt(const PublicKey& key, absl::string_view plaintext) {
  return RsaEncrypt(key, RSA_PKCS1_PADDING, nullptr, plaintext, "RSAES-PKCS1-v1_5");
}

absl::StatusOr<SecretBytes> RsaPkcs1v15Decrypt(const PrivateKey& key,
                                               absl::string_view ciphertext) {
  constexpr absl::string_view kWhat = "RSAES-PKCS1-v1_5";
  COCOON_ASSIGN_OR_RETURN(EvpPkeyCtxPtr ctx, RsaDecryptCtx(key, ciphertext, kWhat));
  if (EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1) {
    return OpenSslError("RSAES-PKCS1-v1_5 parameters");
  }
#ifdef OSSL_ASYM_CIPHER_PARAM_IMPLICIT_REJECTION
  unsigned int implicit = 1;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_uint(OSSL_ASYM_CIPHER_PARAM_IMPLICIT_REJECTION, &implicit),
      OSSL_PARAM_construct_end()};
  EVP_PKEY_CTX_set_params(ctx.get(), params);
  ERR_clear_error();
#endif
  return RsaDecryptWith(ctx.get(), ciphertext, kWhat);
}

absl::StatusOr<SecretBytes> EcdhSharedSecret(const PrivateKey& key, const PublicKey& peer) {
  if (!IsEcKeyType(key.type())) {
    return absl::InvalidArgumentError(
        absl::StrCat("ECDH needs an EC private key, got ", KeyTypeName(key.type())));
  }
  if (peer.type() != key.type()) {
    return absl::InvalidArgumentError(absl::StrCat("ECDH: peer key is ", KeyTypeName(peer.type()),
                                                   " but the private key is ",
                                                   KeyTypeName(key.type())));
  }
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (ctx == nullptr) return OpenSslError("EVP_PKEY_CTX_new_from_pkey");
  if (EVP_PKEY_derive_init(ctx.get()) != 1) return OpenSslError("ECDH init");
  // Every EC PublicKey was checked to be on its curve when it was built (point decoding or
  // CheckEcKey), which for these cofactor-1 curves is the whole validation; OpenSSL's own peer
  // check would repeat it with a scalar multiplication that costs as much as the derivation.
  if (EVP_PKEY_derive_set_peer_ex(ctx.get(), peer.get(), /*validate_peer=*/0) != 1) {
    return OpenSslError("ECDH peer key", absl::StatusCode::kInvalidArgument);
  }
  size_t len = 0;
  if (EVP_PKEY_derive(ctx.get(), nullptr, &len) != 1) return OpenSslError("ECDH derive");
  SecretBytes out(len);
  if (EVP_PKEY_derive(ctx.get(), out.data(), &len) != 1) return OpenSslError("ECDH derive");
  out.resize(len);
  return out;
}

absl::StatusOr<SecretBytes> ConcatKdfSha256(absl::string_view z, size_t key_bytes,
                                            absl::string_view algorithm_id, absl::string_view apu,
                                            absl::string_view apv) {
  if (key_bytes == 0 || key_bytes > 1024) {
    return absl::InvalidArgumentError(
        absl::StrCat("Concat KDF: key length ", key_bytes, " bytes is outside 1..1024"));
  }
  if (algorithm_id.size() > UINT32_MAX || apu.size() > UINT32_MAX || apv.size() > UINT32_MAX) {
    return absl::InvalidArgumentError("Concat KDF: input too large");
  }
  auto be32 = [](uint64_t v) {
    std::string s(4, '\0');
    for (int i = 0; i < 4; ++i) s[i] = static_cast<char>((v >> (24 - 8 * i)) & 0xff);
    return s;
  };
  std::string other_info;
  other_info += be32(algorithm_id.size());
  other_info.append(algorithm_id.data(), algorithm_id.size());
  other_info += be32(apu.size());
  other_info.append(apu.data(), apu.size());
  other_info += be32(apv.size());
  other_info.append(apv.data(), apv.size());
  other_info += be32(static_cast<uint64_t>(key_bytes) * 8);

  SecretBytes out;
  for (uint32_t counter = 1; out.size() < key_bytes; ++counter) {
    COCOON_ASSIGN_OR_RETURN(auto hasher, Hasher::New(HashAlg::kSha256));
    COCOON_RETURN_IF_ERROR(hasher->Update(be32(counter)));
    COCOON_RETURN_IF_ERROR(hasher->Update(z));
    COCOON_RETURN_IF_ERROR(hasher->Update(other_info));
    COCOON_ASSIGN_OR_RETURN(std::string block, hasher->Finalize());
    out.Append(block);
    SecureZero(block.data(), block.size());
  }
  out.resize(key_bytes);
  return out;
}

absl::string_view SignatureAlgName(SignatureAlg alg) {
  switch (alg) {
    case SignatureAlg::kEs256:
      return "ES256";
    case SignatureAlg::kEs384:
      return "ES384";
    case SignatureAlg::kEs512:
      return "ES512";
    case SignatureAlg::kEdDsa:
      return "EdDSA";
    case SignatureAlg::kRs256:
      return "RS256";
    case SignatureAlg::kPs256:
      return "PS256";
  }
  return "unknown";
}

std::optional<SignatureAlg> SignatureAlgFromName(absl::string_view name) {
  for (SignatureAlg alg : {SignatureAlg::kEs256, SignatureAlg::kEs384, SignatureAlg::kEs512,
                           SignatureAlg::kEdDsa, SignatureAlg::kRs256, SignatureAlg::kPs256}) {
    if (SignatureAlgName(alg) == name) return alg;
  }
  return std::nullopt;
}

absl::Status CheckSignatureAlgForKey(SignatureAlg alg, KeyType type) {
  KeyType want = KeyType::kRsa;
  switch (alg) {
    case SignatureAlg::kEs256:
      want = KeyType::kEcP256;
      break;
    case SignatureAlg::kEs384:
      want = KeyType::kEcP384;
      break;
    case SignatureAlg::kEs512:
      want = KeyType::kEcP521;
      break;
    case SignatureAlg::kEdDsa:
      want = KeyType::kEd25519;
      break;
    case SignatureAlg::kRs256:
    case SignatureAlg::kPs256:
      want = KeyType::kRsa;
      break;
  }
  if (type != want) {
    return absl::InvalidArgumentError(absl::StrCat("algorithm ", SignatureAlgName(alg),
                                                   " needs an ", KeyTypeName(want), " key, got ",
                                                   KeyTypeName(type)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Sign(const PrivateKey& key, SignatureAlg alg, absl::string_view data) {
  COCOON_ASSIGN_OR_RETURN(Signer signer, Signer::Create(key, alg));
  return signer.Sign(data);
}

absl::Status Verify(const PublicKey& key, SignatureAlg alg, absl::string_view data,
                    absl::string_view signature) {
  COCOON_ASSIGN_OR_RETURN(SignatureVerifier verifier, SignatureVerifier::Create(key, alg));
  return verifier.Verify(data, signature);
}

absl::StatusOr<Signer> Signer::Create(const PrivateKey& key, SignatureAlg alg) {
  COCOON_RETURN_IF_ERROR(CheckSignatureAlgForKey(alg, key.type()));
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr) return OpenSslError("EVP_MD_CTX_new");
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestSignInit_ex(ctx.get(), &pctx, SignatureMdName(alg), nullptr, nullptr, key.get(),
                            nullptr) != 1) {
    return OpenSslError(absl::StrCat(SignatureAlgName(alg), " sign init"));
  }
  if (alg == SignatureAlg::kPs256) COCOON_RETURN_IF_ERROR(SetPss(pctx));
  const int max_size = EVP_PKEY_get_size(key.get());
  if (max_size <= 0) return OpenSslError(absl::StrCat(SignatureAlgName(alg), " signature size"));
  return Signer(ctx.release(), alg, key.type(), static_cast<size_t>(max_size));
}

Signer::Signer(Signer&& other) noexcept
    : ctx_(std::exchange(other.ctx_, nullptr)),
      alg_(other.alg_),
      type_(other.type_),
      max_size_(other.max_size_) {}

Signer& Signer::operator=(Signer&& other) noexcept {
  if (this != &other) {
    EVP_MD_CTX_free(ctx_);
    ctx_ = std::exchange(other.ctx_, nullptr);
    alg_ = other.alg_;
    type_ = other.type_;
    max_size_ = other.max_size_;
  }
  return *this;
}

Signer::~Signer() { EVP_MD_CTX_free(ctx_); }

absl::StatusOr<std::string> Signer::Sign(absl::string_view data) const {
  COCOON_ASSIGN_OR_RETURN(EvpMdCtxPtr ctx, CopyPrepared(ctx_, alg_));
  // The size query and the final step would each duplicate the context again; the maximum
  // signature size is known, and the copy is used once.
  EVP_MD_CTX_set_flags(ctx.get(), EVP_MD_CTX_FLAG_FINALISE);
  size_t len = max_size_;
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, Uc(data),
                     data.size()) != 1) {
    return OpenSslError(absl::StrCat(SignatureAlgName(alg_), " sign"));
  }
  sig.resize(len);
  if (IsEcdsa(alg_)) return EcdsaDerToRaw(sig, EcFieldSize(type_));
  return sig;
}

absl::StatusOr<SignatureVerifier> SignatureVerifier::Create(const PublicKey& key,
                                                            SignatureAlg alg) {
  COCOON_RETURN_IF_ERROR(CheckSignatureAlgForKey(alg, key.type()));
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr) return OpenSslError("EVP_MD_CTX_new");
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestVerifyInit_ex(ctx.get(), &pctx, SignatureMdName(alg), nullptr, nullptr, key.get(),
                              nullptr) != 1) {
    return OpenSslError(absl::StrCat(SignatureAlgName(alg), " verify init"));
  }
  if (alg == SignatureAlg::kPs256) COCOON_RETURN_IF_ERROR(SetPss(pctx));
  return SignatureVerifier(ctx.release(), alg, key.type());
}

SignatureVerifier::SignatureVerifier(SignatureVerifier&& other) noexcept
    : ctx_(std::exchange(other.ctx_, nullptr)), alg_(other.alg_), type_(other.type_) {}

SignatureVerifier& SignatureVerifier::operator=(SignatureVerifier&& other) noexcept {
  if (this != &other) {
    EVP_MD_CTX_free(ctx_);
    ctx_ = std::exchange(other.ctx_, nullptr);
    alg_ = other.alg_;
    type_ = other.type_;
  }
  return *this;
}

SignatureVerifier::~SignatureVerifier() { EVP_MD_CTX_free(ctx_); }

absl::Status SignatureVerifier::Verify(absl::string_view data, absl::string_view signature) const {
  std::string der;
  absl::string_view sig = signature;
  if (IsEcdsa(alg_)) {
    const size_t want = 2 * EcFieldSize(type_);
    if (signature.size() != want) {
      return absl::InvalidArgumentError(absl::StrCat(SignatureAlgName(alg_), " signature must be ",
                                                     want, " bytes (r || s), got ",
                                                     signature.size()));
    }
    COCOON_ASSIGN_OR_RETURN(der, EcdsaRawToDer(signature));
    sig = der;
  }
  COCOON_ASSIGN_OR_RETURN(EvpMdCtxPtr ctx, CopyPrepared(ctx_, alg_));
  EVP_MD_CTX_set_flags(ctx.get(), EVP_MD_CTX_FLAG_FINALISE);
  const int rc = EVP_DigestVerify(ctx.get(), Uc(sig), sig.size(), Uc(data), data.size());
  ERR_clear_error();
  if (rc != 1) {
    return absl::UnauthenticatedError(absl::StrCat(SignatureAlgName(alg_), ": signature invalid"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> EcdsaDerToRaw(absl::string_view der, size_t field_size) {
  if (field_size == 0 || field_size > 66) {
    return absl::InvalidArgumentError(absl::StrCat("ECDSA: invalid field size ", field_size));
  }
  const unsigned char* p = Uc(der);
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (sig == nullptr || p != Uc(der) + der.size()) {
    ERR_clear_error();
    return absl::InvalidArgumentError("ECDSA: signature is not a DER ECDSA-Sig-Value");
  }
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  if (static_cast<size_t>(BN_num_bytes(r)) > field_size ||
      static_cast<size_t>(BN_num_bytes(s)) > field_size) {
    return absl::InvalidArgumentError("ECDSA: r or s is larger than the curve field");
  }
  std::string raw(2 * field_size, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  BN_bn2binpad(r, out, static_cast<int>(field_size));
  BN_bn2binpad(s, out + field_size, static_cast<int>(field_size));
  return raw;
}

absl::StatusOr<std::string> EcdsaRawToDer(absl::string_view raw) {
  if (raw.empty() || raw.size() % 2 != 0 || raw.size() > 2 * 66) {
    return absl::InvalidArgumentError(
        absl::StrCat("ECDSA: raw signature length ", raw.size(), " is not a valid r || s"));
  }
  const size_t half = raw.size() / 2;
  BnPtr r(BN_bin2bn(Uc(raw), static_cast<int>(half), nullptr));
  BnPtr s(BN_bin2bn(Uc(raw) + half, static_cast<int>(half), nullptr));
  EcdsaSigPtr sig(ECDSA_SIG_new());
  if (r == nullptr || s == nullptr || sig == nullptr ||
      ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) {
    return OpenSslError("ECDSA_SIG_set0");
  }
  r.release();  // owned by sig now
  s.release();
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig.get(), &der);
  if (len <= 0) return OpenSslError("i2d_ECDSA_SIG");
  std::string out(reinterpret_cast<const char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

absl::Status VerifyEcdsaDigest(const PublicKey& key, absl::string_view digest,
                               absl::string_view raw_signature) {
  if (!IsEcKeyType(key.type())) {
    return absl::InvalidArgumentError(
        absl::StrCat("ECDSA verification needs an EC key, got ", KeyTypeName(key.type())));
  }
  const size_t want = 2 * EcFieldSize(key.type());
  if (raw_signature.size() != want) {
    return absl::InvalidArgumentError(absl::StrCat("ECDSA signature must be ", want,
                                                   " bytes (r || s), got ", raw_signature.size()));
  }
  COCOON_ASSIGN_OR_RETURN(std::string der, EcdsaRawToDer(raw_signature));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (ctx == nullptr) return OpenSslError("EVP_PKEY_CTX_new_from_pkey");
  if (EVP_PKEY_verify_init(ctx.get()) != 1) return OpenSslError("ECDSA verify init");
  const int rc = EVP_PKEY_verify(ctx.get(), Uc(der), der.size(), Uc(digest), digest.size());
  ERR_clear_error();
  if (rc != 1) return absl::UnauthenticatedError("ECDSA: signature invalid");
  return absl::OkStatus();
}

}  // namespace cocoon::crypto
