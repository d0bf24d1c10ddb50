// kbs-client: admin and attestation client for the KBS, with the verbs of Trustee's kbs-client.
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "CLI/CLI.hpp"
#include "aa/aa_client.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/encoding.h"
#include "base/file_util.h"
#include "base/json.h"
#include "crypto/keys.h"
#include "kbs/client.h"
#include "kbs/policy_engine.h"

namespace {

using cocoon::kbs::KbsClient;

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "Error: %s\n", std::string(status.message()).c_str());
  return 1;
}

absl::StatusOr<std::string> Read(const std::string& path) { return cocoon::ReadFile(path); }

absl::StatusOr<cocoon::crypto::PrivateKey> TeeKey(const std::string& path) {
  if (path.empty()) return cocoon::crypto::PrivateKey::Generate(cocoon::crypto::KeyType::kEcP256);
  absl::StatusOr<std::string> pem = Read(path);
  if (!pem.ok()) return pem.status();
  return cocoon::crypto::PrivateKey::Parse(*pem);
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// The admin token: --admin-token-file, else one minted from --auth-private-key, else the
// upstream default locations, else none.
absl::StatusOr<std::string> AdminToken(const std::string& token_file, const std::string& key_file,
                                       const std::string& role) {
  if (!token_file.empty()) {
    absl::StatusOr<std::string> t = Read(token_file);
    if (!t.ok()) return t.status();
    return Trim(*t);
  }
  if (!key_file.empty()) {
    absl::StatusOr<std::string> pem = Read(key_file);
    if (!pem.ok()) return pem.status();
    return cocoon::kbs::MintAdminToken(*pem, role);
  }
  std::vector<std::string> defaults = {"kbs/config/docker-compose/admin-token"};
  if (const char* home = std::getenv("HOME")) {
    defaults.push_back(absl::StrCat(home, "/.trustee/admin-token"));
  }
  for (const std::string& path : defaults) {
    absl::StatusOr<std::string> t = cocoon::ReadFile(path);
    if (t.ok()) return Trim(*t);
  }
  return std::string();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"kbs-client: KBS admin and attestation client"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "kbs-client (cocoon) 0.1.0");
  cocoon::kbs::KbsClientOptions options;
  app.add_option("--url", options.url, "KBS root URL")->capture_default_str();
  app.add_option("--cert-file", options.cert_file, "extra trusted CA certificate (PEM) for HTTPS");
  std::string aa_socket;
  app.add_option("--aa-socket", aa_socket,
                 "attest with the evidence of this attestation agent (unix:///...) instead of "
                 "the sample TEE");

  std::string tee_key_file, token_file, init_data_file, path;
  auto* attest =
      app.add_subcommand("attest", "attest (sample TEE, or --aa-socket) and print the token");
  attest->add_option("--tee-key-file", tee_key_file, "TEE private key (PEM); default ephemeral");
  attest->add_option("init_data", init_data_file, "initdata TOML file");

  auto* get = app.add_subcommand("get-resource", "fetch a resource; prints its standard base64");
  get->add_option("--path", path, "repository/type/tag")->required();
  get->add_option("--tee-key-file", tee_key_file, "TEE private key (PEM); default ephemeral");
  get->add_option("--attestation-token", token_file, "token file (passport mode)");
  get->add_option("init_data", init_data_file, "initdata TOML file");

  auto* config = app.add_subcommand("config", "admin API");
  config->require_subcommand(1);
  std::string auth_key, admin_token_file, role = "admin";
  config->add_option("--auth-private-key", auth_key, "admin private key (Ed25519 or P-256 PEM)");
  config->add_option("--admin-token-file", admin_token_file, "admin token (JWT)");
  config->add_option("--role", role, "role claim of minted admin tokens")->capture_default_str();

  std::string resource_file, policy_file, policy_type = "rego", policy_id = "default_cpu";
  auto* set_resource = config->add_subcommand("set-resource", "upload a resource");
  set_resource->add_option("--path", path, "repository/type/tag")->required();
  set_resource->add_option("--resource-file", resource_file)->required();
  auto* delete_resource = config->add_subcommand("delete-resource", "delete a resource");
  delete_resource->add_option("--path", path, "repository/type/tag")->required();

  bool allow_all = false, deny_all = false, affirming = false, use_default = false;
  auto* set_rp = config->add_subcommand("set-resource-policy", "upload the resource policy");
  auto* rp_group = set_rp->add_option_group("policy")->require_option(1);
  rp_group->add_option("--policy-file", policy_file, "Rego file");
  rp_group->add_flag("--allow-all", allow_all);
  rp_group->add_flag("--deny-all", deny_all);
  rp_group->add_flag("--affirming", affirming);
  rp_group->add_flag("--default", use_default);
  auto* get_rp = config->add_subcommand("get-resource-policy", "list resource policies");

  auto* set_ap = config->add_subcommand("set-attestation-policy", "upload an attestation policy");
  set_ap->add_option("--type", policy_type)->capture_default_str();
  set_ap->add_option("--id", policy_id)->capture_default_str();
  set_ap->add_option("--policy-file", policy_file)->required();

  std::string rv_name, rv_value, rv_id;
  bool as_integer = false, as_bool = false, as_single = false;
  auto* set_rv = config->add_subcommand("set-sample-reference-value",
                                        "register a reference value (RVPS sample)");
  set_rv->add_option("name", rv_name)->required();
  set_rv->add_option("value", rv_value)->required();
  set_rv->add_flag("--as-integer", as_integer);
  set_rv->add_flag("--as-bool", as_bool);
  set_rv->add_flag("--as-single-value", as_single);
  auto* get_rv = config->add_subcommand("get-reference-value", "print a reference value");
  get_rv->add_option("--id", rv_id)->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 1;
  }

  absl::StatusOr<std::unique_ptr<KbsClient>> client = KbsClient::Create(options);
  if (!client.ok()) return Fail(client.status());
  cocoon::kbs::Attester attester = cocoon::kbs::SampleAttester();
  std::unique_ptr<cocoon::aa::AttestationAgentClient> agent;
  if (!aa_socket.empty()) {
    agent = std::make_unique<cocoon::aa::AttestationAgentClient>(aa_socket);
    absl::StatusOr<std::string> tee = agent->GetTeeType();
    if (!tee.ok()) return Fail(tee.status());
    cocoon::aa::AttestationAgentClient* raw = agent.get();
    attester = cocoon::kbs::Attester{
        *tee, [raw](absl::string_view report_data) { return raw->GetEvidence(report_data); }};
  }
  std::optional<std::string> init_data;
  if (!init_data_file.empty()) {
    absl::StatusOr<std::string> text = Read(init_data_file);
    if (!text.ok()) return Fail(text.status());
    init_data = *text;
  }

  if (attest->parsed()) {
    absl::StatusOr<cocoon::crypto::PrivateKey> key = TeeKey(tee_key_file);
    if (!key.ok()) return Fail(key.status());
    absl::StatusOr<std::string> token = (*client)->Attest(attester, *key, init_data);
    if (!token.ok()) return Fail(token.status());
    std::cout << *token << "\n";
    return 0;
  }
  if (get->parsed()) {
    if (!token_file.empty() && tee_key_file.empty()) {
      return Fail(absl::InvalidArgumentError(
          "--attestation-token needs --tee-key-file (the key the token names)"));
    }
    absl::StatusOr<cocoon::crypto::PrivateKey> key = TeeKey(tee_key_file);
    if (!key.ok()) return Fail(key.status());
    absl::StatusOr<cocoon::SecretBytes> resource;
    if (!token_file.empty()) {
      absl::StatusOr<std::string> token = Read(token_file);
      if (!token.ok()) return Fail(token.status());
      resource = (*client)->GetResourceWithToken(path, Trim(*token), *key);
    } else {
      if (init_data) {
        absl::StatusOr<std::string> token = (*client)->Attest(attester, *key, init_data);
        if (!token.ok()) return Fail(token.status());
      }
      resource = (*client)->GetResource(path, attester, *key);
    }
    if (!resource.ok()) return Fail(resource.status());
    std::cout << cocoon::Base64Encode(resource->view()) << "\n";
    return 0;
  }

  absl::StatusOr<std::string> token = AdminToken(admin_token_file, auth_key, role);
  if (!token.ok()) return Fail(token.status());
  if (set_resource->parsed()) {
    absl::StatusOr<std::string> data = Read(resource_file);
    if (!data.ok()) return Fail(data.status());
    absl::Status st = (*client)->SetResource(path, *data, *token);
    cocoon::SecureZero(data->data(), data->size());
    if (!st.ok()) return Fail(st);
    std::cout << "Set resource success \n resource: " << path << "\n";
    return 0;
  }
  if (delete_resource->parsed()) {
    if (absl::Status st = (*client)->DeleteResource(path, *token); !st.ok()) return Fail(st);
    std::cout << "Delete resource success \n resource: " << path << "\n";
    return 0;
  }
  if (set_rp->parsed()) {
    std::string policy;
    if (!policy_file.empty()) {
      absl::StatusOr<std::string> text = Read(policy_file);
      if (!text.ok()) return Fail(text.status());
      policy = *text;
    } else if (allow_all) {
      policy = std::string(cocoon::kbs::AllowAllResourcePolicy());
    } else if (affirming) {
      policy = std::string(cocoon::kbs::AffirmingResourcePolicy());
    } else if (use_default) {
      policy = std::string(cocoon::kbs::DefaultResourcePolicy());
    } else {
      policy = std::string(cocoon::kbs::DenyAllResourcePolicy());
    }
    if (absl::Status st = (*client)->SetResourcePolicy(policy, *token); !st.ok()) return Fail(st);
    std::cout << "Set resource policy success \n policy: " << cocoon::Base64Encode(policy) << "\n";
    return 0;
  }
  if (get_rp->parsed()) {
    absl::StatusOr<std::string> ids = (*client)->GetResourcePolicy(*token);
    if (!ids.ok()) return Fail(ids.status());
    std::cout << *ids << "\n";
    return 0;
  }
  if (set_ap->parsed()) {
    absl::StatusOr<std::string> text = Read(policy_file);
    if (!text.ok()) return Fail(text.status());
    absl::Status st = (*client)->SetAttestationPolicy(*text, policy_type, policy_id, *token);
    if (!st.ok()) return Fail(st);
    std::cout << "Set attestation policy success \n policy: " << cocoon::Base64Encode(*text)
              << "\n";
    return 0;
  }
  if (set_rv->parsed()) {
    cocoon::Json value;
    if (as_integer) {
      int64_t v = 0;
      if (!absl::SimpleAtoi(rv_value, &v)) {
        return Fail(absl::InvalidArgumentError("value is not an integer"));
      }
      value = v;
    } else if (as_bool) {
      if (rv_value != "true" && rv_value != "false") {
        return Fail(absl::InvalidArgumentError("value is not true or false"));
      }
      value = rv_value == "true";
    } else {
      value = rv_value;
    }
    if (!as_single) value = cocoon::Json::array({value});
    cocoon::Json values = cocoon::Json::object();
    values[rv_name] = value;
    absl::Status st = (*client)->SetSampleReferenceValues(values.dump(), *token);
    if (!st.ok()) return Fail(st);
    std::cout << "Reference Values Updated\n";
    return 0;
  }
  if (get_rv->parsed()) {
    absl::StatusOr<std::string> v = (*client)->GetReferenceValue(rv_id, *token);
    if (!v.ok()) return Fail(v.status());
    std::cout << *v << "\n";
    return 0;
  }
  return 0;
}
