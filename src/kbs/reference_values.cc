#include "kbs/reference_values.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/encoding.h"
#include "base/file_util.h"
#include "base/json.h"
#include "base/status.h"

namespace cocoon::kbs {
namespace {

constexpr absl::string_view kNamespace = "reference_value";

bool ValidName(absl::string_view name) { return ValidateStorageKey(name).ok(); }

}  // namespace

absl::StatusOr<std::unique_ptr<ReferenceValueStore>> ReferenceValueStore::Create(
    KeyValueStore* kv, std::string json_path) {
  std::unique_ptr<ReferenceValueStore> store(new ReferenceValueStore(kv, std::move(json_path)));
  auto add = [&store](const Json& record) -> absl::Status {
    if (!record.is_object() || !record.contains("name") || !record["name"].is_string() ||
        !record.contains("value")) {
      return absl::InvalidArgumentError("reference value record needs name and value");
    }
    const std::string name = record["name"].get<std::string>();
    store->records_[name] = record.dump();
    store->values_[name] = record["value"].dump();
    return absl::OkStatus();
  };
  if (!store->json_path_.empty() && access(store->json_path_.c_str(), F_OK) == 0) {
    COCOON_ASSIGN_OR_RETURN(std::string text, ReadFile(store->json_path_));
    COCOON_ASSIGN_OR_RETURN(Json records, ParseJson(text, store->json_path_));
    if (!records.is_array()) {
      return absl::InvalidArgumentError(
          absl::StrCat(store->json_path_, ": reference values must be a JSON array"));
    }
    for (const Json& r : records) {
      COCOON_RETURN_IF_ERROR_CTX(add(r), store->json_path_);
    }
  }
  if (kv != nullptr) {
    COCOON_ASSIGN_OR_RETURN(std::vector<std::string> names, kv->List(kNamespace));
    for (const std::string& name : names) {
      COCOON_ASSIGN_OR_RETURN(std::optional<std::string> text, kv->Get(kNamespace, name));
      if (!text) continue;
      COCOON_ASSIGN_OR_RETURN(Json record, ParseJson(*text, "reference value record"));
      COCOON_RETURN_IF_ERROR_CTX(add(record), absl::StrCat("reference value ", name));
    }
  }
  return store;
}

absl::Status ReferenceValueStore::Register(absl::string_view message_json) {
  COCOON_ASSIGN_OR_RETURN(Json message, ParseJson(message_json, "RVPS message", 32));
  if (!message.is_object()) return absl::InvalidArgumentError("RVPS message: not an object");
  COCOON_ASSIGN_OR_RETURN(std::string version, GetString(message, "version", "RVPS message"));
  COCOON_ASSIGN_OR_RETURN(std::string type, GetString(message, "type", "RVPS message"));
  COCOON_ASSIGN_OR_RETURN(std::string payload, GetString(message, "payload", "RVPS message"));
  if (version != "0.1.0") {
    return absl::InvalidArgumentError(
        absl::StrCat("RVPS message: version ", version, " is not supported (0.1.0)"));
  }
  if (type != "sample") {
    return absl::InvalidArgumentError(
        absl::StrCat("RVPS message: extractor \"", type, "\" is not supported (sample)"));
  }
  COCOON_ASSIGN_OR_RETURN_CTX(
      std::string decoded,
      Base64Decode(payload, Base64Alphabet::kStandard, Base64Padding::kOptional),
      "RVPS message: payload");
  COCOON_ASSIGN_OR_RETURN(Json values, ParseJson(decoded, "RVPS sample payload", 32));
  if (!values.is_object()) {
    return absl::InvalidArgumentError("RVPS sample payload: not a JSON object");
  }
  const std::string expiration = absl::FormatTime(
      "%Y-%m-%dT%H:%M:%SZ", absl::Now() + absl::Hours(24 * 365), absl::UTCTimeZone());
  absl::MutexLock lock(&mu_);
  for (const auto& [name, value] : values.items()) {
    if (!ValidName(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("reference value name \"", name, "\" is not a valid key"));
    }
    Json record = {
        {"version", "0.1.0"}, {"name", name}, {"expiration", expiration}, {"value", value}};
    if (kv_ != nullptr) COCOON_RETURN_IF_ERROR(kv_->Set(kNamespace, name, record.dump()));
    records_[name] = record.dump();
    values_[name] = value.dump();
  }
  if (!json_path_.empty()) COCOON_RETURN_IF_ERROR(SaveJsonFileLocked());
  return absl::OkStatus();
}

absl::Status ReferenceValueStore::SaveJsonFileLocked() {
  Json all = Json::array();
  for (const auto& [name, text] : records_) all.push_back(Json::parse(text));
  return WriteFileAtomic(json_path_, all.dump(2), 0600);
}

std::optional<std::string> ReferenceValueStore::Query(absl::string_view name) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = values_.find(std::string(name));
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

}  // namespace cocoon::kbs
