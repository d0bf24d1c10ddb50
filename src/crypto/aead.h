// Authenticated encryption for JOSE and the KBS: AES-GCM and AES-CBC-HMAC-SHA2 (RFC 7518 5.2).
#ifndef COCOON_CRYPTO_AEAD_H_
#define COCOON_CRYPTO_AEAD_H_

#include <cstddef>
#include <initializer_list>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/secret_bytes.h"

namespace cocoon::crypto {

inline constexpr size_t kGcmIvSize = 12;
inline constexpr size_t kGcmTagSize = 16;
inline constexpr size_t kCbcIvSize = 16;

// AES-GCM with a 12-byte IV and a 16-byte tag. The key length selects AES-128, -192 or -256
// (16, 24 or 32 bytes). Returns the ciphertext (same length as the plaintext); the tag goes to
// `tag`.
absl::StatusOr<std::string> AesGcmEncrypt(absl::string_view key, absl::string_view iv,
                                          absl::string_view plaintext, absl::string_view aad,
                                          std::string* tag);
// Fails with "authentication failed" when the tag does not verify; no plaintext is released then.
absl::StatusOr<SecretBytes> AesGcmDecrypt(absl::string_view key, absl::string_view iv,
                                          absl::string_view ciphertext, absl::string_view aad,
                                          absl::string_view tag);

// AES_CBC_HMAC_SHA2 (RFC 7518 5.2): A128CBC-HS256, A192CBC-HS384 and A256CBC-HS512, selected by
// the key length (32, 48 or 64 bytes: MAC key first, then the AES key). IV 16 bytes; the tag is
// half the HMAC output (16, 24 or 32 bytes).
absl::StatusOr<std::string> AesCbcHmacEncrypt(absl::string_view key, absl::string_view iv,
                                              absl::string_view plaintext, absl::string_view aad,
                                              std::string* tag);
// The tag is checked in constant time before any decryption.
absl::StatusOr<SecretBytes> AesCbcHmacDecrypt(absl::string_view key, absl::string_view iv,
                                              absl::string_view ciphertext, absl::string_view aad,
                                              absl::string_view tag);

// HMAC with SHA-256, -384 or -512 (`hash_bytes` = 32, 48 or 64) over the concatenation of
// `parts`.
absl::StatusOr<std::string> HmacSha2(size_t hash_bytes, absl::string_view key,
                                     std::initializer_list<absl::string_view> parts);

}  // namespace cocoon::crypto

#endif  // COCOON_CRYPTO_AEAD_H_
