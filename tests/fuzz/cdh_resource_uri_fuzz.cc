// Resource URIs: whatever parses must print to a URI that parses to the same resource.
#include <cstdint>
#include <cstdlib>

#include "cdh/resource_uri.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto uri = cocoon::cdh::ParseResourceUri(text);
  if (!uri.ok()) return 0;
  auto again = cocoon::cdh::ParseResourceUri(uri->ToString());
  if (!again.ok() || again->ResourcePath() != uri->ResourcePath() || again->plugin != uri->plugin ||
      again->query != uri->query) {
    std::abort();
  }
  return 0;
}
