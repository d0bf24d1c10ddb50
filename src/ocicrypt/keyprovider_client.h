// Calls one configured keyprovider over its transport (docs/reference/ocicrypt.md §3.4, §3.5):
//
//  * gRPC: `/keyprovider.KeyProviderService/WrapKey` and `/UnWrapKey`, the JSON in field 1; the
//    target goes to gRPC unchanged (`host:port`, `unix:///path`, `unix:/path`, `dns:///...`).
//    Plaintext (h2c) unless the entry has `grpc-tls`.
//  * cmd: runs the program with its args and the inherited environment, the JSON request on stdin,
//    the JSON reply on stdout.
//
// Unlike Go, every call has a deadline (default 30 s): a hung provider fails the call instead of
// the pull. Errors never contain the layer options or the provider's copy of them.
#ifndef COCOON_OCICRYPT_KEYPROVIDER_CLIENT_H_
#define COCOON_OCICRYPT_KEYPROVIDER_CLIENT_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "base/secret_bytes.h"
#include "ocicrypt/crypto_config.h"
#include "ocicrypt/key_wrapper.h"
#include "ocicrypt/keyprovider_config.h"
#include "ocicrypt/keyprovider_protocol.h"

namespace cocoon::ocicrypt {

struct KeyProviderClientOptions {
  absl::Duration timeout = absl::Seconds(30);
  // Largest reply accepted (cmd stdout, gRPC message).
  size_t max_output_size = kMaxKeyProviderMessageSize;
};

class KeyProviderClient {
 public:
  explicit KeyProviderClient(KeyProviderEntry entry, KeyProviderClientOptions options = {});

  const std::string& name() const { return entry_.name; }

  // Sends a keywrap request; returns the annotation bytes (raw, before base64). A reply without
  // an annotation is an error ("provider wrapped nothing").
  absl::StatusOr<std::string> WrapKey(const EncryptConfig& ec, const SecretBytes& optsdata) const;

  // The same exchange, returning the annotation as the provider sent it: nullopt (null or absent)
  // or empty means the provider declined, which Go ocicrypt skips silently.
  absl::StatusOr<std::optional<std::string>> WrapKeyAllowEmpty(const EncryptConfig& ec,
                                                               const SecretBytes& optsdata) const;

  // Sends a keyunwrap request for one annotation entry (raw bytes); returns the optsdata. A reply
  // without optsdata is an error.
  absl::StatusOr<SecretBytes> UnwrapKey(const DecryptConfig& dc,
                                        absl::string_view annotation) const;

  // One request/reply exchange with the raw protocol messages. `grpc_method` is "WrapKey" or
  // "UnWrapKey" (the cmd transport ignores it). The request may hold secrets; the caller wipes
  // the reply.
  absl::StatusOr<std::string> Call(absl::string_view grpc_method, const std::string& request) const;

 private:
  absl::StatusOr<std::string> CallGrpc(absl::string_view method, const std::string& request) const;

  KeyProviderEntry entry_;
  KeyProviderClientOptions options_;
};

// The `provider.<name>` key-wrap scheme on top of a client: recipients are ec.parameters[<name>];
// an empty reply from the provider declines (an empty entry), as Go skips it; unwrapping is tried
// whatever the DecryptConfig holds (NoPossibleKeys is always false), as in Go.
std::unique_ptr<KeyWrapper> NewKeyProviderKeyWrapper(KeyProviderEntry entry,
                                                     KeyProviderClientOptions options = {});

}  // namespace cocoon::ocicrypt

#endif  // COCOON_OCICRYPT_KEYPROVIDER_CLIENT_H_
