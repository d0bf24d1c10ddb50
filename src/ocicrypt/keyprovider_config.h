// The ocicrypt keyprovider configuration (docs/reference/ocicrypt.md §3.1): the JSON file named
// by OCICRYPT_KEYPROVIDER_CONFIG, mapping provider names to a `cmd` or `grpc` invocation.
//
//   {"key-providers": {
//      "<name>": {"cmd": {"path": "/usr/bin/x", "args": ["..."]}},
//      "<name>": {"grpc": "host:port" | "unix:///path", "grpc-tls": {...}}}}
//
// Parsing follows Go's encoding/json (unknown members ignored, member names case-insensitive).
// An entry without a usable invocation is kept; using it fails (KeyProviderClient).
#ifndef COCOON_OCICRYPT_KEYPROVIDER_CONFIG_H_
#define COCOON_OCICRYPT_KEYPROVIDER_CONFIG_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cocoon::ocicrypt {

inline constexpr absl::string_view kKeyProviderConfigEnv = "OCICRYPT_KEYPROVIDER_CONFIG";

struct KeyProviderCmd {
  std::string path;  // absolute, or looked up in PATH
  std::vector<std::string> args;
};

// "grpc-tls" (Go ocicrypt >= v1.3.1). Empty strings mean "not set".
struct KeyProviderGrpcTls {
  std::string root_ca_file;  // empty: the system trust store
  std::string cert_file;     // client certificate, used with key_file
  std::string key_file;
  std::string server_name;  // overrides the name checked against the server certificate
  bool insecure_skip_verify = false;
};

struct KeyProviderEntry {
  std::string name;
  std::optional<KeyProviderCmd> cmd;  // wins over grpc when both are set
  std::string grpc;                   // target; empty = not set
  std::optional<KeyProviderGrpcTls> grpc_tls;
};

struct KeyProviderConfig {
  std::map<std::string, KeyProviderEntry, std::less<>> providers;
};

// Parses the config JSON. A null or missing "key-providers" gives an empty config.
absl::StatusOr<KeyProviderConfig> ParseKeyProviderConfig(absl::string_view json);

// Reads the file named by OCICRYPT_KEYPROVIDER_CONFIG. Unset, empty or a nonexistent file gives an
// empty config, as in Go. Unlike Go, which logs invalid JSON and carries on without providers, an
// unreadable or invalid file is an error: silently dropping providers turns into confusing
// "no key unwrapper" failures much later.
absl::StatusOr<KeyProviderConfig> LoadKeyProviderConfigFromEnv();

// Same, from an explicit path (a nonexistent file gives an empty config).
absl::StatusOr<KeyProviderConfig> LoadKeyProviderConfigFile(const std::string& path);

}  // namespace cocoon::ocicrypt

#endif  // COCOON_OCICRYPT_KEYPROVIDER_CONFIG_H_
