// Fuzzes compact JWS/JWT verification: JwsParse, then JwsVerify and JwtVerify against a fixed
// EC P-256 test key (generated for this target only) with every algorithm allowed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "absl/strings/string_view.h"
#include "crypto/jose/jws.h"
#include "crypto/keys.h"

namespace {

constexpr char kEcKey[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg1NNFqpqhTAuSTxiB\n"
    "8ot1xmz1fi2tnNfW9mOia2lvQ9ShRANCAAQ85FcGzWi4McOJGWjlm02fzemO9PFp\n"
    "JyKjF9zSTS1+v8wZN/w0LkWlVLWDi9SkDuUQWEqw4kXHgQ8pEih47JP0\n"
    "-----END PRIVATE KEY-----\n";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const cocoon::crypto::PublicKey* key = [] {
    auto priv = cocoon::crypto::PrivateKey::Parse(kEcKey);
    if (!priv.ok()) std::abort();
    return new cocoon::crypto::PublicKey(priv->GetPublic());
  }();
  using cocoon::crypto::SignatureAlg;
  static const std::vector<SignatureAlg> kAll = {SignatureAlg::kEs256, SignatureAlg::kEs384,
                                                 SignatureAlg::kEs512, SignatureAlg::kEdDsa,
                                                 SignatureAlg::kRs256, SignatureAlg::kPs256};
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  (void)cocoon::jose::JwsParse(input);
  (void)cocoon::jose::JwsVerify(input, *key, kAll);
  cocoon::jose::JwtVerifyOptions options;
  options.clock = [] { return absl::FromUnixSeconds(1700000000); };
  (void)cocoon::jose::JwtVerify(input, *key, kAll, options);
  return 0;
}
