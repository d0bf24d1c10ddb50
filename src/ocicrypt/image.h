// Image manifests and indexes (OCI image-spec, Docker schema 2 and manifest lists).
//
// Parsing keeps the original bytes so that serialization changes only what the caller changed:
// SerializeManifest/SerializeIndex re-read `raw` with member order kept, replace the members this
// struct models (mediaType, artifactType, config, layers / manifests, subject, annotations) and
// leave every other member, and the order of all members, as it was. Output is compact JSON with
// Go's string escaping, the form skopeo and containers/image write for OCI layouts. A struct with
// an empty `raw` is serialized from scratch in image-spec member order.
#ifndef COCOON_OCICRYPT_IMAGE_H_
#define COCOON_OCICRYPT_IMAGE_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ocicrypt/descriptor.h"

namespace cocoon::ocicrypt {

struct Manifest {
  std::string raw;  // the bytes parsed (empty for a manifest built in code)
  int schema_version = 2;
  // The "mediaType" member; when the document has none, the OCI manifest type (the only kind
  // allowed to omit it) and `has_media_type_member` is false.
  std::string media_type;
  bool has_media_type_member = false;
  std::string artifact_type;
  Descriptor config;
  std::vector<Descriptor> layers;
  std::optional<Descriptor> subject;
  std::map<std::string, std::string> annotations;
};

struct Index {
  std::string raw;
  int schema_version = 2;
  std::string media_type;  // as for Manifest: the OCI index type when absent
  bool has_media_type_member = false;
  std::string artifact_type;
  std::vector<Descriptor> manifests;
  std::optional<Descriptor> subject;
  std::map<std::string, std::string> annotations;
};

// Validates schemaVersion 2, the media type (OCI manifest or Docker schema 2), every descriptor
// (digest grammar, non-negative size) and at most kMaxDescriptorsPerList layers. Errors start with
// `what` and name the JSON path ("manifest sha256:..: layers[2].digest: ...").
absl::StatusOr<Manifest> ParseManifest(absl::string_view bytes,
                                       absl::string_view what = "manifest");
absl::StatusOr<std::string> SerializeManifest(const Manifest& m);

absl::StatusOr<Index> ParseIndex(absl::string_view bytes, absl::string_view what = "index");
absl::StatusOr<std::string> SerializeIndex(const Index& index);

// Turns a Docker schema 2 manifest into an OCI one, as skopeo and imgcrypt do before encrypting:
// the manifest and config media types become OCI, Docker layer types their OCI equivalents
// (foreign layers become non-distributable). An OCI manifest is left unchanged.
absl::Status ConvertToOciManifest(Manifest* m);

}  // namespace cocoon::ocicrypt

#endif  // COCOON_OCICRYPT_IMAGE_H_
