#include "cdh/annotation_packet.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/encoding.h"
#include "base/json.h"
#include "base/status.h"
#include "crypto/aead.h"
#include "crypto/stream_cipher.h"

namespace cocoon::cdh {
namespace {

absl::Status FieldError(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("annotation packet: ", field, ": ", what));
}

absl::Status GetString(const Json& obj, absl::string_view name, bool required, std::string* out) {
  auto it = obj.find(std::string(name));
  if (it == obj.end() || it->is_null()) {
    if (required) return FieldError(name, "missing");
    return absl::OkStatus();
  }
  if (!it->is_string()) return FieldError(name, "must be a string");
  *out = it->get<std::string>();
  return absl::OkStatus();
}

absl::Status GetBase64(const Json& obj, absl::string_view name, bool required, std::string* out) {
  std::string text;
  COCOON_RETURN_IF_ERROR(GetString(obj, name, required, &text));
  if (text.empty() && !required) return absl::OkStatus();
  auto decoded = Base64Decode(text);
  if (!decoded.ok()) {
    return FieldError(name, absl::StrCat("not standard base64 (", decoded.status().message(), ")"));
  }
  *out = std::move(*decoded);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<size_t> IvSizeFor(absl::string_view wrap_type) {
  if (wrap_type == kWrapTypeA256Gcm) return crypto::kGcmIvSize;
  if (wrap_type == kWrapTypeA256Ctr) return crypto::AesCtr256::kIvSize;
  std::string shown(wrap_type.substr(0, 64));
  for (char& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20 || c == '"') c = '?';
  }
  return absl::InvalidArgumentError(absl::StrCat("unsupported wrap_type \"", shown,
                                                 "\" (supported: ", kWrapTypeA256Gcm, ", ",
                                                 kWrapTypeA256Ctr, ")"));
}

absl::StatusOr<AnnotationPacket> ParseAnnotationPacket(absl::string_view json) {
  if (json.size() > kMaxAnnotationPacketSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("annotation packet: larger than ", kMaxAnnotationPacketSize, " bytes"));
  }
  COCOON_ASSIGN_OR_RETURN(Json root, ParseJson(json, "annotation packet", 16));
  if (!root.is_object()) return FieldError("top level", "must be a JSON object");
  AnnotationPacket p;
  COCOON_RETURN_IF_ERROR(GetString(root, "version", false, &p.version));
  COCOON_RETURN_IF_ERROR(GetString(root, "kid", true, &p.kid));
  COCOON_RETURN_IF_ERROR(GetBase64(root, "wrapped_data", true, &p.wrapped_data));
  COCOON_RETURN_IF_ERROR(GetString(root, "provider", false, &p.provider));
  COCOON_RETURN_IF_ERROR(GetBase64(root, "iv", false, &p.iv));
  COCOON_RETURN_IF_ERROR(GetString(root, "wrap_type", false, &p.wrap_type));
  if (auto it = root.find("provider_settings"); it != root.end() && !it->is_null()) {
    if (!it->is_object()) return FieldError("provider_settings", "must be an object");
    p.provider_settings_json = it->dump();
  }
  if (auto it = root.find("annotations"); it != root.end() && !it->is_null()) {
    if (!it->is_object()) return FieldError("annotations", "must be an object");
    for (const auto& [k, v] : it->items()) {
      if (!v.is_string()) return FieldError(absl::StrCat("annotations.", k), "must be a string");
      p.annotations[k] = v.get<std::string>();
    }
  }
  return p;
}

std::string SerializeAnnotationPacketV1(const AnnotationPacket& packet) {
  std::string out = "{\"kid\":";
  AppendGoJsonString(&out, packet.kid);
  absl::StrAppend(&out, ",\"wrapped_data\":\"", Base64Encode(packet.wrapped_data), "\",\"iv\":\"",
                  Base64Encode(packet.iv), "\",\"wrap_type\":");
  AppendGoJsonString(&out, packet.wrap_type);
  out += "}";
  return out;
}

absl::StatusOr<ResourceUri> ValidateKbsPacket(const AnnotationPacket& packet) {
  if (packet.provider != "kbs") {
    return FieldError("provider", absl::StrCat("\"", packet.provider.substr(0, 64),
                                               "\" is not supported (only \"kbs\"; KMS providers "
                                               "are not part of cocoon)"));
  }
  if (packet.version != kAnnotationPacketVersion) {
    return FieldError("version",
                      absl::StrCat("\"", packet.version.substr(0, 32), "\" is not supported (only ",
                                   kAnnotationPacketVersion, ")"));
  }
  if (packet.wrap_type.empty()) return FieldError("wrap_type", "missing");
  if (packet.iv.empty()) return FieldError("iv", "missing");
  COCOON_ASSIGN_OR_RETURN_CTX(size_t iv_size, IvSizeFor(packet.wrap_type),
                              "annotation packet: wrap_type");
  if (packet.iv.size() != iv_size) {
    return FieldError(
        "iv", absl::StrCat(packet.iv.size(), " bytes; ", packet.wrap_type, " needs ", iv_size));
  }
  COCOON_ASSIGN_OR_RETURN_CTX(ResourceUri uri, ParseResourceUri(packet.kid),
                              "annotation packet: kid");
  return uri;
}

absl::StatusOr<std::string> WrapWithKek(absl::string_view wrap_type, const SecretBytes& kek,
                                        absl::string_view iv, const SecretBytes& plaintext) {
  COCOON_ASSIGN_OR_RETURN(size_t iv_size, IvSizeFor(wrap_type));
  if (kek.size() != kKekSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("key encryption key is ", kek.size(), " bytes; ", wrap_type, " needs 32"));
  }
  if (iv.size() != iv_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("iv is ", iv.size(), " bytes; ", wrap_type, " needs ", iv_size));
  }
  if (wrap_type == kWrapTypeA256Gcm) {
    std::string tag;
    COCOON_ASSIGN_OR_RETURN(std::string ct,
                            crypto::AesGcmEncrypt(kek.view(), iv, plaintext.view(), "", &tag));
    return ct + tag;
  }
  COCOON_ASSIGN_OR_RETURN(auto ctr, crypto::AesCtr256::New(kek.view(), iv));
  std::string out(plaintext.view());
  COCOON_RETURN_IF_ERROR(ctr->Process(reinterpret_cast<const uint8_t*>(out.data()),
                                      reinterpret_cast<uint8_t*>(out.data()), out.size()));
  return out;
}

absl::StatusOr<SecretBytes> UnwrapWithKek(absl::string_view wrap_type, const SecretBytes& kek,
                                          absl::string_view iv, absl::string_view wrapped,
                                          absl::string_view kid) {
  const std::string for_kid = kid.empty() ? "" : absl::StrCat(" for kid ", kid);
  COCOON_ASSIGN_OR_RETURN(size_t iv_size, IvSizeFor(wrap_type));
  if (kek.size() != kKekSize) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the key", for_kid, " is ", kek.size(), " bytes; ", wrap_type, " needs a 32-byte key"));
  }
  if (iv.size() != iv_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("iv is ", iv.size(), " bytes; ", wrap_type, " needs ", iv_size));
  }
  if (wrap_type == kWrapTypeA256Gcm) {
    if (wrapped.size() < crypto::kGcmTagSize) {
      return absl::InvalidArgumentError(absl::StrCat("wrapped_data is ", wrapped.size(),
                                                     " bytes, shorter than the 16-byte GCM tag"));
    }
    const size_t n = wrapped.size() - crypto::kGcmTagSize;
    auto plain = crypto::AesGcmDecrypt(kek.view(), iv, wrapped.substr(0, n), "", wrapped.substr(n));
    if (!plain.ok()) {
      return absl::PermissionDeniedError(
          absl::StrCat("wrapped_data does not authenticate under the key", for_kid,
                       " (wrong key in the KBS, or a modified annotation)"));
    }
    return std::move(*plain);
  }
  COCOON_ASSIGN_OR_RETURN(auto ctr, crypto::AesCtr256::New(kek.view(), iv));
  SecretBytes out(wrapped);
  COCOON_RETURN_IF_ERROR(ctr->Process(out.data(), out.data(), out.size()));
  return out;
}

}  // namespace cocoon::cdh
