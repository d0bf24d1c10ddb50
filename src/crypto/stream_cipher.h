// Streaming symmetric primitives on OpenSSL 3 EVP: AES-256-CTR, HMAC-SHA256 and message digests.
// These are the hot path of layer encryption, so they process caller-owned buffers in place and
// never allocate per call.
#ifndef COCOON_CRYPTO_STREAM_CIPHER_H_
#define COCOON_CRYPTO_STREAM_CIPHER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

typedef struct evp_cipher_ctx_st EVP_CIPHER_CTX;
typedef struct evp_mac_ctx_st EVP_MAC_CTX;
typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace cocoon::crypto {

// AES-256 in counter mode with the 16-byte IV as the whole initial counter block, incremented
// big-endian over all 128 bits (Go's cipher.NewCTR; OpenSSL EVP_aes_256_ctr).
class AesCtr256 {
 public:
  static constexpr size_t kKeySize = 32;
  static constexpr size_t kIvSize = 16;

  static absl::StatusOr<std::unique_ptr<AesCtr256>> New(absl::string_view key,
                                                        absl::string_view iv);
  ~AesCtr256();
  AesCtr256(const AesCtr256&) = delete;
  AesCtr256& operator=(const AesCtr256&) = delete;

  // XORs the key stream into `len` bytes from `in` to `out` (which may alias `in`).
  absl::Status Process(const uint8_t* in, uint8_t* out, size_t len);

 private:
  explicit AesCtr256(EVP_CIPHER_CTX* ctx) : ctx_(ctx) {}
  EVP_CIPHER_CTX* ctx_;
};

// Incremental HMAC-SHA256.
class HmacSha256 {
 public:
  static constexpr size_t kTagSize = 32;

  static absl::StatusOr<std::unique_ptr<HmacSha256>> New(absl::string_view key);
  ~HmacSha256();
  HmacSha256(const HmacSha256&) = delete;
  HmacSha256& operator=(const HmacSha256&) = delete;

  absl::Status Update(const uint8_t* data, size_t len);
  absl::Status Update(absl::string_view data) {
    return Update(reinterpret_cast<const uint8_t*>(data.data()), data.size());
  }
  // Returns the 32-byte tag; the object must not be used afterwards.
  absl::StatusOr<std::string> Finalize();

 private:
  explicit HmacSha256(EVP_MAC_CTX* ctx) : ctx_(ctx) {}
  EVP_MAC_CTX* ctx_;
};

enum class HashAlg { kSha1, kSha256, kSha384, kSha512 };

// Digest size in bytes.
size_t HashSize(HashAlg alg);

// "sha256", "sha384" or "sha512" (the names initdata documents and KBS requests use); nullopt
// for anything else, SHA-1 included.
std::optional<HashAlg> Sha2FromName(absl::string_view name);

// Incremental message digest.
class Hasher {
 public:
  static absl::StatusOr<std::unique_ptr<Hasher>> New(HashAlg alg);
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  absl::Status Update(const uint8_t* data, size_t len);
  absl::Status Update(absl::string_view data) {
    return Update(reinterpret_cast<const uint8_t*>(data.data()), data.size());
  }
  absl::StatusOr<std::string> Finalize();

 private:
  explicit Hasher(EVP_MD_CTX* ctx) : ctx_(ctx) {}
  EVP_MD_CTX* ctx_;
};

// One-shot helpers; they cannot fail short of memory exhaustion, which aborts.
std::string Hash(HashAlg alg, absl::string_view data);
inline std::string Sha256(absl::string_view data) { return Hash(HashAlg::kSha256, data); }
inline std::string Sha384(absl::string_view data) { return Hash(HashAlg::kSha384, data); }
absl::StatusOr<std::string> HmacSha256Tag(absl::string_view key, absl::string_view data);

// Cryptographically secure random bytes (OpenSSL RAND_bytes).
absl::Status RandomFill(uint8_t* out, size_t len);
std::string RandomBytes(size_t len);  // aborts if the system RNG fails

}  // namespace cocoon::crypto

#endif  // COCOON_CRYPTO_STREAM_CIPHER_H_
