// Reference values (the built-in RVPS): registered through the admin API as RVPS messages
// {"version":"0.1.0","type":"sample","payload":"<standard base64 of {"name": value, ...}>"},
// looked up by name from attestation policies (query_reference_value).
//
// Persisted in the key-value store (namespace "reference_value", one record per name) or, in
// the older layout, in one LocalJson file holding an array of records
// {"version":"0.1.0","name":..,"expiration":..,"value":..}.
#ifndef COCOON_KBS_REFERENCE_VALUES_H_
#define COCOON_KBS_REFERENCE_VALUES_H_

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "kbs/storage.h"

namespace cocoon::kbs {

class ReferenceValueStore {
 public:
  // `kv` (may be null) persists records; `json_path` (may be empty) is the older single file.
  static absl::StatusOr<std::unique_ptr<ReferenceValueStore>> Create(KeyValueStore* kv,
                                                                     std::string json_path);

  absl::Status Register(absl::string_view message_json);
  // The JSON text of the value, or nullopt.
  std::optional<std::string> Query(absl::string_view name) const;

 private:
  ReferenceValueStore(KeyValueStore* kv, std::string json_path)
      : kv_(kv), json_path_(std::move(json_path)) {}
  absl::Status SaveJsonFileLocked();

  KeyValueStore* kv_;
  std::string json_path_;
  mutable absl::Mutex mu_;
  std::map<std::string, std::string> records_;  // name -> record JSON text
  std::map<std::string, std::string> values_;   // name -> value JSON text
};

}  // namespace cocoon::kbs

#endif  // COCOON_KBS_REFERENCE_VALUES_H_
