// Fuzzes JWK and JWK Set parsing; keys that parse are serialized back and fingerprinted.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/string_view.h"
#include "crypto/jose/jwk.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  auto jwk = cocoon::jose::ParseJwk(input);
  if (jwk.ok()) {
    auto json = cocoon::jose::PublicJwkJson(jwk->public_key, jwk->alg);
    if (!json.ok()) std::abort();
    auto again = cocoon::jose::ParseJwk(*json);
    if (!again.ok() || !again->public_key.Equals(jwk->public_key)) std::abort();
    (void)cocoon::jose::JwkThumbprint(jwk->public_key);
    if (jwk->private_key.has_value()) {
      auto priv = cocoon::jose::PrivateJwkJson(*jwk->private_key);
      if (!priv.ok()) std::abort();
    }
  }
  (void)cocoon::jose::ParseJwkSet(input);
  return 0;
}
