#include "kbs/ecdh_jwe.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <map>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/encoding.h"
#include "base/json.h"
#include "base/status.h"
#include "crypto/aead.h"
#include "crypto/asymmetric.h"
#include "crypto/key_wrap.h"
#include "crypto/keys.h"
#include "crypto/stream_cipher.h"

namespace cocoon::kbs {
namespace {

constexpr absl::string_view kAlg = "ECDH-ES+A256KW";
constexpr size_t kMaxCachedKeys = 4096;

struct CtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
using Ctx = std::unique_ptr<EVP_PKEY_CTX, CtxFree>;

absl::Status OpenSslError(absl::string_view what) {
  return absl::InternalError(absl::StrCat("OpenSSL: ", what, " failed"));
}

crypto::KeyType CurveType(size_t field_size) {
  return field_size == 32 ? crypto::KeyType::kEcP256 : crypto::KeyType::kEcP521;
}

absl::StatusOr<size_t> FieldSize(absl::string_view crv) {
  if (crv == "P-256") return 32;
  if (crv == "P-521") return 66;
  return absl::InvalidArgumentError(absl::StrCat("ECDH-ES+A256KW: unsupported crv \"", crv, "\""));
}

// A JWK point (base64url x and y) as a checked public key, on the cached curve parameters.
absl::StatusOr<crypto::PublicKey> ImportPoint(absl::string_view crv, absl::string_view x,
                                              absl::string_view y) {
  COCOON_ASSIGN_OR_RETURN(size_t n, FieldSize(crv));
  COCOON_ASSIGN_OR_RETURN(std::string xb, Base64UrlDecode(x));
  COCOON_ASSIGN_OR_RETURN(std::string yb, Base64UrlDecode(y));
  if (xb.size() != n || yb.size() != n) {
    return absl::InvalidArgumentError(
        absl::StrCat("ECDH-ES+A256KW: ", crv, " coordinates must be ", n, " bytes"));
  }
  absl::StatusOr<crypto::PublicKey> key = crypto::PublicKey::FromEcPoint(CurveType(n), xb, yb);
  if (!key.ok()) {
    return absl::InvalidArgumentError("ECDH-ES+A256KW: the key is not a valid point on its curve");
  }
  return key;
}

// TEE keys by "crv|x|y", each checked once when it enters the cache: a TEE asks for several
// resources with one key, so the server imports it once. (A JWE's epk is new in every message
// and is imported directly.)
class PeerCache {
 public:
  absl::StatusOr<crypto::PublicKey> Get(absl::string_view crv, absl::string_view x,
                                        absl::string_view y) {
    const std::string id = absl::StrCat(crv, "|", x, "|", y);
    {
      absl::MutexLock lock(&mu_);
      auto it = keys_.find(id);
      if (it != keys_.end()) return it->second;
    }
    COCOON_ASSIGN_OR_RETURN(crypto::PublicKey key, ImportPoint(crv, x, y));
    absl::MutexLock lock(&mu_);
    if (keys_.size() >= kMaxCachedKeys) keys_.clear();
    keys_.emplace(id, key);
    return key;
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, crypto::PublicKey> keys_;
};

PeerCache& Peers() {
  static PeerCache* cache = new PeerCache();
  return *cache;
}

absl::StatusOr<SecretBytes> Derive(EVP_PKEY* own, EVP_PKEY* peer, bool validate_peer) {
  Ctx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, own, nullptr));
  size_t len = 0;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer_ex(ctx.get(), peer, validate_peer ? 1 : 0) != 1 ||
      EVP_PKEY_derive(ctx.get(), nullptr, &len) != 1) {
    return absl::InvalidArgumentError("ECDH-ES+A256KW: key agreement failed");
  }
  SecretBytes z(len);
  if (EVP_PKEY_derive(ctx.get(), z.data(), &len) != 1) return OpenSslError("EVP_PKEY_derive");
  z.resize(len);
  return z;
}

absl::StatusOr<SecretBytes> Kek(const SecretBytes& z) {
  return crypto::ConcatKdfSha256(z.view(), 32, kAlg, "", "");
}

// x and y of an EC key, each `n` bytes.
absl::StatusOr<std::pair<std::string, std::string>> Coordinates(EVP_PKEY* key, size_t n) {
  unsigned char buf[1 + 2 * 66];
  size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, buf, sizeof(buf),
                                      &len) != 1 ||
      len != 1 + 2 * n || buf[0] != 0x04) {
    return OpenSslError("EVP_PKEY_get_octet_string_param");
  }
  const char* p = reinterpret_cast<const char*>(buf);
  return std::make_pair(std::string(p + 1, n), std::string(p + 1 + n, n));
}

}  // namespace

absl::StatusOr<std::string> EcdhEsA256KwEncrypt(absl::string_view crv, absl::string_view x,
                                                absl::string_view y, absl::string_view plaintext) {
  COCOON_ASSIGN_OR_RETURN(size_t n, FieldSize(crv));
  COCOON_ASSIGN_OR_RETURN(crypto::PublicKey peer, Peers().Get(crv, x, y));
  // Generated from cached curve parameters: far cheaper than EVP_PKEY_Q_keygen by name.
  COCOON_ASSIGN_OR_RETURN(crypto::PrivateKey eph, crypto::PrivateKey::Generate(CurveType(n)));
  COCOON_ASSIGN_OR_RETURN(auto epk, Coordinates(eph.get(), n));
  COCOON_ASSIGN_OR_RETURN(SecretBytes z, Derive(eph.get(), peer.get(), /*validate_peer=*/false));
  COCOON_ASSIGN_OR_RETURN(SecretBytes kek, Kek(z));
  SecretBytes cek(32);
  COCOON_RETURN_IF_ERROR(crypto::RandomFill(cek.data(), cek.size()));
  COCOON_ASSIGN_OR_RETURN(std::string wrapped, crypto::AesKeyWrap(kek.view(), cek.view()));
  const std::string header = absl::StrCat(
      R"({"alg":"ECDH-ES+A256KW","enc":"A256GCM","epk":{"crv":")", crv, R"(","kty":"EC","x":")",
      Base64UrlEncode(epk.first), R"(","y":")", Base64UrlEncode(epk.second), R"("}})");
  const std::string protected_b64 = Base64UrlEncode(header);
  const std::string iv = crypto::RandomBytes(crypto::kGcmIvSize);
  std::string tag;
  COCOON_ASSIGN_OR_RETURN(std::string ct,
                          crypto::AesGcmEncrypt(cek.view(), iv, plaintext, protected_b64, &tag));
  return absl::StrCat(R"({"protected":")", protected_b64, R"(","encrypted_key":")",
                      Base64UrlEncode(wrapped), R"(","iv":")", Base64UrlEncode(iv),
                      R"(","ciphertext":")", Base64UrlEncode(ct), R"(","tag":")",
                      Base64UrlEncode(tag), R"("})");
}

absl::StatusOr<SecretBytes> EcdhEsA256KwDecrypt(absl::string_view jwe,
                                                const crypto::PrivateKey& key) {
  absl::StatusOr<Json> j = ParseJson(jwe, "JWE", 8);
  if (!j.ok() || !j->is_object()) return absl::NotFoundError("not a flattened JWE");
  std::string fields[5];
  const char* names[5] = {"protected", "encrypted_key", "iv", "ciphertext", "tag"};
  for (int i = 0; i < 5; ++i) {
    auto it = j->find(names[i]);
    if (it == j->end() || !it->is_string()) return absl::NotFoundError("not a flattened JWE");
    fields[i] = it->get<std::string>();
  }
  COCOON_ASSIGN_OR_RETURN(std::string header_text, Base64UrlDecode(fields[0]));
  COCOON_ASSIGN_OR_RETURN(Json header, ParseJson(header_text, "JWE header", 8));
  if (header.value("alg", "") != kAlg || header.value("enc", "") != "A256GCM" ||
      !header.contains("epk") || !header["epk"].is_object()) {
    return absl::NotFoundError("not ECDH-ES+A256KW/A256GCM");
  }
  const Json& epk = header["epk"];
  if (!epk.contains("crv") || !epk.contains("x") || !epk.contains("y") || !epk["crv"].is_string() ||
      !epk["x"].is_string() || !epk["y"].is_string()) {
    return absl::InvalidArgumentError("JWE epk is incomplete");
  }
  COCOON_ASSIGN_OR_RETURN(crypto::PublicKey peer,
                          ImportPoint(epk["crv"].get<std::string>(), epk["x"].get<std::string>(),
                                      epk["y"].get<std::string>()));
  COCOON_ASSIGN_OR_RETURN(SecretBytes z, Derive(key.get(), peer.get(), /*validate_peer=*/false));
  COCOON_ASSIGN_OR_RETURN(SecretBytes kek, Kek(z));
  COCOON_ASSIGN_OR_RETURN(std::string wrapped, Base64UrlDecode(fields[1]));
  COCOON_ASSIGN_OR_RETURN(SecretBytes cek, crypto::AesKeyUnwrap(kek.view(), wrapped));
  COCOON_ASSIGN_OR_RETURN(std::string iv, Base64UrlDecode(fields[2]));
  COCOON_ASSIGN_OR_RETURN(std::string ct, Base64UrlDecode(fields[3]));
  COCOON_ASSIGN_OR_RETURN(std::string tag, Base64UrlDecode(fields[4]));
  return crypto::AesGcmDecrypt(cek.view(), iv, ct, fields[0], tag);
}

}  // namespace cocoon::kbs
