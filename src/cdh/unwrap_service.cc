#include "cdh/unwrap_service.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "cdh/annotation_packet.h"

namespace cocoon::cdh {

absl::StatusOr<std::string> UnwrapKeyHandler::WrapKey(const ocicrypt::KeyProviderInput&) {
  return absl::UnimplementedError(
      "confidential-data-hub does not wrap keys; use coco-keyprovider for WrapKey");
}

absl::StatusOr<SecretBytes> UnwrapKeyHandler::UnwrapKey(const ocicrypt::KeyProviderInput& input) {
  if (input.op != ocicrypt::kOpKeyUnwrap) {
    return absl::InvalidArgumentError(
        absl::StrCat("UnWrapKey: op must be \"keyunwrap\", got \"", input.op.substr(0, 32), "\""));
  }
  if (!input.keyunwrap.annotation.has_value() || input.keyunwrap.annotation->empty()) {
    return absl::InvalidArgumentError("UnWrapKey: keyunwrapparams.annotation is missing");
  }
  return UnwrapPacket(*input.keyunwrap.annotation);
}

absl::StatusOr<SecretBytes> UnwrapKeyHandler::UnwrapPacket(absl::string_view packet_json) {
  COCOON_ASSIGN_OR_RETURN(AnnotationPacket packet, ParseAnnotationPacket(packet_json));
  COCOON_ASSIGN_OR_RETURN(ResourceUri kid, ValidateKbsPacket(packet));
  absl::StatusOr<SecretBytes> kek = kbc_->GetResource(kid);
  if (!kek.ok()) {
    return Annotate(kek.status(), absl::StrCat("kid ", packet.kid, ": ", kbc_->name()));
  }
  return UnwrapWithKek(packet.wrap_type, *kek, packet.iv, packet.wrapped_data, packet.kid);
}

}  // namespace cocoon::cdh
