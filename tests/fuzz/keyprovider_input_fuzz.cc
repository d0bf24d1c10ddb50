// Parses keyprovider request JSON; whatever parses must serialize and parse back to the same bytes.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "ocicrypt/keyprovider_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto in = cocoon::ocicrypt::ParseKeyProviderInput(text);
  if (!in.ok()) return 0;
  const std::string once = cocoon::ocicrypt::SerializeKeyProviderInput(*in);
  auto again = cocoon::ocicrypt::ParseKeyProviderInput(once);
  if (!again.ok()) std::abort();
  if (cocoon::ocicrypt::SerializeKeyProviderInput(*again) != once) std::abort();
  return 0;
}
