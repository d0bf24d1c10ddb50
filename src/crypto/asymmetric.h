// Public-key operations on PublicKey/PrivateKey: RSA encryption (OAEP, PKCS#1 v1.5), ECDH with
// the JOSE Concat KDF, and signatures in the forms JOSE, TPM and TDX quotes use.
#ifndef COCOON_CRYPTO_ASYMMETRIC_H_
#define COCOON_CRYPTO_ASYMMETRIC_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/secret_bytes.h"
#include "crypto/keys.h"

typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace cocoon::crypto {

// OAEP hash; MGF1 uses the same hash and the label is empty (as RSA-OAEP / RSA-OAEP-256 in JOSE).
enum class OaepHash { kSha1, kSha256 };

absl::StatusOr<std::string> RsaOaepEncrypt(const PublicKey& key, OaepHash hash,
                                           absl::string_view plaintext);
absl::StatusOr<SecretBytes> RsaOaepDecrypt(const PrivateKey& key, OaepHash hash,
                                           absl::string_view ciphertext);

// RSAES-PKCS1-v1_5 (JOSE RSA1_5). Kept for compatibility; it is malleable and padding-oracle prone.
absl::StatusOr<std::string> RsaPkcs1v15Encrypt(const PublicKey& key, absl::string_view plaintext);
// Uses OpenSSL's implicit rejection where the library offers it (3.2+). Callers that must not
// reveal padding failures (JWE RSA1_5) substitute a random key on any error, RFC 7516 11.5.
absl::StatusOr<SecretBytes> RsaPkcs1v15Decrypt(const PrivateKey& key, absl::string_view ciphertext);

// Raw ECDH shared secret Z (the x coordinate, EcFieldSize bytes). The curves must match.
absl::StatusOr<SecretBytes> EcdhSharedSecret(const PrivateKey& key, const PublicKey& peer);

// NIST SP 800-56A Concat KDF with SHA-256 as JOSE uses it (RFC 7518 4.6.2): OtherInfo =
// len32(algorithm_id) || algorithm_id || len32(apu) || apu || len32(apv) || apv ||
// u32be(key_bytes * 8). `apu`/`apv` are the decoded PartyUInfo/PartyVInfo bytes.
absl::StatusOr<SecretBytes> ConcatKdfSha256(absl::string_view z, size_t key_bytes,
                                            absl::string_view algorithm_id, absl::string_view apu,
                                            absl::string_view apv);

enum class SignatureAlg { kEs256, kEs384, kEs512, kEdDsa, kRs256, kPs256 };

// JOSE name: "ES256", "ES384", "ES512", "EdDSA", "RS256", "PS256".
absl::string_view SignatureAlgName(SignatureAlg alg);
// Parses a JOSE name; nullopt for anything else (including "none").
std::optional<SignatureAlg> SignatureAlgFromName(absl::string_view name);
// OK if `alg` can be used with a key of `type` (ES256 needs P-256, RS256/PS256 need RSA, ...).
absl::Status CheckSignatureAlgForKey(SignatureAlg alg, KeyType type);

// ECDSA signatures are produced and consumed in the JOSE raw form r || s, each EcFieldSize
// bytes. RSA signatures are the modulus size. EdDSA is pure Ed25519.
absl::StatusOr<std::string> Sign(const PrivateKey& key, SignatureAlg alg, absl::string_view data);
// Fails with code kUnauthenticated and "signature invalid" when the signature does not verify;
// other failures (wrong key type, malformed signature length) are kInvalidArgument.
absl::Status Verify(const PublicKey& key, SignatureAlg alg, absl::string_view data,
                    absl::string_view signature);

// A private key prepared for many signatures with one algorithm: OpenSSL looks the digest and
// signature implementations up and sets up a context on every Sign() call, which for ES256 costs
// about as much as the signature itself; a Signer does that once and starts every signature from
// a copy of the prepared context. Same output format and errors as Sign(). Thread-safe.
class Signer {
 public:
  static absl::StatusOr<Signer> Create(const PrivateKey& key, SignatureAlg alg);
  Signer(Signer&& other) noexcept;
  Signer& operator=(Signer&& other) noexcept;
  ~Signer();

  absl::StatusOr<std::string> Sign(absl::string_view data) const;
  SignatureAlg alg() const { return alg_; }

 private:
  Signer(EVP_MD_CTX* ctx, SignatureAlg alg, KeyType type, size_t max_size)
      : ctx_(ctx), alg_(alg), type_(type), max_size_(max_size) {}
  EVP_MD_CTX* ctx_;  // owned; initialized for signing, only ever copied from
  SignatureAlg alg_;
  KeyType type_;
  size_t max_size_;
};

// The verifying counterpart of Signer: Verify() with the setup done once. Thread-safe.
class SignatureVerifier {
 public:
  static absl::StatusOr<SignatureVerifier> Create(const PublicKey& key, SignatureAlg alg);
  SignatureVerifier(SignatureVerifier&& other) noexcept;
  SignatureVerifier& operator=(SignatureVerifier&& other) noexcept;
  ~SignatureVerifier();

  absl::Status Verify(absl::string_view data, absl::string_view signature) const;
  SignatureAlg alg() const { return alg_; }

 private:
  SignatureVerifier(EVP_MD_CTX* ctx, SignatureAlg alg, KeyType type)
      : ctx_(ctx), alg_(alg), type_(type) {}
  EVP_MD_CTX* ctx_;  // owned; initialized for verification, only ever copied from
  SignatureAlg alg_;
  KeyType type_;
};

// ECDSA signature encodings. `field_size` is EcFieldSize of the curve (32, 48, 66).
absl::StatusOr<std::string> EcdsaDerToRaw(absl::string_view der, size_t field_size);
absl::StatusOr<std::string> EcdsaRawToDer(absl::string_view raw);

// Verifies an ECDSA signature (raw r || s) over an already computed digest, as TPM and TDX
// quote verifiers need.
absl::Status VerifyEcdsaDigest(const PublicKey& key, absl::string_view digest,
                               absl::string_view raw_signature);

}  // namespace cocoon::crypto

#endif  // COCOON_CRYPTO_ASYMMETRIC_H_
