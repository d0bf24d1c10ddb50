#include "kbs/config.h"

#include <functional>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/file_util.h"
#include "base/json.h"
#include "base/status.h"
#include "base/toml_json.h"

namespace cocoon::kbs {
namespace {

absl::Status ConfigError(absl::string_view path, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("config key ", path, ": ", what));
}

std::string Join(absl::string_view prefix, absl::string_view key) {
  return prefix.empty() ? std::string(key) : absl::StrCat(prefix, ".", key);
}

absl::string_view TypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "string";
    case toml::node_type::integer:
      return "integer";
    case toml::node_type::floating_point:
      return "float";
    case toml::node_type::boolean:
      return "boolean";
    case toml::node_type::array:
      return "array";
    case toml::node_type::table:
      return "table";
    default:
      return "date/time";
  }
}

// A table together with its dotted path; every accessor records the key as known, and Finish()
// rejects the keys nobody asked for.
class Table {
 public:
  Table(const toml::table& table, std::string path) : table_(table), path_(std::move(path)) {}

  bool Has(absl::string_view key) {
    known_.insert(std::string(key));
    return table_.contains(std::string_view(key.data(), key.size()));
  }
  const toml::node* Get(absl::string_view key) {
    known_.insert(std::string(key));
    return table_.get(std::string_view(key.data(), key.size()));
  }
  std::string PathOf(absl::string_view key) const { return Join(path_, key); }
  const std::string& path() const { return path_; }

  absl::Status String(absl::string_view key, std::string* out) {
    const toml::node* node = Get(key);
    if (node == nullptr) return absl::OkStatus();
    if (!node->is_string()) return WrongType(key, *node, "a string");
    *out = node->as_string()->get();
    return absl::OkStatus();
  }
  absl::Status Bool(absl::string_view key, bool* out) {
    const toml::node* node = Get(key);
    if (node == nullptr) return absl::OkStatus();
    if (!node->is_boolean()) return WrongType(key, *node, "a boolean");
    *out = node->as_boolean()->get();
    return absl::OkStatus();
  }
  template <typename T>
  absl::Status Int(absl::string_view key, T* out, int64_t min, int64_t max) {
    const toml::node* node = Get(key);
    if (node == nullptr) return absl::OkStatus();
    if (!node->is_integer()) return WrongType(key, *node, "an integer");
    const int64_t v = node->as_integer()->get();
    if (v < min || v > max) {
      return ConfigError(PathOf(key), absl::StrCat("must be between ", min, " and ", max));
    }
    *out = static_cast<T>(v);
    return absl::OkStatus();
  }
  absl::Status Strings(absl::string_view key, std::vector<std::string>* out) {
    const toml::node* node = Get(key);
    if (node == nullptr) return absl::OkStatus();
    if (!node->is_array()) return WrongType(key, *node, "an array of strings");
    out->clear();
    size_t i = 0;
    for (const toml::node& item : *node->as_array()) {
      if (!item.is_string()) {
        return ConfigError(absl::StrCat(PathOf(key), "[", i, "]"),
                           absl::StrCat("expected a string, found ", TypeName(item)));
      }
      out->push_back(item.as_string()->get());
      ++i;
    }
    return absl::OkStatus();
  }
  // A string or an array of strings.
  absl::Status StringOrStrings(absl::string_view key, std::vector<std::string>* out) {
    const toml::node* node = Get(key);
    if (node != nullptr && node->is_string()) {
      *out = {node->as_string()->get()};
      return absl::OkStatus();
    }
    return Strings(key, out);
  }
  // Sub-table; nullopt when absent.
  absl::StatusOr<std::optional<Table>> Sub(absl::string_view key) {
    const toml::node* node = Get(key);
    if (node == nullptr) return std::optional<Table>();
    if (!node->is_table()) return WrongType(key, *node, "a table");
    return std::optional<Table>(Table(*node->as_table(), PathOf(key)));
  }
  // Array of tables (also accepts inline tables in an array).
  absl::StatusOr<std::vector<Table>> Subs(absl::string_view key) {
    std::vector<Table> out;
    const toml::node* node = Get(key);
    if (node == nullptr) return out;
    if (!node->is_array()) return WrongType(key, *node, "an array of tables");
    size_t i = 0;
    for (const toml::node& item : *node->as_array()) {
      const std::string p = absl::StrCat(PathOf(key), "[", i++, "]");
      if (!item.is_table()) {
        return ConfigError(p, absl::StrCat("expected a table, found ", TypeName(item)));
      }
      out.emplace_back(*item.as_table(), p);
    }
    return out;
  }
  // Marks `key` as known without reading it (accepted and ignored).
  void Ignore(absl::string_view key) { known_.insert(std::string(key)); }

  absl::Status Finish() const {
    for (const auto& [k, v] : table_) {
      const std::string key(k.str());
      if (known_.count(key) == 0) return ConfigError(Join(path_, key), "unknown key");
    }
    return absl::OkStatus();
  }

  const toml::table& raw() const { return table_; }

 private:
  absl::Status WrongType(absl::string_view key, const toml::node& node, absl::string_view want) {
    return ConfigError(PathOf(key), absl::StrCat("expected ", want, ", found ", TypeName(node)));
  }

  const toml::table& table_;
  std::string path_;
  std::set<std::string> known_;
};

absl::Status ParseHttpServer(Table t, HttpServerConfig* c) {
  COCOON_RETURN_IF_ERROR(t.Strings("sockets", &c->sockets));
  COCOON_RETURN_IF_ERROR(t.Bool("insecure_http", &c->insecure_http));
  COCOON_RETURN_IF_ERROR(t.String("private_key", &c->private_key));
  COCOON_RETURN_IF_ERROR(t.String("certificate", &c->certificate));
  COCOON_RETURN_IF_ERROR(t.Int("payload_request_size", &c->payload_request_size_mib, 1, 1024));
  COCOON_RETURN_IF_ERROR(t.Int("worker_count", &c->worker_count, 1, 1024));
  COCOON_RETURN_IF_ERROR(t.String("tls_min_version", &c->tls_min_version));
  std::string ignored;
  for (absl::string_view key : {"tls_profile", "tls_max_version", "tls_ciphers", "tls_groups"}) {
    COCOON_RETURN_IF_ERROR(t.String(key, &ignored));
  }
  COCOON_RETURN_IF_ERROR(t.Int("read_timeout_sec", &c->read_timeout_sec, 1, 3600));
  COCOON_RETURN_IF_ERROR(t.Int("connection_threads", &c->max_connections_threads, 4, 4096));
  if (c->sockets.empty()) return ConfigError(t.PathOf("sockets"), "must not be empty");
  if (!c->tls_min_version.empty() && c->tls_min_version != "1.2" && c->tls_min_version != "1.3") {
    return ConfigError(t.PathOf("tls_min_version"), "must be \"1.2\" or \"1.3\"");
  }
  if (!c->insecure_http && (c->private_key.empty() || c->certificate.empty())) {
    return ConfigError(t.PathOf("private_key"),
                       "HTTPS needs private_key and certificate (or insecure_http = true)");
  }
  return t.Finish();
}

absl::Status ParseAttestationToken(Table t, AttestationTokenConfig* c) {
  COCOON_RETURN_IF_ERROR(t.Strings("trusted_certs_paths", &c->trusted_certs_paths));
  COCOON_RETURN_IF_ERROR(t.Strings("trusted_jwk_sets", &c->trusted_jwk_sets));
  COCOON_RETURN_IF_ERROR(t.Strings("extra_teekey_paths", &c->extra_teekey_paths));
  COCOON_RETURN_IF_ERROR(t.Bool("insecure_header_jwk", &c->insecure_header_jwk));
  bool insecure_key = false;
  COCOON_RETURN_IF_ERROR(t.Bool("insecure_key", &insecure_key));  // older name
  c->insecure_header_jwk = c->insecure_header_jwk || insecure_key;
  std::string token_type;
  COCOON_RETURN_IF_ERROR(t.String("attestation_token_type", &token_type));  // older; ignored
  return t.Finish();
}

absl::Status ParseBroker(Table t, TokenBrokerConfig* c) {
  std::string type;
  COCOON_RETURN_IF_ERROR(t.String("type", &type));
  if (!type.empty() && type != "Ear" && type != "ear") {
    return ConfigError(t.PathOf("type"),
                       absl::StrCat("token type \"", type, "\" is not supported (only Ear)"));
  }
  COCOON_RETURN_IF_ERROR(t.Int("duration_min", &c->duration_min, 1, 7 * 24 * 60));
  COCOON_RETURN_IF_ERROR(t.String("issuer_name", &c->issuer_name));
  COCOON_RETURN_IF_ERROR(t.String("developer_name", &c->developer_name));
  COCOON_RETURN_IF_ERROR(t.String("build_name", &c->build_name));
  COCOON_RETURN_IF_ERROR(t.String("profile_name", &c->profile_name));
  COCOON_RETURN_IF_ERROR(t.Bool("verbose_token", &c->verbose_token));
  COCOON_RETURN_IF_ERROR(t.String("policy_dir", &c->policy_dir));
  COCOON_ASSIGN_OR_RETURN(std::optional<Table> signer, t.Sub("signer"));
  if (signer) {
    COCOON_RETURN_IF_ERROR(signer->String("key_path", &c->signer_key_path));
    COCOON_RETURN_IF_ERROR(signer->String("cert_path", &c->signer_cert_path));
    COCOON_RETURN_IF_ERROR(signer->String("cert_url", &c->signer_cert_url));
    if (c->signer_key_path.empty()) return ConfigError(signer->PathOf("key_path"), "required");
    COCOON_RETURN_IF_ERROR(signer->Finish());
  }
  return t.Finish();
}

absl::Status ParseAttestationService(Table t, AttestationServiceConfig* c) {
  std::string type = "coco_as_builtin";
  COCOON_RETURN_IF_ERROR(t.String("type", &type));
  if (type != "coco_as_builtin" && type != "CoCoASBuiltIn") {
    return ConfigError(t.PathOf("type"),
                       absl::StrCat("\"", type, "\" is not supported (only coco_as_builtin)"));
  }
  COCOON_RETURN_IF_ERROR(t.Int("timeout", &c->timeout_min, 1, 24 * 60));
  COCOON_RETURN_IF_ERROR(t.String("work_dir", &c->work_dir));
  std::string ignored;
  COCOON_RETURN_IF_ERROR(t.String("policy_engine", &ignored));  // older: "opa"
  COCOON_RETURN_IF_ERROR(t.String("storage_type", &ignored));
  COCOON_ASSIGN_OR_RETURN(std::optional<Table> broker, t.Sub("attestation_token_broker"));
  if (broker) COCOON_RETURN_IF_ERROR(ParseBroker(*broker, &c->broker));
  COCOON_ASSIGN_OR_RETURN(std::optional<Table> token_config, t.Sub("attestation_token_config"));
  if (token_config) {  // older layout
    COCOON_RETURN_IF_ERROR(
        token_config->Int("duration_min", &c->broker.duration_min, 1, 7 * 24 * 60));
    COCOON_RETURN_IF_ERROR(token_config->Finish());
  }
  COCOON_ASSIGN_OR_RETURN(std::optional<Table> rvps, t.Sub("rvps_config"));
  if (rvps) {
    std::string rvps_type = "BuiltIn";
    COCOON_RETURN_IF_ERROR(rvps->String("type", &rvps_type));
    if (rvps_type != "BuiltIn") {
      return ConfigError(rvps->PathOf("type"),
                         absl::StrCat("\"", rvps_type, "\" is not supported (only BuiltIn)"));
    }
    COCOON_RETURN_IF_ERROR(rvps->String("storage_type", &ignored));
    COCOON_ASSIGN_OR_RETURN(std::optional<Table> storage, rvps->Sub("storage"));
    if (storage) {
      std::string storage_type;
      COCOON_RETURN_IF_ERROR(storage->String("type", &storage_type));
      COCOON_RETURN_IF_ERROR(storage->String("file_path", &c->rvps_json_path));
      if (!storage_type.empty() && storage_type != "LocalJson" && storage_type != "LocalFs") {
        return ConfigError(storage->PathOf("type"),
                           absl::StrCat("\"", storage_type, "\" is not supported"));
      }
      COCOON_RETURN_IF_ERROR(storage->Finish());
    }
    rvps->Ignore("extractors");
    COCOON_RETURN_IF_ERROR(rvps->Finish());
  }
  if (const toml::node* vc = t.Get("verifier_config")) {
    if (!vc->is_table()) return ConfigError(t.PathOf("verifier_config"), "expected a table");
    c->verifier_config_json = TomlToJson(*vc).dump();
  }
  return t.Finish();
}

absl::Status ParseAdmin(Table t, AdminConfig* c) {
  // Older layouts: insecure_api / auth_public_key / type = "Simple" / personas + roles.
  bool insecure_api = false;
  COCOON_RETURN_IF_ERROR(t.Bool("insecure_api", &insecure_api));
  std::string type, mode, auth_public_key;
  COCOON_RETURN_IF_ERROR(t.String("type", &type));
  COCOON_RETURN_IF_ERROR(t.String("authorization_mode", &mode));
  COCOON_RETURN_IF_ERROR(t.String("auth_public_key", &auth_public_key));
  if (!type.empty() && !mode.empty()) {
    return ConfigError(t.PathOf("type"), "conflicts with admin.authorization_mode");
  }
  const std::string& selector = mode.empty() ? type : mode;
  const std::string selector_path = t.PathOf(mode.empty() ? "type" : "authorization_mode");
  if (selector == "InsecureAllowAll") {
    c->mode = AdminConfig::Mode::kInsecureAllowAll;
  } else if (selector == "DenyAll") {
    c->mode = AdminConfig::Mode::kDenyAll;
  } else if (selector == "Simple" || selector == "AuthenticatedAuthorization" || selector.empty()) {
    c->mode = AdminConfig::Mode::kAuthenticated;
  } else {
    return ConfigError(selector_path, absl::StrCat("unknown admin mode \"", selector, "\""));
  }
  if (!auth_public_key.empty()) {
    AdminIdentityProvider p;
    p.public_key_path = auth_public_key;
    c->identity_providers.push_back(p);
    c->legacy_no_role = true;
  }
  COCOON_ASSIGN_OR_RETURN(std::vector<Table> personas, t.Subs("personas"));
  for (Table& p : personas) {
    std::string id, key;
    COCOON_RETURN_IF_ERROR(p.String("id", &id));
    COCOON_RETURN_IF_ERROR(p.String("public_key_path", &key));
    if (key.empty()) return ConfigError(p.PathOf("public_key_path"), "required");
    AdminIdentityProvider provider;
    provider.public_key_path = key;
    c->identity_providers.push_back(provider);
    c->legacy_no_role = true;
    COCOON_RETURN_IF_ERROR(p.Finish());
  }
  COCOON_ASSIGN_OR_RETURN(std::vector<Table> roles, t.Subs("roles"));
  for (Table& r : roles) {
    AdminAcl acl;
    COCOON_RETURN_IF_ERROR(r.String("id", &acl.role));
    COCOON_RETURN_IF_ERROR(r.String("allowed_endpoints", &acl.allowed_endpoints));
    c->acls.push_back(acl);
    COCOON_RETURN_IF_ERROR(r.Finish());
  }
  COCOON_ASSIGN_OR_RETURN(std::optional<Table> authn, t.Sub("authentication"));
  if (authn) {
    COCOON_ASSIGN_OR_RETURN(std::optional<Table> bearer, authn->Sub("bearer_jwt"));
    if (bearer) {
      COCOON_ASSIGN_OR_RETURN(std::vector<Table> idps, bearer->Subs("identity_providers"));
      for (Table& idp : idps) {
        AdminIdentityProvider p;
        COCOON_RETURN_IF_ERROR(idp.String("issuer", &p.issuer));
        COCOON_RETURN_IF_ERROR(idp.StringOrStrings("audience", &p.audiences));
        COCOON_RETURN_IF_ERROR(idp.String("public_key_uri", &p.public_key_path));
        COCOON_RETURN_IF_ERROR(idp.String("jwk_set_uri", &p.jwk_set_path));
        if (p.public_key_path.empty() && p.jwk_set_path.empty()) {
          return ConfigError(idp.PathOf("public_key_uri"),
                             "an identity provider needs public_key_uri or jwk_set_uri");
        }
        c->identity_providers.push_back(p);
        COCOON_RETURN_IF_ERROR(idp.Finish());
      }
      COCOON_RETURN_IF_ERROR(bearer->Finish());
    }
    COCOON_RETURN_IF_ERROR(authn->Finish());
  }
  COCOON_ASSIGN_OR_RETURN(std::optional<Table> authz, t.Sub("authorization"));
  if (authz) {
    COCOON_ASSIGN_OR_RETURN(std::optional<Table> regex_acl, authz->Sub("regex_acl"));
    if (regex_acl) {
      COCOON_ASSIGN_OR_RETURN(std::vector<Table> acls, regex_acl->Subs("acls"));
      for (Table& a : acls) {
        AdminAcl acl;
        COCOON_RETURN_IF_ERROR(a.String("role", &acl.role));
        COCOON_RETURN_IF_ERROR(a.String("allowed_endpoints", &acl.allowed_endpoints));
        if (acl.role.empty()) return ConfigError(a.PathOf("role"), "required");
        if (acl.allowed_endpoints.size() < 6 || acl.allowed_endpoints.rfind("^/kbs", 0) != 0 ||
            acl.allowed_endpoints.back() != '$') {
          return ConfigError(a.PathOf("allowed_endpoints"), "must start with ^/kbs and end with $");
        }
        c->acls.push_back(acl);
        COCOON_RETURN_IF_ERROR(a.Finish());
      }
      COCOON_RETURN_IF_ERROR(regex_acl->Finish());
    }
    COCOON_RETURN_IF_ERROR(authz->Finish());
  }
  if (insecure_api) c->mode = AdminConfig::Mode::kInsecureAllowAll;
  if (c->mode == AdminConfig::Mode::kAuthenticated && !c->legacy_no_role && c->acls.empty()) {
    c->acls.push_back({.role = "admin", .allowed_endpoints = "^/kbs/.+$"});
  }
  return t.Finish();
}

absl::Status ParseStorage(Table t, StorageConfig* c) {
  std::string type = "Memory";
  COCOON_RETURN_IF_ERROR(t.String("storage_type", &type));
  if (type == "Memory" || type == "memory") {
    c->type = StorageConfig::Type::kMemory;
  } else if (type == "LocalJson" || type == "local_json" || type == "Postgres" ||
             type == "postgres" || type == "Redis" || type == "redis") {
    return ConfigError(t.PathOf("storage_type"),
                       absl::StrCat("\"", type, "\" is not supported (Memory, LocalFs)"));
  } else if (type == "LocalFs" || type == "local_fs" || type == "localfs") {
    c->type = StorageConfig::Type::kLocalFs;
    c->dir_path = "/opt/confidential-containers/storage/local_fs";
  } else {
    return ConfigError(t.PathOf("storage_type"),
                       absl::StrCat("\"", type, "\" is not supported (Memory, LocalFs)"));
  }
  COCOON_ASSIGN_OR_RETURN(std::optional<Table> backends, t.Sub("backends"));
  if (backends) {
    COCOON_ASSIGN_OR_RETURN(std::optional<Table> local_fs, backends->Sub("local_fs"));
    if (local_fs) {
      COCOON_RETURN_IF_ERROR(local_fs->String("dir_path", &c->dir_path));
      COCOON_RETURN_IF_ERROR(local_fs->Finish());
    }
    COCOON_RETURN_IF_ERROR(backends->Finish());
  }
  return t.Finish();
}

absl::Status ParsePlugins(std::vector<Table> plugins, KbsConfig* c) {
  for (Table& p : plugins) {
    std::string name;
    COCOON_RETURN_IF_ERROR(p.String("name", &name));
    if (name == "resource") {
      c->resource_plugin.enabled = true;
      std::string type, backend;
      COCOON_RETURN_IF_ERROR(p.String("type", &type));
      COCOON_RETURN_IF_ERROR(p.String("storage_backend_type", &backend));
      COCOON_RETURN_IF_ERROR(p.String("dir_path", &c->resource_plugin.dir_path));
      if (!type.empty() && type != "LocalFs") {
        return ConfigError(p.PathOf("type"),
                           absl::StrCat("resource backend \"", type, "\" is not supported"));
      }
      if (!backend.empty() && backend != "kvstorage") {
        return ConfigError(p.PathOf("storage_backend_type"),
                           absl::StrCat("resource backend \"", backend, "\" is not supported"));
      }
      if (type == "LocalFs" && c->resource_plugin.dir_path.empty()) {
        c->resource_plugin.dir_path = "/opt/confidential-containers/kbs/repository";
      }
    } else if (name == "sample") {
      c->sample_plugin = true;
      std::string item;
      COCOON_RETURN_IF_ERROR(p.String("item", &item));
    } else {
      return ConfigError(p.PathOf("name"), absl::StrCat("unknown plugin \"", name, "\""));
    }
    COCOON_RETURN_IF_ERROR(p.Finish());
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<KbsConfig> ParseKbsConfig(absl::string_view toml_text) {
  toml::table root;
  try {
    root = toml::parse(std::string_view(toml_text.data(), toml_text.size()));
  } catch (const toml::parse_error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("config: TOML error at line ", e.source().begin.line, " column ",
                     e.source().begin.column, ": ", std::string(e.description())));
  }
  KbsConfig c;
  Table t(root, "");
  COCOON_ASSIGN_OR_RETURN(std::optional<Table> http, t.Sub("http_server"));
  if (!http) return ConfigError("http_server", "required section is missing");
  COCOON_RETURN_IF_ERROR(ParseHttpServer(*http, &c.http_server));
  COCOON_ASSIGN_OR_RETURN(std::optional<Table> token, t.Sub("attestation_token"));
  if (token) COCOON_RETURN_IF_ERROR(ParseAttestationToken(*token, &c.attestation_token));
  COCOON_ASSIGN_OR_RETURN(std::optional<Table> as, t.Sub("attestation_service"));
  if (as) COCOON_RETURN_IF_ERROR(ParseAttestationService(*as, &c.attestation_service));
  COCOON_ASSIGN_OR_RETURN(std::optional<Table> admin, t.Sub("admin"));
  if (admin) COCOON_RETURN_IF_ERROR(ParseAdmin(*admin, &c.admin));
  COCOON_ASSIGN_OR_RETURN(std::optional<Table> storage, t.Sub("storage_backend"));
  if (storage) COCOON_RETURN_IF_ERROR(ParseStorage(*storage, &c.storage));
  std::string session_storage;
  COCOON_RETURN_IF_ERROR(t.String("session_storage_type", &session_storage));  // stateless
  COCOON_ASSIGN_OR_RETURN(std::vector<Table> plugins, t.Subs("plugins"));
  COCOON_RETURN_IF_ERROR(ParsePlugins(std::move(plugins), &c));
  COCOON_ASSIGN_OR_RETURN(std::optional<Table> pe, t.Sub("policy_engine"));
  if (pe) {
    COCOON_RETURN_IF_ERROR(pe->String("policy_path", &c.resource_policy_path));
    COCOON_RETURN_IF_ERROR(pe->Finish());
  }
  COCOON_ASSIGN_OR_RETURN(std::optional<Table> session, t.Sub("session"));
  if (session) {
    COCOON_RETURN_IF_ERROR(session->String("sealing_key_path", &c.session.sealing_key_path));
    COCOON_RETURN_IF_ERROR(
        session->Int("challenge_timeout_sec", &c.session.challenge_timeout_sec, 1, 3600));
    COCOON_RETURN_IF_ERROR(session->Finish());
  }
  COCOON_RETURN_IF_ERROR(t.Finish());
  return c;
}

absl::StatusOr<KbsConfig> LoadKbsConfig(const std::string& path) {
  COCOON_ASSIGN_OR_RETURN(std::string text, ReadFile(path, 1 << 20));
  return ParseKbsConfig(text);
}

}  // namespace cocoon::kbs
