// OCI and Docker media types of manifests, indexes and layers, and the mapping between plain and
// encrypted layer types.
#ifndef COCOON_OCICRYPT_MEDIA_TYPES_H_
#define COCOON_OCICRYPT_MEDIA_TYPES_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cocoon::ocicrypt {

// Manifests and indexes.
inline constexpr absl::string_view kMediaTypeOciManifest =
    "application/vnd.oci.image.manifest.v1+json";
inline constexpr absl::string_view kMediaTypeOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr absl::string_view kMediaTypeDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr absl::string_view kMediaTypeDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr absl::string_view kMediaTypeOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr absl::string_view kMediaTypeDockerConfig =
    "application/vnd.docker.container.image.v1+json";

// Plain layers.
inline constexpr absl::string_view kMediaTypeOciLayer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr absl::string_view kMediaTypeOciLayerGzip =
    "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr absl::string_view kMediaTypeOciLayerZstd =
    "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr absl::string_view kMediaTypeOciLayerNonDistributable =
    "application/vnd.oci.image.layer.nondistributable.v1.tar";
inline constexpr absl::string_view kMediaTypeOciLayerNonDistributableGzip =
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
inline constexpr absl::string_view kMediaTypeOciLayerNonDistributableZstd =
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd";
inline constexpr absl::string_view kMediaTypeDockerLayer =
    "application/vnd.docker.image.rootfs.diff.tar";
inline constexpr absl::string_view kMediaTypeDockerLayerGzip =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr absl::string_view kMediaTypeDockerForeignLayerGzip =
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
inline constexpr absl::string_view kMediaTypeWasmLayer =
    "application/vnd.wasm.content.layer.v1+wasm";

// Encrypted layers (ocicrypt spec/spec.go).
inline constexpr absl::string_view kEncryptedSuffix = "+encrypted";
inline constexpr absl::string_view kMediaTypeOciLayerEnc =
    "application/vnd.oci.image.layer.v1.tar+encrypted";
inline constexpr absl::string_view kMediaTypeOciLayerGzipEnc =
    "application/vnd.oci.image.layer.v1.tar+gzip+encrypted";
inline constexpr absl::string_view kMediaTypeOciLayerZstdEnc =
    "application/vnd.oci.image.layer.v1.tar+zstd+encrypted";
inline constexpr absl::string_view kMediaTypeOciLayerNonDistributableEnc =
    "application/vnd.oci.image.layer.nondistributable.v1.tar+encrypted";
inline constexpr absl::string_view kMediaTypeOciLayerNonDistributableGzipEnc =
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip+encrypted";
inline constexpr absl::string_view kMediaTypeOciLayerNonDistributableZstdEnc =
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd+encrypted";
inline constexpr absl::string_view kMediaTypeWasmLayerEnc =
    "application/vnd.wasm.content.layer.v1+wasm+encrypted";
// Produced by some skopeo flows; accepted on decrypt, never produced.
inline constexpr absl::string_view kMediaTypeDockerLayerGzipEnc =
    "application/vnd.docker.image.rootfs.diff.tar.gzip+encrypted";
inline constexpr absl::string_view kMediaTypeDockerLayerEnc =
    "application/vnd.docker.image.rootfs.diff.tar+encrypted";

inline constexpr absl::string_view kRefNameAnnotation = "org.opencontainers.image.ref.name";

bool IsEncryptedMediaType(absl::string_view media_type);
// Any plain or encrypted layer type listed above.
bool IsLayerMediaType(absl::string_view media_type);
bool IsManifestMediaType(absl::string_view media_type);  // OCI manifest or Docker v2s2
bool IsIndexMediaType(absl::string_view media_type);     // OCI index or Docker manifest list

// The type a layer gets when encrypted (as imgcrypt/skopeo do it): Docker tar.gzip → OCI
// tar+gzip+encrypted, Docker tar → OCI tar+encrypted, OCI tar/+gzip/+zstd, nondistributable and
// wasm types get "+encrypted"; an already encrypted OCI type is returned unchanged (re-wrapping).
// Foreign and unknown types are an error ("unsupported layer media type ...").
absl::StatusOr<std::string> EncryptedMediaType(absl::string_view plain);

// The plain type of an encrypted layer: "+encrypted" stripped, including from the Docker
// variants found in the wild. A type without the suffix is an error.
absl::StatusOr<std::string> DecryptedMediaType(absl::string_view encrypted);

}  // namespace cocoon::ocicrypt

#endif  // COCOON_OCICRYPT_MEDIA_TYPES_H_
