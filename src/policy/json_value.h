// Conversion between policy::Value and nlohmann JSON, for callers that already hold parsed JSON
// (the KBS hands the token claims over this way).
//
// This header pulls in nlohmann/json.hpp through base/json.h; include it only from .cc files.
#ifndef COCOON_POLICY_JSON_VALUE_H_
#define COCOON_POLICY_JSON_VALUE_H_

#include "base/json.h"
#include "policy/value.h"

namespace cocoon::policy {

Value FromNlohmann(const Json& j);
// Sets become arrays, non-string object keys their JSON text, undefined becomes null.
Json ToNlohmann(const Value& v);

}  // namespace cocoon::policy

#endif  // COCOON_POLICY_JSON_VALUE_H_
