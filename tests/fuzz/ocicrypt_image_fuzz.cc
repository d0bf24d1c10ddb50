// Manifests, indexes and descriptors. The first byte picks the parser; anything that parses must
// serialize, parse again, and serialize to the same bytes (serialization is a fixed point).
#include <cstddef>
#include <cstdint>

#include "ocicrypt/descriptor.h"
#include "ocicrypt/image.h"

namespace {

template <typename Parse, typename Serialize>
void RoundTrip(absl::string_view in, Parse parse, Serialize serialize) {
  auto doc = parse(in);
  if (!doc.ok()) return;
  auto once = serialize(*doc);
  if (!once.ok()) __builtin_trap();
  auto again = parse(*once);
  if (!again.ok()) __builtin_trap();
  auto twice = serialize(*again);
  if (!twice.ok() || *twice != *once) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const absl::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  using namespace cocoon::ocicrypt;
  switch (data[0] % 3) {
    case 0:
      RoundTrip(
          in, [](absl::string_view s) { return ParseManifest(s); },
          [](const Manifest& m) { return SerializeManifest(m); });
      break;
    case 1:
      RoundTrip(
          in, [](absl::string_view s) { return ParseIndex(s); },
          [](const Index& i) { return SerializeIndex(i); });
      break;
    default:
      RoundTrip(
          in, [](absl::string_view s) { return ParseDescriptor(s); },
          [](const Descriptor& d) -> absl::StatusOr<std::string> {
            return SerializeDescriptor(d);
          });
      break;
  }
  return 0;
}
