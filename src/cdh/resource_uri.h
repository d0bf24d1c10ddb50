// KBS resource URIs as guest-components parses them (docs/reference/guest-components.md §4.3):
//
//   kbs[+<plugin>]://[<host>[:<port>]]/<seg>/<seg>/...[?<query>]
//
// `kbs://` is the default plugin `resource` (≡ `kbs+resource://`). Host and port are kept but
// the confidential-data-hub ignores them (the KBS URL comes from its config). The resource path
// is the URL path without its leading '/', the key the offline_fs_kbc looks up
// ("kbs:///default/key/1" → "default/key/1"); empty segments are kept as upstream keeps them.
#ifndef COCOON_CDH_RESOURCE_URI_H_
#define COCOON_CDH_RESOURCE_URI_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cocoon::cdh {

inline constexpr size_t kMaxResourceUriSize = 4096;

struct ResourceUri {
  std::string plugin = "resource";  // "resource" for kbs://
  std::string host;                 // may be empty; includes ":port" when given
  std::vector<std::string> segments;
  std::string query;  // without '?'; empty when absent

  // "repo/type/tag" (segments joined by '/').
  std::string ResourcePath() const;
  // True for exactly three non-empty segments, the shape KBS resources (and their admin API) use.
  bool IsRepoTypeTag() const;
  // Normal form: "kbs://host/seg/..." for the default plugin, "kbs+<plugin>://..." otherwise.
  std::string ToString() const;
};

// Errors are kInvalidArgument and say what is wrong and where ("resource URI: scheme must be
// kbs or kbs+<plugin>, got \"http\""); the URI itself is not secret and is quoted.
absl::StatusOr<ResourceUri> ParseResourceUri(absl::string_view uri);

}  // namespace cocoon::cdh

#endif  // COCOON_CDH_RESOURCE_URI_H_
