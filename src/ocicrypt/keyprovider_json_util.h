// Internal to the keyprovider library (include from .cc files only: it pulls in nlohmann/json).
// Member lookup that follows Go encoding/json's name matching, and error clean-up.
#ifndef COCOON_OCICRYPT_KEYPROVIDER_JSON_UTIL_H_
#define COCOON_OCICRYPT_KEYPROVIDER_JSON_UTIL_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/json.h"

namespace cocoon::ocicrypt {

// Go's case folding of member names: ASCII letters fold to lower case, and the Kelvin sign
// (U+212A) and the long s (U+017F) fold to 'k' and 's'.
std::string FoldMemberName(absl::string_view name);

// Finds the member of `object` that Go would decode into the field `name`: the exact name, or
// else the one member whose name folds to the same string. nullptr when absent. Several members
// that differ only in case (and none spelled exactly) are an error naming `path`: Go would take
// the last one in document order, which the parsed object no longer knows.
absl::StatusOr<Json*> FindMember(Json& object, absl::string_view name, absl::string_view path);

// Drops the "last read: '...'" excerpt from a JSON syntax error, which could quote secret bytes
// of the input, keeping the explanation and byte offset.
absl::Status SanitizeJsonError(const absl::Status& status);

}  // namespace cocoon::ocicrypt

#endif  // COCOON_OCICRYPT_KEYPROVIDER_JSON_UTIL_H_
