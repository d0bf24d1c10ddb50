#include "base/toml_json.h"

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
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

absl::StatusOr<Json> ParseConfigTree(absl::string_view text, bool toml, absl::string_view what,
                                     int max_depth) {
  if (!toml) return ParseJson(text, absl::StrCat(what, " (JSON)"), max_depth);
  toml::table table;
  try {
    table = toml::parse(std::string_view(text.data(), text.size()));
  } catch (const toml::parse_error& e) {
    return absl::InvalidArgumentError(absl::StrCat(what, " (TOML): line ", e.source().begin.line,
                                                   ", column ", e.source().begin.column, ": ",
                                                   std::string(e.description())));
  }
  return TomlToJson(table);
}

absl::StatusOr<bool> ConfigPathIsToml(absl::string_view path, absl::string_view what) {
  const std::string lower = absl::AsciiStrToLower(path);
  if (absl::EndsWith(lower, ".toml")) return true;
  if (absl::EndsWith(lower, ".json")) return false;
  return absl::InvalidArgumentError(
      absl::StrCat(what, " ", path,
                   ": the format is chosen by the file extension, which must be .toml or .json"));
}

}  // namespace cocoon
