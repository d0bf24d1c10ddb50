#include "crypto/stream_cipher.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <climits>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "crypto/openssl_util.h"

namespace cocoon::crypto {

absl::StatusOr<std::unique_ptr<AesCtr256>> AesCtr256::New(absl::string_view key,
                                                          absl::string_view iv) {
  if (key.size() != kKeySize) {
    return absl::InvalidArgumentError(
        absl::StrCat("AES-256-CTR: invalid key length of ", key.size(), " bytes; need 32 bytes"));
  }
  if (iv.size() != kIvSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("AES-256-CTR: invalid nonce length of ", iv.size(), " bytes; need 16 bytes"));
  }
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (ctx == nullptr) return OpenSslError("EVP_CIPHER_CTX_new");
  std::unique_ptr<AesCtr256> out(new AesCtr256(ctx));
  if (EVP_EncryptInit_ex(ctx, EVP_aes_256_ctr(), nullptr,
                         reinterpret_cast<const unsigned char*>(key.data()),
                         reinterpret_cast<const unsigned char*>(iv.data())) != 1) {
    return OpenSslError("AES-256-CTR init");
  }
  return out;
}

AesCtr256::~AesCtr256() { EVP_CIPHER_CTX_free(ctx_); }

absl::Status AesCtr256::Process(const uint8_t* in, uint8_t* out, size_t len) {
  while (len > 0) {
    const int chunk = len > (1u << 30) ? (1 << 30) : static_cast<int>(len);
    int outl = 0;
    if (EVP_EncryptUpdate(ctx_, out, &outl, in, chunk) != 1 || outl != chunk) {
      return OpenSslError("AES-256-CTR update");
    }
    in += chunk;
    out += chunk;
    len -= static_cast<size_t>(chunk);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<HmacSha256>> HmacSha256::New(absl::string_view key) {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac == nullptr) return OpenSslError("EVP_MAC_fetch(HMAC)");
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  EVP_MAC_free(mac);
  if (ctx == nullptr) return OpenSslError("EVP_MAC_CTX_new");
  std::unique_ptr<HmacSha256> out(new HmacSha256(ctx));
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  if (EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(key.data()), key.size(), params) !=
      1) {
    return OpenSslError("HMAC-SHA256 init");
  }
  return out;
}

HmacSha256::~HmacSha256() { EVP_MAC_CTX_free(ctx_); }

absl::Status HmacSha256::Update(const uint8_t* data, size_t len) {
  if (EVP_MAC_update(ctx_, data, len) != 1) return OpenSslError("HMAC-SHA256 update");
  return absl::OkStatus();
}

absl::StatusOr<std::string> HmacSha256::Finalize() {
  std::string tag(kTagSize, '\0');
  size_t outl = 0;
  if (EVP_MAC_final(ctx_, reinterpret_cast<unsigned char*>(tag.data()), &outl, tag.size()) != 1 ||
      outl != kTagSize) {
    return OpenSslError("HMAC-SHA256 final");
  }
  return tag;
}

namespace {
const EVP_MD* Md(HashAlg alg) {
  switch (alg) {
    case HashAlg::kSha1:
      return EVP_sha1();
    case HashAlg::kSha256:
      return EVP_sha256();
    case HashAlg::kSha384:
      return EVP_sha384();
    case HashAlg::kSha512:
      return EVP_sha512();
  }
  return EVP_sha256();
}
}  // namespace

size_t HashSize(HashAlg alg) { return static_cast<size_t>(EVP_MD_get_size(Md(alg))); }

std::optional<HashAlg> Sha2FromName(absl::string_view name) {
  if (name == "sha256") return HashAlg::kSha256;
  if (name == "sha384") return HashAlg::kSha384;
  if (name == "sha512") return HashAlg::kSha512;
  return std::nullopt;
}

absl::StatusOr<std::unique_ptr<Hasher>> Hasher::New(HashAlg alg) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr) return OpenSslError("EVP_MD_CTX_new");
  std::unique_ptr<Hasher> out(new Hasher(ctx));
  if (EVP_DigestInit_ex(ctx, Md(alg), nullptr) != 1) return OpenSslError("digest init");
  return out;
}

Hasher::~Hasher() { EVP_MD_CTX_free(ctx_); }

absl::Status Hasher::Update(const uint8_t* data, size_t len) {
  if (EVP_DigestUpdate(ctx_, data, len) != 1) return OpenSslError("digest update");
  return absl::OkStatus();
}

absl::StatusOr<std::string> Hasher::Finalize() {
  std::string out(static_cast<size_t>(EVP_MD_CTX_get_size(ctx_)), '\0');
  unsigned int outl = 0;
  if (EVP_DigestFinal_ex(ctx_, reinterpret_cast<unsigned char*>(out.data()), &outl) != 1) {
    return OpenSslError("digest final");
  }
  out.resize(outl);
  return out;
}

std::string Hash(HashAlg alg, absl::string_view data) {
  std::string out(HashSize(alg), '\0');
  unsigned int outl = 0;
  if (EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &outl,
                 Md(alg), nullptr) != 1) {
    std::abort();
  }
  return out;
}

absl::StatusOr<std::string> HmacSha256Tag(absl::string_view key, absl::string_view data) {
  auto mac = HmacSha256::New(key);
  if (!mac.ok()) return mac.status();
  if (auto st = (*mac)->Update(data); !st.ok()) return st;
  return (*mac)->Finalize();
}

absl::Status RandomFill(uint8_t* out, size_t len) {
  while (len > 0) {
    const int chunk = len > INT_MAX ? INT_MAX : static_cast<int>(len);
    if (RAND_bytes(out, chunk) != 1) return OpenSslError("RAND_bytes");
    out += chunk;
    len -= static_cast<size_t>(chunk);
  }
  return absl::OkStatus();
}

std::string RandomBytes(size_t len) {
  std::string out(len, '\0');
  if (!RandomFill(reinterpret_cast<uint8_t*>(out.data()), len).ok()) std::abort();
  return out;
}

}  // namespace cocoon::crypto
