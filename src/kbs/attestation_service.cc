#include "kbs/attestation_service.h"

#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/encoding.h"
#include "base/status.h"
#include "base/toml_json.h"
#include "crypto/stream_cipher.h"
#include "policy/json_value.h"

namespace cocoon::kbs {
namespace {

// The JSON object after "policy_data := {" in a Kata agent policy, or null.
Json AgentPolicyClaims(absl::string_view rego) {
  const size_t at = rego.find("policy_data := {");
  if (at == absl::string_view::npos) return nullptr;
  const size_t start = rego.find('{', at);
  int depth = 0;
  bool in_string = false;
  for (size_t i = start; i < rego.size(); ++i) {
    const char c = rego[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') in_string = true;
    if (c == '{') ++depth;
    if (c == '}' && --depth == 0) {
      absl::StatusOr<Json> j = ParseJson(rego.substr(start, i - start + 1), "agent policy data");
      return j.ok() ? *j : Json(nullptr);
    }
  }
  return nullptr;
}

int Tier(int64_t v) {
  if (v >= -1 && v <= 1) return 0;  // none
  const int64_t a = v < 0 ? -v : v;
  if (a < 32) return 1;  // affirming
  if (a < 96) return 2;  // warning
  return 3;              // contraindicated
}

}  // namespace

std::string NormalizeTeeName(absl::string_view tee) {
  static constexpr absl::string_view kNames[] = {
      "az-snp-vtpm", "az-tdx-vtpm", "nvidia",   "sgx", "snp",    "tdx",          "cca",
      "csv",         "se",          "hygondcu", "tpm", "sample", "sampledevice", "nvidia-dpu"};
  if (tee == "azsnpvtpm") return "az-snp-vtpm";
  if (tee == "aztdxvtpm") return "az-tdx-vtpm";
  for (absl::string_view n : kNames) {
    if (n == tee) return std::string(n);
  }
  return "";
}

std::string EarStatus(const Json& trust_vector) {
  int worst = 0;
  if (trust_vector.is_object()) {
    for (const auto& [k, v] : trust_vector.items()) {
      if (v.is_number_integer()) worst = std::max(worst, Tier(v.get<int64_t>()));
    }
  }
  static constexpr const char* kNames[] = {"none", "affirming", "warning", "contraindicated"};
  return kNames[worst];
}

absl::StatusOr<InitData> ParseInitData(absl::string_view toml_text) {
  COCOON_ASSIGN_OR_RETURN(toml::table doc, ParseToml(toml_text, "init-data"));
  std::string algorithm = "sha384";
  if (const toml::node* n = doc.get("algorithm")) {
    if (!n->is_string()) return absl::InvalidArgumentError("init-data: algorithm not a string");
    algorithm = n->as_string()->get();
  }
  InitData out;
  const std::optional<crypto::HashAlg> alg = crypto::Sha2FromName(algorithm);
  if (!alg) {
    return absl::InvalidArgumentError(
        absl::StrCat("init-data: unsupported algorithm \"", algorithm, "\""));
  }
  out.digest = crypto::Hash(*alg, toml_text);
  out.claims = Json::object();
  if (const toml::node* data = doc.get("data")) {
    if (!data->is_table()) return absl::InvalidArgumentError("init-data: data is not a table");
    for (const auto& [k, v] : *data->as_table()) {
      const std::string key(k.str());
      if (!v.is_string()) {
        return absl::InvalidArgumentError(absl::StrCat("init-data: data.", key, " not a string"));
      }
      const std::string& value = v.as_string()->get();
      if (key == "cdh.toml" || key == "aa.toml") {
        COCOON_ASSIGN_OR_RETURN(toml::table sub, ParseToml(value, absl::StrCat("init-data ", key)));
        out.claims[key] = TomlToJson(sub);
      } else if (key == "policy.rego") {
        out.claims["agent_policy_claims"] = AgentPolicyClaims(value);
      } else {
        out.claims[key] = value;
      }
    }
  }
  return out;
}

absl::StatusOr<std::unique_ptr<AttestationService>> AttestationService::Create(Options options) {
  if (options.verifiers == nullptr || options.engine == nullptr || options.signer == nullptr) {
    return absl::InvalidArgumentError("attestation service: missing verifiers, engine or signer");
  }
  std::unique_ptr<AttestationService> as(new AttestationService(std::move(options)));
  COCOON_ASSIGN_OR_RETURN_CTX(
      as->builtin_cpu_,
      as->options_.engine->Compile("default_cpu.rego", DefaultCpuAttestationPolicy()),
      "built-in attestation policy");
  // Stored policies (<id>.rego).
  std::vector<std::pair<std::string, std::string>> stored;
  if (as->options_.kv != nullptr) {
    const std::string& ns = as->options_.policy_namespace;
    COCOON_ASSIGN_OR_RETURN(std::vector<std::string> keys, as->options_.kv->List(ns));
    for (const std::string& key : keys) {
      if (!absl::EndsWith(key, ".rego")) continue;
      COCOON_ASSIGN_OR_RETURN(std::optional<std::string> text, as->options_.kv->Get(ns, key));
      if (text) stored.emplace_back(key.substr(0, key.size() - 5), *text);
    }
  }
  for (const auto& [id, text] : stored) {
    COCOON_ASSIGN_OR_RETURN_CTX(auto compiled,
                                as->options_.engine->Compile(absl::StrCat(id, ".rego"), text),
                                absl::StrCat("attestation policy ", id));
    as->policies_[id] = std::move(compiled);
  }
  return as;
}

absl::Status AttestationService::SetPolicy(absl::string_view policy_id,
                                           absl::string_view rego_text) {
  if (!ValidateStorageKey(policy_id).ok() || absl::StrContains(policy_id, "/")) {
    return absl::InvalidArgumentError(absl::StrCat("invalid policy id \"", policy_id, "\""));
  }
  COCOON_ASSIGN_OR_RETURN(std::shared_ptr<const CompiledPolicy> compiled,
                          options_.engine->Compile(absl::StrCat(policy_id, ".rego"), rego_text));
  if (options_.kv != nullptr) {
    COCOON_RETURN_IF_ERROR(
        options_.kv->Set(options_.policy_namespace, absl::StrCat(policy_id, ".rego"), rego_text));
  }
  absl::MutexLock lock(&mu_);
  policies_[std::string(policy_id)] = std::move(compiled);
  return absl::OkStatus();
}

std::shared_ptr<const CompiledPolicy> AttestationService::FindPolicy(absl::string_view id) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = policies_.find(std::string(id));
  if (it != policies_.end()) return it->second;
  return nullptr;
}

absl::StatusOr<Json> AttestationService::Appraise(absl::string_view tee_class,
                                                  const Json& annotated) const {
  const std::string id = absl::StrCat("default_", tee_class);
  std::shared_ptr<const CompiledPolicy> policy = FindPolicy(id);
  if (!policy && tee_class == "cpu") policy = builtin_cpu_;
  Json submod = Json::object();
  Json trust = Json::object();
  Json extensions = Json::array();
  if (policy) {
    ReferenceValueLookup lookup = [this](absl::string_view name) -> std::optional<std::string> {
      if (options_.reference_values == nullptr) return std::nullopt;
      return options_.reference_values->Query(name);
    };
    COCOON_ASSIGN_OR_RETURN(policy::Value result,
                            policy->EvaluateValue("data.policy", policy::FromNlohmann(annotated),
                                                  policy::Value::EmptyObject(), &lookup));
    if (!result.is_undefined()) {
      const Json doc = policy::ToNlohmann(result);
      if (doc.contains("trust_claims") && doc["trust_claims"].is_object()) {
        for (const auto& [k, v] : doc["trust_claims"].items()) {
          if (!v.is_number_integer() || v.get<int64_t>() < -127 || v.get<int64_t>() > 127) {
            return absl::InvalidArgumentError(absl::StrCat("attestation policy ", id,
                                                           ": trust claim ", k,
                                                           " must be an integer in -127..127"));
          }
          trust[k] = v;
        }
      }
      if (doc.contains("extensions") && doc["extensions"].is_array()) {
        extensions = doc["extensions"];
      }
    }
  }
  submod["ear.status"] = EarStatus(trust);
  submod["ear.trustworthiness-vector"] = trust;
  submod["ear.appraisal-policy-id"] = "default";
  submod["ear.veraison.annotated-evidence"] = annotated;
  for (const Json& ext : extensions) {
    if (ext.is_object() && ext.contains("name") && ext["name"].is_string() &&
        ext.contains("value")) {
      submod[ext["name"].get<std::string>()] = ext["value"];
    }
  }
  return submod;
}

absl::StatusOr<AttestResult> AttestationService::Attest(absl::string_view tee, const Json& body,
                                                        absl::string_view nonce,
                                                        absl::Time now) const {
  if (!body.is_object()) return absl::InvalidArgumentError("attestation request is not an object");
  auto rd = body.find("runtime-data");
  if (rd == body.end() || !rd->is_object()) {
    return absl::InvalidArgumentError("attestation request: runtime-data missing");
  }
  auto rd_nonce = rd->find("nonce");
  if (rd_nonce == rd->end() || !rd_nonce->is_string()) {
    return absl::InvalidArgumentError("attestation request: runtime-data.nonce missing");
  }
  if (rd_nonce->get<std::string>() != nonce) {
    return absl::InvalidArgumentError("nonce mismatch: runtime-data.nonce is not the challenge");
  }
  auto rd_key = rd->find("tee-pubkey");
  if (rd_key == rd->end()) {
    return absl::InvalidArgumentError("attestation request: runtime-data.tee-pubkey missing");
  }
  AttestResult result;
  COCOON_ASSIGN_OR_RETURN(result.tee_key, TeePubKeyFromJson(*rd_key));
  auto ev = body.find("tee-evidence");
  if (ev == body.end()) {
    return absl::InvalidArgumentError("attestation request: tee-evidence missing");
  }
  Json primary;
  std::string additional;
  if (ev->is_object() && ev->contains("primary_evidence")) {
    primary = (*ev)["primary_evidence"];
    if (ev->contains("additional_evidence")) {
      if (!(*ev)["additional_evidence"].is_string()) {
        return absl::InvalidArgumentError("tee-evidence.additional_evidence must be a string");
      }
      additional = (*ev)["additional_evidence"].get<std::string>();
    }
  } else if (ev->is_string()) {
    COCOON_ASSIGN_OR_RETURN(primary, ParseJson(ev->get<std::string>(), "tee-evidence"));
  } else {
    primary = *ev;
  }
  std::optional<InitData> init_data;
  if (auto id = body.find("init-data"); id != body.end() && !id->is_null()) {
    if (!id->is_object() || !id->contains("format") || !id->contains("body") ||
        !(*id)["format"].is_string() || !(*id)["body"].is_string()) {
      return absl::InvalidArgumentError("init-data must be {\"format\", \"body\"}");
    }
    if ((*id)["format"].get<std::string>() != "toml") {
      return absl::InvalidArgumentError("Unsupported initdata format");
    }
    COCOON_ASSIGN_OR_RETURN(InitData parsed, ParseInitData((*id)["body"].get<std::string>()));
    init_data = std::move(parsed);
  }

  const attestation::Verifier* verifier = options_.verifiers->Find(tee);
  if (verifier == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("no verifier for TEE \"", tee, "\""));
  }
  COCOON_ASSIGN_OR_RETURN(std::string digest,
                          RuntimeDataDigest(nonce, result.tee_key, &additional));
  std::optional<std::string> init_hash;
  if (init_data) init_hash = init_data->digest;
  COCOON_ASSIGN_OR_RETURN_CTX(attestation::VerifiedClaims verified,
                              verifier->Evaluate(primary.dump(), digest, init_hash),
                              absl::StrCat("verifier ", tee));

  auto annotate = [&](absl::string_view tee_name, const std::string& claims_json,
                      const Json& runtime_data) -> absl::StatusOr<Json> {
    COCOON_ASSIGN_OR_RETURN(Json claims, ParseJson(claims_json, "verifier claims"));
    if (!claims.is_object()) return absl::InternalError("verifier claims are not an object");
    Json annotated = Json::object();
    if (claims.contains("report_data")) {
      annotated["report_data"] = claims["report_data"];
      claims.erase("report_data");
      annotated["runtime_data_claims"] = runtime_data;
    }
    if (claims.contains("init_data")) {
      annotated["init_data"] = claims["init_data"];
      claims.erase("init_data");
      annotated["init_data_claims"] = init_data ? init_data->claims : Json(nullptr);
    }
    annotated[std::string(tee_name)] = std::move(claims);
    return annotated;
  };

  Json runtime_data = RuntimeDataJson(nonce, result.tee_key, &additional);
  if (!options_.broker.verbose_token) runtime_data.erase("additional-evidence");
  Json submods = Json::object();
  std::map<std::string, int> class_counts;
  COCOON_ASSIGN_OR_RETURN(Json annotated, annotate(tee, verified.claims_json, runtime_data));
  COCOON_ASSIGN_OR_RETURN(Json cpu_submod, Appraise(verified.tee_class, annotated));
  result.status = cpu_submod["ear.status"].get<std::string>();
  submods[absl::StrCat(verified.tee_class, class_counts[verified.tee_class]++)] =
      std::move(cpu_submod);

  if (!additional.empty()) {
    COCOON_ASSIGN_OR_RETURN(Json devices, ParseJson(additional, "additional evidence", 64));
    if (!devices.is_object()) {
      return absl::InvalidArgumentError("additional evidence must be a JSON object");
    }
    COCOON_ASSIGN_OR_RETURN(std::string device_digest,
                            RuntimeDataDigest(nonce, result.tee_key, nullptr));
    const Json device_runtime = RuntimeDataJson(nonce, result.tee_key, nullptr);
    for (const auto& [device_tee, device_evidence] : devices.items()) {
      const std::string name = NormalizeTeeName(device_tee);
      const attestation::Verifier* dv = options_.verifiers->Find(name);
      if (dv == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat("no verifier for TEE \"", device_tee, "\""));
      }
      COCOON_ASSIGN_OR_RETURN_CTX(attestation::VerifiedClaims dclaims,
                                  dv->Evaluate(device_evidence.dump(), device_digest, std::nullopt),
                                  absl::StrCat("verifier ", name));
      COCOON_ASSIGN_OR_RETURN(Json dannotated, annotate(name, dclaims.claims_json, device_runtime));
      COCOON_ASSIGN_OR_RETURN(Json dsubmod, Appraise(dclaims.tee_class, dannotated));
      submods[absl::StrCat(dclaims.tee_class, class_counts[dclaims.tee_class]++)] =
          std::move(dsubmod);
    }
  }

  const int64_t iat = absl::ToUnixSeconds(now);
  Json claims = Json::object();
  claims["eat_profile"] = options_.broker.profile_name;
  claims["iat"] = iat;
  claims["ear.verifier-id"] = {{"developer", options_.broker.developer_name},
                               {"build", options_.broker.build_name}};
  claims["submods"] = std::move(submods);
  claims["exp"] = iat + options_.broker.duration_min * 60;
  claims["iss"] = options_.broker.issuer_name;
  COCOON_ASSIGN_OR_RETURN(result.token, options_.signer->Sign(claims.dump()));
  return result;
}

}  // namespace cocoon::kbs
