// The logic of `ctd-decoder`, containerd's stream processor for encrypted layers
// (docs/reference/ocicrypt.md §4): ciphertext on stdin, plaintext on stdout, and on fd 3 the
// payload containerd's CRI plugin writes for key_model "node" — a protobuf google.protobuf.Any
// with type URL "io.containerd.ocicrypt.v1.Payload" whose value is the JSON
// {"DecryptConfig":{"Parameters":{...}},"Descriptor":{<OCI descriptor of the layer>}}.
//
// The payload is the only place the decoder learns the layer's annotations (the wrapped keys);
// without it nothing can be decrypted, whatever keys the node has.
#ifndef COCOON_CDH_STREAM_DECODER_H_
#define COCOON_CDH_STREAM_DECODER_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ocicrypt/crypto_config.h"
#include "ocicrypt/descriptor.h"

namespace cocoon::cdh {

inline constexpr absl::string_view kPayloadTypeUrl = "io.containerd.ocicrypt.v1.Payload";
// A payload holds a descriptor and, from ctr-enc, private keys: 4 MiB is far above real sizes.
inline constexpr size_t kMaxPayloadSize = 4u << 20;
inline constexpr int kPayloadFd = 3;

struct ProcessorPayload {
  ocicrypt::DecryptConfig dc;
  ocicrypt::Descriptor descriptor;
};

// Decodes the Any (field 1 type_url, field 2 value; unknown fields skipped as protobuf does) and
// its JSON value. The type URL must be kPayloadTypeUrl, optionally with a "<host>/" prefix.
// Errors name the byte offset or JSON member at fault.
absl::StatusOr<ProcessorPayload> ParseProcessorPayload(absl::string_view bytes);

// Reads the whole payload from `fd` after checking that it is a readable pipe, socket or regular
// file (a descriptor leaked by a parent, a terminal or a write-only file is refused with an
// explanation). A closed fd says that containerd sent no payload, and why that happens.
absl::StatusOr<std::string> ReadPayloadFd(int fd);

// What a file in the keys directory is used as (see docs/node.md for the table).
enum class KeyFileKind {
  kPrivateKey,   // "privkeys" (PEM or DER: PKCS#8, PKCS#1, SEC1; JWK with "d")
  kCertificate,  // "x509s"
  kGpgKeyring,   // "gpg-privatekeys" (passed on to keyproviders; cocoon has no gpg scheme)
  kEmpty,        // ignored
};

// Classifies one key file's contents. Errors: "Unknown decryption key type" (public keys, text),
// encrypted private keys (ctd-decoder has no way to get a password), unusable keys.
absl::StatusOr<KeyFileKind> ClassifyKeyFile(absl::string_view data);

// Walks `dir` recursively (at most 256 files of at most 1 MiB, depth 16) as Go's ctd-decoder does:
// symbolic links are refused, every regular file must classify. Returns the DecryptConfig with
// privkeys (+ null privkeys-passwords), x509s and gpg-privatekeys.
absl::StatusOr<ocicrypt::DecryptConfig> LoadKeysDir(const std::string& dir);

// Appends `b`'s parameter lists to `a`'s (keys-directory entries first, then the payload's).
void CombineDecryptConfigs(ocicrypt::DecryptConfig* a, const ocicrypt::DecryptConfig& b);

struct StreamDecoderOptions {
  std::string keys_path;  // --decryption-keys-path; empty = none
  bool verify_before_release = false;
  std::string stream_media_type;  // $STREAM_PROCESSOR_MEDIATYPE, cross-checked when set
};

// The whole decoder: payload from `payload_fd` (read first), key directory, keyproviders from
// $OCICRYPT_KEYPROVIDER_CONFIG, then ciphertext from `in_fd` to `out_fd`. The returned status
// message is the one line ctd-decoder prints on stderr; containerd shows it in the pull error.
absl::Status RunStreamDecoder(const StreamDecoderOptions& options, int payload_fd, int in_fd,
                              int out_fd);

}  // namespace cocoon::cdh

#endif  // COCOON_CDH_STREAM_DECODER_H_
