// Compact JSON Web Signatures (RFC 7515) and JWT validation (RFC 7519) for ES256, ES384, ES512,
// EdDSA (Ed25519), RS256 and PS256.
//
// Errors are distinguishable by code and by a fixed message prefix:
//   "JWS malformed: ..."          kInvalidArgument  (segments, base64url, JSON, missing alg, crit)
//   "JWS alg not allowed: ..."    kPermissionDenied (alg "none", unknown alg, not in the allowed
//                                                    list, or not fitting the key type)
//   "JWS signature invalid"       kUnauthenticated
//   "JWT expired" / "JWT not yet valid" kUnauthenticated
//   "JWT malformed: ..."          kInvalidArgument  (claims not an object, bad exp/nbf)
#ifndef COCOON_CRYPTO_JOSE_JWS_H_
#define COCOON_CRYPTO_JOSE_JWS_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "crypto/asymmetric.h"
#include "crypto/keys.h"

namespace cocoon::jose {

// Signs `payload` (raw bytes) into a compact JWS. `header_json` is a JSON object; "" means {}.
// If it has no "alg", "alg" is added (the header is then re-serialized with sorted members);
// otherwise its "alg" must equal `alg` and the header bytes are used as given.
absl::StatusOr<std::string> JwsSign(absl::string_view header_json, absl::string_view payload,
                                    const crypto::PrivateKey& key, crypto::SignatureAlg alg);

// A compact JWS split into its parts, before any verification.
struct JwsParts {
  std::string header;         // decoded protected header JSON text
  std::string payload;        // decoded payload
  std::string signing_input;  // ASCII(BASE64URL(header) '.' BASE64URL(payload))
  std::string signature;      // decoded
  std::string alg;            // the header's "alg"
};
// Checks shape only (3 segments, base64url, header is a JSON object with a string "alg", no
// "crit"). Use it to pick a key by "kid"/"jwk" before JwsVerify; never trust the payload from it.
absl::StatusOr<JwsParts> JwsParse(absl::string_view token);

struct VerifiedJws {
  std::string header;   // JSON text
  std::string payload;  // raw bytes
};
// Verifies a compact JWS with `key`. The header's "alg" must be in `allowed_algs` and fit the key.
absl::StatusOr<VerifiedJws> JwsVerify(absl::string_view token, const crypto::PublicKey& key,
                                      const std::vector<crypto::SignatureAlg>& allowed_algs);

// The same with a prepared verifier: the header's "alg" must be verifier.alg().
absl::StatusOr<VerifiedJws> JwsVerify(absl::string_view token,
                                      const crypto::SignatureVerifier& verifier);

// Signs a JWT: header {"alg":..,"typ":"JWT"}, payload = `claims_json` (must be a JSON object).
absl::StatusOr<std::string> JwtSign(absl::string_view claims_json, const crypto::PrivateKey& key,
                                    crypto::SignatureAlg alg);

struct JwtVerifyOptions {
  std::function<absl::Time()> clock = [] { return absl::Now(); };
  absl::Duration leeway = absl::Seconds(60);
  bool require_exp = true;
};
// JwsVerify, then checks that the payload is a JSON object and its "exp"/"nbf" (NumericDate)
// against options.clock() with options.leeway. Returns the claims JSON text.
absl::StatusOr<std::string> JwtVerify(absl::string_view token, const crypto::PublicKey& key,
                                      const std::vector<crypto::SignatureAlg>& allowed_algs,
                                      const JwtVerifyOptions& options = {});
// The same with a prepared verifier (see JwsVerify).
absl::StatusOr<std::string> JwtVerify(absl::string_view token,
                                      const crypto::SignatureVerifier& verifier,
                                      const JwtVerifyOptions& options = {});

}  // namespace cocoon::jose

#endif  // COCOON_CRYPTO_JOSE_JWS_H_
