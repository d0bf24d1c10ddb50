#include "kbs/kbs_service.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "attestation/sample/sample_verifier.h"
#include "base/encoding.h"
#include "base/file_util.h"
#include "base/json.h"
#include "base/status.h"
#include "crypto/stream_cipher.h"
#include "kbs/admin_auth.h"
#include "kbs/attestation_service.h"
#include "kbs/errors.h"
#include "kbs/reference_values.h"
#include "kbs/session.h"
#include "kbs/storage.h"
#include "kbs/tee_key.h"
#include "kbs/token.h"
#include "policy/json_value.h"

namespace cocoon::kbs {
namespace {

constexpr absl::string_view kPrefix = "/kbs/v0/";
constexpr absl::string_view kProtocolVersion = "0.4.0";
constexpr absl::string_view kResourcePolicyKey = "resource-policy.rego";
constexpr int kMaxJsonBodyDepth = 64;

const char* const kTeeKeyPointers[] = {
    "/tdx/attester_runtime_data/tee-pubkey",
    "/tdx/attester_user_data/tee-pubkey",
    "/customized_claims/runtime_data/tee-pubkey",
    "/submods/cpu0/ear.veraison.annotated-evidence/runtime_data_claims/tee-pubkey",
    "/tee-pubkey",
};

HttpResponse MethodNotAllowed() {
  HttpResponse r;
  r.status = 405;
  return r;
}

HttpResponse JsonResponse(std::string body) {
  HttpResponse r;
  r.content_type = "application/json";
  r.body = std::move(body);
  return r;
}

std::string CookieExpires(int64_t unix_seconds) {
  return absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT", absl::FromUnixSeconds(unix_seconds),
                          absl::UTCTimeZone());
}

// The value of cookie `name` in a Cookie header, or "".
std::string FindCookie(absl::string_view header, absl::string_view name) {
  for (absl::string_view part : absl::StrSplit(header, ';')) {
    part = absl::StripAsciiWhitespace(part);
    if (absl::ConsumePrefix(&part, name) && absl::ConsumePrefix(&part, "=")) {
      return std::string(absl::StripAsciiWhitespace(part));
    }
  }
  return "";
}

absl::string_view EndpointLabel(absl::string_view path) {
  if (path == "/healthz") return "healthz";
  if (path == "/metrics") return "metrics";
  if (!absl::ConsumePrefix(&path, kPrefix)) return "other";
  const absl::string_view first = path.substr(0, path.find('/'));
  for (absl::string_view known : {"auth", "attest", "resource", "resource-policy",
                                  "attestation-policy", "reference-value", "sample"}) {
    if (first == known) return known;
  }
  return "other";
}

absl::Status AuthError(absl::string_view why) {
  return KbsError(ErrorType::kAttestationError,
                  absl::StrCat("Attestation error: RCAR handshake Auth failed: ", why));
}
absl::Status AttestError(absl::string_view why) {
  return KbsError(ErrorType::kAttestationError,
                  absl::StrCat("Attestation error: RCAR handshake Attest failed: ", why));
}

}  // namespace

HttpResponse ErrorResponse(const absl::Status& status) {
  HttpError e = ToHttpError(status);
  HttpResponse r;
  r.status = e.status;
  r.content_type = "application/json";
  r.body = std::move(e.body);
  r.log_line = std::string(status.message());
  r.log_warning = true;
  return r;
}

std::shared_ptr<const attestation::VerifierRegistry> DefaultVerifiers() {
  auto registry = std::make_shared<attestation::VerifierRegistry>();
  registry->Register("sample", std::make_shared<attestation::SampleVerifier>());
  return registry;
}

class KbsService::Impl {
 public:
  explicit Impl(const KbsConfig& config, KbsServiceOptions options)
      : config_(config), options_(std::move(options)) {}

  absl::Status Init();
  HttpResponse Handle(const HttpRequest& request);

  Metrics metrics_;
  KbsConfig config_;

 private:
  absl::StatusOr<HttpResponse> Route(const HttpRequest& req, std::string* log);
  absl::StatusOr<HttpResponse> Auth(const HttpRequest& req, std::string* log);
  absl::StatusOr<HttpResponse> Attest(const HttpRequest& req, std::string* log);
  absl::StatusOr<HttpResponse> PluginGet(const HttpRequest& req, absl::string_view plugin,
                                         const std::vector<std::string>& segments,
                                         std::string* log);
  absl::StatusOr<HttpResponse> ResourceAdmin(const HttpRequest& req,
                                             const std::vector<std::string>& segments,
                                             std::string* log);
  absl::StatusOr<HttpResponse> SetResourcePolicy(const HttpRequest& req, std::string* log);
  absl::StatusOr<HttpResponse> SetAttestationPolicy(const HttpRequest& req, std::string* log);
  absl::StatusOr<HttpResponse> ReferenceValue(const HttpRequest& req,
                                              const std::vector<std::string>& segments,
                                              std::string* log);
  absl::Status CheckAdmin(const HttpRequest& req, ErrorType type);
  absl::StatusOr<std::string> FindToken(const HttpRequest& req) const;
  std::shared_ptr<const CompiledPolicy> resource_policy() const {
    absl::ReaderMutexLock lock(&policy_mu_);
    return resource_policy_;
  }

  KbsServiceOptions options_;
  std::unique_ptr<KeyValueStore> kv_;
  std::unique_ptr<KeyValueStore> policy_dir_kv_;
  std::unique_ptr<ResourceStore> resources_;
  std::unique_ptr<ReferenceValueStore> reference_values_;
  std::unique_ptr<TokenSigner> signer_;
  std::unique_ptr<TokenVerifier> token_verifier_;
  std::unique_ptr<AttestationService> as_;
  std::unique_ptr<AdminAuthorizer> admin_;
  std::unique_ptr<SessionSealer> sealer_;
  NonceCache nonces_;
  mutable absl::Mutex policy_mu_;
  std::shared_ptr<const CompiledPolicy> resource_policy_;
};

absl::Status KbsService::Impl::Init() {
  if (!options_.policy_engine) options_.policy_engine = NewRegoPolicyEngine();
  if (!options_.verifiers) options_.verifiers = DefaultVerifiers();
  if (config_.storage.type == StorageConfig::Type::kLocalFs) {
    COCOON_ASSIGN_OR_RETURN_CTX(kv_, NewLocalFsStore(config_.storage.dir_path),
                                "Storage backend initialization failed");
  } else {
    kv_ = NewMemoryStore();
  }
  if (!config_.resource_plugin.dir_path.empty()) {
    resources_ = NewTreeResourceStore(config_.resource_plugin.dir_path);
  } else {
    resources_ = NewKvResourceStore(kv_.get());
  }
  COCOON_ASSIGN_OR_RETURN(
      reference_values_,
      ReferenceValueStore::Create(
          config_.storage.type == StorageConfig::Type::kLocalFs ? kv_.get() : nullptr,
          config_.attestation_service.rvps_json_path));
  COCOON_ASSIGN_OR_RETURN(signer_, TokenSigner::Create(config_.attestation_service.broker));
  COCOON_ASSIGN_OR_RETURN(token_verifier_,
                          TokenVerifier::Create(config_.attestation_token, signer_->public_key()));
  token_verifier_->set_own_header(signer_->header_b64());
  AttestationService::Options as_options;
  as_options.broker = config_.attestation_service.broker;
  as_options.verifiers = options_.verifiers.get();
  as_options.engine = options_.policy_engine.get();
  as_options.reference_values = reference_values_.get();
  as_options.signer = signer_.get();
  if (!config_.attestation_service.broker.policy_dir.empty()) {
    COCOON_ASSIGN_OR_RETURN(policy_dir_kv_,
                            NewLocalFsStore(config_.attestation_service.broker.policy_dir));
    as_options.kv = policy_dir_kv_.get();
    as_options.policy_namespace = std::string(".");
  } else {
    as_options.kv = kv_.get();
  }
  COCOON_ASSIGN_OR_RETURN(as_, AttestationService::Create(std::move(as_options)));
  COCOON_ASSIGN_OR_RETURN(admin_, AdminAuthorizer::Create(config_.admin));
  token_verifier_->set_clock(options_.clock);
  admin_->set_clock(options_.clock);
  if (config_.session.sealing_key_path.empty()) {
    sealer_ = SessionSealer::CreateEphemeral();
  } else {
    COCOON_ASSIGN_OR_RETURN(sealer_, SessionSealer::FromFile(config_.session.sealing_key_path));
  }
  // Resource policy: the stored one, else the default.
  std::optional<std::string> stored;
  if (!config_.resource_policy_path.empty()) {
    absl::StatusOr<std::string> text = ReadFile(config_.resource_policy_path, 4 << 20);
    if (text.ok()) stored = *text;
  } else {
    COCOON_ASSIGN_OR_RETURN(stored, kv_->Get("kbs", kResourcePolicyKey));
  }
  COCOON_ASSIGN_OR_RETURN_CTX(
      resource_policy_,
      options_.policy_engine->Compile("resource-policy.rego",
                                      stored ? *stored : std::string(DefaultResourcePolicy())),
      "resource policy");
  return absl::OkStatus();
}

HttpResponse KbsService::Impl::Handle(const HttpRequest& request) {
  const auto start = std::chrono::steady_clock::now();
  std::string log;
  absl::StatusOr<HttpResponse> result = Route(request, &log);
  HttpResponse response = result.ok() ? *std::move(result) : ErrorResponse(result.status());
  if (result.ok()) {
    response.log_line = std::move(log);
  } else {
    response.log_line = absl::StrCat(request.method, " ", request.path, " -> ", response.status,
                                     ": ", response.log_line);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  metrics_.RecordRequest(EndpointLabel(request.path), request.method, response.status, seconds);
  return response;
}

absl::StatusOr<HttpResponse> KbsService::Impl::Route(const HttpRequest& req, std::string* log) {
  if (req.path == "/healthz") {
    if (req.method != "GET") return MethodNotAllowed();
    return HttpResponse{};
  }
  if (req.path == "/metrics") {
    if (req.method != "GET") return MethodNotAllowed();
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4";
    r.body = metrics_.Render();
    return r;
  }
  absl::string_view rest = req.path;
  if (!absl::ConsumePrefix(&rest, kPrefix)) {
    return KbsError(ErrorType::kInvalidRequestPath,
                    absl::StrCat("Request path ", req.path, " is invalid"));
  }
  std::vector<std::string> segments = absl::StrSplit(rest, '/');
  const std::string name = segments[0];
  segments.erase(segments.begin());
  const std::string& m = req.method;
  if (name == "auth" && m == "POST") return Auth(req, log);
  if (name == "attest" && m == "POST") return Attest(req, log);
  if (name == "attestation-policy" && m == "POST") return SetAttestationPolicy(req, log);
  if (name == "reference-value" && (m == "POST" || m == "GET")) {
    return ReferenceValue(req, segments, log);
  }
  if (name == "resource-policy" && m == "POST") return SetResourcePolicy(req, log);
  if (name == "resource-policy" && m == "GET") {
    COCOON_RETURN_IF_ERROR(CheckAdmin(req, ErrorType::kAdminAuthAccess));
    return JsonResponse("[\"resource-policy\"]");
  }
  if (name == "resource" && config_.resource_plugin.enabled) {
    for (const std::string& s : segments) {
      if (s.empty() || s == "." || s == "..") {
        return KbsError(ErrorType::kInvalidRequestPath,
                        absl::StrCat("Request path ", req.path, " is invalid"));
      }
    }
    if (m == "GET") return PluginGet(req, name, segments, log);
    if (m == "POST" || m == "DELETE" || m == "PUT") return ResourceAdmin(req, segments, log);
  }
  return KbsError(ErrorType::kPluginNotFound, absl::StrCat("Plugin ", name, " not found"));
}

absl::StatusOr<HttpResponse> KbsService::Impl::Auth(const HttpRequest& req, std::string* log) {
  absl::StatusOr<Json> body = ParseJson(req.body, "auth request", kMaxJsonBodyDepth);
  if (!body.ok()) return AuthError(body.status().message());
  if (!body->is_object()) return AuthError("request is not a JSON object");
  auto version = body->find("version");
  const std::string v =
      version != body->end() && version->is_string() ? version->get<std::string>() : "";
  if (v != kProtocolVersion) {
    return AuthError(absl::StrCat("KBS Client Protocol Version Mismatch: expect =",
                                  kProtocolVersion, " while the request is ", v));
  }
  auto tee_it = body->find("tee");
  if (tee_it == body->end() || !tee_it->is_string()) return AuthError("tee missing");
  const std::string tee = NormalizeTeeName(tee_it->get<std::string>());
  if (tee.empty()) {
    return AuthError(absl::StrCat("unknown TEE \"", tee_it->get<std::string>(), "\""));
  }
  Session session;
  session.state = Session::State::kAuthed;
  session.nonce = Base64Encode(crypto::RandomBytes(32));
  session.tee = tee;
  const absl::Time now = options_.clock();
  session.expires_unix = absl::ToUnixSeconds(now) + config_.attestation_service.timeout_min * 60;
  session.attest_by_unix = std::min<int64_t>(
      session.expires_unix, absl::ToUnixSeconds(now) + config_.session.challenge_timeout_sec);
  Json challenge = Json::object();
  challenge["nonce"] = session.nonce;
  challenge["extra-params"] = "";
  HttpResponse r = JsonResponse(challenge.dump());
  r.headers.emplace_back("Set-Cookie",
                         absl::StrCat(kSessionCookieName, "=", sealer_->Seal(session),
                                      "; Expires=", CookieExpires(session.expires_unix)));
  (void)log;
  return r;
}

absl::StatusOr<HttpResponse> KbsService::Impl::Attest(const HttpRequest& req, std::string* log) {
  const std::string cookie = FindCookie(req.cookie, kSessionCookieName);
  if (cookie.empty()) return AttestError("cookie not found");
  const absl::Time now = options_.clock();
  absl::StatusOr<Session> session = sealer_->Open(cookie, now);
  if (!session.ok()) return AttestError(session.status().message());
  auto set_cookie = [&](const std::string& value) {
    return std::make_pair(std::string("Set-Cookie"),
                          absl::StrCat(kSessionCookieName, "=", value,
                                       "; Expires=", CookieExpires(session->expires_unix)));
  };
  if (session->state == Session::State::kAttested) {
    Json out = {{"token", session->token}};
    HttpResponse r = JsonResponse(out.dump());
    r.headers.push_back(set_cookie(cookie));
    return r;
  }
  if (absl::ToUnixSeconds(now) >= session->attest_by_unix) {
    return AttestError("the challenge has expired: request a new one with /auth");
  }
  absl::StatusOr<Json> body = ParseJson(req.body, "attestation request", kMaxJsonBodyDepth);
  if (!body.ok()) return AttestError(body.status().message());
  absl::StatusOr<AttestResult> result = as_->Attest(session->tee, *body, session->nonce, now);
  if (!result.ok()) {
    metrics_.RecordAttestation(session->tee, "error");
    metrics_.RecordAttestationFailure(session->tee,
                                      AttestationFailureReason(result.status().message()));
    return AttestError(result.status().message());
  }
  if (!nonces_.Insert(session->nonce, session->attest_by_unix, absl::ToUnixSeconds(now))) {
    metrics_.RecordAttestation(session->tee, "error");
    metrics_.RecordAttestationFailure(session->tee, "replayed_nonce");
    return AttestError("the challenge nonce has already been used");
  }
  metrics_.RecordAttestation(session->tee, result->status);
  Session attested = *session;
  attested.state = Session::State::kAttested;
  attested.token = result->token;
  Json out = {{"token", result->token}};
  HttpResponse r = JsonResponse(out.dump());
  r.headers.push_back(set_cookie(sealer_->Seal(attested)));
  *log = absl::StrCat("attestation tee=", session->tee, " status=", result->status);
  return r;
}

absl::StatusOr<std::string> KbsService::Impl::FindToken(const HttpRequest& req) const {
  const std::string cookie = FindCookie(req.cookie, kSessionCookieName);
  if (!cookie.empty()) {
    absl::StatusOr<Session> session = sealer_->Open(cookie, options_.clock());
    if (session.ok() && session->state == Session::State::kAttested) return session->token;
  }
  absl::string_view auth = req.authorization;
  if (absl::StartsWithIgnoreCase(auth, "Bearer ")) {
    auth.remove_prefix(7);
    auth = absl::StripAsciiWhitespace(auth);
    if (!auth.empty()) return std::string(auth);
  }
  return KbsError(ErrorType::kTokenNotFound, "Attestation Token not found");
}

absl::StatusOr<HttpResponse> KbsService::Impl::PluginGet(const HttpRequest& req,
                                                         absl::string_view plugin,
                                                         const std::vector<std::string>& segments,
                                                         std::string* log) {
  absl::StatusOr<ResourcePath> path = ParseResourcePath(segments);
  if (!path.ok()) {
    return KbsError(
        ErrorType::kInvalidRequestPath,
        absl::StrCat("Request path ", req.path, " is invalid: ", path.status().message()));
  }
  COCOON_ASSIGN_OR_RETURN(std::string token, FindToken(req));
  absl::StatusOr<std::string> claims_text = token_verifier_->Verify(token);
  if (!claims_text.ok()) {
    return KbsError(ErrorType::kTokenVerifierError,
                    absl::StrCat("Token Verifier error: ", claims_text.status().message()));
  }
  // The claims are parsed once: for the policy input and for the TEE key below. The depth
  // limit is the policy engine's, so a token is judged as it was when the policy parsed it.
  absl::StatusOr<Json> claims = ParseJson(*claims_text, "token claims", kMaxJsonDepth);
  if (!claims.ok()) {
    return KbsError(ErrorType::kPolicyEngineError,
                    absl::StrCat("Policy engine error: ", claims.status().message()));
  }
  std::vector<policy::Value> path_items;
  for (const std::string& s : segments) path_items.push_back(policy::Value::String(s));
  std::vector<policy::Value::Item> query_items;
  for (const auto& [k, v] : req.query_params) {
    query_items.emplace_back(policy::Value::String(k), policy::Value::String(v));
  }
  const policy::Value data = policy::Value::Object(
      {{policy::Value::String("plugin"), policy::Value::String(std::string(plugin))},
       {policy::Value::String("query"), policy::Value::Object(std::move(query_items))},
       {policy::Value::String("resource-path"), policy::Value::Array(std::move(path_items))}});
  absl::StatusOr<policy::Value> decision = resource_policy()->EvaluateValue(
      "data.policy.allow", policy::FromNlohmann(*claims), data, nullptr);
  if (!decision.ok()) {
    return KbsError(ErrorType::kPolicyEngineError,
                    absl::StrCat("Policy engine error: ", decision.status().message()));
  }
  const bool allow = decision->is_bool() && decision->as_bool();  // anything else denies
  metrics_.RecordPolicyDecision("resource", allow);
  if (!allow) return KbsError(ErrorType::kPolicyDeny, "Access denied by policy");
  absl::StatusOr<std::string> secret = resources_->Get(*path);
  if (!secret.ok()) {
    return KbsError(ErrorType::kPluginInternalError,
                    absl::StrCat("Plugin internal error: ", secret.status().message()));
  }
  const Json* key_json = nullptr;
  for (const std::string& p : config_.attestation_token.extra_teekey_paths) {
    try {
      const Json::json_pointer ptr(p);
      if (claims->contains(ptr)) {
        key_json = &(*claims)[ptr];
        break;
      }
    } catch (const Json::exception&) {
    }
  }
  for (const char* p : kTeeKeyPointers) {
    if (key_json != nullptr) break;
    const Json::json_pointer ptr(p);
    if (claims->contains(ptr)) key_json = &(*claims)[ptr];
  }
  if (key_json == nullptr) {
    return KbsError(ErrorType::kJweError, "JWE failed: no TEE public key in the token claims");
  }
  absl::StatusOr<TeePubKey> tee_key = TeePubKeyFromJson(*key_json);
  if (!tee_key.ok()) {
    return KbsError(ErrorType::kJweError, absl::StrCat("JWE failed: ", tee_key.status().message()));
  }
  absl::StatusOr<std::string> jwe = EncryptResource(*tee_key, *secret);
  SecureZero(secret->data(), secret->size());
  if (!jwe.ok()) {
    return KbsError(ErrorType::kJweError, absl::StrCat("JWE failed: ", jwe.status().message()));
  }
  *log = absl::StrCat("resource released ", path->ToString(), " alg=", tee_key->alg);
  return JsonResponse(*std::move(jwe));
}

absl::Status KbsService::Impl::CheckAdmin(const HttpRequest& req, ErrorType type) {
  const std::string uri = req.query.empty() ? req.path : absl::StrCat(req.path, "?", req.query);
  absl::Status st = admin_->Authorize(req.authorization, uri);
  if (st.ok()) return st;
  if (type == ErrorType::kAdminAuthAccess) {
    return KbsError(
        type, absl::StrCat("admin access denied for endpoint ", req.path, ": ", st.message()));
  }
  return KbsError(type, absl::StrCat("failed to initialize [admin] configuration: ", st.message()));
}

absl::StatusOr<HttpResponse> KbsService::Impl::ResourceAdmin(
    const HttpRequest& req, const std::vector<std::string>& segments, std::string* log) {
  COCOON_RETURN_IF_ERROR(CheckAdmin(req, ErrorType::kAdminAuthInitialization));
  absl::StatusOr<ResourcePath> path = ParseResourcePath(segments);
  if (!path.ok()) {
    return KbsError(
        ErrorType::kInvalidRequestPath,
        absl::StrCat("Request path ", req.path, " is invalid: ", path.status().message()));
  }
  absl::Status st =
      req.method == "DELETE" ? resources_->Delete(*path) : resources_->Set(*path, req.body);
  if (!st.ok()) {
    return KbsError(ErrorType::kPluginInternalError,
                    absl::StrCat("Plugin internal error: ", st.message()));
  }
  *log = absl::StrCat(req.method == "DELETE" ? "resource deleted " : "resource set ",
                      path->ToString(), req.method == "DELETE" ? "" : " bytes=",
                      req.method == "DELETE" ? "" : absl::StrCat(req.body.size()));
  return HttpResponse{};
}

absl::StatusOr<HttpResponse> KbsService::Impl::SetResourcePolicy(const HttpRequest& req,
                                                                 std::string* log) {
  COCOON_RETURN_IF_ERROR(CheckAdmin(req, ErrorType::kAdminAuthAccess));
  auto parse_error = [](absl::string_view why) {
    return KbsError(ErrorType::kParsePolicyError, absl::StrCat("Failed to parse policy: ", why));
  };
  absl::StatusOr<Json> body = ParseJson(req.body, "resource policy request", 8);
  if (!body.ok()) return parse_error(body.status().message());
  if (!body->is_object() || !body->contains("policy") || !(*body)["policy"].is_string()) {
    return parse_error("request must be {\"policy\": \"<base64url>\"}");
  }
  absl::StatusOr<std::string> text = Base64UrlDecode((*body)["policy"].get<std::string>());
  if (!text.ok()) return parse_error(text.status().message());
  absl::StatusOr<std::shared_ptr<const CompiledPolicy>> compiled =
      options_.policy_engine->Compile("resource-policy.rego", *text);
  if (!compiled.ok()) return parse_error(compiled.status().message());
  absl::Status st = config_.resource_policy_path.empty()
                        ? kv_->Set("kbs", kResourcePolicyKey, *text)
                        : WriteFileAtomic(config_.resource_policy_path, *text, 0600);
  if (!st.ok()) {
    return KbsError(ErrorType::kPolicyEngineError,
                    absl::StrCat("Policy engine error: ", st.message()));
  }
  {
    absl::MutexLock lock(&policy_mu_);
    resource_policy_ = *std::move(compiled);
  }
  *log = absl::StrCat("resource policy set (", text->size(), " bytes)");
  return HttpResponse{};
}

absl::StatusOr<HttpResponse> KbsService::Impl::SetAttestationPolicy(const HttpRequest& req,
                                                                    std::string* log) {
  COCOON_RETURN_IF_ERROR(CheckAdmin(req, ErrorType::kAdminAuthAccess));
  auto error = [](absl::string_view why) {
    return KbsError(ErrorType::kAttestationError,
                    absl::StrCat("Attestation error: Set Attestation Policy failed: ", why));
  };
  absl::StatusOr<Json> body = ParseJson(req.body, "attestation policy request", 8);
  if (!body.ok()) return error(body.status().message());
  if (!body->is_object() || !body->contains("policy") || !(*body)["policy"].is_string()) {
    return error("request must be {\"type\", \"policy_id\", \"policy\"}");
  }
  std::string type = "rego";
  if (body->contains("type") && (*body)["type"].is_string()) type = (*body)["type"];
  if (type != "rego") return error(absl::StrCat("policy type \"", type, "\" is not supported"));
  std::string id = "default_cpu";
  if (body->contains("policy_id") && (*body)["policy_id"].is_string()) {
    id = (*body)["policy_id"].get<std::string>();
  }
  absl::StatusOr<std::string> text = Base64UrlDecode((*body)["policy"].get<std::string>());
  if (!text.ok()) return error(text.status().message());
  absl::Status st = as_->SetPolicy(id, *text);
  if (!st.ok()) return error(st.message());
  *log = absl::StrCat("attestation policy ", id, " set (", text->size(), " bytes)");
  return HttpResponse{};
}

absl::StatusOr<HttpResponse> KbsService::Impl::ReferenceValue(
    const HttpRequest& req, const std::vector<std::string>& segments, std::string* log) {
  COCOON_RETURN_IF_ERROR(CheckAdmin(req, ErrorType::kAdminAuthAccess));
  if (req.method == "POST") {
    absl::Status st = reference_values_->Register(req.body);
    if (!st.ok()) {
      return KbsError(ErrorType::kRvpsError,
                      absl::StrCat("RVPS configuration failed: ", st.message()));
    }
    *log = "reference values registered";
    return HttpResponse{};
  }
  const std::string id = absl::StrJoin(segments, "/");
  std::optional<std::string> value = reference_values_->Query(id);
  if (!value) {
    return KbsError(ErrorType::kRvpsError,
                    absl::StrCat("RVPS configuration failed: reference value ", id, " not found"));
  }
  return JsonResponse(*value);
}

KbsService::KbsService(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
KbsService::~KbsService() = default;

absl::StatusOr<std::unique_ptr<KbsService>> KbsService::Create(const KbsConfig& config,
                                                               KbsServiceOptions options) {
  auto impl = std::make_unique<Impl>(config, std::move(options));
  COCOON_RETURN_IF_ERROR(impl->Init());
  return std::unique_ptr<KbsService>(new KbsService(std::move(impl)));
}

HttpResponse KbsService::Handle(const HttpRequest& request) { return impl_->Handle(request); }
Metrics& KbsService::metrics() { return impl_->metrics_; }
const KbsConfig& KbsService::config() const { return impl_->config_; }

}  // namespace cocoon::kbs
