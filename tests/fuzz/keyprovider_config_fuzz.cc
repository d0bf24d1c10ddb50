// Parses keyprovider config JSON.
#include <cstdint>

#include "ocicrypt/keyprovider_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto config = cocoon::ocicrypt::ParseKeyProviderConfig(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  if (config.ok()) {
    for (const auto& [name, entry] : config->providers) {
      if (name != entry.name) __builtin_trap();
    }
  }
  return 0;
}
