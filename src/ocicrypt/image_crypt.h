// Image-level encryption and decryption: walks an image (index → manifests → layers) in an OCI
// layout, encrypts or decrypts the selected layers with the layer cipher, wraps or unwraps the
// layer options with the key-wrap schemes, and writes a new image into a layout writer. Blobs that
// do not change are copied, so unchanged layers keep their digests.
#ifndef COCOON_OCICRYPT_IMAGE_CRYPT_H_
#define COCOON_OCICRYPT_IMAGE_CRYPT_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/secret_bytes.h"
#include "ocicrypt/crypto_config.h"
#include "ocicrypt/key_wrapper.h"
#include "ocicrypt/layer_cipher.h"
#include "ocicrypt/oci_layout.h"

namespace cocoon::ocicrypt {

struct LayerSelection {
  // Layer indexes, 0 = bottom; negative values count from the top (-1 = top). Empty = all.
  std::vector<int> layers;
  // "os/arch[/variant]" of the manifests to process in an index. Empty = all platforms.
  std::vector<std::string> platforms;
};

struct ProgressEvent {
  std::string digest;  // of the layer being processed (its input blob)
  uint64_t done = 0;
  uint64_t total = 0;
  bool finished = false;
};
using ProgressFn = std::function<void(const ProgressEvent&)>;

struct ImageCryptOptions {
  LayerSelection selection;
  ProgressFn progress;                                 // optional
  ReleaseMode release_mode = ReleaseMode::kStreaming;  // decryption only
};

struct ImageCryptStats {
  int layers_encrypted = 0;
  int layers_decrypted = 0;
  int layers_rewrapped = 0;  // recipients added without touching the data
  int layers_copied = 0;
  int manifests = 0;
};

struct ImageCryptResult {
  Descriptor top;  // the new index or manifest
  ImageCryptStats stats;
};

// The key-wrap schemes known to one encryption or decryption run, by annotation id.
class KeyWrapperSet {
 public:
  void Add(std::unique_ptr<KeyWrapper> wrapper);
  KeyWrapper* Find(absl::string_view annotation_id) const;
  const std::vector<std::unique_ptr<KeyWrapper>>& all() const { return wrappers_; }

 private:
  std::vector<std::unique_ptr<KeyWrapper>> wrappers_;
};

// Unwraps the private layer options (JSON) from a layer's annotations, trying every registered
// scheme present and every comma-separated entry in order; the first success wins. Errors list
// what each attempt said.
absl::StatusOr<SecretBytes> UnwrapLayerOptions(
    const KeyWrapperSet& wrappers, const DecryptConfig& dc,
    const std::map<std::string, std::string>& annotations);

// Decrypts one encrypted layer blob to `plaintext`, given its descriptor annotations.
absl::Status DecryptLayer(const KeyWrapperSet& wrappers, const DecryptConfig& dc,
                          const Descriptor& layer, ByteSource& ciphertext, ByteSink& plaintext,
                          const LayerDecryptOptions& opts = {});

absl::StatusOr<ImageCryptResult> EncryptImage(const OciLayout& src, const Descriptor& top,
                                              OciLayoutWriter& dst, const KeyWrapperSet& wrappers,
                                              const EncryptConfig& ec,
                                              const ImageCryptOptions& opts = {});

absl::StatusOr<ImageCryptResult> DecryptImage(const OciLayout& src, const Descriptor& top,
                                              OciLayoutWriter& dst, const KeyWrapperSet& wrappers,
                                              const DecryptConfig& dc,
                                              const ImageCryptOptions& opts = {});

}  // namespace cocoon::ocicrypt

#endif  // COCOON_OCICRYPT_IMAGE_CRYPT_H_
