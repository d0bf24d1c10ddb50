// AES Key Wrap (RFC 3394) with the default initial value A6A6A6A6A6A6A6A6, as JOSE's A128KW,
// A192KW and A256KW use it.
#ifndef COCOON_CRYPTO_KEY_WRAP_H_
#define COCOON_CRYPTO_KEY_WRAP_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/secret_bytes.h"

namespace cocoon::crypto {

// `kek` is 16, 24 or 32 bytes; `key` a multiple of 8 bytes, at least 16. The result is 8 bytes
// longer than `key`.
absl::StatusOr<std::string> AesKeyWrap(absl::string_view kek, absl::string_view key);
// Fails with "integrity check failed" when the KEK is wrong or the input was modified.
absl::StatusOr<SecretBytes> AesKeyUnwrap(absl::string_view kek, absl::string_view wrapped);

}  // namespace cocoon::crypto

#endif  // COCOON_CRYPTO_KEY_WRAP_H_
