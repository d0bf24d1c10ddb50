// The annotation packet of the `provider.attestation-agent` key-wrap scheme
// (docs/reference/guest-components.md §4.4, §5.2): the layer options (PLBCO) wrapped under a key
// encryption key (KEK) that a KBS holds as the resource `kid`.
//
//   v1 (coco_keyprovider writes it): {"kid","wrapped_data","iv","wrap_type"}
//   v2: {"version":"0.1.0","kid","wrapped_data","provider":"kbs","iv","wrap_type",
//        "provider_settings":{},"annotations":{}}
//
// A v1 packet parses as v2 with the defaults (version 0.1.0, provider kbs). `wrapped_data` and
// `iv` are std base64. Wrap types: A256GCM (12-byte iv, data = ciphertext‖16-byte tag) and
// A256CTR (16-byte iv, AES-256-CTR with a 128-bit big-endian counter, no integrity).
#ifndef COCOON_CDH_ANNOTATION_PACKET_H_
#define COCOON_CDH_ANNOTATION_PACKET_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/secret_bytes.h"
#include "cdh/resource_uri.h"

namespace cocoon::cdh {

inline constexpr absl::string_view kWrapTypeA256Gcm = "A256GCM";
inline constexpr absl::string_view kWrapTypeA256Ctr = "A256CTR";
inline constexpr absl::string_view kAnnotationPacketVersion = "0.1.0";
inline constexpr size_t kMaxAnnotationPacketSize = 1u << 20;
inline constexpr size_t kKekSize = 32;

struct AnnotationPacket {
  std::string version = std::string(kAnnotationPacketVersion);
  std::string kid;
  std::string wrapped_data;  // raw bytes (decoded)
  std::string provider = "kbs";
  std::string iv;  // raw bytes (decoded)
  std::string wrap_type;
  std::string provider_settings_json = "{}";       // kept for KMS providers
  std::map<std::string, std::string> annotations;  // string values only
};

// Parses a packet (the JSON bytes, after the layer annotation's base64). Checks the shape only:
// field types, base64; errors name the field. Never quotes wrapped_data.
absl::StatusOr<AnnotationPacket> ParseAnnotationPacket(absl::string_view json);

// The v1 JSON, members in coco_keyprovider's order.
std::string SerializeAnnotationPacketV1(const AnnotationPacket& packet);

// Checks what unwrapping with a KBS KEK needs: provider "kbs", version 0.1.0, a known wrap_type
// with the right iv length, a valid resource URI in kid. Returns the parsed kid.
absl::StatusOr<ResourceUri> ValidateKbsPacket(const AnnotationPacket& packet);

// Encrypts/decrypts with a 32-byte KEK under `wrap_type`. Decrypt errors name the kid when given
// (so an operator can tell which key is wrong) but never the key or data.
absl::StatusOr<std::string> WrapWithKek(absl::string_view wrap_type, const SecretBytes& kek,
                                        absl::string_view iv, const SecretBytes& plaintext);
absl::StatusOr<SecretBytes> UnwrapWithKek(absl::string_view wrap_type, const SecretBytes& kek,
                                          absl::string_view iv, absl::string_view wrapped,
                                          absl::string_view kid = "");

// The iv length `wrap_type` needs; error for unknown types.
absl::StatusOr<size_t> IvSizeFor(absl::string_view wrap_type);

}  // namespace cocoon::cdh

#endif  // COCOON_CDH_ANNOTATION_PACKET_H_
