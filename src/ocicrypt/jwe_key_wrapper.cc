#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status.h"
#include "crypto/jose/jwe.h"
#include "crypto/jose/jwk.h"
#include "crypto/keys.h"
#include "ocicrypt/key_wrapper.h"

namespace cocoon::ocicrypt {
namespace {

bool LooksLikeJson(absl::string_view data) {
  for (char c : data) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    return c == '{';
  }
  return false;
}

// A recipient key file holds a PEM/DER SubjectPublicKeyInfo, a certificate, or a JWK whose
// optional "alg" selects the key-management algorithm.
absl::StatusOr<jose::JweRecipient> ParseRecipient(absl::string_view data, size_t index) {
  const std::string where = absl::StrCat("jwe recipient #", index + 1);
  if (LooksLikeJson(data)) {
    COCOON_ASSIGN_OR_RETURN_CTX(jose::Jwk jwk, jose::ParseJwk(data), where);
    return jose::JweRecipient{std::move(jwk.public_key), jwk.alg};
  }
  COCOON_ASSIGN_OR_RETURN_CTX(crypto::PublicKey key, crypto::PublicKey::Parse(data), where);
  return jose::JweRecipient{std::move(key), ""};
}

class JweKeyWrapper : public KeyWrapper {
 public:
  std::string AnnotationId() const override { return "jwe"; }

  bool HasRecipients(const EncryptConfig& ec) const override {
    auto it = ec.parameters.find(kParamPubKeys);
    return it != ec.parameters.end() && !it->second.empty();
  }

  absl::StatusOr<std::string> Wrap(const EncryptConfig& ec, const SecretBytes& optsdata) override {
    std::vector<jose::JweRecipient> recipients;
    auto it = ec.parameters.find(kParamPubKeys);
    if (it != ec.parameters.end()) {
      for (size_t i = 0; i < it->second.size(); ++i) {
        if (!it->second[i].has_value()) continue;
        COCOON_ASSIGN_OR_RETURN(auto r, ParseRecipient(*it->second[i], i));
        recipients.push_back(std::move(r));
      }
    }
    if (recipients.empty()) return absl::InvalidArgumentError("jwe: no recipients");
    return jose::JweEncrypt(optsdata.view(), recipients);
  }

  bool NoPossibleKeys(const DecryptConfig& dc) const override {
    auto it = dc.parameters.find(kParamPrivKeys);
    return it == dc.parameters.end() || it->second.empty();
  }

  absl::StatusOr<SecretBytes> Unwrap(const DecryptConfig& dc, absl::string_view entry) override {
    auto keys = dc.parameters.find(kParamPrivKeys);
    if (keys == dc.parameters.end()) return absl::NotFoundError("jwe: no private keys");
    auto pw = dc.parameters.find(kParamPrivKeysPasswords);
    std::vector<std::string> errors;
    for (size_t i = 0; i < keys->second.size(); ++i) {
      if (!keys->second[i].has_value()) continue;
      const std::string& data = *keys->second[i];
      std::optional<absl::string_view> password;
      if (pw != dc.parameters.end() && i < pw->second.size() && pw->second[i].has_value()) {
        password = *pw->second[i];
      }
      absl::StatusOr<crypto::PrivateKey> key = absl::UnknownError("unset");
      if (LooksLikeJson(data)) {
        auto jwk = jose::ParseJwk(data);
        if (!jwk.ok()) {
          errors.push_back(absl::StrCat("key #", i + 1, ": ", jwk.status().message()));
          continue;
        }
        if (!jwk->private_key.has_value()) {
          errors.push_back(absl::StrCat("key #", i + 1, ": JWK has no private part"));
          continue;
        }
        key = std::move(*jwk->private_key);
      } else {
        key = crypto::PrivateKey::Parse(data, password);
      }
      if (!key.ok()) {
        errors.push_back(absl::StrCat("key #", i + 1, ": ", key.status().message()));
        continue;
      }
      auto plain = jose::JweDecrypt(entry, *key);
      if (plain.ok()) return std::move(*plain);
      errors.push_back(absl::StrCat("key #", i + 1, ": ", plain.status().message()));
    }
    return absl::PermissionDeniedError(
        absl::StrCat("jwe: none of the private keys could unwrap the layer key (",
                     absl::StrJoin(errors, "; "), ")"));
  }
};

}  // namespace

std::unique_ptr<KeyWrapper> NewJweKeyWrapper() { return std::make_unique<JweKeyWrapper>(); }

}  // namespace cocoon::ocicrypt
