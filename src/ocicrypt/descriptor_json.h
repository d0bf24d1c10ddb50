// Internal: JSON conversions of descriptors for the .cc files of this module (this header pulls
// in nlohmann through base/json.h).
#ifndef COCOON_OCICRYPT_DESCRIPTOR_JSON_H_
#define COCOON_OCICRYPT_DESCRIPTOR_JSON_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/json.h"
#include "ocicrypt/descriptor.h"

namespace cocoon::ocicrypt::internal {

// Parses with member order kept (duplicate keys: the last value wins, at the first position).
absl::StatusOr<OrderedJson> ParseOrderedJson(absl::string_view text, absl::string_view what);

// Compact JSON with Go encoding/json string escaping (<, >, & as \u003c...), member order kept.
std::string DumpGoStyle(const OrderedJson& j);

// `path` names the value in errors ("layers[2]").
absl::StatusOr<Descriptor> DescriptorFromJson(const OrderedJson& j, absl::string_view path);
OrderedJson DescriptorToJson(const Descriptor& d);

absl::StatusOr<std::map<std::string, std::string>> StringMapFromJson(const OrderedJson& j,
                                                                     absl::string_view path);
OrderedJson StringMapToJson(const std::map<std::string, std::string>& m);

}  // namespace cocoon::ocicrypt::internal

#endif  // COCOON_OCICRYPT_DESCRIPTOR_JSON_H_
