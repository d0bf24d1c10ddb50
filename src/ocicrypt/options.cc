#include "ocicrypt/options.h"

#include <cctype>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/encoding.h"
#include "base/json.h"
#include "base/status.h"

namespace cocoon::ocicrypt {
namespace {

// Appends a Go `map[string][]byte`: keys sorted (std::map order is bytewise, like Go's sort of
// map keys), values padded standard base64.
void AppendBytesMap(std::string* out, const std::map<std::string, std::string>& m) {
  out->push_back('{');
  bool first = true;
  for (const auto& [k, v] : m) {
    if (!first) out->push_back(',');
    first = false;
    AppendGoJsonString(out, k);
    out->push_back(':');
    out->push_back('"');
    out->append(Base64Encode(v));
    out->push_back('"');
  }
  out->push_back('}');
}

// Go matches a JSON key to a struct field by exact name first, then case-insensitively. A key
// that appears twice in the input is seen once here (the parser keeps one value).
const Json* FindField(const Json& obj, absl::string_view name) {
  auto exact = obj.find(std::string(name));
  if (exact != obj.end()) return &*exact;
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (absl::EqualsIgnoreCase(it.key(), name)) return &it.value();
  }
  return nullptr;
}

absl::StatusOr<std::string> DecodeBytesField(const Json* v, absl::string_view what) {
  if (v == nullptr || v->is_null()) return std::string();
  if (!v->is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": expected a base64 string, got ", v->type_name()));
  }
  auto decoded = Base64Decode(v->get_ref<const std::string&>());
  if (!decoded.ok()) return Annotate(decoded.status(), what);
  return decoded;
}

absl::StatusOr<std::string> StringField(const Json* v, absl::string_view what) {
  if (v == nullptr || v->is_null()) return std::string();
  if (!v->is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": expected a string, got ", v->type_name()));
  }
  return v->get<std::string>();
}

absl::StatusOr<std::map<std::string, std::string>> BytesMapField(const Json* v,
                                                                 absl::string_view what) {
  std::map<std::string, std::string> out;
  if (v == nullptr || v->is_null()) return out;
  if (!v->is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": expected an object, got ", v->type_name()));
  }
  for (auto it = v->begin(); it != v->end(); ++it) {
    COCOON_ASSIGN_OR_RETURN(out[it.key()],
                            DecodeBytesField(&it.value(), absl::StrCat(what, ".", it.key())));
  }
  return out;
}

absl::StatusOr<Json> ParseObject(absl::string_view json, absl::string_view what) {
  COCOON_ASSIGN_OR_RETURN(Json j, ParseJson(json, what));
  if (j.is_null()) return Json::object();  // Go: unmarshalling null into a struct is a no-op
  if (!j.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": expected a JSON object, got ", j.type_name()));
  }
  return j;
}

}  // namespace

SecretBytes SerializePrivateOptions(const PrivateOptions& opts) {
  // Built in a SecretBytes-backed buffer piece by piece so that the base64 of the key never sits
  // in an ordinary string that is freed without wiping.
  SecretBytes out;
  out.Append("{\"symkey\":\"");
  {
    std::string b64 = Base64Encode(opts.symkey.view());
    out.Append(b64);
    SecureZero(b64.data(), b64.size());
  }
  std::string rest = "\",\"digest\":";
  AppendGoJsonString(&rest, opts.digest);
  rest.append(",\"cipheroptions\":");
  AppendBytesMap(&rest, opts.cipher_options);
  rest.push_back('}');
  out.Append(rest);
  return out;
}

std::string SerializePublicOptions(const PublicOptions& opts) {
  std::string out = "{\"cipher\":";
  AppendGoJsonString(&out, opts.cipher);
  out.append(",\"hmac\":\"");
  out.append(Base64Encode(opts.hmac));
  out.append("\",\"cipheroptions\":");
  AppendBytesMap(&out, opts.cipher_options);
  out.push_back('}');
  return out;
}

absl::StatusOr<PrivateOptions> ParsePrivateOptions(absl::string_view json) {
  COCOON_ASSIGN_OR_RETURN(Json j, ParseObject(json, "private layer options"));
  // The parsed tree holds the key's base64; wipe it however this function returns.
  struct WipeKey {
    Json* j;
    ~WipeKey() {
      for (auto it = j->begin(); it != j->end(); ++it) {
        if (absl::EqualsIgnoreCase(it.key(), "symkey") && it->is_string()) {
          auto& s = it->get_ref<std::string&>();
          SecureZero(s.data(), s.size());
        }
      }
    }
  } wipe{&j};
  PrivateOptions out;
  {
    COCOON_ASSIGN_OR_RETURN(
        std::string key, DecodeBytesField(FindField(j, "symkey"), "private layer options: symkey"));
    out.symkey = SecretBytes(key);
    SecureZero(key.data(), key.size());
  }
  COCOON_ASSIGN_OR_RETURN(out.digest,
                          StringField(FindField(j, "digest"), "private layer options: digest"));
  COCOON_ASSIGN_OR_RETURN(
      out.cipher_options,
      BytesMapField(FindField(j, "cipheroptions"), "private layer options: cipheroptions"));
  return out;
}

absl::StatusOr<PublicOptions> ParsePublicOptions(absl::string_view json) {
  COCOON_ASSIGN_OR_RETURN(Json j, ParseObject(json, "public layer options"));
  PublicOptions out;
  COCOON_ASSIGN_OR_RETURN(out.cipher,
                          StringField(FindField(j, "cipher"), "public layer options: cipher"));
  COCOON_ASSIGN_OR_RETURN(out.hmac,
                          DecodeBytesField(FindField(j, "hmac"), "public layer options: hmac"));
  COCOON_ASSIGN_OR_RETURN(out.cipher_options, BytesMapField(FindField(j, "cipheroptions"),
                                                            "public layer options: cipheroptions"));
  return out;
}

}  // namespace cocoon::ocicrypt
