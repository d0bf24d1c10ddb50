// KBS client: the RCAR handshake (auth, attest, resource) and the admin API, over libcurl.
//
// One KbsClient holds one connection (keep-alive) and the session cookie; it is not
// thread-safe, use one per thread.
#ifndef COCOON_KBS_CLIENT_H_
#define COCOON_KBS_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/secret_bytes.h"
#include "crypto/keys.h"

namespace cocoon::kbs {

// One HTTP exchange, for callers that bring their own transport instead of libcurl (the load
// generator in tests/bench, which must spend as little CPU as it can beside the server).
struct KbsHttpExchange {
  std::string method;
  std::string url;                                           // KbsClientOptions::url + path
  std::vector<std::pair<std::string, std::string>> headers;  // Content-Type, Authorization, Cookie
  absl::string_view body;
};
struct KbsHttpReply {
  long status = 0;
  std::string body;
  std::vector<std::string> set_cookies;  // the values of the Set-Cookie headers
};
using KbsTransport = std::function<absl::StatusOr<KbsHttpReply>(const KbsHttpExchange&)>;

struct KbsClientOptions {
  std::string url = "http://127.0.0.1:8080";  // root, without /kbs/v0
  std::string cert_file;                      // extra trusted CA (PEM) for HTTPS
  std::string cert_pem;  // the same as PEM text (AA `token_configs.kbs.cert`, CDH `kbs_cert`)
  long timeout_sec = 30;
  // Cached-token flow (Token, GetResourceCached): attempts per request for transport failures and
  // 5xx answers, with exponential backoff from `retry_initial_backoff_ms` up to
  // `retry_max_backoff_ms`; a token is reused until `token_refresh_margin_sec` before its "exp".
  int max_attempts = 3;
  int retry_initial_backoff_ms = 100;
  int retry_max_backoff_ms = 2000;
  int64_t token_refresh_margin_sec = 10;
  // Empty: libcurl (proxies from the environment, HTTPS with cert_file/cert_pem).
  KbsTransport transport;
};

// Where the time of the last cached-token call went (milliseconds; zero for a step not taken).
struct KbsCallTimings {
  double evidence_ms = 0;  // the Attester callback (TPM, IMDS, AA round trip)
  double auth_ms = 0;      // POST /auth
  double attest_ms = 0;    // POST /attest (network + server-side verification)
  double resource_ms = 0;  // GET /resource (+ JWE decryption)
  int attestations = 0;    // RCAR handshakes done by the call (0 when the token was reused)
  int retries = 0;
};

// Produces the evidence JSON of a TEE for the given report data (48-byte runtime-data digest).
struct Attester {
  std::string tee;  // "sample", "tdx", "az-tdx-vtpm"
  std::function<absl::StatusOr<std::string>(absl::string_view report_data)> evidence;
};
Attester SampleAttester();

// An admin JWT signed with `private_key_pem` (Ed25519 -> EdDSA, P-256 -> ES256): iat, nbf, exp
// = now + `lifetime`, and "role" when not empty.
absl::StatusOr<std::string> MintAdminToken(absl::string_view private_key_pem,
                                           absl::string_view role = "admin",
                                           int64_t lifetime_seconds = 2 * 3600);

class KbsClient {
 public:
  static absl::StatusOr<std::unique_ptr<KbsClient>> Create(KbsClientOptions options);
  ~KbsClient();

  // Admin API. `admin_token` "" sends no Authorization header.
  absl::Status SetResource(absl::string_view path, absl::string_view data,
                           absl::string_view admin_token);
  absl::Status DeleteResource(absl::string_view path, absl::string_view admin_token);
  absl::Status SetResourcePolicy(absl::string_view rego, absl::string_view admin_token);
  absl::StatusOr<std::string> GetResourcePolicy(absl::string_view admin_token);
  absl::Status SetAttestationPolicy(absl::string_view rego, absl::string_view type,
                                    absl::string_view policy_id, absl::string_view admin_token);
  // `values_json`: {"name": value, ...}, sent as an RVPS "sample" message.
  absl::Status SetSampleReferenceValues(absl::string_view values_json,
                                        absl::string_view admin_token);
  absl::StatusOr<std::string> GetReferenceValue(absl::string_view id,
                                                absl::string_view admin_token);

  // RCAR: /auth then /attest with `tee_key` as the TEE key; returns the token. The session
  // cookie is kept for GetResource.
  absl::StatusOr<std::string> Attest(const Attester& attester, const crypto::PrivateKey& tee_key,
                                     std::optional<std::string> init_data_toml = std::nullopt);
  // Attest (unless this client already holds an attested session) and fetch the resource with
  // the cookie; decrypts it with `tee_key`.
  absl::StatusOr<SecretBytes> GetResource(absl::string_view path, const Attester& attester,
                                          const crypto::PrivateKey& tee_key);
  // Passport mode: Authorization: Bearer `token`.
  absl::StatusOr<SecretBytes> GetResourceWithToken(absl::string_view path, absl::string_view token,
                                                   const crypto::PrivateKey& tee_key);
  // The cached-token flow. Token: the token of the last attestation while it is valid and was
  // issued for `tee_key`, else a new one (RCAR). GetResourceCached: fetches with `Authorization:
  // Bearer <token>`; when the KBS answers 401 to a reused token (expired, revoked, signer rotated),
  // attests again once and retries. A resource policy denial is kPermissionDenied with a message
  // saying so. Transport failures and 5xx answers are retried (options.max_attempts, exponential
  // backoff).
  absl::StatusOr<std::string> Token(const Attester& attester, const crypto::PrivateKey& tee_key,
                                    std::optional<std::string> init_data_toml = std::nullopt);
  absl::StatusOr<SecretBytes> GetResourceCached(absl::string_view path, const Attester& attester,
                                                const crypto::PrivateKey& tee_key);
  // Forgets the cached token (the next call attests).
  void InvalidateToken();
  // Timings of the last Token / GetResourceCached call.
  const KbsCallTimings& last_timings() const;

  // Forgets the session cookie.
  void ResetSession();
  // The kbs-session-id cookie value ("" when none), e.g. to continue a handshake on another
  // replica.
  std::string session_cookie() const;
  void set_session_cookie(std::string cookie);

  struct Response {
    long status = 0;
    std::string body;
  };
  // A raw request to `url` + `path` (for tests and tools).
  absl::StatusOr<Response> Request(absl::string_view method, absl::string_view path,
                                   absl::string_view body, absl::string_view content_type,
                                   absl::string_view bearer);

  class Impl;

 private:
  explicit KbsClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  bool attested_ = false;
};

}  // namespace cocoon::kbs

#endif  // COCOON_KBS_CLIENT_H_
