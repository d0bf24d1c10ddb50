// The TEE public key of the RCAR protocol (kbs-types TeePubKey), the report-data binding and the
// JWE that carries a released resource.
//
// Internal to src/kbs and its tests: this header includes base/json.h.
#ifndef COCOON_KBS_TEE_KEY_H_
#define COCOON_KBS_TEE_KEY_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/json.h"
#include "crypto/keys.h"

namespace cocoon::kbs {

// Only the typed members survive: {kty,alg,n,e} or {kty,crv,alg,x,y} (base64url strings).
struct TeePubKey {
  std::string kty;  // "RSA" or "EC"
  std::string alg;  // "RSA1_5", "RSA-OAEP-256", "ECDH-ES+A256KW"
  std::string crv;  // EC: "P-256", "P-384", "P-521"
  std::string n, e;
  std::string x, y;
};

absl::StatusOr<TeePubKey> TeePubKeyFromJson(const Json& jwk);
Json TeePubKeyToJson(const TeePubKey& key);
// The public key of a TEE key; fails for malformed numbers or points off the curve.
absl::StatusOr<crypto::PublicKey> TeePubKeyToPublicKey(const TeePubKey& key);
// The TeePubKey of `key` with `alg` ("" picks RSA-OAEP-256 for RSA, ECDH-ES+A256KW for EC).
absl::StatusOr<TeePubKey> TeePubKeyFromPublicKey(const crypto::PublicKey& key,
                                                 absl::string_view alg = "");

// SHA-384 of the RFC 8785 form of {"additional-evidence", "nonce", "tee-pubkey"} (48 bytes), or
// of {"nonce","tee-pubkey"} when `additional_evidence` is nullptr (device evidence).
absl::StatusOr<std::string> RuntimeDataDigest(absl::string_view nonce, const TeePubKey& key,
                                              const std::string* additional_evidence);
// The structured runtime data that the digest covers.
Json RuntimeDataJson(absl::string_view nonce, const TeePubKey& key,
                     const std::string* additional_evidence);

// Encrypts `plaintext` to the TEE key as the KBS resource response: flattened JWE JSON,
// enc A256GCM, alg from key.alg (RSA1_5, RSA-OAEP-256, ECDH-ES+A256KW on P-256/P-521).
absl::StatusOr<std::string> EncryptResource(const TeePubKey& key, absl::string_view plaintext);

}  // namespace cocoon::kbs

#endif  // COCOON_KBS_TEE_KEY_H_
