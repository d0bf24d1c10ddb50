#include "kbs/admin_auth.h"

#include <memory>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/file_util.h"
#include "base/json.h"
#include "base/status.h"
#include "crypto/asymmetric.h"
#include "crypto/jose/jwk.h"
#include "crypto/jose/jws.h"
#include "re2/re2.h"

namespace cocoon::kbs {
namespace {

std::vector<crypto::SignatureAlg> AlgsFor(crypto::KeyType type) {
  switch (type) {
    case crypto::KeyType::kEd25519:
      return {crypto::SignatureAlg::kEdDsa};
    case crypto::KeyType::kEcP256:
      return {crypto::SignatureAlg::kEs256};
    case crypto::KeyType::kEcP384:
      return {crypto::SignatureAlg::kEs384};
    case crypto::KeyType::kEcP521:
      return {crypto::SignatureAlg::kEs512};
    case crypto::KeyType::kRsa:
      return {crypto::SignatureAlg::kRs256, crypto::SignatureAlg::kPs256};
  }
  return {};
}

absl::Status Denied(absl::string_view why) { return absl::PermissionDeniedError(why); }

bool AudienceMatches(const Json& claims, const std::vector<std::string>& audiences) {
  auto it = claims.find("aud");
  if (it == claims.end()) return false;
  std::vector<std::string> got;
  if (it->is_string()) {
    got.push_back(it->get<std::string>());
  } else if (it->is_array()) {
    for (const Json& a : *it) {
      if (a.is_string()) got.push_back(a.get<std::string>());
    }
  }
  for (const std::string& a : got) {
    for (const std::string& want : audiences) {
      if (a == want) return true;
    }
  }
  return false;
}

}  // namespace

absl::StatusOr<std::unique_ptr<AdminAuthorizer>> AdminAuthorizer::Create(
    const AdminConfig& config) {
  std::unique_ptr<AdminAuthorizer> auth(new AdminAuthorizer());
  auth->mode_ = config.mode;
  auth->legacy_no_role_ = config.legacy_no_role;
  if (config.mode != AdminConfig::Mode::kAuthenticated) return auth;
  for (const AdminIdentityProvider& p : config.identity_providers) {
    Provider provider{p, {}};
    if (!p.public_key_path.empty()) {
      std::string path = p.public_key_path;
      if (absl::StartsWith(path, "file://")) path = path.substr(7);
      COCOON_ASSIGN_OR_RETURN(std::string pem, ReadFile(path, 1 << 20));
      COCOON_ASSIGN_OR_RETURN_CTX(crypto::PublicKey key, crypto::PublicKey::Parse(pem),
                                  absl::StrCat("admin public key ", path));
      provider.keys.push_back(key);
    }
    if (!p.jwk_set_path.empty()) {
      std::string path = p.jwk_set_path;
      if (absl::StartsWith(path, "file://")) path = path.substr(7);
      COCOON_ASSIGN_OR_RETURN(std::string text, ReadFile(path, 1 << 20));
      COCOON_ASSIGN_OR_RETURN_CTX(std::vector<jose::Jwk> keys, jose::ParseJwkSet(text),
                                  absl::StrCat("admin JWK set ", path));
      for (jose::Jwk& k : keys) provider.keys.push_back(k.public_key);
    }
    auth->providers_.push_back(std::move(provider));
  }
  for (const AdminAcl& acl : config.acls) {
    auto pattern = std::make_shared<const re2::RE2>(acl.allowed_endpoints, re2::RE2::Quiet);
    if (!pattern->ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("admin ACL for role ", acl.role, ": invalid regex: ", pattern->error()));
    }
    auth->acls_.push_back({acl.role, std::move(pattern)});
  }
  return auth;
}

absl::Status AdminAuthorizer::Authorize(absl::string_view authorization,
                                        absl::string_view uri) const {
  switch (mode_) {
    case AdminConfig::Mode::kInsecureAllowAll:
      return absl::OkStatus();
    case AdminConfig::Mode::kDenyAll:
      return Denied("admin API is disabled (DenyAll)");
    case AdminConfig::Mode::kAuthenticated:
      break;
  }
  if (authorization.empty()) return Denied("admin token not found (no Authorization header)");
  if (!absl::StartsWithIgnoreCase(authorization, "Bearer ")) {
    return Denied("admin token not found (Authorization is not a Bearer token)");
  }
  const absl::string_view token = absl::StripLeadingAsciiWhitespace(authorization.substr(7));
  jose::JwtVerifyOptions options;
  options.clock = clock_;
  options.leeway = absl::Seconds(60);
  options.require_exp = true;
  absl::Status last = Denied("admin token could not be verified");
  for (const Provider& provider : providers_) {
    for (const crypto::PublicKey& key : provider.keys) {
      absl::StatusOr<std::string> claims_text =
          jose::JwtVerify(token, key, AlgsFor(key.type()), options);
      if (!claims_text.ok()) {
        // Keep the most specific reason: an expired token beats a signature mismatch.
        if (absl::StrContains(claims_text.status().message(), "expired") ||
            absl::StrContains(claims_text.status().message(), "not allowed") ||
            absl::StrContains(claims_text.status().message(), "malformed") ||
            absl::StrContains(last.message(), "could not be verified")) {
          last = Denied(
              absl::StrCat("admin token could not be verified: ", claims_text.status().message()));
        }
        continue;
      }
      absl::StatusOr<Json> claims = ParseJson(*claims_text, "admin token claims", 16);
      if (!claims.ok() || !claims->is_object()) return Denied("admin token claims are invalid");
      if (!provider.config.issuer.empty()) {
        auto iss = claims->find("iss");
        if (iss == claims->end() || !iss->is_string() ||
            iss->get<std::string>() != provider.config.issuer) {
          return Denied("admin token issuer is not accepted");
        }
      }
      if (!provider.config.audiences.empty() &&
          !AudienceMatches(*claims, provider.config.audiences)) {
        return Denied("admin token audience is not accepted");
      }
      if (legacy_no_role_ && acls_.empty()) return absl::OkStatus();
      auto role = claims->find("role");
      if (role == claims->end() || !role->is_string()) {
        if (legacy_no_role_) return absl::OkStatus();
        return Denied("admin token has no role claim");
      }
      const std::string role_name = role->get<std::string>();
      const std::string target(uri);
      for (const Acl& acl : acls_) {
        if (acl.role == role_name && re2::RE2::FullMatch(target, *acl.pattern)) {
          return absl::OkStatus();
        }
      }
      return Denied(absl::StrCat("role \"", role_name, "\" may not access ", uri));
    }
  }
  return last;
}

}  // namespace cocoon::kbs
