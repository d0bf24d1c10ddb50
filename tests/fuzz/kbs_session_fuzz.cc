#include <cstddef>
#include <cstdint>

#include "absl/time/clock.h"
#include "kbs/session.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto sealer = cocoon::kbs::SessionSealer::CreateEphemeral();
  (void)sealer->Open(absl::string_view(reinterpret_cast<const char*>(data), size), absl::Now());
  return 0;
}
