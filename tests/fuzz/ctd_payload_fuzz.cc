// The ctd-decoder fd-3 payload: protobuf Any + JSON value. Must never crash; a parsed payload's
// descriptor must serialize.
#include <cstdint>
#include <cstdlib>

#include "cdh/stream_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto payload = cocoon::cdh::ParseProcessorPayload(bytes);
  if (payload.ok()) (void)cocoon::ocicrypt::SerializeDescriptor(payload->descriptor);
  (void)cocoon::cdh::ClassifyKeyFile(bytes);
  return 0;
}
