#include "aa/config.h"

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/file_util.h"
#include "base/json.h"
#include "base/status.h"
#include "base/toml_json.h"
#include "crypto/stream_cipher.h"

namespace cocoon::aa {
namespace {

constexpr uint64_t kMaxConfigSize = 1u << 20;

absl::Status TypeError(absl::string_view key, absl::string_view want) {
  return absl::InvalidArgumentError(
      absl::StrCat("attestation-agent config: ", key, ": must be ", want));
}

// A view of one table that reads typed members and reports the ones nobody read.
class Table {
 public:
  Table(const Json* obj, std::string prefix, std::vector<std::string>* warnings)
      : obj_(obj), prefix_(std::move(prefix)), warnings_(warnings) {}

  const Json* Find(absl::string_view name) {
    read_.push_back(std::string(name));
    auto it = obj_->find(std::string(name));
    if (it == obj_->end() || it->is_null()) return nullptr;
    return &*it;
  }
  absl::Status String(absl::string_view name, std::string* out) {
    const Json* v = Find(name);
    if (v == nullptr) return absl::OkStatus();
    if (!v->is_string()) return TypeError(Key(name), "a string");
    *out = v->get<std::string>();
    return absl::OkStatus();
  }
  absl::Status Int(absl::string_view name, int64_t lo, int64_t hi, int64_t* out) {
    const Json* v = Find(name);
    if (v == nullptr) return absl::OkStatus();
    if (!v->is_number_integer() || v->get<int64_t>() < lo || v->get<int64_t>() > hi) {
      return TypeError(Key(name), absl::StrCat("an integer in ", lo, "..", hi));
    }
    *out = v->get<int64_t>();
    return absl::OkStatus();
  }
  absl::Status Bool(absl::string_view name, bool* out) {
    const Json* v = Find(name);
    if (v == nullptr) return absl::OkStatus();
    if (!v->is_boolean()) return TypeError(Key(name), "a boolean");
    *out = v->get<bool>();
    return absl::OkStatus();
  }
  // The sub-table `name`, or nullopt when absent.
  absl::StatusOr<std::optional<Table>> Sub(absl::string_view name) {
    const Json* v = Find(name);
    if (v == nullptr) return std::nullopt;
    if (!v->is_object()) return TypeError(Key(name), "a table");
    return Table(v, Key(name), warnings_);
  }
  void Finish() const {
    for (const auto& [k, v] : obj_->items()) {
      bool known = false;
      for (const std::string& r : read_) known = known || r == k;
      if (!known) warnings_->push_back(absl::StrCat("unknown key \"", Key(k), "\" ignored"));
    }
  }
  std::string Key(absl::string_view name) const {
    return prefix_.empty() ? std::string(name) : absl::StrCat(prefix_, ".", name);
  }

 private:
  const Json* obj_;
  std::string prefix_;
  std::vector<std::string>* warnings_;
  std::vector<std::string> read_;
};

absl::StatusOr<TeeKeyAlgorithm> ParseTeeKeyAlgorithm(absl::string_view s) {
  if (s == "ECDH-ES+A256KW-P256" || s == "ECDH-ES+A256KW" || s == "EC") {
    return TeeKeyAlgorithm::kEcP256;
  }
  if (s == "ECDH-ES+A256KW-P521") return TeeKeyAlgorithm::kEcP521;
  if (s == "RSA-OAEP-256" || s == "RSA") return TeeKeyAlgorithm::kRsaOaep256;
  return absl::InvalidArgumentError(
      absl::StrCat("attestation-agent config: token_configs.kbs.tee_key_algorithm: \"", s,
                   "\" is not one of ECDH-ES+A256KW-P256, ECDH-ES+A256KW-P521, RSA-OAEP-256"));
}

absl::Status ParseAttester(Table t, AttesterConfig* a) {
  COCOON_RETURN_IF_ERROR(t.String("tee", &a->tee));
  if (!a->tee.empty() && a->tee != "az-tdx-vtpm" && a->tee != "tdx" && a->tee != "sample") {
    return TypeError("attester.tee", "\"az-tdx-vtpm\", \"tdx\" or \"sample\"");
  }
  COCOON_RETURN_IF_ERROR(t.String("tcti", &a->tcti));
  COCOON_RETURN_IF_ERROR(t.String("imds_url", &a->imds_url));
  int64_t settle = absl::ToInt64Milliseconds(a->settle_delay);
  COCOON_RETURN_IF_ERROR(t.Int("settle_delay_ms", 0, 60000, &settle));
  a->settle_delay = absl::Milliseconds(settle);
  int64_t version = a->evidence_version;
  COCOON_RETURN_IF_ERROR(t.Int("evidence_version", 0, 2, &version));
  a->evidence_version = static_cast<int>(version);
  COCOON_RETURN_IF_ERROR(t.String("tsm_report_root", &a->tsm_report_root));
  COCOON_RETURN_IF_ERROR(t.String("tdx_guest_device", &a->tdx_guest_device));
  COCOON_RETURN_IF_ERROR(t.String("ccel_path", &a->ccel_path));
  t.Finish();
  return absl::OkStatus();
}

absl::StatusOr<AaConfig> FromJson(const Json& root) {
  if (!root.is_object()) return TypeError("top level", "a table/object");
  AaConfig cfg;
  Table top(&root, "", &cfg.warnings);
  COCOON_ASSIGN_OR_RETURN(std::optional<Table> tokens, top.Sub("token_configs"));
  if (tokens) {
    COCOON_ASSIGN_OR_RETURN(std::optional<Table> kbs, tokens->Sub("kbs"));
    if (kbs) {
      KbsTokenConfig k;
      COCOON_RETURN_IF_ERROR(kbs->String("url", &k.url));
      if (k.url.empty()) {
        return absl::InvalidArgumentError(
            "attestation-agent config: token_configs.kbs.url: required");
      }
      COCOON_RETURN_IF_ERROR(kbs->String("cert", &k.cert));
      std::string alg;
      COCOON_RETURN_IF_ERROR(kbs->String("tee_key_algorithm", &alg));
      if (!alg.empty()) {
        COCOON_ASSIGN_OR_RETURN(k.tee_key_algorithm, ParseTeeKeyAlgorithm(alg));
      }
      kbs->Finish();
      cfg.kbs = std::move(k);
    }
    COCOON_ASSIGN_OR_RETURN(std::optional<Table> as, tokens->Sub("coco_as"));
    if (as) {
      std::string url;
      COCOON_RETURN_IF_ERROR(as->String("url", &url));
      cfg.coco_as_url = url;
      as->Finish();
    }
    tokens->Finish();
  }
  COCOON_ASSIGN_OR_RETURN(std::optional<Table> ev, top.Sub("eventlog_config"));
  if (ev) {
    int64_t pcr = cfg.init_pcr;
    COCOON_RETURN_IF_ERROR(ev->Int("init_pcr", 0, 23, &pcr));
    cfg.init_pcr = static_cast<int>(pcr);
    COCOON_RETURN_IF_ERROR(ev->Bool("enable_eventlog", &cfg.enable_eventlog));
    COCOON_RETURN_IF_ERROR(ev->String("eventlog_path", &cfg.eventlog_path));
    ev->Finish();
  }
  COCOON_ASSIGN_OR_RETURN(std::optional<Table> log, top.Sub("log"));
  if (log) {
    COCOON_RETURN_IF_ERROR(log->String("level", &cfg.log_level));
    cfg.log_level = absl::AsciiStrToLower(cfg.log_level);
    log->Finish();
  }
  COCOON_ASSIGN_OR_RETURN(std::optional<Table> attester, top.Sub("attester"));
  if (attester) COCOON_RETURN_IF_ERROR(ParseAttester(*attester, &cfg.attester));
  top.Finish();
  return cfg;
}

}  // namespace

absl::StatusOr<AaConfig> ParseAaConfig(absl::string_view text, AaConfigFormat format) {
  COCOON_ASSIGN_OR_RETURN(Json root, ParseConfigTree(text, format == AaConfigFormat::kToml,
                                                     "attestation-agent config", 32));
  return FromJson(root);
}

absl::StatusOr<AaConfig> LoadAaConfig(const std::string& path) {
  COCOON_ASSIGN_OR_RETURN(bool toml, ConfigPathIsToml(path, "attestation-agent config"));
  COCOON_ASSIGN_OR_RETURN(std::string text, ReadFile(path, kMaxConfigSize));
  absl::StatusOr<AaConfig> cfg =
      ParseAaConfig(text, toml ? AaConfigFormat::kToml : AaConfigFormat::kJson);
  if (!cfg.ok()) return Annotate(cfg.status(), path);
  return cfg;
}

absl::StatusOr<InitData> ParseInitData(absl::string_view toml_text) {
  toml::table doc;
  try {
    doc = toml::parse(std::string_view(toml_text.data(), toml_text.size()));
  } catch (const toml::parse_error& e) {
    return absl::InvalidArgumentError(absl::StrCat("initdata (TOML): line ", e.source().begin.line,
                                                   ": ", std::string(e.description())));
  }
  std::string algorithm = "sha384";
  if (const toml::node* n = doc.get("algorithm")) {
    if (!n->is_string()) return absl::InvalidArgumentError("initdata: algorithm is not a string");
    algorithm = n->as_string()->get();
  }
  InitData out;
  out.toml = std::string(toml_text);
  const std::optional<crypto::HashAlg> alg = crypto::Sha2FromName(algorithm);
  if (!alg) {
    return absl::InvalidArgumentError(
        absl::StrCat("initdata: algorithm \"", algorithm, "\" is not sha256, sha384 or sha512"));
  }
  out.digest = crypto::Hash(*alg, toml_text);
  return out;
}

void ApplyAaEnvironment(AaConfig* config) {
  if (const char* tee = std::getenv("COCOON_AA_TEE"); tee != nullptr && *tee != '\0') {
    config->attester.tee = tee;
  }
  if (const char* tcti = std::getenv("COCOON_AA_TCTI"); tcti != nullptr && *tcti != '\0') {
    config->attester.tcti = tcti;
  }
  if (!config->kbs) {
    if (const char* p = std::getenv("AA_KBC_PARAMS"); p != nullptr && *p != '\0') {
      std::vector<std::string> parts = absl::StrSplit(p, absl::MaxSplits("::", 1));
      if (parts.size() == 2 && parts[0] == "cc_kbc" && !parts[1].empty()) {
        KbsTokenConfig k;
        k.url = parts[1];
        config->kbs = std::move(k);
      }
    }
  }
}

}  // namespace cocoon::aa
