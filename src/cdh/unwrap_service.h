// The confidential-data-hub's keyprovider UnWrapKey (docs/reference/guest-components.md §4.4):
// base64-decoded `keyunwrapparams.annotation` → annotation packet → KEK = KBC resource `kid` →
// optsdata. WrapKey is not served (kUnimplemented), as upstream.
//
// Replies carry `optsdata` as a JSON integer array, as upstream CDH (serde) writes it; Go ocicrypt
// and cocoon's client accept it (and base64). Error messages name the kid and what failed, never
// key bytes or optsdata.
#ifndef COCOON_CDH_UNWRAP_SERVICE_H_
#define COCOON_CDH_UNWRAP_SERVICE_H_

#include "absl/status/statusor.h"
#include "base/secret_bytes.h"
#include "cdh/kbc.h"
#include "ocicrypt/keyprovider_handler.h"

namespace cocoon::cdh {

class UnwrapKeyHandler : public ocicrypt::KeyProviderHandler {
 public:
  explicit UnwrapKeyHandler(Kbc* kbc) : kbc_(kbc) {}

  absl::StatusOr<std::string> WrapKey(const ocicrypt::KeyProviderInput& input) override;
  absl::StatusOr<SecretBytes> UnwrapKey(const ocicrypt::KeyProviderInput& input) override;

  // The unwrap itself, from the annotation packet bytes.
  absl::StatusOr<SecretBytes> UnwrapPacket(absl::string_view packet_json);

 private:
  Kbc* kbc_;
};

}  // namespace cocoon::cdh

#endif  // COCOON_CDH_UNWRAP_SERVICE_H_
