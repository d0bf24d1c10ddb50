#include "ocicrypt/keyprovider_config.h"

#include <cstdlib>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/file_util.h"
#include "base/json.h"
#include "base/status.h"
#include "ocicrypt/keyprovider_json_util.h"

namespace cocoon::ocicrypt {
namespace {

// Config files are small; anything bigger is not a keyprovider config.
constexpr uint64_t kMaxConfigSize = 1u << 20;

absl::Status TypeError(absl::string_view path, absl::string_view want, const Json& got) {
  return absl::InvalidArgumentError(
      absl::StrCat("keyprovider config: ", path, ": expected ", want, ", got ", got.type_name()));
}

// A Go string field: null leaves it unchanged.
absl::Status ReadString(Json& object, absl::string_view name, absl::string_view path,
                        std::string* out) {
  COCOON_ASSIGN_OR_RETURN(Json * v, FindMember(object, name, path));
  if (v == nullptr || v->is_null()) return absl::OkStatus();
  if (!v->is_string()) return TypeError(absl::StrCat(path, ".", name), "a string", *v);
  *out = v->get<std::string>();
  return absl::OkStatus();
}

absl::Status ReadBool(Json& object, absl::string_view name, absl::string_view path, bool* out) {
  COCOON_ASSIGN_OR_RETURN(Json * v, FindMember(object, name, path));
  if (v == nullptr || v->is_null()) return absl::OkStatus();
  if (!v->is_boolean()) return TypeError(absl::StrCat(path, ".", name), "a boolean", *v);
  *out = v->get<bool>();
  return absl::OkStatus();
}

absl::StatusOr<std::optional<KeyProviderCmd>> ParseCmd(Json& value, absl::string_view path) {
  if (value.is_null()) return std::optional<KeyProviderCmd>();
  if (!value.is_object()) return TypeError(path, "an object or null", value);
  KeyProviderCmd cmd;
  COCOON_RETURN_IF_ERROR(ReadString(value, "path", path, &cmd.path));
  COCOON_ASSIGN_OR_RETURN(Json * args, FindMember(value, "args", path));
  if (args != nullptr && !args->is_null()) {
    const std::string args_path = absl::StrCat(path, ".args");
    if (!args->is_array()) return TypeError(args_path, "an array or null", *args);
    for (size_t i = 0; i < args->size(); ++i) {
      const Json& a = (*args)[i];
      if (a.is_null()) {
        cmd.args.emplace_back();  // Go leaves the zero string
      } else if (a.is_string()) {
        cmd.args.push_back(a.get<std::string>());
      } else {
        return TypeError(absl::StrCat(args_path, "[", i, "]"), "a string", a);
      }
    }
  }
  return std::optional<KeyProviderCmd>(std::move(cmd));
}

absl::StatusOr<std::optional<KeyProviderGrpcTls>> ParseTls(Json& value, absl::string_view path) {
  if (value.is_null()) return std::optional<KeyProviderGrpcTls>();
  if (!value.is_object()) return TypeError(path, "an object or null", value);
  KeyProviderGrpcTls tls;
  COCOON_RETURN_IF_ERROR(ReadString(value, "root-ca-file", path, &tls.root_ca_file));
  COCOON_RETURN_IF_ERROR(ReadString(value, "cert-file", path, &tls.cert_file));
  COCOON_RETURN_IF_ERROR(ReadString(value, "key-file", path, &tls.key_file));
  COCOON_RETURN_IF_ERROR(ReadString(value, "server-name", path, &tls.server_name));
  COCOON_RETURN_IF_ERROR(ReadBool(value, "insecure-skip-verify", path, &tls.insecure_skip_verify));
  return std::optional<KeyProviderGrpcTls>(std::move(tls));
}

absl::StatusOr<KeyProviderEntry> ParseEntry(const std::string& name, Json& value,
                                            absl::string_view path) {
  KeyProviderEntry entry;
  entry.name = name;
  if (value.is_null()) return entry;  // registered, but unusable
  if (!value.is_object()) return TypeError(path, "an object or null", value);
  COCOON_ASSIGN_OR_RETURN(Json * cmd, FindMember(value, "cmd", path));
  if (cmd != nullptr) {
    COCOON_ASSIGN_OR_RETURN(entry.cmd, ParseCmd(*cmd, absl::StrCat(path, ".cmd")));
  }
  COCOON_RETURN_IF_ERROR(ReadString(value, "grpc", path, &entry.grpc));
  COCOON_ASSIGN_OR_RETURN(Json * tls, FindMember(value, "grpc-tls", path));
  if (tls != nullptr) {
    COCOON_ASSIGN_OR_RETURN(entry.grpc_tls, ParseTls(*tls, absl::StrCat(path, ".grpc-tls")));
  }
  return entry;
}

}  // namespace

absl::StatusOr<KeyProviderConfig> ParseKeyProviderConfig(absl::string_view json) {
  if (json.size() > kMaxConfigSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "keyprovider config: ", json.size(), " bytes, more than the limit of ", kMaxConfigSize));
  }
  auto parsed = ParseJson(json, "keyprovider config");
  if (!parsed.ok()) return SanitizeJsonError(parsed.status());
  Json& doc = *parsed;
  KeyProviderConfig config;
  if (doc.is_null()) return config;
  if (!doc.is_object()) return TypeError("top level", "an object", doc);
  COCOON_ASSIGN_OR_RETURN(Json * providers, FindMember(doc, "key-providers", "top level"));
  if (providers == nullptr || providers->is_null()) return config;
  if (!providers->is_object()) return TypeError("key-providers", "an object or null", *providers);
  for (auto& [name, value] : providers->items()) {
    COCOON_ASSIGN_OR_RETURN(KeyProviderEntry entry,
                            ParseEntry(name, value, absl::StrCat("key-providers.", name)));
    config.providers.insert_or_assign(name, std::move(entry));
  }
  return config;
}

absl::StatusOr<KeyProviderConfig> LoadKeyProviderConfigFile(const std::string& path) {
  auto text = ReadFile(path, kMaxConfigSize);
  if (absl::IsNotFound(text.status())) return KeyProviderConfig();
  if (!text.ok()) return Annotate(text.status(), "keyprovider config");
  COCOON_ASSIGN_OR_RETURN_CTX(KeyProviderConfig config, ParseKeyProviderConfig(*text),
                              absl::StrCat("reading ", path));
  return config;
}

absl::StatusOr<KeyProviderConfig> LoadKeyProviderConfigFromEnv() {
  const char* path = std::getenv(std::string(kKeyProviderConfigEnv).c_str());
  if (path == nullptr || *path == '\0') return KeyProviderConfig();
  return LoadKeyProviderConfigFile(path);
}

}  // namespace cocoon::ocicrypt
