// The encryption and decryption parameters of ocicrypt (Go `config.EncryptConfig` and
// `config.DecryptConfig`): named lists of byte strings. They travel to keyproviders verbatim, so
// their shape follows Go's exactly, including null elements in a list.
#ifndef COCOON_OCICRYPT_CRYPTO_CONFIG_H_
#define COCOON_OCICRYPT_CRYPTO_CONFIG_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace cocoon::ocicrypt {

// Parameter names used by the key-wrap schemes (Go ocicrypt's spellings).
inline constexpr absl::string_view kParamPubKeys = "pubkeys";
inline constexpr absl::string_view kParamPrivKeys = "privkeys";
inline constexpr absl::string_view kParamPrivKeysPasswords = "privkeys-passwords";
inline constexpr absl::string_view kParamX509s = "x509s";

// Values are raw bytes (key files, passwords, provider parameters); nullopt is a JSON null element,
// as in `"privkeys-passwords":[null]`.
using CryptoParameters =
    std::map<std::string, std::vector<std::optional<std::string>>, std::less<>>;

struct DecryptConfig {
  CryptoParameters parameters;
};

struct EncryptConfig {
  CryptoParameters parameters;
  // Keys able to unwrap existing entries, needed to add recipients to an encrypted layer.
  DecryptConfig decrypt_config;
};

}  // namespace cocoon::ocicrypt

#endif  // COCOON_OCICRYPT_CRYPTO_CONFIG_H_
