// A key-wrap scheme: how the private layer options (the layer key, nonce and digest, as JSON)
// are wrapped for recipients and recorded in the `org.opencontainers.image.enc.keys.<id>`
// annotation. Formats are documented in docs/formats/image-encryption.md.
#ifndef COCOON_OCICRYPT_KEY_WRAPPER_H_
#define COCOON_OCICRYPT_KEY_WRAPPER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/secret_bytes.h"
#include "ocicrypt/crypto_config.h"

namespace cocoon::ocicrypt {

class KeyWrapper {
 public:
  virtual ~KeyWrapper() = default;

  // The annotation id: "jwe" or "provider.<name>".
  virtual std::string AnnotationId() const = 0;

  // True if `ec` names recipients for this scheme.
  virtual bool HasRecipients(const EncryptConfig& ec) const = 0;

  // Wraps `optsdata` for every recipient of this scheme in `ec`; the result is one annotation
  // entry (raw bytes, before base64).
  virtual absl::StatusOr<std::string> Wrap(const EncryptConfig& ec,
                                           const SecretBytes& optsdata) = 0;

  // True if `dc` cannot possibly unwrap an entry of this scheme, so it is skipped without error.
  virtual bool NoPossibleKeys(const DecryptConfig& dc) const = 0;

  // Unwraps one annotation entry (raw bytes) with the keys of `dc`.
  virtual absl::StatusOr<SecretBytes> Unwrap(const DecryptConfig& dc, absl::string_view entry) = 0;
};

// The JWE scheme: RSA-OAEP / RSA-OAEP-256 / ECDH-ES+AxxxKW recipients with A256GCM content, one
// multi-recipient JWE per run (flattened for one recipient), as Go ocicrypt writes it.
std::unique_ptr<KeyWrapper> NewJweKeyWrapper();

}  // namespace cocoon::ocicrypt

#endif  // COCOON_OCICRYPT_KEY_WRAPPER_H_
