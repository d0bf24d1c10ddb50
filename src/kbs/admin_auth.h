// Admin API authorization: bearer JWTs signed by a configured identity provider key (Ed25519 /
// EdDSA, EC / ES256-ES512, RSA / RS256-PS256). "exp" is required; "iss" and "aud" are checked
// when configured; the "role" claim must match an ACL entry whose regex matches the request
// path and query. The older layouts (auth_public_key, personas) need no role.
#ifndef COCOON_KBS_ADMIN_AUTH_H_
#define COCOON_KBS_ADMIN_AUTH_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "crypto/keys.h"
#include "kbs/config.h"

namespace re2 {
class RE2;
}  // namespace re2

namespace cocoon::kbs {

class AdminAuthorizer {
 public:
  static absl::StatusOr<std::unique_ptr<AdminAuthorizer>> Create(const AdminConfig& config);

  // `authorization`: the Authorization header value ("" when absent); `uri`: path + "?" + query.
  // Errors are kPermissionDenied with a message naming the reason (never the token).
  absl::Status Authorize(absl::string_view authorization, absl::string_view uri) const;

  bool enabled() const { return mode_ != AdminConfig::Mode::kDenyAll; }
  void set_clock(std::function<absl::Time()> clock) { clock_ = std::move(clock); }

 private:
  struct Provider {
    AdminIdentityProvider config;
    std::vector<crypto::PublicKey> keys;
  };
  struct Acl {
    std::string role;
    // RE2, not std::regex: linear time on hostile paths and no exceptions.
    std::shared_ptr<const re2::RE2> pattern;
  };
  AdminAuthorizer() = default;

  AdminConfig::Mode mode_ = AdminConfig::Mode::kDenyAll;
  bool legacy_no_role_ = false;
  std::vector<Provider> providers_;
  std::vector<Acl> acls_;
  std::function<absl::Time()> clock_ = [] { return absl::Now(); };
};

}  // namespace cocoon::kbs

#endif  // COCOON_KBS_ADMIN_AUTH_H_
