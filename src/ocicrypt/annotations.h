// Layer annotations of ocicrypt: one `org.opencontainers.image.enc.keys.<scheme>` annotation per
// key-wrap scheme, whose value is a comma-separated list of standard base64 entries (one wrapped
// copy of the private options each), and `org.opencontainers.image.enc.pubopts`, the standard
// base64 of the public options JSON.
#ifndef COCOON_OCICRYPT_ANNOTATIONS_H_
#define COCOON_OCICRYPT_ANNOTATIONS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ocicrypt/options.h"

namespace cocoon::ocicrypt {

inline constexpr absl::string_view kEncAnnotationPrefix = "org.opencontainers.image.enc.";
inline constexpr absl::string_view kAnnotationPrefix = "org.opencontainers.image.enc.keys.";
inline constexpr absl::string_view kPubOptsAnnotation = "org.opencontainers.image.enc.pubopts";

// Scheme ids: the annotation key is kAnnotationPrefix + id.
inline constexpr absl::string_view kSchemeJwe = "jwe";
inline constexpr absl::string_view kSchemePkcs7 = "pkcs7";
inline constexpr absl::string_view kSchemePgp = "pgp";
inline constexpr absl::string_view kSchemePkcs11 = "pkcs11";
inline constexpr absl::string_view kSchemeProviderPrefix = "provider.";

// "provider.<name>".
std::string ProviderSchemeId(absl::string_view provider_name);
// kAnnotationPrefix + scheme.
std::string KeyAnnotationName(absl::string_view scheme);

// Splits an annotation value at commas and decodes each entry (padded standard base64). Errors
// name the entry index ("key annotation entry 2: base64: ..."); empty entries are errors.
absl::StatusOr<std::vector<std::string>> SplitKeyAnnotation(absl::string_view value);
// The inverse: base64 of each raw entry, joined with ",".
std::string JoinKeyAnnotation(const std::vector<std::string>& raw_entries);

// The value of kPubOptsAnnotation: base64 of the public options JSON.
std::string EncodePubOpts(absl::string_view pubopts_json);
std::string EncodePubOpts(const PublicOptions& opts);  // of SerializePublicOptions(opts)
// The JSON inside a pubopts annotation value (base64 decoding only).
absl::StatusOr<std::string> DecodePubOpts(absl::string_view annotation_value);
// DecodePubOpts + ParsePublicOptions.
absl::StatusOr<PublicOptions> DecodePubOptsAnnotation(absl::string_view annotation_value);

// What the annotations of one layer descriptor say about its encryption.
struct LayerKeyInfo {
  // Scheme ids present, in annotation-key order ("jwe", "provider.attestation-agent", ...).
  std::vector<std::string> schemes;
  // Raw annotation values by scheme id.
  std::map<std::string, std::string> wrapped_keys;
  PublicOptions pubopts;
};

// Errors: "layer is not encrypted: no org.opencontainers.image.enc.keys.* annotation" (code
// NotFound, so callers can tell it apart), "missing pubopts annotation ...", or a pubopts decoding
// error. Unknown scheme ids are reported as they are; the caller decides which it can unwrap.
absl::StatusOr<LayerKeyInfo> InspectLayerAnnotations(
    const std::map<std::string, std::string>& annotations);

// True if any org.opencontainers.image.enc.keys.* annotation is present.
bool HasKeyAnnotations(const std::map<std::string, std::string>& annotations);

// The annotations without every org.opencontainers.image.enc.* member (what a decrypted layer
// keeps).
std::map<std::string, std::string> WithoutEncryptionAnnotations(
    const std::map<std::string, std::string>& annotations);

}  // namespace cocoon::ocicrypt

#endif  // COCOON_OCICRYPT_ANNOTATIONS_H_
