// coco-keyprovider's WrapKey (docs/reference/guest-components.md §5): the encryption side of the
// `provider.attestation-agent` scheme. The parameter string (from
// `provider:attestation-agent:keypath=/k::keyid=kbs:///default/image_key/app::algorithm=A256GCM`)
// is `k=v` pairs joined by "::":
//
//   sample=true   the CoCo sample key (HARDCODED_KEY), kid kbs:///default/test-key/1
//   keypath=FILE  the KEK: exactly 32 raw bytes
//   (neither)     a random 32-byte KEK
//   keyid=URI     the kid written to the annotation (must be a kbs:// resource URI)
//   algorithm=    A256GCM (default) or A256CTR
//
// Deliberate differences from upstream coco_keyprovider, all in the direction of safety:
//   * `algorithm` is honoured (upstream reads it from the keypath value, so it is always A256GCM);
//     A256CTR gets the 16-byte iv it needs. Unknown algorithms are an error.
//   * the iv is random in sample mode too (upstream uses 12 zero bytes, reusing a GCM nonce).
//   * a kid that is not a kbs resource URI is refused at wrap time (upstream writes it and the
//     confidential-data-hub fails at pull time); without keyid the kid is
//     kbs:///default/image-kek/<uuid> (upstream omits the scheme).
//   * a keypath file of the wrong length is a precise error, not an opaque internal one.
//   * KBS registration checks the reply status (upstream ignores it).
#ifndef COCOON_CDH_COCO_KEYPROVIDER_H_
#define COCOON_CDH_COCO_KEYPROVIDER_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/secret_bytes.h"
#include "cdh/resource_uri.h"
#include "crypto/keys.h"
#include "ocicrypt/keyprovider_handler.h"

namespace cocoon::cdh {

inline constexpr absl::string_view kSampleKid = "kbs:///default/test-key/1";

struct WrapParams {
  bool sample = false;
  std::string keypath;
  std::string keyid;
  std::string algorithm;  // empty = A256GCM
};

// Parses the `k=v::k=v` parameter string. Pairs without '=' are ignored (as upstream); `sample`
// must be true or false. Never fails on unknown keys.
absl::StatusOr<WrapParams> ParseWrapParams(absl::string_view params);

// The 32-byte sample key (also the sample KBC's).
SecretBytes SampleKek();

// Registers a KEK as a KBS resource.
class KbsRegistrar {
 public:
  virtual ~KbsRegistrar() = default;
  virtual absl::Status Register(const ResourceUri& uri, const SecretBytes& key) = 0;
};

// POST {kbs_url}/kbs/v0/resource/<repo>/<type>/<tag>, Content-Type application/octet-stream,
// Authorization: Bearer <JWT {iat, nbf, exp = iat + 2 h, role = "admin"}> signed with `key`
// (Ed25519: EdDSA; EC P-256/P-384: ES256/ES384).
// Any status other than 2xx is an error naming the status and the start of the reply body.
std::unique_ptr<KbsRegistrar> NewHttpKbsRegistrar(std::string kbs_url, crypto::PrivateKey key,
                                                  absl::Duration timeout = absl::Seconds(30));

struct CocoKeyProviderOptions {
  std::string provider_name = "attestation-agent";  // the ec.Parameters key read
  KbsRegistrar* registrar = nullptr;                // optional
};

class CocoKeyProviderHandler : public ocicrypt::KeyProviderHandler {
 public:
  explicit CocoKeyProviderHandler(CocoKeyProviderOptions options) : options_(std::move(options)) {}
  absl::StatusOr<std::string> WrapKey(const ocicrypt::KeyProviderInput& input) override;
  absl::StatusOr<SecretBytes> UnwrapKey(const ocicrypt::KeyProviderInput& input) override;

  // The wrap itself: returns the annotation packet JSON.
  absl::StatusOr<std::string> Wrap(const WrapParams& params, const SecretBytes& optsdata);

 private:
  CocoKeyProviderOptions options_;
  // A key generated for a keyid (no keypath) is reused for every later layer wrapped with that
  // keyid in this process: the KBS holds one resource per keyid, so a fresh key per layer would
  // leave all but the last layer undecryptable. Registration happens once, with the first use.
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, SecretBytes> generated_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cocoon::cdh

#endif  // COCOON_CDH_COCO_KEYPROVIDER_H_
