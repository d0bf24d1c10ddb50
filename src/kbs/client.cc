#include "kbs/client.h"

#include <curl/curl.h>
#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "attestation/sample/sample_attester.h"
#include "base/encoding.h"
#include "base/json.h"
#include "base/status.h"
#include "crypto/asymmetric.h"
#include "crypto/jose/jwe.h"
#include "crypto/jose/jws.h"
#include "kbs/ecdh_jwe.h"
#include "kbs/session.h"
#include "kbs/tee_key.h"

namespace cocoon::kbs {
namespace {

constexpr absl::string_view kProtocolVersion = "0.4.0";

// The resource JWE: the direct ECDH-ES path first, the generic decryptor for the rest.
absl::StatusOr<SecretBytes> DecryptResource(absl::string_view jwe, const crypto::PrivateKey& key) {
  absl::StatusOr<SecretBytes> fast = EcdhEsA256KwDecrypt(jwe, key);
  if (fast.ok() || fast.status().code() != absl::StatusCode::kNotFound) return fast;
  return jose::JweDecrypt(jwe, key);
}

size_t WriteBody(char* data, size_t size, size_t n, void* user) {
  auto* out = static_cast<std::string*>(user);
  if (out->size() + size * n > (64u << 20)) return 0;
  out->append(data, size * n);
  return size * n;
}

// Keeps the session cookie's value from one Set-Cookie header value.
void TakeSessionCookie(absl::string_view value, std::string* cookie) {
  value = absl::StripAsciiWhitespace(value);
  if (absl::ConsumePrefix(&value, kSessionCookieName) && absl::ConsumePrefix(&value, "=")) {
    *cookie = std::string(value.substr(0, value.find(';')));
  }
}

size_t WriteHeader(char* data, size_t size, size_t n, void* user) {
  absl::string_view line(data, size * n);
  if (absl::StartsWithIgnoreCase(line, "set-cookie:")) {
    TakeSessionCookie(line.substr(11), static_cast<std::string*>(user));
  }
  return size * n;
}

// The KBS error body {"type": ".../<Type>", "detail": "..."} as "<Type>: <detail>", or "".
std::string KbsErrorText(absl::string_view body) {
  absl::StatusOr<Json> j = ParseJson(body, "KBS error", 4);
  if (!j.ok() || !j->is_object()) return "";
  auto t = j->find("type");
  auto d = j->find("detail");
  if (t == j->end() || !t->is_string() || d == j->end() || !d->is_string()) return "";
  std::string type = t->get<std::string>();
  if (const size_t slash = type.rfind('/'); slash != std::string::npos) type.erase(0, slash + 1);
  return absl::StrCat(type, ": ", d->get<std::string>());
}

absl::Status HttpFailure(long status, absl::string_view body) {
  const std::string kbs_error = KbsErrorText(body);
  const std::string msg = kbs_error.empty()
                              ? absl::StrCat("Request Failed, Response: ", status, " ", body)
                              : absl::StrCat("KBS answered ", status, " ", kbs_error);
  switch (status) {
    case 401:
      return absl::UnauthenticatedError(msg);
    case 403:
      return absl::PermissionDeniedError(msg);
    case 404:
      return absl::NotFoundError(msg);
    case 413:
      return absl::ResourceExhaustedError(msg);
    default:
      return absl::UnknownError(msg);
  }
}

// The "type" suffix of a KBS error body ("PolicyDeny", "TokenVerifierError", ...), or "".
std::string KbsErrorType(absl::string_view body) {
  absl::StatusOr<Json> j = ParseJson(body, "KBS error", 4);
  if (!j.ok() || !j->is_object()) return "";
  auto t = j->find("type");
  if (t == j->end() || !t->is_string()) return "";
  const std::string type = t->get<std::string>();
  const size_t slash = type.rfind('/');
  return slash == std::string::npos ? type : type.substr(slash + 1);
}

// The "exp" claim of a JWT (not verified: the KBS verifies it; this only schedules renewal).
std::optional<int64_t> JwtExpiry(absl::string_view token) {
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3) return std::nullopt;
  absl::StatusOr<std::string> payload = Base64UrlDecode(parts[1]);
  if (!payload.ok()) return std::nullopt;
  absl::StatusOr<Json> claims = ParseJson(*payload, "token claims", 16);
  if (!claims.ok() || !claims->is_object()) return std::nullopt;
  auto exp = claims->find("exp");
  if (exp == claims->end() || !exp->is_number_integer()) return std::nullopt;
  return exp->get<int64_t>();
}

double MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

// Worth another attempt: the KBS was unreachable or failed internally.
bool Transient(const absl::Status& s) {
  return s.code() == absl::StatusCode::kUnavailable ||
         (s.code() == absl::StatusCode::kUnknown &&
          absl::StartsWith(s.message(), "Request Failed, Response: 5"));
}

void CurlGlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

Attester SampleAttester() {
  return Attester{"sample", [](absl::string_view report_data) -> absl::StatusOr<std::string> {
                    return attestation::SampleEvidence(report_data);
                  }};
}

absl::StatusOr<std::string> MintAdminToken(absl::string_view private_key_pem,
                                           absl::string_view role, int64_t lifetime_seconds) {
  COCOON_ASSIGN_OR_RETURN_CTX(crypto::PrivateKey key, crypto::PrivateKey::Parse(private_key_pem),
                              "admin private key");
  crypto::SignatureAlg alg;
  switch (key.type()) {
    case crypto::KeyType::kEd25519:
      alg = crypto::SignatureAlg::kEdDsa;
      break;
    case crypto::KeyType::kEcP256:
      alg = crypto::SignatureAlg::kEs256;
      break;
    case crypto::KeyType::kEcP384:
      alg = crypto::SignatureAlg::kEs384;
      break;
    default:
      return absl::InvalidArgumentError("admin private key must be Ed25519 or EC P-256/P-384");
  }
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  Json claims = {{"iat", now}, {"nbf", now}, {"exp", now + lifetime_seconds}};
  if (!role.empty()) claims["role"] = std::string(role);
  return jose::JwtSign(claims.dump(), key, alg);
}

class KbsClient::Impl {
 public:
  explicit Impl(KbsClientOptions options) : options_(std::move(options)) {
    while (!options_.url.empty() && options_.url.back() == '/') options_.url.pop_back();
  }
  ~Impl() {
    if (curl_ != nullptr) curl_easy_cleanup(curl_);
    if (cached_key_ != nullptr) EVP_PKEY_free(cached_key_);
  }

  absl::Status Init() {
    CurlGlobalInit();
    curl_ = curl_easy_init();
    if (curl_ == nullptr) return absl::InternalError("curl_easy_init failed");
    return absl::OkStatus();
  }

  absl::StatusOr<Response> Do(absl::string_view method, absl::string_view path,
                              absl::string_view body, absl::string_view content_type,
                              absl::string_view bearer, bool send_cookie) {
    if (options_.transport)
      return DoWithTransport(method, path, body, content_type, bearer, send_cookie);
    curl_easy_reset(curl_);
    const std::string url = absl::StrCat(options_.url, path);
    Response response;
    curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT, options_.timeout_sec);
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl_, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(curl_, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &WriteBody);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &response.body);
    curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, &WriteHeader);
    curl_easy_setopt(curl_, CURLOPT_HEADERDATA, &cookie_);
    if (!options_.cert_file.empty())
      curl_easy_setopt(curl_, CURLOPT_CAINFO, options_.cert_file.c_str());
    if (!options_.cert_pem.empty()) {
      struct curl_blob blob;
      blob.data = options_.cert_pem.data();
      blob.len = options_.cert_pem.size();
      blob.flags = CURL_BLOB_COPY;
      curl_easy_setopt(curl_, CURLOPT_CAINFO_BLOB, &blob);
    }
    const std::string m(method);
    if (m == "GET") {
      curl_easy_setopt(curl_, CURLOPT_HTTPGET, 1L);
    } else {
      curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, m.c_str());
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body.data());
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    }
    struct curl_slist* headers = nullptr;
    std::string ct = absl::StrCat("Content-Type: ", content_type);
    if (!content_type.empty()) headers = curl_slist_append(headers, ct.c_str());
    headers = curl_slist_append(headers, "Expect:");
    std::string auth;
    if (!bearer.empty()) {
      auth = absl::StrCat("Authorization: Bearer ", bearer);
      headers = curl_slist_append(headers, auth.c_str());
    }
    std::string cookie_header;
    if (send_cookie && !cookie_.empty()) {
      cookie_header = absl::StrCat("Cookie: ", kSessionCookieName, "=", cookie_);
      headers = curl_slist_append(headers, cookie_header.c_str());
    }
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers);
    const CURLcode rc = curl_easy_perform(curl_);
    curl_slist_free_all(headers);
    if (!auth.empty()) SecureZero(auth.data(), auth.size());
    if (rc != CURLE_OK) {
      return absl::UnavailableError(
          absl::StrCat("request to ", url, " failed: ", curl_easy_strerror(rc)));
    }
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &response.status);
    return response;
  }

  absl::StatusOr<Response> DoWithTransport(absl::string_view method, absl::string_view path,
                                           absl::string_view body, absl::string_view content_type,
                                           absl::string_view bearer, bool send_cookie) {
    KbsHttpExchange x;
    x.method = std::string(method);
    x.url = absl::StrCat(options_.url, path);
    if (!content_type.empty()) x.headers.emplace_back("Content-Type", std::string(content_type));
    if (!bearer.empty()) x.headers.emplace_back("Authorization", absl::StrCat("Bearer ", bearer));
    if (send_cookie && !cookie_.empty()) {
      x.headers.emplace_back("Cookie", absl::StrCat(kSessionCookieName, "=", cookie_));
    }
    x.body = body;
    absl::StatusOr<KbsHttpReply> reply = options_.transport(x);
    for (auto& [name, value] : x.headers) {
      if (name == "Authorization") SecureZero(value.data(), value.size());
    }
    if (!reply.ok()) {
      return absl::UnavailableError(
          absl::StrCat("request to ", x.url, " failed: ", reply.status().message()));
    }
    for (const std::string& c : reply->set_cookies) TakeSessionCookie(c, &cookie_);
    Response response;
    response.status = reply->status;
    response.body = std::move(reply->body);
    return response;
  }

  absl::StatusOr<std::string> Checked(absl::string_view method, absl::string_view path,
                                      absl::string_view body, absl::string_view content_type,
                                      absl::string_view bearer, bool send_cookie = false) {
    COCOON_ASSIGN_OR_RETURN(Response r, Do(method, path, body, content_type, bearer, send_cookie));
    if (r.status != 200) return HttpFailure(r.status, r.body);
    return std::move(r.body);
  }

  // The TEE key's JWK form, computed once per key (held by reference count, so the pointer
  // cannot be reused by another key while cached).
  absl::StatusOr<TeePubKey> TeeKeyOf(const crypto::PrivateKey& key) {
    if (cached_key_ != key.get()) {
      COCOON_ASSIGN_OR_RETURN(TeePubKey tee_key, TeePubKeyFromPublicKey(key.GetPublic()));
      if (cached_key_ != nullptr) EVP_PKEY_free(cached_key_);
      EVP_PKEY_up_ref(key.get());
      cached_key_ = key.get();
      cached_tee_key_ = std::move(tee_key);
    }
    return cached_tee_key_;
  }

  // Runs `fn` up to options_.max_attempts times while it fails transiently.
  template <typename T, typename Fn>
  absl::StatusOr<T> Retrying(Fn fn) {
    int backoff = std::max(1, options_.retry_initial_backoff_ms);
    for (int attempt = 1;; ++attempt) {
      absl::StatusOr<T> r = fn();
      if (r.ok() || !Transient(r.status()) || attempt >= std::max(1, options_.max_attempts)) {
        if (!r.ok() && attempt > 1) {
          return absl::Status(r.status().code(), absl::StrCat(r.status().message(), " (after ",
                                                              attempt, " attempts)"));
        }
        return r;
      }
      ++timings_.retries;
      std::this_thread::sleep_for(std::chrono::milliseconds(backoff));
      backoff = std::min(backoff * 2, std::max(1, options_.retry_max_backoff_ms));
    }
  }

  KbsClientOptions options_;
  CURL* curl_ = nullptr;
  std::string cookie_;
  std::string token_;
  int64_t token_exp_ = 0;
  const EVP_PKEY* token_key_ = nullptr;  // the key token_ was issued for (identity only)
  KbsCallTimings timings_;
  EVP_PKEY* cached_key_ = nullptr;
  TeePubKey cached_tee_key_;
};

KbsClient::KbsClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
KbsClient::~KbsClient() = default;

absl::StatusOr<std::unique_ptr<KbsClient>> KbsClient::Create(KbsClientOptions options) {
  auto impl = std::make_unique<Impl>(std::move(options));
  COCOON_RETURN_IF_ERROR(impl->Init());
  return std::unique_ptr<KbsClient>(new KbsClient(std::move(impl)));
}

absl::StatusOr<KbsClient::Response> KbsClient::Request(absl::string_view method,
                                                       absl::string_view path,
                                                       absl::string_view body,
                                                       absl::string_view content_type,
                                                       absl::string_view bearer) {
  return impl_->Do(method, path, body, content_type, bearer, true);
}

std::string KbsClient::session_cookie() const { return impl_->cookie_; }
void KbsClient::set_session_cookie(std::string cookie) { impl_->cookie_ = std::move(cookie); }

void KbsClient::ResetSession() {
  impl_->cookie_.clear();
  attested_ = false;
}

absl::Status KbsClient::SetResource(absl::string_view path, absl::string_view data,
                                    absl::string_view admin_token) {
  return impl_
      ->Checked("POST", absl::StrCat("/kbs/v0/resource/", path), data, "application/octet-stream",
                admin_token)
      .status();
}

absl::Status KbsClient::DeleteResource(absl::string_view path, absl::string_view admin_token) {
  return impl_->Checked("DELETE", absl::StrCat("/kbs/v0/resource/", path), "", "", admin_token)
      .status();
}

absl::Status KbsClient::SetResourcePolicy(absl::string_view rego, absl::string_view admin_token) {
  Json body = {{"policy", Base64UrlEncode(rego)}};
  return impl_
      ->Checked("POST", "/kbs/v0/resource-policy", body.dump(), "application/json", admin_token)
      .status();
}

absl::StatusOr<std::string> KbsClient::GetResourcePolicy(absl::string_view admin_token) {
  return impl_->Checked("GET", "/kbs/v0/resource-policy", "", "", admin_token);
}

absl::Status KbsClient::SetAttestationPolicy(absl::string_view rego, absl::string_view type,
                                             absl::string_view policy_id,
                                             absl::string_view admin_token) {
  Json body = {{"type", std::string(type)},
               {"policy_id", std::string(policy_id)},
               {"policy", Base64UrlEncode(rego)}};
  return impl_
      ->Checked("POST", "/kbs/v0/attestation-policy", body.dump(), "application/json", admin_token)
      .status();
}

absl::Status KbsClient::SetSampleReferenceValues(absl::string_view values_json,
                                                 absl::string_view admin_token) {
  Json message = {{"version", "0.1.0"}, {"type", "sample"}, {"payload", Base64Encode(values_json)}};
  return impl_
      ->Checked("POST", "/kbs/v0/reference-value", message.dump(), "application/json", admin_token)
      .status();
}

absl::StatusOr<std::string> KbsClient::GetReferenceValue(absl::string_view id,
                                                         absl::string_view admin_token) {
  return impl_->Checked("GET", absl::StrCat("/kbs/v0/reference-value/", id), "", "", admin_token);
}

absl::StatusOr<std::string> KbsClient::Attest(const Attester& attester,
                                              const crypto::PrivateKey& tee_key,
                                              std::optional<std::string> init_data_toml) {
  impl_->cookie_.clear();
  attested_ = false;
  Json request = {
      {"version", std::string(kProtocolVersion)}, {"tee", attester.tee}, {"extra-params", ""}};
  auto t0 = std::chrono::steady_clock::now();
  COCOON_ASSIGN_OR_RETURN(
      std::string challenge_text,
      impl_->Checked("POST", "/kbs/v0/auth", request.dump(), "application/json", ""));
  impl_->timings_.auth_ms += MsSince(t0);
  COCOON_ASSIGN_OR_RETURN(Json challenge, ParseJson(challenge_text, "KBS challenge", 16));
  COCOON_ASSIGN_OR_RETURN(std::string nonce, GetString(challenge, "nonce", "KBS challenge"));
  COCOON_ASSIGN_OR_RETURN(TeePubKey key, impl_->TeeKeyOf(tee_key));
  const std::string additional;
  COCOON_ASSIGN_OR_RETURN(std::string digest, RuntimeDataDigest(nonce, key, &additional));
  t0 = std::chrono::steady_clock::now();
  COCOON_ASSIGN_OR_RETURN_CTX(std::string evidence_text, attester.evidence(digest),
                              absl::StrCat(attester.tee, " evidence"));
  impl_->timings_.evidence_ms += MsSince(t0);
  COCOON_ASSIGN_OR_RETURN(Json evidence, ParseJson(evidence_text, "evidence"));
  Json attestation = Json::object();
  attestation["runtime-data"] = {{"nonce", nonce}, {"tee-pubkey", TeePubKeyToJson(key)}};
  attestation["tee-evidence"] = {{"primary_evidence", evidence}, {"additional_evidence", ""}};
  if (init_data_toml) attestation["init-data"] = {{"format", "toml"}, {"body", *init_data_toml}};
  t0 = std::chrono::steady_clock::now();
  COCOON_ASSIGN_OR_RETURN(std::string result,
                          impl_->Checked("POST", "/kbs/v0/attest", attestation.dump(),
                                         "application/json", "", /*send_cookie=*/true));
  impl_->timings_.attest_ms += MsSince(t0);
  ++impl_->timings_.attestations;
  COCOON_ASSIGN_OR_RETURN(Json token, ParseJson(result, "KBS attestation response", 16));
  COCOON_ASSIGN_OR_RETURN(std::string out, GetString(token, "token", "KBS attestation response"));
  attested_ = true;
  return out;
}

absl::StatusOr<SecretBytes> KbsClient::GetResource(absl::string_view path, const Attester& attester,
                                                   const crypto::PrivateKey& tee_key) {
  if (!attested_) COCOON_RETURN_IF_ERROR(Attest(attester, tee_key).status());
  COCOON_ASSIGN_OR_RETURN(std::string jwe,
                          impl_->Checked("GET", absl::StrCat("/kbs/v0/resource/", path), "", "", "",
                                         /*send_cookie=*/true));
  return DecryptResource(jwe, tee_key);
}

absl::StatusOr<SecretBytes> KbsClient::GetResourceWithToken(absl::string_view path,
                                                            absl::string_view token,
                                                            const crypto::PrivateKey& tee_key) {
  COCOON_ASSIGN_OR_RETURN(
      std::string jwe,
      impl_->Checked("GET", absl::StrCat("/kbs/v0/resource/", path), "", "", token));
  return DecryptResource(jwe, tee_key);
}

void KbsClient::InvalidateToken() {
  if (!impl_->token_.empty()) SecureZero(impl_->token_.data(), impl_->token_.size());
  impl_->token_.clear();
  impl_->token_exp_ = 0;
}

const KbsCallTimings& KbsClient::last_timings() const { return impl_->timings_; }

absl::StatusOr<std::string> KbsClient::Token(const Attester& attester,
                                             const crypto::PrivateKey& tee_key,
                                             std::optional<std::string> init_data_toml) {
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  // The token names the TEE key it was issued for: reuse it only with that key.
  // (Attest keeps a reference to that key in cached_key_, so the address cannot be reused.)
  if (!impl_->token_.empty() && impl_->token_key_ == tee_key.get() &&
      impl_->cached_key_ == tee_key.get() &&
      now + impl_->options_.token_refresh_margin_sec < impl_->token_exp_) {
    return impl_->token_;
  }
  InvalidateToken();
  COCOON_ASSIGN_OR_RETURN(std::string token, impl_->Retrying<std::string>([&] {
    return Attest(attester, tee_key, init_data_toml);
  }));
  // A token without "exp" is used for one call only.
  impl_->token_exp_ = JwtExpiry(token).value_or(0);
  impl_->token_ = token;
  impl_->token_key_ = tee_key.get();
  return token;
}

absl::StatusOr<SecretBytes> KbsClient::GetResourceCached(absl::string_view path,
                                                         const Attester& attester,
                                                         const crypto::PrivateKey& tee_key) {
  impl_->timings_ = KbsCallTimings();
  const std::string url_path = absl::StrCat("/kbs/v0/resource/", path);
  for (int round = 0;; ++round) {
    COCOON_ASSIGN_OR_RETURN(std::string token, Token(attester, tee_key));
    const bool reused = impl_->timings_.attestations == 0;
    auto t0 = std::chrono::steady_clock::now();
    COCOON_ASSIGN_OR_RETURN(
        Response r, impl_->Retrying<Response>([&]() -> absl::StatusOr<Response> {
          COCOON_ASSIGN_OR_RETURN(Response resp, impl_->Do("GET", url_path, "", "", token, false));
          if (resp.status >= 500) return HttpFailure(resp.status, resp.body);
          return resp;
        }));
    impl_->timings_.resource_ms += MsSince(t0);
    SecureZero(token.data(), token.size());
    if (r.status == 200) {
      t0 = std::chrono::steady_clock::now();
      absl::StatusOr<SecretBytes> out = DecryptResource(r.body, tee_key);
      impl_->timings_.resource_ms += MsSince(t0);
      return out;
    }
    const std::string type = KbsErrorType(r.body);
    const bool token_problem = type.empty() || type == "TokenVerifierError" ||
                               type == "TokenNotFound" || type == "PolicyDeny" ||
                               type == "AttestationError";
    if (r.status == 401 && reused && round == 0 && token_problem) {
      // The KBS no longer accepts the cached token (or the claims it carries): attest again.
      InvalidateToken();
      continue;
    }
    if (type == "PolicyDeny") {
      return absl::PermissionDeniedError(
          absl::StrCat("KBS resource policy denied access to ", path,
                       " (PolicyDeny: the attestation succeeded but the resource policy does not "
                       "release this resource to this TEE)"));
    }
    if (r.status == 401) InvalidateToken();
    return HttpFailure(r.status, r.body);
  }
}

}  // namespace cocoon::kbs
