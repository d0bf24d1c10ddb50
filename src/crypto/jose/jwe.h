// JSON Web Encryption (RFC 7516) with the algorithms ocicrypt (go-jose) and the Trustee KBS use.
//
// Key management, encrypt and decrypt: RSA-OAEP (SHA-1), RSA-OAEP-256, ECDH-ES+A128KW,
// ECDH-ES+A192KW, ECDH-ES+A256KW (P-256/P-384/P-521), ECDH-ES (direct, single recipient only),
// and RSA1_5 (deprecated; for peers that still ask for it). Content encryption: A128GCM, A192GCM,
// A256GCM, A128CBC-HS256, A192CBC-HS384, A256CBC-HS512.
//
// Output shape (matches go-jose / Go ocicrypt and the Trustee KBS):
//   flattened: {"protected":..,"encrypted_key":..,"iv":..,"ciphertext":..,"tag":..}, with "alg",
//              "enc" and (ECDH) "epk" in the protected header;
//   general:   {"protected":..,"recipients":[{"header":{"alg":..,"epk"?:..},"encrypted_key":..}],
//              "iv":..,"ciphertext":..,"tag":..}, with only "enc" protected;
//   compact:   BASE64URL(protected).encrypted_key.iv.ciphertext.tag.
// Header JSON members are sorted ({"alg","enc","epk"}; epk {"crv","kty","x","y"}). No "aad"
// member and no "zip" are ever written. The AAD of the content encryption is the ASCII of the
// encoded protected header (RFC 7516 5.1 step 14).
#ifndef COCOON_CRYPTO_JOSE_JWE_H_
#define COCOON_CRYPTO_JOSE_JWE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/secret_bytes.h"
#include "crypto/keys.h"

namespace cocoon::jose {

// `alg` "" picks the default: RSA key -> "RSA-OAEP" (SHA-1, what Go ocicrypt emits), EC key ->
// "ECDH-ES+A256KW".
struct JweRecipient {
  crypto::PublicKey key;
  std::string alg;
};

// kAuto: one recipient -> flattened, two or more -> general. kFlattened and kCompact need
// exactly one recipient.
enum class JweSerialization { kAuto, kFlattened, kGeneral, kCompact };

absl::StatusOr<std::string> JweEncrypt(absl::string_view plaintext,
                                       const std::vector<JweRecipient>& recipients,
                                       JweSerialization form = JweSerialization::kAuto,
                                       absl::string_view enc = "A256GCM");

// Accepts compact, flattened JSON and general JSON serializations (with "recipients" present, a
// top-level "encrypted_key" is ignored, as go-jose writes one). Tries each recipient whose "alg"
// fits the key type, in order; the first that decrypts wins. Returns the plaintext.
// Every failure is kInvalidArgument; messages name the JWE member ("JWE iv: ...", "JWE
// encrypted_key: ...", "JWE header epk: ...", "JWE content (A256GCM): AES-GCM: authentication
// failed ..."). With several recipients the message lists each recipient's error. An ECDH "epk"
// must be a valid point on the key's curve. RSA1_5 padding errors are reported as a content
// authentication failure (RFC 7516 11.5).
absl::StatusOr<SecretBytes> JweDecrypt(absl::string_view jwe, const crypto::PrivateKey& key);

// The same, also reporting which algorithms were used.
struct JweDecryptResult {
  SecretBytes plaintext;
  std::string alg;  // key management algorithm of the recipient that decrypted
  std::string enc;
  std::string protected_header;  // decoded protected header JSON text
};
absl::StatusOr<JweDecryptResult> JweDecryptDetailed(absl::string_view jwe,
                                                    const crypto::PrivateKey& key);

// The structure of a JWE, checked for shape and base64url but not decrypted.
struct ParsedJweRecipient {
  std::string header;         // per-recipient unprotected header JSON text ("" when absent)
  std::string encrypted_key;  // decoded
  std::string alg;            // effective "alg" (from any of the headers)
};
struct ParsedJwe {
  JweSerialization form = JweSerialization::kCompact;  // kCompact, kFlattened or kGeneral
  std::string protected_b64;     // the encoded protected header as given (part of the AAD)
  std::string protected_header;  // decoded JSON text ("" when absent)
  std::string unprotected;       // shared unprotected header JSON text ("" when absent)
  std::vector<ParsedJweRecipient> recipients;
  std::string enc;  // effective "enc"
  std::string iv;   // decoded
  std::string ciphertext;
  std::string tag;
  bool has_aad = false;
  std::string aad_b64;  // the "aad" member as given
  std::string aad;      // decoded
  // The AAD for content encryption: ASCII(protected_b64) [ || '.' || aad_b64 ].
  std::string ContentAad() const;
};
absl::StatusOr<ParsedJwe> ParseJwe(absl::string_view jwe);

}  // namespace cocoon::jose

#endif  // COCOON_CRYPTO_JOSE_JWE_H_
