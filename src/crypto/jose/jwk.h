// JSON Web Keys (RFC 7517/7518, RFC 8037 for Ed25519) and thumbprints (RFC 7638).
//
// Supported: kty "RSA" (n, e and optionally d with p, q, dp, dq, qi), kty "EC" with crv
// P-256/P-384/P-521 (x, y, optional d; the point must be on the curve), kty "OKP" with crv
// Ed25519 (x, optional d). Errors name the offending member.
//
// Output format (PublicJwkJson, PrivateJwkJson, JwkThumbprint): compact JSON with members in
// lexicographic order, base64url without padding, EC coordinates and scalars left-padded to the
// field size, RSA numbers without leading zero bytes:
//   RSA public  {"alg"?,"e","kty","n"}
//   EC public   {"alg"?,"crv","kty","x","y"}
//   OKP public  {"alg"?,"crv","kty","x"}
//   private keys add "d" (and "dp","dq","p","q","qi" for RSA) at their sorted places.
// Without "alg" this is exactly the RFC 7638 thumbprint input.
#ifndef COCOON_CRYPTO_JOSE_JWK_H_
#define COCOON_CRYPTO_JOSE_JWK_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/secret_bytes.h"
#include "crypto/keys.h"

namespace cocoon::jose {

struct Jwk {
  std::optional<crypto::PrivateKey> private_key;  // set when the JWK has "d"
  crypto::PublicKey public_key;
  std::string alg;  // "" when absent
  std::string kid;
  std::string use;
  // "x5c": DER certificates (decoded from standard base64), leaf first; empty when absent.
  std::vector<std::string> x5c;
};

absl::StatusOr<Jwk> ParseJwk(absl::string_view json);
// A JWK Set {"keys":[...]}. Keys with an unsupported "kty" (for example "oct") are skipped;
// malformed keys of a supported type are an error naming their index.
absl::StatusOr<std::vector<Jwk>> ParseJwkSet(absl::string_view json);

absl::StatusOr<std::string> PublicJwkJson(const crypto::PublicKey& key, absl::string_view alg = "");
absl::StatusOr<SecretBytes> PrivateJwkJson(const crypto::PrivateKey& key,
                                           absl::string_view alg = "");
// RFC 7638 SHA-256 thumbprint, base64url without padding.
absl::StatusOr<std::string> JwkThumbprint(const crypto::PublicKey& key);

}  // namespace cocoon::jose

#endif  // COCOON_CRYPTO_JOSE_JWK_H_
