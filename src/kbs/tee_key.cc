#include "kbs/tee_key.h"

#include "absl/strings/str_cat.h"
#include "base/encoding.h"
#include "base/status.h"
#include "crypto/jose/jwe.h"
#include "crypto/stream_cipher.h"
#include "kbs/ecdh_jwe.h"

namespace cocoon::kbs {
namespace {

absl::StatusOr<std::string> Member(const Json& jwk, const char* name) {
  auto it = jwk.find(name);
  if (it == jwk.end() || !it->is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat("tee-pubkey: member \"", name, "\" missing or not a string"));
  }
  return it->get<std::string>();
}

absl::StatusOr<std::string> B64Member(const Json& jwk, const char* name) {
  COCOON_ASSIGN_OR_RETURN(std::string v, Member(jwk, name));
  COCOON_ASSIGN_OR_RETURN_CTX(std::string raw, Base64UrlDecode(v),
                              absl::StrCat("tee-pubkey: member \"", name, "\""));
  (void)raw;
  return v;
}

}  // namespace

absl::StatusOr<TeePubKey> TeePubKeyFromJson(const Json& jwk) {
  if (!jwk.is_object()) return absl::InvalidArgumentError("tee-pubkey: not a JSON object");
  TeePubKey key;
  COCOON_ASSIGN_OR_RETURN(key.kty, Member(jwk, "kty"));
  COCOON_ASSIGN_OR_RETURN(key.alg, Member(jwk, "alg"));
  if (key.kty == "RSA") {
    COCOON_ASSIGN_OR_RETURN(key.n, B64Member(jwk, "n"));
    COCOON_ASSIGN_OR_RETURN(key.e, B64Member(jwk, "e"));
  } else if (key.kty == "EC") {
    COCOON_ASSIGN_OR_RETURN(key.crv, Member(jwk, "crv"));
    COCOON_ASSIGN_OR_RETURN(key.x, B64Member(jwk, "x"));
    COCOON_ASSIGN_OR_RETURN(key.y, B64Member(jwk, "y"));
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("tee-pubkey: unsupported kty \"", key.kty, "\""));
  }
  return key;
}

Json TeePubKeyToJson(const TeePubKey& key) {
  Json j = Json::object();
  j["kty"] = key.kty;
  j["alg"] = key.alg;
  if (key.kty == "RSA") {
    j["n"] = key.n;
    j["e"] = key.e;
  } else {
    j["crv"] = key.crv;
    j["x"] = key.x;
    j["y"] = key.y;
  }
  return j;
}

absl::StatusOr<crypto::PublicKey> TeePubKeyToPublicKey(const TeePubKey& key) {
  if (key.kty == "RSA") {
    COCOON_ASSIGN_OR_RETURN(std::string n, Base64UrlDecode(key.n));
    COCOON_ASSIGN_OR_RETURN(std::string e, Base64UrlDecode(key.e));
    return crypto::PublicKey::FromRsa(n, e);
  }
  crypto::KeyType type;
  if (key.crv == "P-256") {
    type = crypto::KeyType::kEcP256;
  } else if (key.crv == "P-384") {
    type = crypto::KeyType::kEcP384;
  } else if (key.crv == "P-521") {
    type = crypto::KeyType::kEcP521;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("tee-pubkey: unsupported crv \"", key.crv, "\""));
  }
  COCOON_ASSIGN_OR_RETURN(std::string x, Base64UrlDecode(key.x));
  COCOON_ASSIGN_OR_RETURN(std::string y, Base64UrlDecode(key.y));
  if (x.size() != crypto::EcFieldSize(type) || y.size() != crypto::EcFieldSize(type)) {
    return absl::InvalidArgumentError(absl::StrCat("tee-pubkey: ", key.crv, " coordinates must be ",
                                                   crypto::EcFieldSize(type), " bytes"));
  }
  return crypto::PublicKey::FromEcPoint(type, x, y);
}

absl::StatusOr<TeePubKey> TeePubKeyFromPublicKey(const crypto::PublicKey& key,
                                                 absl::string_view alg) {
  TeePubKey out;
  if (key.type() == crypto::KeyType::kRsa) {
    COCOON_ASSIGN_OR_RETURN(crypto::PublicKey::RsaNumbers rsa, key.GetRsaNumbers());
    out.kty = "RSA";
    out.alg = alg.empty() ? "RSA-OAEP-256" : std::string(alg);
    out.n = Base64UrlEncode(rsa.n);
    out.e = Base64UrlEncode(rsa.e);
    return out;
  }
  if (!crypto::IsEcKeyType(key.type())) {
    return absl::InvalidArgumentError("TEE key must be RSA or EC");
  }
  COCOON_ASSIGN_OR_RETURN(crypto::PublicKey::EcPoint point, key.GetEcPoint());
  out.kty = "EC";
  out.crv = std::string(crypto::JoseCurveName(key.type()));
  out.alg = alg.empty() ? "ECDH-ES+A256KW" : std::string(alg);
  out.x = Base64UrlEncode(point.x);
  out.y = Base64UrlEncode(point.y);
  return out;
}

Json RuntimeDataJson(absl::string_view nonce, const TeePubKey& key,
                     const std::string* additional_evidence) {
  Json j = Json::object();
  if (additional_evidence != nullptr) j["additional-evidence"] = *additional_evidence;
  j["nonce"] = std::string(nonce);
  j["tee-pubkey"] = TeePubKeyToJson(key);
  return j;
}

absl::StatusOr<std::string> RuntimeDataDigest(absl::string_view nonce, const TeePubKey& key,
                                              const std::string* additional_evidence) {
  COCOON_ASSIGN_OR_RETURN(std::string canonical,
                          CanonicalJson(RuntimeDataJson(nonce, key, additional_evidence)));
  return crypto::Sha384(canonical);
}

absl::StatusOr<std::string> EncryptResource(const TeePubKey& key, absl::string_view plaintext) {
  const bool rsa = key.kty == "RSA" && (key.alg == "RSA1_5" || key.alg == "RSA-OAEP-256");
  const bool ec =
      key.kty == "EC" && key.alg == "ECDH-ES+A256KW" && (key.crv == "P-256" || key.crv == "P-521");
  if (!rsa && !ec) {
    return absl::InvalidArgumentError(absl::StrCat("unsupported TEE key algorithm \"", key.alg,
                                                   "\"", key.crv.empty() ? "" : " on ", key.crv));
  }
  if (ec) return EcdhEsA256KwEncrypt(key.crv, key.x, key.y, plaintext);
  COCOON_ASSIGN_OR_RETURN(crypto::PublicKey pub, TeePubKeyToPublicKey(key));
  return jose::JweEncrypt(plaintext, {jose::JweRecipient{pub, key.alg}},
                          jose::JweSerialization::kFlattened, "A256GCM");
}

}  // namespace cocoon::kbs
