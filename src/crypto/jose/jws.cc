#include "crypto/jose/jws.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/types/span.h"
#include "base/encoding.h"
#include "base/json.h"
#include "base/status.h"
#include "crypto/jose/internal.h"

namespace cocoon::jose {
namespace {

// Tokens are small; bounding them keeps hostile input cheap.
constexpr size_t kMaxTokenSize = 8u << 20;

absl::Status Malformed(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("JWS malformed: ", what));
}

absl::Status NotAllowed(absl::string_view what) {
  return absl::PermissionDeniedError(absl::StrCat("JWS alg not allowed: ", what));
}

absl::Status JwtMalformed(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("JWT malformed: ", what));
}

}  // namespace

absl::StatusOr<std::string> JwsSign(absl::string_view header_json, absl::string_view payload,
                                    const crypto::PrivateKey& key, crypto::SignatureAlg alg) {
  COCOON_RETURN_IF_ERROR(crypto::CheckSignatureAlgForKey(alg, key.type()));
  const std::string alg_name(crypto::SignatureAlgName(alg));
  std::string header;
  if (header_json.empty()) {
    header = Json{{"alg", alg_name}}.dump();
  } else {
    COCOON_ASSIGN_OR_RETURN(Json object, ParseJson(header_json, "JWS header"));
    if (!object.is_object()) {
      return absl::InvalidArgumentError("JWS header: expected a JSON object");
    }
    auto it = object.find("alg");
    if (it == object.end()) {
      object["alg"] = alg_name;
      header = object.dump();
    } else if (!it->is_string() || it->get_ref<const std::string&>() != alg_name) {
      return absl::InvalidArgumentError(
          absl::StrCat("JWS header: \"alg\" ", it->dump(), " does not match ", alg_name));
    } else {
      header = std::string(header_json);
    }
  }
  const std::string signing_input =
      absl::StrCat(Base64UrlEncode(header), ".", Base64UrlEncode(payload));
  COCOON_ASSIGN_OR_RETURN(std::string signature, crypto::Sign(key, alg, signing_input));
  return absl::StrCat(signing_input, ".", Base64UrlEncode(signature));
}

absl::StatusOr<JwsParts> JwsParse(absl::string_view token) {
  if (token.size() > kMaxTokenSize) {
    return Malformed(absl::StrCat("token of ", token.size(), " bytes exceeds the 8 MiB limit"));
  }
  std::vector<absl::string_view> segments = absl::StrSplit(token, '.');
  if (segments.size() != 3) {
    return Malformed(absl::StrCat("expected 3 dot-separated segments, got ", segments.size()));
  }
  JwsParts parts;
  auto header = internal::DecodeB64Url(segments[0], "header");
  if (!header.ok()) return Malformed(header.status().message());
  parts.header = *std::move(header);
  auto object = ParseJson(parts.header, "header");
  if (!object.ok()) return Malformed(object.status().message());
  if (!object->is_object()) return Malformed("header is not a JSON object");
  auto alg = object->find("alg");
  if (alg == object->end() || !alg->is_string()) {
    return Malformed("header has no string \"alg\"");
  }
  parts.alg = alg->get<std::string>();
  if (object->contains("crit")) return Malformed("header \"crit\" extensions are not supported");
  auto payload = internal::DecodeB64Url(segments[1], "payload");
  if (!payload.ok()) return Malformed(payload.status().message());
  parts.payload = *std::move(payload);
  auto signature = internal::DecodeB64Url(segments[2], "signature");
  if (!signature.ok()) return Malformed(signature.status().message());
  parts.signature = *std::move(signature);
  parts.signing_input = absl::StrCat(segments[0], ".", segments[1]);
  return parts;
}

namespace {

// The header's algorithm, if it is one of `allowed_algs`.
absl::StatusOr<crypto::SignatureAlg> AllowedAlg(
    const JwsParts& parts, absl::Span<const crypto::SignatureAlg> allowed_algs) {
  const std::optional<crypto::SignatureAlg> alg = crypto::SignatureAlgFromName(parts.alg);
  if (!alg.has_value()) {
    if (parts.alg == "none") return NotAllowed("none (unsigned tokens are never accepted)");
    return NotAllowed(absl::StrCat(parts.alg, " (not supported)"));
  }
  if (std::find(allowed_algs.begin(), allowed_algs.end(), *alg) == allowed_algs.end()) {
    return NotAllowed(absl::StrCat(parts.alg, " (not in the allowed list)"));
  }
  return *alg;
}

absl::StatusOr<VerifiedJws> Verified(JwsParts parts, const absl::Status& st) {
  if (st.code() == absl::StatusCode::kUnauthenticated) {
    return absl::UnauthenticatedError(absl::StrCat("JWS signature invalid (", parts.alg, ")"));
  }
  if (!st.ok()) return Malformed(absl::StrCat("signature: ", st.message()));
  return VerifiedJws{std::move(parts.header), std::move(parts.payload)};
}

}  // namespace

absl::StatusOr<VerifiedJws> JwsVerify(absl::string_view token, const crypto::PublicKey& key,
                                      const std::vector<crypto::SignatureAlg>& allowed_algs) {
  COCOON_ASSIGN_OR_RETURN(JwsParts parts, JwsParse(token));
  COCOON_ASSIGN_OR_RETURN(crypto::SignatureAlg alg, AllowedAlg(parts, allowed_algs));
  if (auto st = crypto::CheckSignatureAlgForKey(alg, key.type()); !st.ok()) {
    return NotAllowed(st.message());
  }
  const absl::Status st = crypto::Verify(key, alg, parts.signing_input, parts.signature);
  return Verified(std::move(parts), st);
}

absl::StatusOr<VerifiedJws> JwsVerify(absl::string_view token,
                                      const crypto::SignatureVerifier& verifier) {
  COCOON_ASSIGN_OR_RETURN(JwsParts parts, JwsParse(token));
  const crypto::SignatureAlg allowed[] = {verifier.alg()};
  COCOON_RETURN_IF_ERROR(AllowedAlg(parts, allowed).status());
  const absl::Status st = verifier.Verify(parts.signing_input, parts.signature);
  return Verified(std::move(parts), st);
}

absl::StatusOr<std::string> JwtSign(absl::string_view claims_json, const crypto::PrivateKey& key,
                                    crypto::SignatureAlg alg) {
  COCOON_ASSIGN_OR_RETURN(Json claims, ParseJson(claims_json, "JWT claims"));
  if (!claims.is_object()) return absl::InvalidArgumentError("JWT claims: expected a JSON object");
  const std::string header =
      Json{{"alg", std::string(crypto::SignatureAlgName(alg))}, {"typ", "JWT"}}.dump();
  return JwsSign(header, claims_json, key, alg);
}

namespace {

// Checks the claims of a verified JWT and returns them.
absl::StatusOr<std::string> CheckJwtClaims(VerifiedJws jws, const JwtVerifyOptions& options) {
  auto claims = ParseJson(jws.payload, "claims");
  if (!claims.ok()) return JwtMalformed(claims.status().message());
  if (!claims->is_object()) return JwtMalformed("claims are not a JSON object");
  const double now =
      static_cast<double>(absl::ToUnixMicros(options.clock ? options.clock() : absl::Now())) / 1e6;
  const double leeway = absl::ToDoubleSeconds(options.leeway);
  auto number = [&](const char* name, std::optional<double>* out) -> absl::Status {
    auto it = claims->find(name);
    if (it == claims->end()) return absl::OkStatus();
    if (!it->is_number()) {
      return JwtMalformed(absl::StrCat("\"", name, "\" is not a number"));
    }
    *out = it->get<double>();
    return absl::OkStatus();
  };
  std::optional<double> exp, nbf;
  COCOON_RETURN_IF_ERROR(number("exp", &exp));
  COCOON_RETURN_IF_ERROR(number("nbf", &nbf));
  if (!exp.has_value() && options.require_exp) return JwtMalformed("missing \"exp\"");
  if (exp.has_value() && now > *exp + leeway) {
    return absl::UnauthenticatedError(
        absl::StrFormat("JWT expired (exp %.0f, now %.0f)", *exp, now));
  }
  if (nbf.has_value() && now + leeway < *nbf) {
    return absl::UnauthenticatedError(
        absl::StrFormat("JWT not yet valid (nbf %.0f, now %.0f)", *nbf, now));
  }
  return std::move(jws.payload);
}

}  // namespace

absl::StatusOr<std::string> JwtVerify(absl::string_view token, const crypto::PublicKey& key,
                                      const std::vector<crypto::SignatureAlg>& allowed_algs,
                                      const JwtVerifyOptions& options) {
  COCOON_ASSIGN_OR_RETURN(VerifiedJws jws, JwsVerify(token, key, allowed_algs));
  return CheckJwtClaims(std::move(jws), options);
}

absl::StatusOr<std::string> JwtVerify(absl::string_view token,
                                      const crypto::SignatureVerifier& verifier,
                                      const JwtVerifyOptions& options) {
  COCOON_ASSIGN_OR_RETURN(VerifiedJws jws, JwsVerify(token, verifier));
  return CheckJwtClaims(std::move(jws), options);
}

}  // namespace cocoon::jose
