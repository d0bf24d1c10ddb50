#include "ocicrypt/keyprovider_json_util.h"

#include "absl/strings/str_cat.h"

namespace cocoon::ocicrypt {

std::string FoldMemberName(absl::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c >= 'A' && c <= 'Z') {
      out.push_back(static_cast<char>(c - 'A' + 'a'));
    } else if (name.substr(i, 3) == "\xE2\x84\xAA") {  // KELVIN SIGN
      out.push_back('k');
      i += 2;
    } else if (name.substr(i, 2) == "\xC5\xBF") {  // LATIN SMALL LETTER LONG S
      out.push_back('s');
      i += 1;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

absl::StatusOr<Json*> FindMember(Json& object, absl::string_view name, absl::string_view path) {
  if (auto it = object.find(name); it != object.end()) return &*it;
  const std::string folded = FoldMemberName(name);
  Json* found = nullptr;
  for (auto& [key, value] : object.items()) {
    if (FoldMemberName(key) != folded) continue;
    if (found != nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(path.empty() ? "" : absl::StrCat(path, ": "),
                                                     "several members named \"", name,
                                                     "\" in different letter cases"));
    }
    found = &value;
  }
  return found;
}

absl::Status SanitizeJsonError(const absl::Status& status) {
  absl::string_view msg = status.message();
  const size_t pos = msg.find("; last read");
  if (pos == absl::string_view::npos) return status;
  return absl::Status(status.code(), msg.substr(0, pos));
}

}  // namespace cocoon::ocicrypt
