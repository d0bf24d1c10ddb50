#include <cstddef>
#include <cstdint>

#include "kbs/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)cocoon::kbs::ParseKbsConfig(absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
