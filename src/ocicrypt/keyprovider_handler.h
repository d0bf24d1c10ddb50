// The provider side of the keyprovider protocol: a handler for wrap and unwrap requests and the
// dispatch from a JSON request to a JSON reply, shared by the gRPC server
// (rpc/keyprovider_server.h) and by providers run as `cmd` programs.
#ifndef COCOON_OCICRYPT_KEYPROVIDER_HANDLER_H_
#define COCOON_OCICRYPT_KEYPROVIDER_HANDLER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/secret_bytes.h"
#include "ocicrypt/keyprovider_protocol.h"

namespace cocoon::ocicrypt {

// Implemented by a keyprovider. Status messages go back to the client verbatim, so they must not
// contain key material.
class KeyProviderHandler {
 public:
  virtual ~KeyProviderHandler() = default;

  // Returns the annotation bytes for `input.keywrap` (empty: declined).
  virtual absl::StatusOr<std::string> WrapKey(const KeyProviderInput& input) = 0;

  // Returns the optsdata for `input.keyunwrap`.
  virtual absl::StatusOr<SecretBytes> UnwrapKey(const KeyProviderInput& input) = 0;
};

enum class KeyProviderCall {
  kWrapKey,    // gRPC WrapKey
  kUnwrapKey,  // gRPC UnWrapKey
  kByOp,       // cmd transport: "op" decides ("keywrap" / "keyunwrap")
};

// Parses `request`, calls the handler and returns the reply JSON with byte fields in `form`. Parse
// failures are INVALID_ARGUMENT; handler errors pass through unchanged. The reply of an unwrap
// holds the optsdata: wipe it (WipeString) after sending.
absl::StatusOr<std::string> HandleKeyProviderRequest(KeyProviderHandler& handler,
                                                     KeyProviderCall call,
                                                     absl::string_view request,
                                                     ByteFieldForm form = ByteFieldForm::kBase64);

}  // namespace cocoon::ocicrypt

#endif  // COCOON_OCICRYPT_KEYPROVIDER_HANDLER_H_
