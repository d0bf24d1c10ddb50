// Asymmetric keys on OpenSSL 3 EVP_PKEY: RSA, EC P-256/P-384/P-521 and Ed25519.
//
// PublicKey is a cheap, copyable handle (copies share the EVP_PKEY through its reference count);
// PrivateKey is move-only. Both always hold a key of a supported type: every factory checks the
// type, and there is no empty state (so neither is default-constructible). A moved-from key stays
// valid: moving shares the underlying EVP_PKEY instead of emptying the source.
//
// Errors are kInvalidArgument with a message that names the format or component at fault and
// never contains key material.
//
// Raw-component factories and accessors (big-endian, unsigned integers; EC coordinates and
// scalars padded to the field size) exist for JWK and for wire formats that carry key numbers.
#ifndef COCOON_CRYPTO_KEYS_H_
#define COCOON_CRYPTO_KEYS_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/secret_bytes.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace cocoon::crypto {

enum class KeyType { kRsa, kEcP256, kEcP384, kEcP521, kEd25519 };

// "RSA", "EC P-256", "EC P-384", "EC P-521", "Ed25519" (for messages).
absl::string_view KeyTypeName(KeyType type);
bool IsEcKeyType(KeyType type);
// Size in bytes of a field element (coordinate, private scalar) of an EC curve; 0 for non-EC.
size_t EcFieldSize(KeyType type);
// JOSE curve name ("P-256", "P-384", "P-521", "Ed25519"); empty for RSA.
absl::string_view JoseCurveName(KeyType type);

class PublicKey {
 public:
  // SubjectPublicKeyInfo ("PUBLIC KEY") or PKCS#1 ("RSA PUBLIC KEY") in PEM or DER, or an X.509
  // certificate (PEM "CERTIFICATE" or DER) whose key is taken. For PEM input the first block is
  // used, so a certificate chain yields the leaf's key.
  static absl::StatusOr<PublicKey> Parse(absl::string_view pem_or_der);
  // Shares `pkey` (takes a new reference; the caller keeps its own). Fails for unsupported types.
  static absl::StatusOr<PublicKey> FromEvp(EVP_PKEY* pkey);
  // RSA modulus and public exponent, big-endian.
  static absl::StatusOr<PublicKey> FromRsa(absl::string_view n, absl::string_view e);
  // Affine coordinates, each exactly EcFieldSize(type) bytes. The point must be on the curve.
  static absl::StatusOr<PublicKey> FromEcPoint(KeyType type, absl::string_view x,
                                               absl::string_view y);
  // The 32-byte Ed25519 public key.
  static absl::StatusOr<PublicKey> FromEd25519(absl::string_view raw);

  PublicKey(const PublicKey& other);
  PublicKey& operator=(const PublicKey& other);
  PublicKey(PublicKey&& other) noexcept;
  PublicKey& operator=(PublicKey&& other) noexcept;
  ~PublicKey();

  KeyType type() const { return type_; }
  EVP_PKEY* get() const { return pkey_; }
  // Key size in bits (RSA modulus size, EC curve size, 253 for Ed25519).
  int bits() const;

  absl::StatusOr<std::string> ToPem() const;  // SPKI "PUBLIC KEY"
  absl::StatusOr<std::string> ToDer() const;  // SPKI

  // True if both hold the same public key (same type and parameters).
  bool Equals(const PublicKey& other) const;

  struct RsaNumbers {
    std::string n;  // big-endian, no leading zero bytes
    std::string e;
  };
  absl::StatusOr<RsaNumbers> GetRsaNumbers() const;
  struct EcPoint {
    std::string x;  // big-endian, EcFieldSize bytes
    std::string y;
  };
  absl::StatusOr<EcPoint> GetEcPoint() const;
  absl::StatusOr<std::string> GetEd25519() const;  // 32 bytes

 private:
  PublicKey(EVP_PKEY* pkey, KeyType type) : pkey_(pkey), type_(type) {}  // takes ownership
  friend class PrivateKey;

  EVP_PKEY* pkey_;
  KeyType type_;
};

class PrivateKey {
 public:
  // PEM or DER: PKCS#8 (plain, or encrypted with `password`), PKCS#1 "RSA PRIVATE KEY", SEC1
  // "EC PRIVATE KEY", or a legacy encrypted PEM (Proc-Type: 4,ENCRYPTED) with `password`. An "EC
  // PARAMETERS" block before the key is skipped.
  static absl::StatusOr<PrivateKey> Parse(absl::string_view pem_or_der,
                                          std::optional<absl::string_view> password = std::nullopt);
  static absl::StatusOr<PrivateKey> Generate(KeyType type, int rsa_bits = 2048);

  struct RsaNumbers {
    std::string n;  // public numbers
    std::string e;
    SecretBytes d;
    // CRT parameters: either all present or all empty.
    SecretBytes p, q, dp, dq, qi;
  };
  // From big-endian numbers; without CRT parameters the key works but is slower.
  static absl::StatusOr<PrivateKey> FromRsa(const RsaNumbers& numbers);
  // Private scalar `d` (EcFieldSize bytes) and the public point, which must match it.
  static absl::StatusOr<PrivateKey> FromEc(KeyType type, absl::string_view d, absl::string_view x,
                                           absl::string_view y);
  // The 32-byte Ed25519 seed.
  static absl::StatusOr<PrivateKey> FromEd25519(absl::string_view seed);

  PrivateKey(PrivateKey&& other) noexcept;
  PrivateKey& operator=(PrivateKey&& other) noexcept;
  PrivateKey(const PrivateKey&) = delete;
  PrivateKey& operator=(const PrivateKey&) = delete;
  ~PrivateKey();

  KeyType type() const { return type_; }
  EVP_PKEY* get() const { return pkey_; }
  int bits() const;
  PublicKey GetPublic() const;

  absl::StatusOr<SecretBytes> ToPkcs8Pem() const;
  absl::StatusOr<SecretBytes> ToPkcs8Der() const;

  absl::StatusOr<RsaNumbers> GetRsaNumbers() const;
  absl::StatusOr<SecretBytes> GetEcPrivateScalar() const;  // EcFieldSize bytes
  absl::StatusOr<SecretBytes> GetEd25519Seed() const;      // 32 bytes

 private:
  PrivateKey(EVP_PKEY* pkey, KeyType type) : pkey_(pkey), type_(type) {}  // takes ownership

  EVP_PKEY* pkey_;
  KeyType type_;
};

}  // namespace cocoon::crypto

#endif  // COCOON_CRYPTO_KEYS_H_
