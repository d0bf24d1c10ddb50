#include "cli/image_ref.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace cocoon::cli {

absl::StatusOr<ImageRef> ParseImageRef(absl::string_view text) {
  constexpr absl::string_view kTransport = "oci:";
  if (!absl::StartsWith(text, kTransport)) {
    const size_t colon = text.find(':');
    if (colon != absl::string_view::npos && colon > 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "image reference \"", text, "\": transport \"", text.substr(0, colon),
          "\" is not supported; use oci:PATH[:TAG] (copy to or from a registry with skopeo)"));
    }
    return absl::InvalidArgumentError(
        absl::StrCat("image reference \"", text, "\" must have the form oci:PATH[:TAG]"));
  }
  absl::string_view rest = text.substr(kTransport.size());
  ImageRef ref;
  const size_t colon = rest.find(':');
  ref.path = std::string(rest.substr(0, colon));
  if (colon != absl::string_view::npos) ref.tag = std::string(rest.substr(colon + 1));
  if (ref.path.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("image reference \"", text, "\" has an empty layout path"));
  }
  return ref;
}

}  // namespace cocoon::cli
