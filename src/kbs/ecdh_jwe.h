// ECDH-ES+A256KW / A256GCM JWE (flattened JSON, the KBS resource response) directly on OpenSSL
// EVP keys, for the hot path of key release: the generic JOSE code converts every key through
// DER, which on OpenSSL 3 costs several times the ECDH itself. Peer keys are cached by their
// coordinates (they are public and a TEE reuses its key).
//
// Internal to src/kbs.
#ifndef COCOON_KBS_ECDH_JWE_H_
#define COCOON_KBS_ECDH_JWE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/secret_bytes.h"
#include "crypto/keys.h"

namespace cocoon::kbs {

// `crv` "P-256" or "P-521"; `x`, `y` base64url coordinates of the recipient.
absl::StatusOr<std::string> EcdhEsA256KwEncrypt(absl::string_view crv, absl::string_view x,
                                                absl::string_view y, absl::string_view plaintext);

// Decrypts a flattened ECDH-ES+A256KW / A256GCM JWE with `key`; other JWEs are NotFound so the
// caller can fall back to the generic decryptor.
absl::StatusOr<SecretBytes> EcdhEsA256KwDecrypt(absl::string_view jwe,
                                                const crypto::PrivateKey& key);

}  // namespace cocoon::kbs

#endif  // COCOON_KBS_ECDH_JWE_H_
