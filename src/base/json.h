// JSON helpers on nlohmann::json: bounded parsing with located errors, the RFC 8785 (JCS)
// canonical form, and a writer for strings escaped exactly as Go's encoding/json does.
//
// This header pulls in nlohmann/json.hpp; include it only from .cc files that work with JSON
// values, never from a header that many translation units include.
#ifndef COCOON_BASE_JSON_H_
#define COCOON_BASE_JSON_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace cocoon {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

inline constexpr int kMaxJsonDepth = 128;

// Parses `text` as one JSON value. `what` names the input in the error ("keyprovider output"),
// which also carries the byte offset. Nesting deeper than `max_depth` is rejected before parsing,
// so hostile input cannot exhaust the stack.
absl::StatusOr<Json> ParseJson(absl::string_view text, absl::string_view what,
                               int max_depth = kMaxJsonDepth);

// RFC 8785 JSON Canonicalization Scheme: object members sorted by their UTF-16 code units,
// no whitespace, ECMAScript number formatting, minimal string escaping. Fails on non-finite
// numbers and invalid UTF-8.
absl::StatusOr<std::string> CanonicalJson(const Json& value);

// Appends `s` as a JSON string literal with Go encoding/json escaping: `<`, `>`, `&`, U+2028 and
// U+2029 become \u003c-style escapes, invalid UTF-8 becomes \ufffd.
void AppendGoJsonString(std::string* out, absl::string_view s);

// Accessors that return a located error instead of throwing.
absl::StatusOr<std::string> GetString(const Json& object, absl::string_view key,
                                      absl::string_view where);

}  // namespace cocoon

#endif  // COCOON_BASE_JSON_H_
