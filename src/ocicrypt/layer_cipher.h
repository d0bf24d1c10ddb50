// The ocicrypt layer cipher AES_256_CTR_HMAC_SHA256, streaming and byte-exact with Go ocicrypt:
// AES-256-CTR with the 16-byte nonce as the whole initial counter block, then HMAC-SHA256 keyed
// with the same 32-byte key over the ciphertext. The ciphertext is as long as the plaintext; the
// tag travels in the public options (the pubopts annotation), never in the blob.
//
// Both directions run over 1 MiB buffers processed in place, allocated once per call.
#ifndef COCOON_OCICRYPT_LAYER_CIPHER_H_
#define COCOON_OCICRYPT_LAYER_CIPHER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/secret_bytes.h"
#include "crypto/stream_cipher.h"
#include "ocicrypt/io.h"
#include "ocicrypt/options.h"

namespace cocoon::ocicrypt {

inline constexpr size_t kLayerKeySize = 32;
inline constexpr size_t kLayerNonceSize = 16;
inline constexpr size_t kLayerHmacSize = 32;
// What Go's DelayedReader keeps back until the MAC is checked.
inline constexpr size_t kMinHoldBack = 10 * 1024;
inline constexpr size_t kDefaultLayerBufferSize = size_t{1} << 20;

struct LayerEncryptOptions {
  // Fixed values are for tests and vectors only; by default a random 32-byte key and 16-byte
  // nonce are drawn for every layer.
  std::optional<SecretBytes> key;
  std::optional<std::string> nonce;
  size_t buffer_size = kDefaultLayerBufferSize;
};

struct LayerEncryptResult {
  PrivateOptions private_options;  // symkey, digest (as given), cipheroptions {nonce}
  PublicOptions public_options;    // cipher, hmac, cipheroptions {}
  std::string ciphertext_digest;   // "sha256:<hex>" of the blob written
  uint64_t size = 0;               // ciphertext (= plaintext) length
};

// Streams `plaintext` to `ciphertext` (which is not closed). `plaintext_digest` becomes
// private_options.digest unchanged: Go records the digest of the source descriptor, which is not
// necessarily the digest of the bytes read here (skopeo may recompress first).
absl::StatusOr<LayerEncryptResult> EncryptLayerStream(ByteSource& plaintext, ByteSink& ciphertext,
                                                      absl::string_view plaintext_digest,
                                                      const LayerEncryptOptions& opts = {});

enum class ReleaseMode {
  // Go semantics: plaintext is released as it is decrypted, except that the final part (at least
  // kMinHoldBack bytes and at least one whole buffer) is held back until the HMAC has been checked
  // at end of stream. Earlier plaintext is unauthenticated when released.
  kStreaming,
  // Pass 1 spools the ciphertext to an unlinked temporary file and checks the HMAC; pass 2
  // decrypts from the spool. Not one plaintext byte is released unless the MAC verifies.
  kVerifyBeforeRelease,
};

struct LayerDecryptOptions {
  ReleaseMode mode = ReleaseMode::kStreaming;
  // Directory of the spool file for kVerifyBeforeRelease; empty means $TMPDIR, else /tmp.
  std::string spool_dir;
  // I/O buffer; values below 16 KiB are raised to 16 KiB so that the hold-back rule holds.
  size_t buffer_size = kDefaultLayerBufferSize;
  // Computes the HMAC on a second thread while this one runs AES-CTR (kStreaming only). Output is
  // identical; throughput is bounded by SHA-256 alone instead of SHA-256 plus AES.
  bool parallel_mac = false;
  // With parallel_mac: the second thread also feeds every plaintext byte to this hasher, so a
  // caller that needs the output digest (an OCI blob writer) need not hash on the decrypting
  // thread. The hasher is not finalized.
  crypto::Hasher* plaintext_hasher = nullptr;
};

// Decrypts `ciphertext` into `plaintext` (which is not closed). Errors: "no cipher type provided",
// "unsupported cipher type: X", "invalid key length of N bytes; need 32 bytes", "HMAC is not
// provided for decryption process", "no nonce in the layer options", "invalid nonce length",
// and "layer HMAC mismatch: ciphertext was modified, truncated, or decrypted with the wrong key"
// (neither MAC is printed). The digest in `priv` is not checked here (ctd-decoder ignores it too).
absl::Status DecryptLayerStream(ByteSource& ciphertext, ByteSink& plaintext,
                                const PrivateOptions& priv, const PublicOptions& pub,
                                const LayerDecryptOptions& opts = {});

// The nonce Go would use: public cipher options first, then private.
absl::StatusOr<std::string> LayerNonce(const PrivateOptions& priv, const PublicOptions& pub);

}  // namespace cocoon::ocicrypt

#endif  // COCOON_OCICRYPT_LAYER_CIPHER_H_
