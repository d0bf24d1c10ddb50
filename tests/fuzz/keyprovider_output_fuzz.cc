// Parses keyprovider reply JSON; whatever parses must round-trip through both byte-field forms.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "ocicrypt/keyprovider_protocol.h"

namespace kp = cocoon::ocicrypt;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto out = kp::ParseKeyProviderOutput(text);
  if (!out.ok()) return 0;
  const std::string b64 = kp::SerializeKeyProviderOutput(*out, kp::ByteFieldForm::kBase64);
  for (kp::ByteFieldForm form : {kp::ByteFieldForm::kBase64, kp::ByteFieldForm::kIntArray}) {
    auto again = kp::ParseKeyProviderOutput(kp::SerializeKeyProviderOutput(*out, form));
    if (!again.ok()) std::abort();
    if (kp::SerializeKeyProviderOutput(*again, kp::ByteFieldForm::kBase64) != b64) std::abort();
  }
  return 0;
}
