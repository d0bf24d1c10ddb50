// TOML configs read through the JSON readers: the config loaders that accept both formats
// (kbs-config.toml, the agent's and the data hub's configs) parse TOML and then walk one JSON
// tree. Includes toml++, which is heavy: include it only from the .cc files that parse TOML.
#ifndef COCOON_BASE_TOML_JSON_H_
#define COCOON_BASE_TOML_JSON_H_

#include <toml++/toml.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/json.h"

namespace cocoon {

// Tables become objects, arrays arrays, scalars their JSON counterparts. TOML dates and times
// have no meaning in any config here; they become the string "<date-time>", which typed readers
// then reject for the keys that matter.
Json TomlToJson(const toml::node& node);

// Parses `text`; errors read "<what>: TOML error at line N: <description>".
absl::StatusOr<toml::table> ParseToml(absl::string_view text, absl::string_view what);

// A config file in either format as one JSON tree. Errors read "<what> (JSON): ..." or
// "<what> (TOML): line L, column C: ...".
absl::StatusOr<Json> ParseConfigTree(absl::string_view text, bool toml, absl::string_view what,
                                     int max_depth);

// Whether the config at `path` is TOML (.toml) or JSON (.json), by extension in any case, as the
// guest-components daemons decide; any other extension is an error naming `what` and the path.
absl::StatusOr<bool> ConfigPathIsToml(absl::string_view path, absl::string_view what);

}  // namespace cocoon

#endif  // COCOON_BASE_TOML_JSON_H_
