#include "kbs/token.h"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/encoding.h"
#include "base/file_util.h"
#include "base/json.h"
#include "base/status.h"
#include "crypto/asymmetric.h"
#include "crypto/jose/jwk.h"
#include "crypto/jose/jws.h"

namespace cocoon::kbs {
namespace {

struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct StoreFree {
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
};
struct StoreCtxFree {
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
};
struct StackFree {
  void operator()(STACK_OF(X509) * p) const { sk_X509_pop_free(p, X509_free); }
};
using X509P = std::unique_ptr<X509, X509Free>;

X509P ParseDer(absl::string_view der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  return X509P(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
}

// All certificates of a PEM bundle.
std::vector<X509P> ParsePemBundle(absl::string_view pem) {
  std::vector<X509P> out;
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return out;
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) out.emplace_back(cert);
  BIO_free(bio);
  return out;
}

absl::Status VerifyError(absl::string_view what) { return absl::UnauthenticatedError(what); }

}  // namespace

absl::StatusOr<std::unique_ptr<TokenSigner>> TokenSigner::FromKey(
    crypto::PrivateKey key, std::vector<std::string> cert_chain_der, std::string cert_url) {
  if (key.type() != crypto::KeyType::kEcP256) {
    return absl::InvalidArgumentError("only P-256 attestation token signing keys are supported");
  }
  COCOON_ASSIGN_OR_RETURN(std::string jwk_text, jose::PublicJwkJson(key.GetPublic(), "ES256"));
  COCOON_ASSIGN_OR_RETURN(Json jwk, ParseJson(jwk_text, "token signer JWK"));
  if (!cert_chain_der.empty()) {
    Json x5c = Json::array();
    for (const std::string& der : cert_chain_der) x5c.push_back(Base64Encode(der));
    jwk["x5c"] = x5c;
  }
  if (!cert_url.empty()) jwk["x5u"] = cert_url;
  OrderedJson header = OrderedJson::object();
  header["alg"] = "ES256";
  header["typ"] = "JWT";
  header["jwk"] = OrderedJson::parse(jwk.dump());
  COCOON_ASSIGN_OR_RETURN(crypto::Signer signer,
                          crypto::Signer::Create(key, crypto::SignatureAlg::kEs256));
  return std::unique_ptr<TokenSigner>(
      new TokenSigner(std::move(key), std::move(signer), Base64UrlEncode(header.dump())));
}

absl::StatusOr<std::unique_ptr<TokenSigner>> TokenSigner::Create(const TokenBrokerConfig& broker) {
  if (broker.signer_key_path.empty()) {
    COCOON_ASSIGN_OR_RETURN(crypto::PrivateKey key,
                            crypto::PrivateKey::Generate(crypto::KeyType::kEcP256));
    COCOON_ASSIGN_OR_RETURN(std::unique_ptr<TokenSigner> signer, FromKey(std::move(key)));
    signer->ephemeral_ = true;
    return signer;
  }
  COCOON_ASSIGN_OR_RETURN(std::string pem, ReadFile(broker.signer_key_path, 1 << 20));
  COCOON_ASSIGN_OR_RETURN_CTX(crypto::PrivateKey key, crypto::PrivateKey::Parse(pem),
                              absl::StrCat("token signing key ", broker.signer_key_path));
  SecureZero(pem.data(), pem.size());
  std::vector<std::string> chain;
  if (!broker.signer_cert_path.empty()) {
    COCOON_ASSIGN_OR_RETURN(std::string certs, ReadFile(broker.signer_cert_path, 1 << 20));
    for (const X509P& cert : ParsePemBundle(certs)) {
      unsigned char* der = nullptr;
      const int len = i2d_X509(cert.get(), &der);
      if (len <= 0) return absl::InvalidArgumentError("token signer certificate: cannot encode");
      chain.emplace_back(reinterpret_cast<char*>(der), len);
      OPENSSL_free(der);
    }
    if (chain.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("token signer certificate ", broker.signer_cert_path, ": no certificate"));
    }
    COCOON_ASSIGN_OR_RETURN(crypto::PublicKey leaf, crypto::PublicKey::Parse(chain[0]));
    if (!leaf.Equals(key.GetPublic())) {
      return absl::InvalidArgumentError("token signer certificate does not carry the signing key");
    }
  }
  return FromKey(std::move(key), std::move(chain), broker.signer_cert_url);
}

absl::StatusOr<std::string> TokenSigner::Sign(absl::string_view claims_json) const {
  const std::string signing_input = absl::StrCat(header_b64_, ".", Base64UrlEncode(claims_json));
  COCOON_ASSIGN_OR_RETURN(std::string sig, signer_.Sign(signing_input));
  return absl::StrCat(signing_input, ".", Base64UrlEncode(sig));
}

absl::StatusOr<crypto::PublicKey> VerifyJwkEndorsement(absl::string_view jwk_json,
                                                       absl::string_view trusted_pem) {
  COCOON_ASSIGN_OR_RETURN(jose::Jwk jwk, jose::ParseJwk(jwk_json));
  if (jwk.x5c.empty()) return VerifyError("token header jwk has no x5c certificate chain");
  X509P leaf = ParseDer(jwk.x5c[0]);
  if (!leaf) return VerifyError("token header x5c[0] is not a DER certificate");
  EVP_PKEY* leaf_key = X509_get0_pubkey(leaf.get());
  if (leaf_key == nullptr) return VerifyError("token header x5c[0] has no usable public key");
  absl::StatusOr<crypto::PublicKey> leaf_pub = crypto::PublicKey::FromEvp(leaf_key);
  if (!leaf_pub.ok() || !leaf_pub->Equals(jwk.public_key)) {
    return VerifyError("token header jwk does not match the key of its x5c leaf certificate");
  }
  std::unique_ptr<X509_STORE, StoreFree> store(X509_STORE_new());
  std::vector<X509P> anchors = ParsePemBundle(trusted_pem);
  if (anchors.empty()) return VerifyError("no trusted certificates are configured");
  for (const X509P& anchor : anchors) X509_STORE_add_cert(store.get(), anchor.get());
  X509_STORE_set_flags(store.get(), X509_V_FLAG_PARTIAL_CHAIN);
  std::unique_ptr<STACK_OF(X509), StackFree> untrusted(sk_X509_new_null());
  for (size_t i = 1; i < jwk.x5c.size(); ++i) {
    X509P cert = ParseDer(jwk.x5c[i]);
    if (!cert) return VerifyError(absl::StrCat("token header x5c[", i, "] is not a certificate"));
    sk_X509_push(untrusted.get(), cert.release());
  }
  std::unique_ptr<X509_STORE_CTX, StoreCtxFree> ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), untrusted.get()) != 1) {
    return absl::InternalError("cannot set up certificate verification");
  }
  if (X509_verify_cert(ctx.get()) != 1) {
    return VerifyError(
        absl::StrCat("token header x5c chain does not verify against the trusted certificates: ",
                     X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()))));
  }
  return jwk.public_key;
}

TokenVerifier::~TokenVerifier() = default;

absl::StatusOr<std::unique_ptr<TokenVerifier>> TokenVerifier::Create(
    const AttestationTokenConfig& config, std::optional<crypto::PublicKey> own_key) {
  std::unique_ptr<TokenVerifier> v(new TokenVerifier());
  v->own_key_ = std::move(own_key);
  if (v->own_key_ && v->own_key_->type() == crypto::KeyType::kEcP256) {
    COCOON_ASSIGN_OR_RETURN(auto verifier, crypto::SignatureVerifier::Create(
                                               *v->own_key_, crypto::SignatureAlg::kEs256));
    v->own_verifier_ = std::move(verifier);
  }
  v->insecure_header_jwk_ = config.insecure_header_jwk;
  for (const std::string& path : config.trusted_certs_paths) {
    COCOON_ASSIGN_OR_RETURN(std::string pem, ReadFile(path, 4 << 20));
    if (ParsePemBundle(pem).empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("attestation_token.trusted_certs_paths: ", path, " has no certificate"));
    }
    absl::StrAppend(&v->trusted_pem_, pem, "\n");
  }
  for (std::string path : config.trusted_jwk_sets) {
    if (absl::StartsWith(path, "file://")) path = path.substr(7);
    if (absl::StartsWith(path, "https://") || absl::StartsWith(path, "http://")) {
      return absl::InvalidArgumentError(
          absl::StrCat("attestation_token.trusted_jwk_sets: remote JWK sets are not supported (",
                       path, "); download it and name the file"));
    }
    COCOON_ASSIGN_OR_RETURN(std::string text, ReadFile(path, 4 << 20));
    COCOON_ASSIGN_OR_RETURN(std::vector<jose::Jwk> keys, jose::ParseJwkSet(text));
    for (jose::Jwk& k : keys) {
      if (k.kid.empty()) continue;
      v->jwks_.emplace(k.kid, std::make_pair(k.public_key, k.alg));
    }
  }
  if (!v->own_key_ && !v->insecure_header_jwk_ && v->trusted_pem_.empty() && v->jwks_.empty()) {
    return absl::InvalidArgumentError(
        "Cannot verify token since no trusted verification materials are configured");
  }
  return v;
}

absl::StatusOr<std::string> TokenVerifier::Verify(absl::string_view token) const {
  jose::JwtVerifyOptions options;
  options.clock = clock_;
  options.leeway = absl::Seconds(60);
  options.require_exp = true;
  if (own_key_ && !own_header_b64_.empty() && token.size() > own_header_b64_.size() &&
      token[own_header_b64_.size()] == '.' && absl::StartsWith(token, own_header_b64_)) {
    if (own_verifier_) return jose::JwtVerify(token, *own_verifier_, options);
    return jose::JwtVerify(token, *own_key_, {crypto::SignatureAlg::kEs256}, options);
  }
  COCOON_ASSIGN_OR_RETURN(jose::JwsParts parts, jose::JwsParse(token));
  if (!crypto::SignatureAlgFromName(parts.alg).has_value()) {
    return absl::PermissionDeniedError(
        absl::StrCat("token algorithm \"", parts.alg, "\" is not allowed"));
  }
  COCOON_ASSIGN_OR_RETURN(Json header, ParseJson(parts.header, "token header", 16));
  std::optional<crypto::PublicKey> key;
  std::string key_alg;
  auto jwk_it = header.find("jwk");
  if (jwk_it != header.end() && jwk_it->is_object()) {
    const std::string jwk_text = jwk_it->dump();
    COCOON_ASSIGN_OR_RETURN(jose::Jwk jwk, jose::ParseJwk(jwk_text));
    key_alg = jwk.alg;
    if (own_key_ && own_key_->Equals(jwk.public_key)) {
      key = *own_key_;
    } else if (insecure_header_jwk_) {
      key = jwk.public_key;
    } else if (!trusted_pem_.empty() && !jwk.x5c.empty()) {
      COCOON_ASSIGN_OR_RETURN(crypto::PublicKey k, VerifyJwkEndorsement(jwk_text, trusted_pem_));
      key = k;
    } else {
      return VerifyError("token is signed by a key that is not trusted");
    }
  } else if (auto kid = header.find("kid"); kid != header.end() && kid->is_string()) {
    auto it = jwks_.find(kid->get<std::string>());
    if (it == jwks_.end()) {
      return VerifyError(absl::StrCat("token key id \"", kid->get<std::string>(),
                                      "\" is not in the trusted JWK sets"));
    }
    key = it->second.first;
    key_alg = it->second.second;
  } else {
    return VerifyError("token header has neither jwk nor kid");
  }
  const std::string alg = key_alg.empty() ? parts.alg : key_alg;
  std::optional<crypto::SignatureAlg> sig_alg = crypto::SignatureAlgFromName(alg);
  if (!sig_alg) {
    return absl::PermissionDeniedError(
        absl::StrCat("token algorithm \"", alg, "\" is not allowed"));
  }
  return jose::JwtVerify(token, *key, {*sig_alg}, options);
}

}  // namespace cocoon::kbs
