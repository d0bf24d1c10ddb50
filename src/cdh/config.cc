#include "cdh/config.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/file_util.h"
#include "base/json.h"
#include "base/status.h"
#include "base/toml_json.h"

namespace cocoon::cdh {
namespace {

constexpr uint64_t kMaxConfigSize = 1u << 20;

absl::Status TypeError(absl::string_view key, absl::string_view want) {
  return absl::InvalidArgumentError(
      absl::StrCat("confidential-data-hub config: ", key, ": must be ", want));
}

// Reads an optional string member; null counts as absent (serde's Option).
absl::Status GetOptString(const Json& obj, absl::string_view name, absl::string_view key,
                          std::string* out) {
  auto it = obj.find(std::string(name));
  if (it == obj.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_string()) return TypeError(key, "a string");
  *out = it->get<std::string>();
  return absl::OkStatus();
}

void WarnUnknown(const Json& obj, std::initializer_list<absl::string_view> known,
                 absl::string_view prefix, std::vector<std::string>* warnings) {
  for (const auto& [k, v] : obj.items()) {
    bool found = false;
    for (absl::string_view n : known) found = found || k == n;
    if (!found) {
      warnings->push_back(absl::StrCat("unknown key \"", prefix, k, "\" ignored"));
    }
  }
}

absl::StatusOr<CdhConfig> FromJson(const Json& root) {
  if (!root.is_object()) return TypeError("top level", "an object");
  CdhConfig cfg;
  COCOON_RETURN_IF_ERROR(GetOptString(root, "socket", "socket", &cfg.socket));
  if (cfg.socket.empty()) return TypeError("socket", "a non-empty address");
  COCOON_RETURN_IF_ERROR(GetOptString(root, "ttrpc_socket", "ttrpc_socket", &cfg.ttrpc_socket));
  WarnUnknown(root,
              {"socket", "ttrpc_socket", "kbc", "aa", "credentials", "image",
               "skip_sealed_secret_verification", "log"},
              "", &cfg.warnings);

  auto kbc = root.find("kbc");
  if (kbc == root.end() || kbc->is_null()) {
    return absl::InvalidArgumentError("confidential-data-hub config: kbc.name: required");
  }
  if (!kbc->is_object()) return TypeError("kbc", "a table/object");
  COCOON_RETURN_IF_ERROR(GetOptString(*kbc, "name", "kbc.name", &cfg.kbc.name));
  if (cfg.kbc.name.empty()) {
    return absl::InvalidArgumentError("confidential-data-hub config: kbc.name: required");
  }
  COCOON_RETURN_IF_ERROR(GetOptString(*kbc, "url", "kbc.url", &cfg.kbc.url));
  COCOON_RETURN_IF_ERROR(GetOptString(*kbc, "kbs_cert", "kbc.kbs_cert", &cfg.kbc.kbs_cert));
  COCOON_RETURN_IF_ERROR(GetOptString(*kbc, "offline_fs_keys_file", "kbc.offline_fs_keys_file",
                                      &cfg.kbc.offline_fs_keys_file));
  COCOON_RETURN_IF_ERROR(GetOptString(*kbc, "offline_fs_resources_file",
                                      "kbc.offline_fs_resources_file",
                                      &cfg.kbc.offline_fs_resources_file));
  WarnUnknown(*kbc,
              {"name", "url", "kbs_cert", "offline_fs_keys_file", "offline_fs_resources_file"},
              "kbc.", &cfg.warnings);

  if (auto aa = root.find("aa"); aa != root.end() && !aa->is_null()) {
    if (!aa->is_object()) return TypeError("aa", "a table/object");
    COCOON_RETURN_IF_ERROR(GetOptString(*aa, "aa_socket", "aa.aa_socket", &cfg.aa_socket));
    WarnUnknown(*aa, {"aa_socket"}, "aa.", &cfg.warnings);
  }
  cfg.kbc.aa_socket = cfg.aa_socket;

  if (auto creds = root.find("credentials"); creds != root.end() && !creds->is_null()) {
    if (!creds->is_array()) return TypeError("credentials", "an array");
    for (size_t i = 0; i < creds->size(); ++i) {
      const Json& c = (*creds)[i];
      const std::string key = absl::StrCat("credentials[", i, "]");
      if (!c.is_object()) return TypeError(key, "a table/object");
      CredentialConfig cc;
      COCOON_RETURN_IF_ERROR(
          GetOptString(c, "resource_uri", absl::StrCat(key, ".resource_uri"), &cc.resource_uri));
      COCOON_RETURN_IF_ERROR(GetOptString(c, "path", absl::StrCat(key, ".path"), &cc.path));
      if (cc.resource_uri.empty() || cc.path.empty()) {
        return absl::InvalidArgumentError(absl::StrCat("confidential-data-hub config: ", key,
                                                       ": resource_uri and path are required"));
      }
      cfg.credentials.push_back(std::move(cc));
    }
  }

  if (auto img = root.find("image"); img != root.end() && !img->is_null()) {
    cfg.warnings.push_back(
        "\"image\" settings are not used: cocoon's confidential-data-hub does not pull images "
        "(containerd does, with ctd-decoder)");
  }

  if (auto skip = root.find("skip_sealed_secret_verification");
      skip != root.end() && !skip->is_null()) {
    if (!skip->is_boolean()) return TypeError("skip_sealed_secret_verification", "a boolean");
    cfg.skip_sealed_secret_verification = skip->get<bool>();
  }

  if (auto log = root.find("log"); log != root.end() && !log->is_null()) {
    if (!log->is_object()) return TypeError("log", "a table/object");
    COCOON_RETURN_IF_ERROR(GetOptString(*log, "level", "log.level", &cfg.log_level));
    cfg.log_level = absl::AsciiStrToLower(cfg.log_level);
    WarnUnknown(*log, {"level"}, "log.", &cfg.warnings);
  }
  return cfg;
}

}  // namespace

bool IsUnixSocketAddress(absl::string_view socket) {
  return absl::StartsWith(socket, "unix:") || absl::StartsWith(socket, "/");
}

absl::StatusOr<CdhConfig> ParseCdhConfig(absl::string_view text, ConfigFormat format) {
  COCOON_ASSIGN_OR_RETURN(Json root,
                          ParseConfigTree(text, format == ConfigFormat::kToml,
                                          "confidential-data-hub config", kMaxJsonDepth));
  return FromJson(root);
}

absl::StatusOr<CdhConfig> LoadCdhConfig(const std::string& path) {
  COCOON_ASSIGN_OR_RETURN(bool toml, ConfigPathIsToml(path, "confidential-data-hub config"));
  COCOON_ASSIGN_OR_RETURN(std::string text, ReadFile(path, kMaxConfigSize));
  absl::StatusOr<CdhConfig> cfg =
      ParseCdhConfig(text, toml ? ConfigFormat::kToml : ConfigFormat::kJson);
  if (!cfg.ok()) return Annotate(cfg.status(), path);
  return cfg;
}

}  // namespace cocoon::cdh
