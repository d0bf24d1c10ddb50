#include "crypto/jose/jwk.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "base/encoding.h"
#include "base/json.h"
#include "base/status.h"
#include "crypto/jose/internal.h"
#include "crypto/stream_cipher.h"

namespace cocoon::jose {
namespace internal {

absl::StatusOr<std::string> DecodeB64Url(absl::string_view text, absl::string_view what) {
  // The base decoder skips CR/LF (for PEM bodies); JOSE allows no whitespace at all.
  const size_t ws = text.find_first_of("\r\n \t");
  if (ws != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": base64url: whitespace at byte ", ws));
  }
  auto decoded = Base64UrlDecode(text);
  if (!decoded.ok()) return Annotate(decoded.status(), what);
  return decoded;
}

}  // namespace internal

namespace {

using internal::DecodeB64Url;

// Optional string member: "" when absent, error when not a string.
absl::StatusOr<std::string> OptionalString(const Json& object, const char* name,
                                           absl::string_view where) {
  auto it = object.find(name);
  if (it == object.end()) return std::string();
  if (!it->is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": member \"", name, "\" must be a string, got ", it->type_name()));
  }
  return it->get<std::string>();
}

absl::StatusOr<std::string> RequiredB64(const Json& object, const char* name,
                                        absl::string_view where) {
  auto it = object.find(name);
  if (it == object.end()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": missing member \"", name, "\""));
  }
  if (!it->is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": member \"", name, "\" must be a string, got ", it->type_name()));
  }
  auto decoded = DecodeB64Url(it->get_ref<const std::string&>(),
                              absl::StrCat(where, ": member \"", name, "\""));
  if (!decoded.ok()) return decoded.status();
  if (decoded->empty()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": member \"", name, "\" is empty"));
  }
  return decoded;
}

// A secret member decoded straight into SecretBytes; the temporary string is wiped.
absl::StatusOr<SecretBytes> RequiredSecret(const Json& object, const char* name,
                                           absl::string_view where) {
  COCOON_ASSIGN_OR_RETURN(std::string value, RequiredB64(object, name, where));
  SecretBytes out(value);
  SecureZero(value.data(), value.size());
  return out;
}

absl::StatusOr<crypto::KeyType> EcCurve(absl::string_view crv, absl::string_view where) {
  if (crv == "P-256") return crypto::KeyType::kEcP256;
  if (crv == "P-384") return crypto::KeyType::kEcP384;
  if (crv == "P-521") return crypto::KeyType::kEcP521;
  return absl::InvalidArgumentError(absl::StrCat(
      where, ": member \"crv\" \"", crv, "\" is not supported for kty EC (P-256, P-384, P-521)"));
}

absl::Status ParseRsa(const Json& object, absl::string_view where,
                      std::optional<crypto::PrivateKey>* private_key,
                      std::optional<crypto::PublicKey>* public_key) {
  COCOON_ASSIGN_OR_RETURN(std::string n, RequiredB64(object, "n", where));
  COCOON_ASSIGN_OR_RETURN(std::string e, RequiredB64(object, "e", where));
  if (!object.contains("d")) {
    auto key = crypto::PublicKey::FromRsa(n, e);
    if (!key.ok()) return Annotate(key.status(), absl::StrCat(where, ": members \"n\"/\"e\""));
    public_key->emplace(*std::move(key));
    return absl::OkStatus();
  }
  crypto::PrivateKey::RsaNumbers numbers;
  numbers.n = n;
  numbers.e = e;
  COCOON_ASSIGN_OR_RETURN(numbers.d, RequiredSecret(object, "d", where));
  const bool any_crt = object.contains("p") || object.contains("q") || object.contains("dp") ||
                       object.contains("dq") || object.contains("qi");
  if (any_crt) {
    COCOON_ASSIGN_OR_RETURN(numbers.p, RequiredSecret(object, "p", where));
    COCOON_ASSIGN_OR_RETURN(numbers.q, RequiredSecret(object, "q", where));
    COCOON_ASSIGN_OR_RETURN(numbers.dp, RequiredSecret(object, "dp", where));
    COCOON_ASSIGN_OR_RETURN(numbers.dq, RequiredSecret(object, "dq", where));
    COCOON_ASSIGN_OR_RETURN(numbers.qi, RequiredSecret(object, "qi", where));
  }
  if (object.contains("oth")) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": member \"oth\" (multi-prime RSA) is not supported"));
  }
  auto key = crypto::PrivateKey::FromRsa(numbers);
  if (!key.ok()) return Annotate(key.status(), absl::StrCat(where, ": RSA private key"));
  public_key->emplace(key->GetPublic());
  private_key->emplace(*std::move(key));
  return absl::OkStatus();
}

absl::Status ParseEc(const Json& object, absl::string_view where,
                     std::optional<crypto::PrivateKey>* private_key,
                     std::optional<crypto::PublicKey>* public_key) {
  auto crv_it = object.find("crv");
  if (crv_it == object.end() || !crv_it->is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": member \"crv\" is missing or not a string"));
  }
  COCOON_ASSIGN_OR_RETURN(crypto::KeyType type,
                          EcCurve(crv_it->get_ref<const std::string&>(), where));
  const size_t size = crypto::EcFieldSize(type);
  COCOON_ASSIGN_OR_RETURN(std::string x, RequiredB64(object, "x", where));
  COCOON_ASSIGN_OR_RETURN(std::string y, RequiredB64(object, "y", where));
  for (auto [name, value] : {std::pair<const char*, const std::string*>{"x", &x}, {"y", &y}}) {
    if (value->size() != size) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": member \"", name, "\" must be ", size, " bytes for ",
                       crypto::JoseCurveName(type), ", got ", value->size()));
    }
  }
  if (!object.contains("d")) {
    auto key = crypto::PublicKey::FromEcPoint(type, x, y);
    if (!key.ok()) return Annotate(key.status(), absl::StrCat(where, ": members \"x\"/\"y\""));
    public_key->emplace(*std::move(key));
    return absl::OkStatus();
  }
  COCOON_ASSIGN_OR_RETURN(SecretBytes d, RequiredSecret(object, "d", where));
  if (d.size() != size) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": member \"d\" must be ", size,
                                                   " bytes for ", crypto::JoseCurveName(type),
                                                   ", got ", d.size()));
  }
  auto key = crypto::PrivateKey::FromEc(type, d.view(), x, y);
  if (!key.ok()) return Annotate(key.status(), absl::StrCat(where, ": members \"d\"/\"x\"/\"y\""));
  public_key->emplace(key->GetPublic());
  private_key->emplace(*std::move(key));
  return absl::OkStatus();
}

absl::Status ParseOkp(const Json& object, absl::string_view where,
                      std::optional<crypto::PrivateKey>* private_key,
                      std::optional<crypto::PublicKey>* public_key) {
  COCOON_ASSIGN_OR_RETURN(std::string crv, OptionalString(object, "crv", where));
  if (crv != "Ed25519") {
    return absl::InvalidArgumentError(absl::StrCat(where, ": member \"crv\" \"", crv,
                                                   "\" is not supported for kty OKP (Ed25519 is)"));
  }
  COCOON_ASSIGN_OR_RETURN(std::string x, RequiredB64(object, "x", where));
  auto pub = crypto::PublicKey::FromEd25519(x);
  if (!pub.ok()) return Annotate(pub.status(), absl::StrCat(where, ": member \"x\""));
  if (!object.contains("d")) {
    public_key->emplace(*std::move(pub));
    return absl::OkStatus();
  }
  COCOON_ASSIGN_OR_RETURN(SecretBytes d, RequiredSecret(object, "d", where));
  auto key = crypto::PrivateKey::FromEd25519(d.view());
  if (!key.ok()) return Annotate(key.status(), absl::StrCat(where, ": member \"d\""));
  if (!key->GetPublic().Equals(*pub)) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": member \"d\" does not match member \"x\""));
  }
  public_key->emplace(*std::move(pub));
  private_key->emplace(*std::move(key));
  return absl::OkStatus();
}

// Appends "name":"value" (value written as is: base64url or a fixed name) with a separator.
void AppendMember(SecretBytes* out, absl::string_view name, absl::string_view value) {
  if (out->size() > 1) out->Append(",");
  out->Append("\"");
  out->Append(name);
  out->Append("\":\"");
  out->Append(value);
  out->Append("\"");
}

void AppendSecretMember(SecretBytes* out, absl::string_view name, const SecretBytes& value) {
  std::string encoded = Base64UrlEncode(value.view());
  AppendMember(out, name, encoded);
  SecureZero(encoded.data(), encoded.size());
}

}  // namespace

namespace internal {

absl::StatusOr<Jwk> JwkFromJson(const Json& object, absl::string_view where) {
  if (!object.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": expected a JSON object, got ", object.type_name()));
  }
  auto kty_it = object.find("kty");
  if (kty_it == object.end()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": missing member \"kty\""));
  }
  if (!kty_it->is_string()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": member \"kty\" must be a string"));
  }
  const std::string& kty = kty_it->get_ref<const std::string&>();
  COCOON_ASSIGN_OR_RETURN(std::string alg, OptionalString(object, "alg", where));
  COCOON_ASSIGN_OR_RETURN(std::string kid, OptionalString(object, "kid", where));
  COCOON_ASSIGN_OR_RETURN(std::string use, OptionalString(object, "use", where));
  std::vector<std::string> x5c;
  if (auto it = object.find("x5c"); it != object.end()) {
    if (!it->is_array()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": member \"x5c\" must be an array of strings"));
    }
    for (size_t i = 0; i < it->size(); ++i) {
      const Json& cert = (*it)[i];
      if (!cert.is_string()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": member \"x5c\"[", i, "] must be a string"));
      }
      // RFC 7517 4.7: standard base64 (not base64url) of the DER.
      auto der = Base64Decode(cert.get_ref<const std::string&>(), Base64Alphabet::kStandard,
                              Base64Padding::kOptional);
      if (!der.ok()) {
        return Annotate(der.status(), absl::StrCat(where, ": member \"x5c\"[", i, "]"));
      }
      x5c.push_back(*std::move(der));
    }
  }

  std::optional<crypto::PrivateKey> private_key;
  std::optional<crypto::PublicKey> public_key;
  if (kty == "RSA") {
    COCOON_RETURN_IF_ERROR(ParseRsa(object, where, &private_key, &public_key));
  } else if (kty == "EC") {
    COCOON_RETURN_IF_ERROR(ParseEc(object, where, &private_key, &public_key));
  } else if (kty == "OKP") {
    COCOON_RETURN_IF_ERROR(ParseOkp(object, where, &private_key, &public_key));
  } else {
    return absl::InvalidArgumentError(absl::StrCat(where, ": member \"kty\" \"", kty,
                                                   "\" is not supported (RSA, EC and OKP are)"));
  }
  return Jwk{std::move(private_key), *std::move(public_key), std::move(alg),
             std::move(kid),         std::move(use),         std::move(x5c)};
}

absl::StatusOr<Json> PublicJwkValue(const crypto::PublicKey& key, absl::string_view alg) {
  Json out = Json::object();
  if (!alg.empty()) out["alg"] = std::string(alg);
  switch (key.type()) {
    case crypto::KeyType::kRsa: {
      COCOON_ASSIGN_OR_RETURN(auto numbers, key.GetRsaNumbers());
      out["kty"] = "RSA";
      out["n"] = Base64UrlEncode(numbers.n);
      out["e"] = Base64UrlEncode(numbers.e);
      break;
    }
    case crypto::KeyType::kEcP256:
    case crypto::KeyType::kEcP384:
    case crypto::KeyType::kEcP521: {
      COCOON_ASSIGN_OR_RETURN(auto point, key.GetEcPoint());
      out["kty"] = "EC";
      out["crv"] = std::string(crypto::JoseCurveName(key.type()));
      out["x"] = Base64UrlEncode(point.x);
      out["y"] = Base64UrlEncode(point.y);
      break;
    }
    case crypto::KeyType::kEd25519: {
      COCOON_ASSIGN_OR_RETURN(std::string raw, key.GetEd25519());
      out["kty"] = "OKP";
      out["crv"] = "Ed25519";
      out["x"] = Base64UrlEncode(raw);
      break;
    }
  }
  return out;
}

}  // namespace internal

absl::StatusOr<Jwk> ParseJwk(absl::string_view json) {
  COCOON_ASSIGN_OR_RETURN(Json object, ParseJson(json, "JWK"));
  return internal::JwkFromJson(object, "JWK");
}

absl::StatusOr<std::vector<Jwk>> ParseJwkSet(absl::string_view json) {
  COCOON_ASSIGN_OR_RETURN(Json object, ParseJson(json, "JWK set"));
  if (!object.is_object()) return absl::InvalidArgumentError("JWK set: expected a JSON object");
  auto keys = object.find("keys");
  if (keys == object.end() || !keys->is_array()) {
    return absl::InvalidArgumentError("JWK set: member \"keys\" is missing or not an array");
  }
  std::vector<Jwk> out;
  for (size_t i = 0; i < keys->size(); ++i) {
    const Json& entry = (*keys)[i];
    const std::string where = absl::StrCat("JWK set: keys[", i, "]");
    if (entry.is_object()) {
      auto kty = entry.find("kty");
      if (kty != entry.end() && kty->is_string() && *kty != "RSA" && *kty != "EC" &&
          *kty != "OKP") {
        continue;
      }
      if (auto crv = entry.find("crv");
          kty != entry.end() && *kty == "OKP" && crv != entry.end() && *crv != "Ed25519") {
        continue;
      }
    }
    COCOON_ASSIGN_OR_RETURN(Jwk jwk, internal::JwkFromJson(entry, where));
    out.push_back(std::move(jwk));
  }
  return out;
}

absl::StatusOr<std::string> PublicJwkJson(const crypto::PublicKey& key, absl::string_view alg) {
  COCOON_ASSIGN_OR_RETURN(Json value, internal::PublicJwkValue(key, alg));
  return value.dump();
}

absl::StatusOr<SecretBytes> PrivateJwkJson(const crypto::PrivateKey& key, absl::string_view alg) {
  // Built by hand so the private numbers only ever live in SecretBytes.
  SecretBytes out;
  out.Append("{");
  std::string alg_json;
  if (!alg.empty()) {
    alg_json = Json(std::string(alg)).dump();  // quoted and escaped
    out.Append("\"alg\":");
    out.Append(alg_json);
  }
  switch (key.type()) {
    case crypto::KeyType::kRsa: {
      COCOON_ASSIGN_OR_RETURN(auto n, key.GetRsaNumbers());
      AppendSecretMember(&out, "d", n.d);
      if (!n.p.empty()) {
        AppendSecretMember(&out, "dp", n.dp);
        AppendSecretMember(&out, "dq", n.dq);
      }
      AppendMember(&out, "e", Base64UrlEncode(n.e));
      AppendMember(&out, "kty", "RSA");
      AppendMember(&out, "n", Base64UrlEncode(n.n));
      if (!n.p.empty()) {
        AppendSecretMember(&out, "p", n.p);
        AppendSecretMember(&out, "q", n.q);
        AppendSecretMember(&out, "qi", n.qi);
      }
      break;
    }
    case crypto::KeyType::kEcP256:
    case crypto::KeyType::kEcP384:
    case crypto::KeyType::kEcP521: {
      COCOON_ASSIGN_OR_RETURN(SecretBytes d, key.GetEcPrivateScalar());
      COCOON_ASSIGN_OR_RETURN(auto point, key.GetPublic().GetEcPoint());
      AppendMember(&out, "crv", crypto::JoseCurveName(key.type()));
      AppendSecretMember(&out, "d", d);
      AppendMember(&out, "kty", "EC");
      AppendMember(&out, "x", Base64UrlEncode(point.x));
      AppendMember(&out, "y", Base64UrlEncode(point.y));
      break;
    }
    case crypto::KeyType::kEd25519: {
      COCOON_ASSIGN_OR_RETURN(SecretBytes d, key.GetEd25519Seed());
      COCOON_ASSIGN_OR_RETURN(std::string x, key.GetPublic().GetEd25519());
      AppendMember(&out, "crv", "Ed25519");
      AppendSecretMember(&out, "d", d);
      AppendMember(&out, "kty", "OKP");
      AppendMember(&out, "x", Base64UrlEncode(x));
      break;
    }
  }
  out.Append("}");
  return out;
}

absl::StatusOr<std::string> JwkThumbprint(const crypto::PublicKey& key) {
  COCOON_ASSIGN_OR_RETURN(std::string canonical, PublicJwkJson(key, ""));
  return Base64UrlEncode(crypto::Sha256(canonical));
}

}  // namespace cocoon::jose
