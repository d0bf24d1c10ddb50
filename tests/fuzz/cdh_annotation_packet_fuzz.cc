// Annotation packets as the confidential-data-hub receives them in UnWrapKey: parse, validate,
// and unwrap with a fixed KEK from an offline KBC. A packet that parses must re-serialize (v1) to
// a packet that parses to the same fields.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "cdh/annotation_packet.h"
#include "cdh/offline_fs_kbc.h"
#include "cdh/unwrap_service.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view json(reinterpret_cast<const char*>(data), size);
  static cocoon::cdh::OfflineFsKbc* kbc = [] {
    auto* k = new cocoon::cdh::OfflineFsKbc();
    std::vector<std::string> w;
    (void)k->AddFile(
        R"({"default/key/1":"2Zt3BbC6ehaClbOjNnJwsN2bNxv1FMqLm6fwozcR2uo=","a/b/c":"c2hvcnQ="})",
        "fuzz", &w);
    return k;
  }();
  auto packet = cocoon::cdh::ParseAnnotationPacket(json);
  if (packet.ok()) {
    auto again =
        cocoon::cdh::ParseAnnotationPacket(cocoon::cdh::SerializeAnnotationPacketV1(*packet));
    if (!again.ok() || again->kid != packet->kid || again->iv != packet->iv ||
        again->wrapped_data != packet->wrapped_data || again->wrap_type != packet->wrap_type) {
      std::abort();
    }
  }
  cocoon::cdh::UnwrapKeyHandler handler(kbc);
  (void)handler.UnwrapPacket(json);
  return 0;
}
