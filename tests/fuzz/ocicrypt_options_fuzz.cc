// Private and public layer options JSON: parsing must not crash, and whatever parses must
// serialize to JSON that parses back to the same options.
#include <cstddef>
#include <cstdint>

#include "ocicrypt/options.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view in(reinterpret_cast<const char*>(data), size);
  using namespace cocoon::ocicrypt;
  if (auto priv = ParsePrivateOptions(in); priv.ok()) {
    const cocoon::SecretBytes json = SerializePrivateOptions(*priv);
    auto back = ParsePrivateOptions(json.view());
    if (!back.ok() || !(back->symkey == priv->symkey) || back->digest != priv->digest ||
        back->cipher_options != priv->cipher_options) {
      __builtin_trap();
    }
  }
  if (auto pub = ParsePublicOptions(in); pub.ok()) {
    auto back = ParsePublicOptions(SerializePublicOptions(*pub));
    if (!back.ok() || back->cipher != pub->cipher || back->hmac != pub->hmac ||
        back->cipher_options != pub->cipher_options) {
      __builtin_trap();
    }
  }
  return 0;
}
