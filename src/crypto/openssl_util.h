// Internal helpers for turning OpenSSL's error queue into absl::Status and owning OpenSSL
// objects. Not for use outside src/crypto.
#ifndef COCOON_CRYPTO_OPENSSL_UTIL_H_
#define COCOON_CRYPTO_OPENSSL_UTIL_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace cocoon::crypto {

// Drains OpenSSL's thread-local error queue into a status "<what> failed: <openssl reason>".
// The queue holds library reasons only, never key material.
absl::Status OpenSslError(absl::string_view what,
                          absl::StatusCode code = absl::StatusCode::kInternal);

}  // namespace cocoon::crypto

#endif  // COCOON_CRYPTO_OPENSSL_UTIL_H_
