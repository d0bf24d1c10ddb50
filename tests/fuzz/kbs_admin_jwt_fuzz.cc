// Admin bearer tokens against an Ed25519 identity provider key.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "base/file_util.h"
#include "crypto/keys.h"
#include "kbs/admin_auth.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static cocoon::kbs::AdminAuthorizer* auth = [] {
    auto key = cocoon::crypto::PrivateKey::Generate(cocoon::crypto::KeyType::kEd25519);
    const std::string path = absl::StrCat("/tmp/kbs_admin_jwt_fuzz_", getpid(), ".pub");
    (void)cocoon::WriteFileAtomic(path, *key->GetPublic().ToPem(), 0600);
    cocoon::kbs::AdminConfig config;
    config.mode = cocoon::kbs::AdminConfig::Mode::kAuthenticated;
    cocoon::kbs::AdminIdentityProvider idp;
    idp.public_key_path = path;
    config.identity_providers.push_back(idp);
    config.acls.push_back({"admin", "^/kbs/.+$"});
    auto a = cocoon::kbs::AdminAuthorizer::Create(config);
    std::remove(path.c_str());
    return a->release();
  }();
  const std::string header =
      absl::StrCat("Bearer ", absl::string_view(reinterpret_cast<const char*>(data), size));
  (void)auth->Authorize(header, "/kbs/v0/resource-policy");
  return 0;
}
