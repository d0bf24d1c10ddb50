// confidential-data-hub config: the first byte picks JSON or TOML, the rest is the text. Also
// feeds the text to the offline_fs_kbc file parser.
#include <cstdint>
#include <string>
#include <vector>

#include "cdh/config.h"
#include "cdh/offline_fs_kbc.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const absl::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const auto format =
      (data[0] & 1) != 0 ? cocoon::cdh::ConfigFormat::kToml : cocoon::cdh::ConfigFormat::kJson;
  (void)cocoon::cdh::ParseCdhConfig(text, format);
  cocoon::cdh::OfflineFsKbc kbc;
  std::vector<std::string> warnings;
  (void)kbc.AddFile(text, "fuzz", &warnings);
  return 0;
}
