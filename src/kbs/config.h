// kbs-config.toml: the current upstream layout and the older one the walkthrough uses.
//
// Parsing is strict: an unknown key or a value of the wrong type is an error naming the key by
// its dotted path ("http_server.sockets[1]"). Relative paths are kept as written.
#ifndef COCOON_KBS_CONFIG_H_
#define COCOON_KBS_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cocoon::kbs {

struct HttpServerConfig {
  std::vector<std::string> sockets = {"127.0.0.1:8080"};
  bool insecure_http = false;
  std::string private_key;  // PEM path, required for HTTPS
  std::string certificate;  // PEM chain path
  uint64_t payload_request_size_mib = 2;
  int worker_count = 0;             // handler threads; 0: the server's default
  std::string tls_min_version;      // "1.2" or "1.3"; empty: library default
  int read_timeout_sec = 5;         // cocoon: header deadline, read/write/keep-alive idle limit
  int max_connections_threads = 0;  // cocoon: older name of worker_count (0: default)
};

struct AttestationTokenConfig {
  std::vector<std::string> trusted_certs_paths;
  std::vector<std::string> trusted_jwk_sets;  // local paths or file:// URLs
  std::vector<std::string> extra_teekey_paths;
  bool insecure_header_jwk = false;
};

struct TokenBrokerConfig {
  int64_t duration_min = 5;
  std::string issuer_name = "CoCo-Attestation-Service";
  std::string developer_name = "https://confidentialcontainers.org";
  std::string build_name = "cocoon-kbs 0.1.0";
  std::string profile_name = "tag:github.com,2024:confidential-containers/Trustee";
  bool verbose_token = true;
  std::string signer_key_path;   // P-256 PEM; empty: ephemeral key
  std::string signer_cert_path;  // PEM chain -> x5c
  std::string signer_cert_url;   // -> x5u
  std::string policy_dir;        // attestation policies <id>.rego (older layout)
};

struct AttestationServiceConfig {
  int64_t timeout_min = 5;  // session lifetime
  std::string work_dir;
  TokenBrokerConfig broker;
  std::string rvps_json_path;               // older layout: rvps_config.storage LocalJson file
  std::string verifier_config_json = "{}";  // verifier_config, as JSON for the verifiers
};

struct AdminIdentityProvider {
  std::string issuer;                  // empty: not checked
  std::vector<std::string> audiences;  // empty: not checked
  std::string public_key_path;         // PEM (Ed25519, EC or RSA)
  std::string jwk_set_path;
};

struct AdminAcl {
  std::string role;
  std::string allowed_endpoints;  // regex over path + query, must start ^/kbs and end $
};

struct AdminConfig {
  enum class Mode { kDenyAll, kInsecureAllowAll, kAuthenticated };
  Mode mode = Mode::kDenyAll;
  std::vector<AdminIdentityProvider> identity_providers;
  std::vector<AdminAcl> acls;
  // Older layouts (auth_public_key, personas): tokens carry no role and any verified token may
  // call every admin endpoint.
  bool legacy_no_role = false;
};

struct StorageConfig {
  enum class Type { kMemory, kLocalFs };
  Type type = Type::kMemory;
  std::string dir_path;  // LocalFs root; namespaces are sub-directories
};

struct ResourcePluginConfig {
  bool enabled = false;
  // Older layout: a tree <dir_path>/<repo>/<type>/<tag>. Empty: the storage backend's
  // "repository" namespace.
  std::string dir_path;
};

struct SessionConfig {
  std::string sealing_key_path;    // 32 random bytes (raw or base64); empty: ephemeral key
  int challenge_timeout_sec = 60;  // /attest must follow /auth within this (cocoon)
};

struct KbsConfig {
  HttpServerConfig http_server;
  AttestationTokenConfig attestation_token;
  AttestationServiceConfig attestation_service;
  AdminConfig admin;
  StorageConfig storage;
  ResourcePluginConfig resource_plugin;
  bool sample_plugin = false;
  std::string resource_policy_path;  // [policy_engine] policy_path (older layout)
  SessionConfig session;
};

absl::StatusOr<KbsConfig> ParseKbsConfig(absl::string_view toml_text);
absl::StatusOr<KbsConfig> LoadKbsConfig(const std::string& path);

}  // namespace cocoon::kbs

#endif  // COCOON_KBS_CONFIG_H_
