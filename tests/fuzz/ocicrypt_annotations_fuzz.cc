// Key annotations and the pubopts annotation. Lines of the input also become a descriptor's
// annotation map ("key=value" per line) for InspectLayerAnnotations.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "absl/strings/str_split.h"
#include "ocicrypt/annotations.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view in(reinterpret_cast<const char*>(data), size);
  using namespace cocoon::ocicrypt;
  if (auto entries = SplitKeyAnnotation(in); entries.ok()) {
    // The decoder accepts only canonical padded base64 (line breaks aside), so joining the decoded
    // entries must give the input back.
    if (in.find_first_of("\r\n") == absl::string_view::npos && JoinKeyAnnotation(*entries) != in) {
      __builtin_trap();
    }
  }
  (void)DecodePubOptsAnnotation(in);
  std::map<std::string, std::string> annotations;
  for (absl::string_view line : absl::StrSplit(in, '\n')) {
    std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits('=', 1));
    annotations[kv.first] = kv.second;
  }
  if (auto info = InspectLayerAnnotations(annotations); info.ok()) {
    for (const auto& [scheme, value] : info->wrapped_keys) (void)SplitKeyAnnotation(value);
  }
  (void)WithoutEncryptionAnnotations(annotations);
  return 0;
}
