// Attestation tokens: the EAR JWT the built-in attestation service issues (ES256, header "jwk"
// and, with a signer certificate, "x5c"), and the verifier the KBS applies to every token it is
// shown.
//
// The verifier trusts, in order: the KBS's own signing key; a header "jwk" whose "x5c" chain
// ends in one of `trusted_certs_paths` (the leaf must carry exactly the JWK's key); a "kid"
// found in `trusted_jwk_sets`; any header "jwk" when `insecure_header_jwk` is set. "alg": "none"
// and algorithms that do not fit the key are refused; "exp" is required (60 s leeway).
#ifndef COCOON_KBS_TOKEN_H_
#define COCOON_KBS_TOKEN_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "crypto/asymmetric.h"
#include "crypto/keys.h"
#include "kbs/config.h"

namespace cocoon::kbs {

class TokenSigner {
 public:
  // Loads broker.signer_key_path (P-256 PEM) and signer_cert_path, or makes an ephemeral key.
  static absl::StatusOr<std::unique_ptr<TokenSigner>> Create(const TokenBrokerConfig& broker);
  static absl::StatusOr<std::unique_ptr<TokenSigner>> FromKey(
      crypto::PrivateKey key, std::vector<std::string> cert_chain_der = {},
      std::string cert_url = "");

  // A compact JWS over `claims_json` with this signer's header.
  absl::StatusOr<std::string> Sign(absl::string_view claims_json) const;
  const crypto::PublicKey& public_key() const { return public_key_; }
  // base64url of the protected header every token of this signer starts with.
  const std::string& header_b64() const { return header_b64_; }
  bool ephemeral() const { return ephemeral_; }

 private:
  TokenSigner(crypto::PrivateKey key, crypto::Signer signer, std::string header_b64)
      : key_(std::move(key)),
        signer_(std::move(signer)),
        public_key_(key_.GetPublic()),
        header_b64_(std::move(header_b64)) {}
  crypto::PrivateKey key_;
  crypto::Signer signer_;  // ES256 with key_, prepared once
  crypto::PublicKey public_key_;
  std::string header_b64_;  // base64url of the protected header
  bool ephemeral_ = false;
};

// Verifies a JWK carrying "x5c" against PEM trust anchors (any number of certificates in
// `trusted_pem`; partial chains allowed): the leaf's key must equal the JWK's key, and the chain
// must verify. Returns the key.
absl::StatusOr<crypto::PublicKey> VerifyJwkEndorsement(absl::string_view jwk_json,
                                                       absl::string_view trusted_pem);

class TokenVerifier {
 public:
  // `own_key`: the local signer's key, always trusted.
  static absl::StatusOr<std::unique_ptr<TokenVerifier>> Create(
      const AttestationTokenConfig& config, std::optional<crypto::PublicKey> own_key);
  // Tokens whose header is exactly the own signer's (`header_b64`) skip the header parsing.
  void set_own_header(std::string header_b64) { own_header_b64_ = std::move(header_b64); }
  ~TokenVerifier();

  // Returns the verified claims as JSON text. Errors are kUnauthenticated/kInvalidArgument with
  // a message naming the reason.
  absl::StatusOr<std::string> Verify(absl::string_view token) const;

  // For tests.
  void set_clock(std::function<absl::Time()> clock) { clock_ = std::move(clock); }

 private:
  TokenVerifier() = default;
  std::optional<crypto::PublicKey> own_key_;
  std::optional<crypto::SignatureVerifier> own_verifier_;  // ES256 with own_key_, prepared once
  std::string own_header_b64_;
  bool insecure_header_jwk_ = false;
  std::string trusted_pem_;
  std::map<std::string, std::pair<crypto::PublicKey, std::string>> jwks_;  // kid -> key, alg
  std::function<absl::Time()> clock_ = [] { return absl::Now(); };
};

}  // namespace cocoon::kbs

#endif  // COCOON_KBS_TOKEN_H_
