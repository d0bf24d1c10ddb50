// Helpers shared by the JOSE units. Internal to src/crypto/jose: it pulls in nlohmann JSON.
#ifndef COCOON_CRYPTO_JOSE_INTERNAL_H_
#define COCOON_CRYPTO_JOSE_INTERNAL_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/json.h"
#include "crypto/jose/jwk.h"
#include "crypto/keys.h"

namespace cocoon::jose::internal {

// Strict base64url without padding (no whitespace, no '='); `what` names the field in errors.
absl::StatusOr<std::string> DecodeB64Url(absl::string_view text, absl::string_view what);

// A JWK given as a parsed JSON object; `where` prefixes error messages ("JWE header epk").
absl::StatusOr<Jwk> JwkFromJson(const Json& object, absl::string_view where);

// The public JWK as a JSON value (members sorted by nlohmann's std::map order).
absl::StatusOr<Json> PublicJwkValue(const crypto::PublicKey& key, absl::string_view alg);

}  // namespace cocoon::jose::internal

#endif  // COCOON_CRYPTO_JOSE_INTERNAL_H_
