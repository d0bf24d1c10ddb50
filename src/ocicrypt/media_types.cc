#include "ocicrypt/media_types.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace cocoon::ocicrypt {
namespace {

constexpr absl::string_view kPlainLayers[] = {
    kMediaTypeOciLayer,
    kMediaTypeOciLayerGzip,
    kMediaTypeOciLayerZstd,
    kMediaTypeOciLayerNonDistributable,
    kMediaTypeOciLayerNonDistributableGzip,
    kMediaTypeOciLayerNonDistributableZstd,
    kMediaTypeDockerLayer,
    kMediaTypeDockerLayerGzip,
    kMediaTypeDockerForeignLayerGzip,
    kMediaTypeWasmLayer,
};

constexpr absl::string_view kEncryptedLayers[] = {
    kMediaTypeOciLayerEnc,
    kMediaTypeOciLayerGzipEnc,
    kMediaTypeOciLayerZstdEnc,
    kMediaTypeOciLayerNonDistributableEnc,
    kMediaTypeOciLayerNonDistributableGzipEnc,
    kMediaTypeOciLayerNonDistributableZstdEnc,
    kMediaTypeWasmLayerEnc,
    kMediaTypeDockerLayerGzipEnc,
    kMediaTypeDockerLayerEnc,
};

template <size_t N>
bool Contains(const absl::string_view (&list)[N], absl::string_view v) {
  for (absl::string_view e : list) {
    if (e == v) return true;
  }
  return false;
}

}  // namespace

bool IsEncryptedMediaType(absl::string_view media_type) {
  return absl::EndsWith(media_type, kEncryptedSuffix);
}

bool IsLayerMediaType(absl::string_view media_type) {
  return Contains(kPlainLayers, media_type) || Contains(kEncryptedLayers, media_type);
}

bool IsManifestMediaType(absl::string_view media_type) {
  return media_type == kMediaTypeOciManifest || media_type == kMediaTypeDockerManifest;
}

bool IsIndexMediaType(absl::string_view media_type) {
  return media_type == kMediaTypeOciIndex || media_type == kMediaTypeDockerManifestList;
}

absl::StatusOr<std::string> EncryptedMediaType(absl::string_view plain) {
  if (plain == kMediaTypeDockerLayerGzip) return std::string(kMediaTypeOciLayerGzipEnc);
  if (plain == kMediaTypeDockerLayer) return std::string(kMediaTypeOciLayerEnc);
  if (plain == kMediaTypeOciLayer || plain == kMediaTypeOciLayerGzip ||
      plain == kMediaTypeOciLayerZstd || plain == kMediaTypeOciLayerNonDistributable ||
      plain == kMediaTypeOciLayerNonDistributableGzip ||
      plain == kMediaTypeOciLayerNonDistributableZstd || plain == kMediaTypeWasmLayer) {
    return absl::StrCat(plain, kEncryptedSuffix);
  }
  if (Contains(kEncryptedLayers, plain) && plain != kMediaTypeDockerLayerGzipEnc &&
      plain != kMediaTypeDockerLayerEnc) {
    return std::string(plain);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unsupported layer media type for encryption: ", plain));
}

absl::StatusOr<std::string> DecryptedMediaType(absl::string_view encrypted) {
  if (!IsEncryptedMediaType(encrypted) || encrypted.size() == kEncryptedSuffix.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("not an encrypted layer media type: ", encrypted));
  }
  return std::string(encrypted.substr(0, encrypted.size() - kEncryptedSuffix.size()));
}

}  // namespace cocoon::ocicrypt
