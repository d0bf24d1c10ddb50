// attestation-agent config: the first byte picks TOML or JSON, the rest is the text. The text
// also goes to the initdata parser (-t).
#include <cstdint>
#include <string>

#include "aa/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const absl::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const auto format =
      (data[0] & 1) != 0 ? cocoon::aa::AaConfigFormat::kToml : cocoon::aa::AaConfigFormat::kJson;
  (void)cocoon::aa::ParseAaConfig(text, format);
  (void)cocoon::aa::ParseInitData(text);
  return 0;
}
