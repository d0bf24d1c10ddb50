// The private and public layer block cipher options of ocicrypt (PrivateLayerBlockCipherOptions /
// PublicLayerBlockCipherOptions) and their JSON form.
//
// The serializers produce exactly the bytes Go's encoding/json writes for these structs (fields in
// declaration order, map keys sorted, []byte as padded standard base64, Go string escaping), so
// that an encryptor written with them is indistinguishable from skopeo. The parsers are as lenient
// as Go's (keys match case-insensitively, unknown keys are ignored, null means empty) but strict
// about base64, which Go is too.
#ifndef COCOON_OCICRYPT_OPTIONS_H_
#define COCOON_OCICRYPT_OPTIONS_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/secret_bytes.h"

namespace cocoon::ocicrypt {

inline constexpr absl::string_view kCipherAes256CtrHmacSha256 = "AES_256_CTR_HMAC_SHA256";
inline constexpr absl::string_view kNonceOption = "nonce";

// Wrapped by every key-wrap scheme; holds the layer key.
struct PrivateOptions {
  SecretBytes symkey;
  std::string digest;  // digest of the plaintext (source) blob, "sha256:<hex>"; may be empty
  std::map<std::string, std::string> cipher_options;  // values are raw bytes ("nonce")

  PrivateOptions Clone() const { return {symkey.Clone(), digest, cipher_options}; }
};

// Stored in the pubopts annotation in the clear.
struct PublicOptions {
  std::string cipher;
  std::string hmac;  // raw 32-byte tag
  std::map<std::string, std::string> cipher_options;
};

// {"symkey":"<b64>","digest":"<digest>","cipheroptions":{"nonce":"<b64>"}}. An empty
// cipher_options map is written as {} (Go would write null only for a nil map, which its
// encoder never produces).
SecretBytes SerializePrivateOptions(const PrivateOptions& opts);
// {"cipher":"...","hmac":"<b64>","cipheroptions":{}}
std::string SerializePublicOptions(const PublicOptions& opts);

absl::StatusOr<PrivateOptions> ParsePrivateOptions(absl::string_view json);
absl::StatusOr<PublicOptions> ParsePublicOptions(absl::string_view json);

}  // namespace cocoon::ocicrypt

#endif  // COCOON_OCICRYPT_OPTIONS_H_
