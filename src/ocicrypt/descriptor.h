// OCI content descriptors and platforms (image-spec descriptor.md), shared by the image layout,
// manifests and indexes. Members this code does not model are kept verbatim in `extra_json` so
// that a descriptor read and written back loses nothing.
#ifndef COCOON_OCICRYPT_DESCRIPTOR_H_
#define COCOON_OCICRYPT_DESCRIPTOR_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cocoon::ocicrypt {

struct Platform {
  std::string architecture;
  std::string os;
  std::string os_version;                // "os.version"
  std::vector<std::string> os_features;  // "os.features"
  std::string variant;
  std::string extra_json;  // a JSON object of any other members, or empty
};

struct Descriptor {
  std::string media_type;
  std::string digest;  // "<alg>:<encoded>"
  int64_t size = 0;
  std::map<std::string, std::string> annotations;
  std::optional<Platform> platform;
  std::vector<std::string> urls;
  std::string artifact_type;
  std::string extra_json;  // a JSON object of any other members ("data", ...), or empty
};

inline constexpr size_t kMaxDescriptorsPerList = 10000;

// Checks "<algorithm>:<encoded>" against the image-spec grammar; sha256 and sha512 must be lower
// case hex of 64 / 128 digits. Other registered-looking algorithms pass the grammar check only.
absl::Status ValidateDigest(absl::string_view digest);

// For the algorithms content can be verified with: splits a digest into ("sha256"|"sha512", hex).
absl::StatusOr<std::pair<std::string, std::string>> SplitVerifiableDigest(absl::string_view digest);

// A descriptor as one JSON object, members in the order Go's image-spec structs use (mediaType,
// digest, size, urls, annotations, platform, artifactType), then the preserved extra members.
std::string SerializeDescriptor(const Descriptor& d);
absl::StatusOr<Descriptor> ParseDescriptor(absl::string_view json,
                                           absl::string_view what = "descriptor");

}  // namespace cocoon::ocicrypt

#endif  // COCOON_OCICRYPT_DESCRIPTOR_H_
