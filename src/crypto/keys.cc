#include "crypto/keys.h"

#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "crypto/openssl_util.h"
#include "crypto/ossl_ptr.h"

namespace cocoon::crypto {
namespace {

// Inputs larger than this are not keys; refusing them early keeps hostile input cheap.
constexpr size_t kMaxKeyInput = 1 << 20;
constexpr int kMinRsaBits = 1024;
constexpr int kMaxRsaBits = 16384;

absl::StatusOr<KeyType> DetectType(EVP_PKEY* pkey) {
  if (EVP_PKEY_is_a(pkey, "RSA")) {
    const int bits = EVP_PKEY_get_bits(pkey);
    if (bits < kMinRsaBits || bits > kMaxRsaBits) {
      return absl::InvalidArgumentError(absl::StrCat("RSA key size ", bits, " bits is outside the ",
                                                     "supported range ", kMinRsaBits, "..",
                                                     kMaxRsaBits));
    }
    return KeyType::kRsa;
  }
  if (EVP_PKEY_is_a(pkey, "ED25519")) return KeyType::kEd25519;
  if (EVP_PKEY_is_a(pkey, "EC")) {
    char name[80];
    size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof(name),
                                       &len) != 1) {
      ERR_clear_error();
      return absl::InvalidArgumentError("EC key without a named curve is not supported");
    }
    const absl::string_view curve(name, len);
    if (curve == "prime256v1" || curve == "P-256") return KeyType::kEcP256;
    if (curve == "secp384r1" || curve == "P-384") return KeyType::kEcP384;
    if (curve == "secp521r1" || curve == "P-521") return KeyType::kEcP521;
    return absl::InvalidArgumentError(
        absl::StrCat("EC curve ", curve, " is not supported (P-256, P-384 and P-521 are)"));
  }
  const char* type_name = EVP_PKEY_get0_type_name(pkey);
  return absl::InvalidArgumentError(absl::StrCat("unsupported key type ",
                                                 type_name != nullptr ? type_name : "(unknown)",
                                                 " (RSA, EC P-256/P-384/P-521 and Ed25519 are)"));
}

const char* OsslGroupName(KeyType type) {
  switch (type) {
    case KeyType::kEcP256:
      return "P-256";
    case KeyType::kEcP384:
      return "P-384";
    case KeyType::kEcP521:
      return "P-521";
    default:
      return "";
  }
}

bool LooksLikePem(absl::string_view data) { return absl::StrContains(data, "-----BEGIN "); }

// One PEM block: its label, its RFC 1421 headers (may be empty) and the decoded body.
struct PemBlock {
  std::string label;
  std::string headers;
  std::string der;
};

absl::StatusOr<std::vector<PemBlock>> ReadPemBlocks(absl::string_view data) {
  BioPtr bio = MemBio(data);
  if (bio == nullptr) return OpenSslError("BIO_new_mem_buf");
  std::vector<PemBlock> blocks;
  while (true) {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* body = nullptr;
    long len = 0;
    if (PEM_read_bio(bio.get(), &name, &header, &body, &len) != 1) {
      const unsigned long err = ERR_peek_last_error();
      ERR_clear_error();
      if (blocks.empty() || ERR_GET_REASON(err) != PEM_R_NO_START_LINE) {
        if (blocks.empty()) {
          return absl::InvalidArgumentError("PEM: no valid PEM block found");
        }
        return absl::InvalidArgumentError(
            absl::StrCat("PEM: block ", blocks.size() + 1, " is malformed"));
      }
      break;
    }
    PemBlock block;
    block.label = name;
    block.headers = header;
    block.der.assign(reinterpret_cast<const char*>(body), static_cast<size_t>(len));
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_clear_free(body, static_cast<size_t>(len));
    blocks.push_back(std::move(block));
  }
  return blocks;
}

// Parses DER as SPKI, then PKCS#1 RSAPublicKey, then an X.509 certificate. The whole input
// must be consumed.
absl::StatusOr<EvpPkeyPtr> PublicFromDer(absl::string_view der) {
  if (der.size() > LONG_MAX) return absl::InvalidArgumentError("public key: input too large");
  const long len = static_cast<long>(der.size());
  const unsigned char* end = Uc(der) + der.size();
  {
    const unsigned char* p = Uc(der);
    EvpPkeyPtr pkey(d2i_PUBKEY(nullptr, &p, len));
    if (pkey != nullptr && p == end) {
      ERR_clear_error();
      return pkey;
    }
  }
  {
    const unsigned char* p = Uc(der);
    EvpPkeyPtr pkey(d2i_PublicKey(EVP_PKEY_RSA, nullptr, &p, len));
    if (pkey != nullptr && p == end) {
      ERR_clear_error();
      return pkey;
    }
  }
  {
    const unsigned char* p = Uc(der);
    X509Ptr cert(d2i_X509(nullptr, &p, len));
    if (cert != nullptr && p == end) {
      ERR_clear_error();
      EVP_PKEY* pkey = X509_get_pubkey(cert.get());
      if (pkey == nullptr)
        return OpenSslError("X.509 certificate public key", absl::StatusCode::kInvalidArgument);
      return EvpPkeyPtr(pkey);
    }
  }
  ERR_clear_error();
  return absl::InvalidArgumentError(
      "public key: DER input is neither SubjectPublicKeyInfo, PKCS#1 RSAPublicKey nor an X.509 "
      "certificate");
}

bool HasPrivate(EVP_PKEY* pkey, KeyType type) {
  bool ok = false;
  if (type == KeyType::kRsa) {
    BIGNUM* d = nullptr;
    ok = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_D, &d) == 1 && d != nullptr;
    BN_clear_free(d);
  } else if (IsEcKeyType(type)) {
    BIGNUM* d = nullptr;
    ok = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, &d) == 1 && d != nullptr;
    BN_clear_free(d);
  } else {
    size_t len = 0;
    ok = EVP_PKEY_get_raw_private_key(pkey, nullptr, &len) == 1 && len > 0;
  }
  ERR_clear_error();
  return ok;
}

int FailingPassphrase(char*, size_t, size_t*, const OSSL_PARAM[], void*) { return 0; }

// Decodes a private key with OSSL_DECODER. `input_type` is "PEM" or "DER".
absl::StatusOr<EvpPkeyPtr> DecodePrivate(absl::string_view data, const char* input_type,
                                         std::optional<absl::string_view> password) {
  EVP_PKEY* raw = nullptr;
  OSSL_DECODER_CTX* dctx = OSSL_DECODER_CTX_new_for_pkey(&raw, input_type, nullptr, nullptr,
                                                         EVP_PKEY_KEYPAIR, nullptr, nullptr);
  if (dctx == nullptr) return OpenSslError("OSSL_DECODER_CTX_new_for_pkey");
  int ok = 1;
  if (password.has_value()) {
    ok = OSSL_DECODER_CTX_set_passphrase(dctx, Uc(*password), password->size());
  } else {
    // Never fall back to prompting on a terminal.
    ok = OSSL_DECODER_CTX_set_passphrase_cb(dctx, FailingPassphrase, nullptr);
  }
  if (ok == 1) {
    const unsigned char* p = Uc(data);
    size_t len = data.size();
    ok = OSSL_DECODER_from_data(dctx, &p, &len);
  }
  OSSL_DECODER_CTX_free(dctx);
  EvpPkeyPtr pkey(raw);
  // Decoders that were tried and did not match leave entries behind even on success.
  ERR_clear_error();
  if (ok != 1 || pkey == nullptr) {
    ERR_clear_error();
    if (password.has_value()) {
      return absl::InvalidArgumentError(
          "private key: cannot decode (wrong password, or not a PKCS#8, PKCS#1 or SEC1 key)");
    }
    return absl::InvalidArgumentError(
        "private key: cannot decode (not a PKCS#8, PKCS#1 or SEC1 key, or encrypted)");
  }
  return pkey;
}

bool IsEncryptedPkcs8Der(absl::string_view der) {
  const unsigned char* p = Uc(der);
  X509_SIG* sig = d2i_X509_SIG(nullptr, &p, static_cast<long>(der.size()));
  const bool ok = sig != nullptr && p == Uc(der) + der.size();
  X509_SIG_free(sig);
  ERR_clear_error();
  return ok;
}

BnPtr ToBn(absl::string_view bytes) {
  return BnPtr(BN_bin2bn(Uc(bytes), static_cast<int>(bytes.size()), nullptr));
}

std::string BnToString(const BIGNUM* bn, size_t pad_to = 0) {
  const size_t n = static_cast<size_t>(BN_num_bytes(bn));
  std::string out(std::max(n, pad_to), '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size()));
  return out;
}

SecretBytes BnToSecret(const BIGNUM* bn, size_t pad_to = 0) {
  const size_t n = static_cast<size_t>(BN_num_bytes(bn));
  SecretBytes out(std::max(n, pad_to));
  BN_bn2binpad(bn, out.data(), static_cast<int>(out.size()));
  return out;
}

absl::StatusOr<BnPtr> GetBn(EVP_PKEY* pkey, const char* name, absl::string_view what) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1 || bn == nullptr) {
    ERR_clear_error();
    return absl::NotFoundError(absl::StrCat("key has no ", what));
  }
  return BnPtr(bn);
}

absl::StatusOr<EvpPkeyPtr> FromData(const char* algorithm, int selection, OSSL_PARAM_BLD* bld,
                                    absl::string_view what) {
  OsslParamPtr params(OSSL_PARAM_BLD_to_param(bld));
  if (params == nullptr) return OpenSslError("OSSL_PARAM_BLD_to_param");
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, algorithm, nullptr));
  if (ctx == nullptr) return OpenSslError("EVP_PKEY_CTX_new_from_name");
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, selection, params.get()) != 1) {
    return OpenSslError(what, absl::StatusCode::kInvalidArgument);
  }
  return EvpPkeyPtr(raw);
}

// A key holding only the domain parameters of an EC curve, built once per curve. Building a
// group from its name costs a Montgomery setup with a modular inversion, more than generating a
// P-256 key, so keys are generated from, and public points imported into, copies of these.
// Never null; read-only after construction, so safe to share between threads.
EVP_PKEY* EcParams(KeyType type) {
  static EVP_PKEY* const* const kParams = [] {
    static EVP_PKEY* params[3] = {};
    const KeyType types[3] = {KeyType::kEcP256, KeyType::kEcP384, KeyType::kEcP521};
    for (int i = 0; i < 3; ++i) {
      OSSL_PARAM p[] = {
          OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                           const_cast<char*>(OsslGroupName(types[i])), 0),
          OSSL_PARAM_construct_end()};
      EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
      if (ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
          EVP_PKEY_fromdata(ctx.get(), &params[i], EVP_PKEY_KEY_PARAMETERS, p) != 1 ||
          params[i] == nullptr) {
        std::abort();  // the default provider always has the NIST curves
      }
    }
    return params;
  }();
  return kParams[type == KeyType::kEcP256 ? 0 : type == KeyType::kEcP384 ? 1 : 2];
}

// An EC public key from an uncompressed point (0x04 || x || y), on a copy of the curve's
// parameters; fails for points off the curve.
absl::StatusOr<EvpPkeyPtr> EcPublicFromPoint(KeyType type, absl::string_view point) {
  EvpPkeyPtr pkey(EVP_PKEY_dup(EcParams(type)));
  if (pkey == nullptr) return OpenSslError("EVP_PKEY_dup");
  if (EVP_PKEY_set1_encoded_public_key(pkey.get(), Uc(point), point.size()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat("EC ", JoseCurveName(type), " public key: point is not on the curve"));
  }
  return pkey;
}

absl::Status CheckEcKey(EVP_PKEY* pkey, bool with_private) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  if (ctx == nullptr) return OpenSslError("EVP_PKEY_CTX_new_from_pkey");
  // The NIST curves have cofactor 1, so a point that is on the curve and not at infinity is in
  // the prime-order group: the quick check is complete for them, and the full check's scalar
  // multiplication by the order would triple the cost of importing every TEE key.
  if (EVP_PKEY_public_check_quick(ctx.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError("EC public key: point is not a valid point on the curve");
  }
  if (with_private && EVP_PKEY_pairwise_check(ctx.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        "EC private key: private scalar does not match the public point");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> EncodedPoint(KeyType type, absl::string_view x, absl::string_view y) {
  const size_t size = EcFieldSize(type);
  if (size == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("key type ", KeyTypeName(type), " is not an EC curve"));
  }
  if (x.size() != size || y.size() != size) {
    return absl::InvalidArgumentError(
        absl::StrCat("EC ", JoseCurveName(type), " coordinates must be ", size, " bytes each, got ",
                     x.size(), " and ", y.size()));
  }
  std::string point = "\x04";
  point.append(x.data(), x.size());
  point.append(y.data(), y.size());
  return point;
}

}  // namespace

absl::string_view KeyTypeName(KeyType type) {
  switch (type) {
    case KeyType::kRsa:
      return "RSA";
    case KeyType::kEcP256:
      return "EC P-256";
    case KeyType::kEcP384:
      return "EC P-384";
    case KeyType::kEcP521:
      return "EC P-521";
    case KeyType::kEd25519:
      return "Ed25519";
  }
  return "unknown";
}

bool IsEcKeyType(KeyType type) {
  return type == KeyType::kEcP256 || type == KeyType::kEcP384 || type == KeyType::kEcP521;
}

size_t EcFieldSize(KeyType type) {
  switch (type) {
    case KeyType::kEcP256:
      return 32;
    case KeyType::kEcP384:
      return 48;
    case KeyType::kEcP521:
      return 66;
    default:
      return 0;
  }
}

absl::string_view JoseCurveName(KeyType type) {
  switch (type) {
    case KeyType::kEcP256:
      return "P-256";
    case KeyType::kEcP384:
      return "P-384";
    case KeyType::kEcP521:
      return "P-521";
    case KeyType::kEd25519:
      return "Ed25519";
    default:
      return "";
  }
}

// ---- PublicKey ----

absl::StatusOr<PublicKey> PublicKey::Parse(absl::string_view pem_or_der) {
  if (pem_or_der.empty()) return absl::InvalidArgumentError("public key: empty input");
  if (pem_or_der.size() > kMaxKeyInput) {
    return absl::InvalidArgumentError("public key: input larger than 1 MiB");
  }
  if (LooksLikePem(pem_or_der)) {
    COCOON_ASSIGN_OR_RETURN(std::vector<PemBlock> blocks, ReadPemBlocks(pem_or_der));
    const PemBlock& block = blocks.front();
    if (block.label != "PUBLIC KEY" && block.label != "RSA PUBLIC KEY" &&
        block.label != "CERTIFICATE" && block.label != "X509 CERTIFICATE") {
      return absl::InvalidArgumentError(
          absl::StrCat("public key: unsupported PEM block \"", block.label,
                       "\" (expected PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE)"));
    }
    COCOON_ASSIGN_OR_RETURN(EvpPkeyPtr pkey, PublicFromDer(block.der));
    return FromEvp(pkey.get());
  }
  COCOON_ASSIGN_OR_RETURN(EvpPkeyPtr pkey, PublicFromDer(pem_or_der));
  return FromEvp(pkey.get());
}

absl::StatusOr<PublicKey> PublicKey::FromEvp(EVP_PKEY* pkey) {
  if (pkey == nullptr) return absl::InvalidArgumentError("public key: null EVP_PKEY");
  COCOON_ASSIGN_OR_RETURN(KeyType type, DetectType(pkey));
  if (IsEcKeyType(type)) {
    unsigned char point[1 + 2 * 66];
    size_t len = 0;
    if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point,
                                        sizeof(point), &len) != 1) {
      return OpenSslError("EC public key encoding", absl::StatusCode::kInvalidArgument);
    }
    COCOON_ASSIGN_OR_RETURN(
        EvpPkeyPtr pub,
        EcPublicFromPoint(type, absl::string_view(reinterpret_cast<char*>(point), len)));
    return PublicKey(pub.release(), type);
  }
  // Keep only the public half, so a PublicKey never carries private material. Exported as
  // parameters rather than through DER: OpenSSL 3's decoders cost ~200 us per key.
  OSSL_PARAM* raw_params = nullptr;
  if (EVP_PKEY_todata(pkey, EVP_PKEY_PUBLIC_KEY, &raw_params) != 1) {
    return OpenSslError("EVP_PKEY_todata");
  }
  OsslParamPtr params(raw_params);
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, EVP_PKEY_get0_type_name(pkey), nullptr));
  if (ctx == nullptr) return OpenSslError("EVP_PKEY_CTX_new_from_name");
  EVP_PKEY* pub = nullptr;
  if (EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pub, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return OpenSslError("EVP_PKEY_fromdata");
  }
  return PublicKey(pub, type);
}

absl::StatusOr<PublicKey> PublicKey::FromRsa(absl::string_view n, absl::string_view e) {
  if (n.empty() || e.empty()) return absl::InvalidArgumentError("RSA public key: empty n or e");
  if (n.size() > kMaxRsaBits / 8 + 1 || e.size() > 8) {
    return absl::InvalidArgumentError("RSA public key: n or e is too large");
  }
  BnPtr bn_n = ToBn(n), bn_e = ToBn(e);
  if (bn_n == nullptr || bn_e == nullptr) return OpenSslError("BN_bin2bn");
  if (!BN_is_odd(bn_e.get()) || BN_is_one(bn_e.get())) {
    return absl::InvalidArgumentError("RSA public key: e must be odd and greater than 1");
  }
  OsslParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (bld == nullptr || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    return OpenSslError("OSSL_PARAM_BLD");
  }
  COCOON_ASSIGN_OR_RETURN(EvpPkeyPtr pkey,
                          FromData("RSA", EVP_PKEY_PUBLIC_KEY, bld.get(), "RSA public key"));
  COCOON_ASSIGN_OR_RETURN(KeyType type, DetectType(pkey.get()));
  return PublicKey(pkey.release(), type);
}

absl::StatusOr<PublicKey> PublicKey::FromEcPoint(KeyType type, absl::string_view x,
                                                 absl::string_view y) {
  COCOON_ASSIGN_OR_RETURN(std::string point, EncodedPoint(type, x, y));
  COCOON_ASSIGN_OR_RETURN(EvpPkeyPtr pkey, EcPublicFromPoint(type, point));
  COCOON_RETURN_IF_ERROR(CheckEcKey(pkey.get(), /*with_private=*/false));
  return PublicKey(pkey.release(), type);
}

absl::StatusOr<PublicKey> PublicKey::FromEd25519(absl::string_view raw) {
  if (raw.size() != 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("Ed25519 public key must be 32 bytes, got ", raw.size()));
  }
  EVP_PKEY* pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, Uc(raw), raw.size());
  if (pkey == nullptr)
    return OpenSslError("Ed25519 public key", absl::StatusCode::kInvalidArgument);
  return PublicKey(pkey, KeyType::kEd25519);
}

PublicKey::PublicKey(const PublicKey& other) : pkey_(other.pkey_), type_(other.type_) {
  EVP_PKEY_up_ref(pkey_);
}

PublicKey& PublicKey::operator=(const PublicKey& other) {
  if (this != &other) {
    EVP_PKEY_up_ref(other.pkey_);
    EVP_PKEY_free(pkey_);
    pkey_ = other.pkey_;
    type_ = other.type_;
  }
  return *this;
}

// A moved-from key keeps a reference to the same EVP_PKEY, so it stays valid (copy semantics);
// this keeps the class free of an empty state.
PublicKey::PublicKey(PublicKey&& other) noexcept : pkey_(other.pkey_), type_(other.type_) {
  EVP_PKEY_up_ref(pkey_);
}

PublicKey& PublicKey::operator=(PublicKey&& other) noexcept {
  std::swap(pkey_, other.pkey_);
  std::swap(type_, other.type_);
  return *this;
}

PublicKey::~PublicKey() { EVP_PKEY_free(pkey_); }

int PublicKey::bits() const { return EVP_PKEY_get_bits(pkey_); }

absl::StatusOr<std::string> PublicKey::ToPem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_PUBKEY(bio.get(), pkey_) != 1) {
    return OpenSslError("PEM_write_bio_PUBKEY");
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

absl::StatusOr<std::string> PublicKey::ToDer() const {
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(pkey_, &der);
  if (len <= 0) return OpenSslError("i2d_PUBKEY");
  std::string out(reinterpret_cast<const char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

bool PublicKey::Equals(const PublicKey& other) const {
  const bool eq = type_ == other.type_ && EVP_PKEY_eq(pkey_, other.pkey_) == 1;
  ERR_clear_error();
  return eq;
}

absl::StatusOr<PublicKey::RsaNumbers> PublicKey::GetRsaNumbers() const {
  if (type_ != KeyType::kRsa) {
    return absl::InvalidArgumentError(
        absl::StrCat("RSA numbers requested from a ", KeyTypeName(type_), " key"));
  }
  COCOON_ASSIGN_OR_RETURN(BnPtr n, GetBn(pkey_, OSSL_PKEY_PARAM_RSA_N, "RSA modulus"));
  COCOON_ASSIGN_OR_RETURN(BnPtr e, GetBn(pkey_, OSSL_PKEY_PARAM_RSA_E, "RSA exponent"));
  return RsaNumbers{BnToString(n.get()), BnToString(e.get())};
}

absl::StatusOr<PublicKey::EcPoint> PublicKey::GetEcPoint() const {
  if (!IsEcKeyType(type_)) {
    return absl::InvalidArgumentError(
        absl::StrCat("EC point requested from a ", KeyTypeName(type_), " key"));
  }
  COCOON_ASSIGN_OR_RETURN(BnPtr x, GetBn(pkey_, OSSL_PKEY_PARAM_EC_PUB_X, "EC x coordinate"));
  COCOON_ASSIGN_OR_RETURN(BnPtr y, GetBn(pkey_, OSSL_PKEY_PARAM_EC_PUB_Y, "EC y coordinate"));
  const size_t size = EcFieldSize(type_);
  return EcPoint{BnToString(x.get(), size), BnToString(y.get(), size)};
}

absl::StatusOr<std::string> PublicKey::GetEd25519() const {
  if (type_ != KeyType::kEd25519) {
    return absl::InvalidArgumentError(
        absl::StrCat("Ed25519 key requested from a ", KeyTypeName(type_), " key"));
  }
  std::string out(32, '\0');
  size_t len = out.size();
  if (EVP_PKEY_get_raw_public_key(pkey_, reinterpret_cast<unsigned char*>(out.data()), &len) != 1 ||
      len != 32) {
    return OpenSslError("EVP_PKEY_get_raw_public_key");
  }
  return out;
}

// ---- PrivateKey ----

absl::StatusOr<PrivateKey> PrivateKey::Parse(absl::string_view pem_or_der,
                                             std::optional<absl::string_view> password) {
  if (pem_or_der.empty()) return absl::InvalidArgumentError("private key: empty input");
  if (pem_or_der.size() > kMaxKeyInput) {
    return absl::InvalidArgumentError("private key: input larger than 1 MiB");
  }
  EvpPkeyPtr pkey;
  if (LooksLikePem(pem_or_der)) {
    COCOON_ASSIGN_OR_RETURN(std::vector<PemBlock> blocks, ReadPemBlocks(pem_or_der));
    const PemBlock* key_block = nullptr;
    for (const PemBlock& b : blocks) {
      if (b.label == "EC PARAMETERS") continue;
      key_block = &b;
      break;
    }
    if (key_block == nullptr) {
      return absl::InvalidArgumentError("private key: PEM holds only EC PARAMETERS");
    }
    const std::string& label = key_block->label;
    if (label != "PRIVATE KEY" && label != "ENCRYPTED PRIVATE KEY" && label != "RSA PRIVATE KEY" &&
        label != "EC PRIVATE KEY") {
      return absl::InvalidArgumentError(absl::StrCat(
          "private key: unsupported PEM block \"", label,
          "\" (expected PRIVATE KEY, ENCRYPTED PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)"));
    }
    const bool encrypted =
        label == "ENCRYPTED PRIVATE KEY" || absl::StrContains(key_block->headers, "ENCRYPTED");
    if (encrypted && !password.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat("private key: the PEM block \"", label,
                                                     "\" is encrypted; a password is required"));
    }
    if (label == "PRIVATE KEY" || label == "ENCRYPTED PRIVATE KEY" || !encrypted) {
      // PKCS#8 (plain or encrypted), or unencrypted traditional: decode the DER body.
      COCOON_ASSIGN_OR_RETURN(pkey, DecodePrivate(key_block->der, "DER", password));
    } else {
      // Legacy encrypted PEM: the PEM decoder applies the Proc-Type/DEK-Info headers.
      COCOON_ASSIGN_OR_RETURN(pkey, DecodePrivate(pem_or_der, "PEM", password));
    }
  } else {
    if (!password.has_value() && IsEncryptedPkcs8Der(pem_or_der)) {
      return absl::InvalidArgumentError(
          "private key: the DER key is encrypted PKCS#8; a password is required");
    }
    COCOON_ASSIGN_OR_RETURN(pkey, DecodePrivate(pem_or_der, "DER", password));
  }
  COCOON_ASSIGN_OR_RETURN(KeyType type, DetectType(pkey.get()));
  if (!HasPrivate(pkey.get(), type)) {
    return absl::InvalidArgumentError("private key: the input holds only a public key");
  }
  return PrivateKey(pkey.release(), type);
}

absl::StatusOr<PrivateKey> PrivateKey::Generate(KeyType type, int rsa_bits) {
  EVP_PKEY* pkey = nullptr;
  switch (type) {
    case KeyType::kRsa:
      if (rsa_bits < 2048 || rsa_bits > 8192) {
        return absl::InvalidArgumentError(
            absl::StrCat("RSA key generation: ", rsa_bits, " bits is outside 2048..8192"));
      }
      pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(rsa_bits));
      break;
    case KeyType::kEcP256:
    case KeyType::kEcP384:
    case KeyType::kEcP521: {
      EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, EcParams(type), nullptr));
      if (ctx == nullptr || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
          EVP_PKEY_generate(ctx.get(), &pkey) != 1) {
        pkey = nullptr;
      }
      break;
    }
    case KeyType::kEd25519:
      pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
  }
  if (pkey == nullptr) {
    return OpenSslError(absl::StrCat(KeyTypeName(type), " key generation"));
  }
  return PrivateKey(pkey, type);
}

absl::StatusOr<PrivateKey> PrivateKey::FromRsa(const RsaNumbers& numbers) {
  if (numbers.n.empty() || numbers.e.empty() || numbers.d.empty()) {
    return absl::InvalidArgumentError("RSA private key: n, e and d are required");
  }
  if (numbers.n.size() > kMaxRsaBits / 8 + 1 || numbers.e.size() > 8 ||
      numbers.d.size() > kMaxRsaBits / 8 + 1) {
    return absl::InvalidArgumentError("RSA private key: a number is too large");
  }
  const bool has_crt = !numbers.p.empty();
  if (has_crt &&
      (numbers.q.empty() || numbers.dp.empty() || numbers.dq.empty() || numbers.qi.empty())) {
    return absl::InvalidArgumentError(
        "RSA private key: CRT parameters p, q, dp, dq and qi must be given together");
  }
  OsslParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (bld == nullptr) return OpenSslError("OSSL_PARAM_BLD_new");
  std::vector<BnPtr> bns;
  auto push = [&](const char* name, absl::string_view bytes) {
    bns.push_back(ToBn(bytes));
    return bns.back() != nullptr && OSSL_PARAM_BLD_push_BN(bld.get(), name, bns.back().get()) == 1;
  };
  bool ok = push(OSSL_PKEY_PARAM_RSA_N, numbers.n) && push(OSSL_PKEY_PARAM_RSA_E, numbers.e) &&
            push(OSSL_PKEY_PARAM_RSA_D, numbers.d.view());
  if (ok && has_crt) {
    ok = push(OSSL_PKEY_PARAM_RSA_FACTOR1, numbers.p.view()) &&
         push(OSSL_PKEY_PARAM_RSA_FACTOR2, numbers.q.view()) &&
         push(OSSL_PKEY_PARAM_RSA_EXPONENT1, numbers.dp.view()) &&
         push(OSSL_PKEY_PARAM_RSA_EXPONENT2, numbers.dq.view()) &&
         push(OSSL_PKEY_PARAM_RSA_COEFFICIENT1, numbers.qi.view());
  }
  if (!ok) return OpenSslError("OSSL_PARAM_BLD");
  COCOON_ASSIGN_OR_RETURN(EvpPkeyPtr pkey,
                          FromData("RSA", EVP_PKEY_KEYPAIR, bld.get(), "RSA private key"));
  COCOON_ASSIGN_OR_RETURN(KeyType type, DetectType(pkey.get()));
  return PrivateKey(pkey.release(), type);
}

absl::StatusOr<PrivateKey> PrivateKey::FromEc(KeyType type, absl::string_view d,
                                              absl::string_view x, absl::string_view y) {
  COCOON_ASSIGN_OR_RETURN(std::string point, EncodedPoint(type, x, y));
  if (d.size() != EcFieldSize(type)) {
    return absl::InvalidArgumentError(absl::StrCat("EC ", JoseCurveName(type),
                                                   " private scalar must be ", EcFieldSize(type),
                                                   " bytes, got ", d.size()));
  }
  BnPtr bn_d = ToBn(d);
  OsslParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (bn_d == nullptr || bld == nullptr ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, OsslGroupName(type),
                                      0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, bn_d.get()) != 1) {
    return OpenSslError("OSSL_PARAM_BLD");
  }
  auto pkey = FromData("EC", EVP_PKEY_KEYPAIR, bld.get(), "EC private key");
  if (!pkey.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("EC ", JoseCurveName(type), " private key: invalid point or scalar"));
  }
  COCOON_RETURN_IF_ERROR(CheckEcKey(pkey->get(), /*with_private=*/true));
  return PrivateKey(pkey->release(), type);
}

absl::StatusOr<PrivateKey> PrivateKey::FromEd25519(absl::string_view seed) {
  if (seed.size() != 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("Ed25519 private key must be 32 bytes, got ", seed.size()));
  }
  EVP_PKEY* pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, Uc(seed), seed.size());
  if (pkey == nullptr) {
    return OpenSslError("Ed25519 private key", absl::StatusCode::kInvalidArgument);
  }
  return PrivateKey(pkey, KeyType::kEd25519);
}

// As with PublicKey, a moved-from PrivateKey still holds a reference to the same key.
PrivateKey::PrivateKey(PrivateKey&& other) noexcept : pkey_(other.pkey_), type_(other.type_) {
  EVP_PKEY_up_ref(pkey_);
}

PrivateKey& PrivateKey::operator=(PrivateKey&& other) noexcept {
  std::swap(pkey_, other.pkey_);
  std::swap(type_, other.type_);
  return *this;
}

PrivateKey::~PrivateKey() { EVP_PKEY_free(pkey_); }

int PrivateKey::bits() const { return EVP_PKEY_get_bits(pkey_); }

PublicKey PrivateKey::GetPublic() const {
  // Serializing the public half cannot fail for a key this class accepted, short of memory
  // exhaustion; fall back to sharing the key pair in that case.
  auto pub = PublicKey::FromEvp(pkey_);
  if (pub.ok()) return *std::move(pub);
  EVP_PKEY_up_ref(pkey_);
  return PublicKey(pkey_, type_);
}

absl::StatusOr<SecretBytes> PrivateKey::ToPkcs8Pem() const {
  BioPtr bio(BIO_new(BIO_s_secmem()));
  if (bio == nullptr) bio.reset(BIO_new(BIO_s_mem()));
  if (bio == nullptr ||
      PEM_write_bio_PKCS8PrivateKey(bio.get(), pkey_, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return OpenSslError("PEM_write_bio_PKCS8PrivateKey");
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  SecretBytes out(absl::string_view(data, static_cast<size_t>(len)));
  return out;
}

absl::StatusOr<SecretBytes> PrivateKey::ToPkcs8Der() const {
  PKCS8_PRIV_KEY_INFO* p8 = EVP_PKEY2PKCS8(pkey_);
  if (p8 == nullptr) return OpenSslError("EVP_PKEY2PKCS8");
  unsigned char* der = nullptr;
  const int len = i2d_PKCS8_PRIV_KEY_INFO(p8, &der);
  PKCS8_PRIV_KEY_INFO_free(p8);
  if (len <= 0) return OpenSslError("i2d_PKCS8_PRIV_KEY_INFO");
  SecretBytes out(absl::string_view(reinterpret_cast<const char*>(der), static_cast<size_t>(len)));
  OPENSSL_clear_free(der, static_cast<size_t>(len));
  return out;
}

absl::StatusOr<PrivateKey::RsaNumbers> PrivateKey::GetRsaNumbers() const {
  if (type_ != KeyType::kRsa) {
    return absl::InvalidArgumentError(
        absl::StrCat("RSA numbers requested from a ", KeyTypeName(type_), " key"));
  }
  RsaNumbers out;
  COCOON_ASSIGN_OR_RETURN(BnPtr n, GetBn(pkey_, OSSL_PKEY_PARAM_RSA_N, "RSA modulus"));
  COCOON_ASSIGN_OR_RETURN(BnPtr e, GetBn(pkey_, OSSL_PKEY_PARAM_RSA_E, "RSA exponent"));
  COCOON_ASSIGN_OR_RETURN(BnPtr d, GetBn(pkey_, OSSL_PKEY_PARAM_RSA_D, "RSA private exponent"));
  out.n = BnToString(n.get());
  out.e = BnToString(e.get());
  out.d = BnToSecret(d.get());
  auto p = GetBn(pkey_, OSSL_PKEY_PARAM_RSA_FACTOR1, "p");
  auto q = GetBn(pkey_, OSSL_PKEY_PARAM_RSA_FACTOR2, "q");
  auto dp = GetBn(pkey_, OSSL_PKEY_PARAM_RSA_EXPONENT1, "dp");
  auto dq = GetBn(pkey_, OSSL_PKEY_PARAM_RSA_EXPONENT2, "dq");
  auto qi = GetBn(pkey_, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, "qi");
  if (p.ok() && q.ok() && dp.ok() && dq.ok() && qi.ok()) {
    out.p = BnToSecret(p->get());
    out.q = BnToSecret(q->get());
    out.dp = BnToSecret(dp->get());
    out.dq = BnToSecret(dq->get());
    out.qi = BnToSecret(qi->get());
  }
  return out;
}

absl::StatusOr<SecretBytes> PrivateKey::GetEcPrivateScalar() const {
  if (!IsEcKeyType(type_)) {
    return absl::InvalidArgumentError(
        absl::StrCat("EC private scalar requested from a ", KeyTypeName(type_), " key"));
  }
  COCOON_ASSIGN_OR_RETURN(BnPtr d, GetBn(pkey_, OSSL_PKEY_PARAM_PRIV_KEY, "EC private scalar"));
  return BnToSecret(d.get(), EcFieldSize(type_));
}

absl::StatusOr<SecretBytes> PrivateKey::GetEd25519Seed() const {
  if (type_ != KeyType::kEd25519) {
    return absl::InvalidArgumentError(
        absl::StrCat("Ed25519 seed requested from a ", KeyTypeName(type_), " key"));
  }
  SecretBytes out(32);
  size_t len = out.size();
  if (EVP_PKEY_get_raw_private_key(pkey_, out.data(), &len) != 1 || len != 32) {
    return OpenSslError("EVP_PKEY_get_raw_private_key");
  }
  return out;
}

}  // namespace cocoon::crypto
