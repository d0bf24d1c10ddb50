#include "base/toml_json.h"

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace cocoon {

Json TomlToJson(const toml::node& node) {
  if (node.is_table()) {
    Json out = Json::object();
    for (const auto& [k, v] : *node.as_table()) out[std::string(k.str())] = TomlToJson(v);
    return out;
  }
  if (node.is_array()) {
    Json out = Json::array();
    for (const toml::node& v : *node.as_array()) out.push_back(TomlToJson(v));
    return out;
  }
  if (node.is_string()) return node.as_string()->get();
  if (node.is_integer()) return node.as_integer()->get();
  if (node.is_floating_point()) return node.as_floating_point()->get();
  if (node.is_boolean()) return node.as_boolean()->get();
  return "<date-time>";
}

absl::StatusOr<toml::table> ParseToml(absl::string_view text, absl::string_view what) {
  try {
    return toml::parse(std::string_view(text.data(), text.size()));
  } catch (const toml::parse_error& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": TOML error at line ", e.source().begin.line, ": ", std::string(e.description())));
  }
}

}  // namespace cocoon
