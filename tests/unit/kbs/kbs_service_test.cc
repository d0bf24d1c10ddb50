#include "kbs/kbs_service.h"

#include "absl/strings/match.h"
#include "crypto/jose/jwe.h"
#include "crypto/stream_cipher.h"
#include "gtest/gtest.h"
#include "kbs_test_util.h"

namespace cocoon::kbs {
namespace {

using testing::AdminClaims;
using testing::AdminJwt;
using testing::AttestBody;
using testing::ExpectKbsError;
using testing::NewKey;
using testing::SessionCookie;

constexpr absl::string_view kSecret = "top secret key material 0123456789";

class KbsServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    admin_key_ = NewKey(crypto::KeyType::kEd25519);
    admin_pub_path_ = dir_.Write("admin.pub", testing::PublicPem(admin_key_));
    config_.http_server.insecure_http = true;
    config_.resource_plugin.enabled = true;
    config_.admin.mode = AdminConfig::Mode::kAuthenticated;
    AdminIdentityProvider idp;
    idp.public_key_path = admin_pub_path_;
    config_.admin.identity_providers.push_back(idp);
    config_.admin.acls.push_back({"admin", "^/kbs/.+$"});
    config_.admin.acls.push_back({"reader", "^/kbs/v0/reference-value/.*$"});
    now_ = absl::Now();
  }

  std::unique_ptr<KbsService> MakeService(KbsConfig config) {
    KbsServiceOptions options;
    options.clock = [this] { return now_; };
    auto service = KbsService::Create(config, options);
    EXPECT_TRUE(service.ok()) << service.status();
    return *std::move(service);
  }
  KbsService& service() {
    if (!service_) service_ = MakeService(config_);
    return *service_;
  }

  HttpResponse Call(KbsService& s, absl::string_view method, absl::string_view path,
                    absl::string_view body = "", absl::string_view cookie = "",
                    absl::string_view authorization = "") {
    HttpRequest r;
    r.method = std::string(method);
    const size_t q = path.find('?');
    r.path = std::string(path.substr(0, q));
    if (q != absl::string_view::npos) r.query = std::string(path.substr(q + 1));
    r.body = std::string(body);
    if (!cookie.empty()) r.cookie = absl::StrCat("kbs-session-id=", cookie);
    r.authorization = std::string(authorization);
    return s.Handle(r);
  }
  HttpResponse Call(absl::string_view method, absl::string_view path, absl::string_view body = "",
                    absl::string_view cookie = "", absl::string_view authorization = "") {
    return Call(service(), method, path, body, cookie, authorization);
  }

  std::string Admin(absl::string_view role = "admin") {
    return absl::StrCat("Bearer ", AdminJwt(admin_key_, AdminClaims(role)));
  }

  void SetPolicy(KbsService& s, absl::string_view rego) {
    Json body = {{"policy", Base64UrlEncode(rego)}};
    HttpResponse r = Call(s, "POST", "/kbs/v0/resource-policy", body.dump(), "", Admin());
    ASSERT_EQ(r.status, 200) << r.body;
  }
  void SetupResource(KbsService& s, absl::string_view rego = AllowAllResourcePolicy()) {
    HttpResponse r =
        Call(s, "POST", "/kbs/v0/resource/default/image_key/nginx", kSecret, "", Admin());
    ASSERT_EQ(r.status, 200) << r.body;
    SetPolicy(s, rego);
  }

  struct Challenge {
    std::string nonce;
    std::string cookie;
  };
  Challenge Auth(KbsService& s, absl::string_view tee = "sample") {
    Json req = {{"version", "0.4.0"}, {"tee", std::string(tee)}, {"extra-params", ""}};
    HttpResponse r = Call(s, "POST", "/kbs/v0/auth", req.dump());
    EXPECT_EQ(r.status, 200) << r.body;
    auto body = ParseJson(r.body, "challenge");
    EXPECT_TRUE(body.ok());
    return {(*body)["nonce"], SessionCookie(r)};
  }
  // Returns the attested cookie; `token` receives the token.
  std::string AttestOk(KbsService& s, const crypto::PrivateKey& tee_key, std::string* token,
                       absl::string_view alg = "") {
    Challenge c = Auth(s);
    HttpResponse r = Call(s, "POST", "/kbs/v0/attest", AttestBody(c.nonce, tee_key, alg), c.cookie);
    EXPECT_EQ(r.status, 200) << r.body;
    auto body = ParseJson(r.body, "attest response");
    EXPECT_TRUE(body.ok());
    if (token != nullptr) *token = (*body)["token"];
    return SessionCookie(r);
  }
  std::string Decrypt(const HttpResponse& r, const crypto::PrivateKey& key) {
    EXPECT_EQ(r.status, 200) << r.body;
    auto plain = jose::JweDecrypt(r.body, key);
    EXPECT_TRUE(plain.ok()) << plain.status();
    return plain.ok() ? std::string(plain->view()) : "";
  }

  testing::TempDir dir_;
  crypto::PrivateKey admin_key_ = NewKey(crypto::KeyType::kEd25519);
  std::string admin_pub_path_;
  KbsConfig config_;
  absl::Time now_;
  std::unique_ptr<KbsService> service_;
};

TEST_F(KbsServiceTest, ChallengeHasNonceCookieAndEmptyExtraParams) {
  Json req = {{"version", "0.4.0"}, {"tee", "sample"}, {"extra-params", ""}};
  HttpResponse r = Call("POST", "/kbs/v0/auth", req.dump());
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  auto body = ParseJson(r.body, "challenge");
  ASSERT_TRUE(body.ok());
  const std::string nonce = (*body)["nonce"];
  EXPECT_EQ(nonce.size(), 44u);
  EXPECT_EQ(Base64Decode(nonce)->size(), 32u);
  EXPECT_EQ((*body)["extra-params"], "");
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_TRUE(absl::StartsWith(r.headers[0].second, "kbs-session-id="));
  EXPECT_TRUE(absl::StrContains(r.headers[0].second, "; Expires="));
  EXPECT_TRUE(absl::EndsWith(r.headers[0].second, " GMT"));
}

TEST_F(KbsServiceTest, FullFlowReleasesResourceToEcP256Key) {
  SetupResource(service());
  crypto::PrivateKey tee = NewKey(crypto::KeyType::kEcP256);
  std::string token;
  const std::string cookie = AttestOk(service(), tee, &token);
  HttpResponse r = Call("GET", "/kbs/v0/resource/default/image_key/nginx", "", cookie);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(Decrypt(r, tee), kSecret);
  auto jwe = ParseJson(r.body, "jwe");
  ASSERT_TRUE(jwe.ok());
  EXPECT_FALSE(jwe->contains("aad"));
  auto header = ParseJson(*Base64UrlDecode((*jwe)["protected"].get<std::string>()), "hdr");
  EXPECT_EQ((*header)["alg"], "ECDH-ES+A256KW");
  EXPECT_EQ((*header)["enc"], "A256GCM");
  EXPECT_EQ((*header)["epk"]["crv"], "P-256");
}

TEST_F(KbsServiceTest, ReleasesWithRsaOaep256Rsa15AndP521) {
  SetupResource(service());
  struct Case {
    crypto::KeyType type;
    const char* alg;
  };
  for (const Case& c :
       {Case{crypto::KeyType::kRsa, "RSA-OAEP-256"}, Case{crypto::KeyType::kRsa, "RSA1_5"},
        Case{crypto::KeyType::kEcP521, "ECDH-ES+A256KW"}}) {
    SCOPED_TRACE(c.alg);
    crypto::PrivateKey tee = NewKey(c.type);
    const std::string cookie = AttestOk(service(), tee, nullptr, c.alg);
    HttpResponse r = Call("GET", "/kbs/v0/resource/default/image_key/nginx", "", cookie);
    EXPECT_EQ(Decrypt(r, tee), kSecret);
    auto jwe = ParseJson(r.body, "jwe");
    auto header = ParseJson(*Base64UrlDecode((*jwe)["protected"].get<std::string>()), "hdr");
    EXPECT_EQ((*header)["alg"], c.alg);
  }
}

TEST_F(KbsServiceTest, P384TeeKeyIsRefusedWithJweError) {
  SetupResource(service());
  crypto::PrivateKey tee = NewKey(crypto::KeyType::kEcP384);
  const std::string cookie = AttestOk(service(), tee, nullptr);
  HttpResponse r = Call("GET", "/kbs/v0/resource/default/image_key/nginx", "", cookie);
  ExpectKbsError(r, 401, "JweError", "unsupported TEE key algorithm");
}

TEST_F(KbsServiceTest, BearerTokenReleasesResource) {
  SetupResource(service());
  crypto::PrivateKey tee = NewKey(crypto::KeyType::kEcP256);
  std::string token;
  AttestOk(service(), tee, &token);
  HttpResponse r = Call("GET", "/kbs/v0/resource/default/image_key/nginx", "", "",
                        absl::StrCat("Bearer ", token));
  EXPECT_EQ(Decrypt(r, tee), kSecret);
}

TEST_F(KbsServiceTest, RepeatedAttestWithAttestedCookieReturnsSameToken) {
  crypto::PrivateKey tee = NewKey(crypto::KeyType::kEcP256);
  std::string token;
  const std::string cookie = AttestOk(service(), tee, &token);
  HttpResponse r = Call("POST", "/kbs/v0/attest", "{}", cookie);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ((*ParseJson(r.body, "t"))["token"], token);
}

TEST_F(KbsServiceTest, EarTokenCarriesSampleClaimsAndRuntimeData) {
  crypto::PrivateKey tee = NewKey(crypto::KeyType::kEcP256);
  std::string token;
  AttestOk(service(), tee, &token);
  auto parts = jose::JwsParse(token);
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(parts->alg, "ES256");
  auto header = ParseJson(parts->header, "h");
  EXPECT_EQ((*header)["jwk"]["crv"], "P-256");
  auto claims = ParseJson(parts->payload, "c");
  ASSERT_TRUE(claims.ok());
  EXPECT_EQ((*claims)["eat_profile"], "tag:github.com,2024:confidential-containers/Trustee");
  EXPECT_EQ((*claims)["exp"].get<int64_t>() - (*claims)["iat"].get<int64_t>(), 300);
  const Json& cpu0 = (*claims)["submods"]["cpu0"];
  // No reference values: executables 33, hardware 97 -> contraindicated.
  EXPECT_EQ(cpu0["ear.status"], "contraindicated");
  EXPECT_EQ(cpu0["ear.trustworthiness-vector"]["configuration"], 2);
  const Json& ev = cpu0["ear.veraison.annotated-evidence"];
  EXPECT_EQ(ev["sample"]["launch_digest"], "abcde");
  EXPECT_FALSE(ev["sample"].contains("report_data"));
  EXPECT_TRUE(ev.contains("report_data"));
  EXPECT_EQ(ev["runtime_data_claims"]["tee-pubkey"]["crv"], "P-256");
  EXPECT_EQ(ev["runtime_data_claims"]["additional-evidence"], "");
}

TEST_F(KbsServiceTest, ReferenceValuesAndAttestationPolicyMakeSampleAffirming) {
  for (const char* rv : {R"({"launch_digest":["abcde"]})", R"({"svn":["1"]})",
                         R"({"major_version":1})", R"({"minimum_minor_version":1})"}) {
    Json msg = {{"version", "0.1.0"}, {"type", "sample"}, {"payload", Base64Encode(rv)}};
    HttpResponse r = Call("POST", "/kbs/v0/reference-value", msg.dump(), "", Admin());
    ASSERT_EQ(r.status, 200) << r.body;
  }
  HttpResponse got = Call("GET", "/kbs/v0/reference-value/svn", "", "", Admin("reader"));
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.body, R"(["1"])");
  crypto::PrivateKey tee = NewKey(crypto::KeyType::kEcP256);
  std::string token;
  AttestOk(service(), tee, &token);
  auto claims = ParseJson(jose::JwsParse(token)->payload, "c");
  EXPECT_EQ((*claims)["submods"]["cpu0"]["ear.status"], "affirming");

  // A custom policy replaces the built-in one.
  const std::string policy = R"(package policy
import rego.v1
trust_claims := {"executables": 96, "hardware": 2}
)";
  Json body = {{"type", "rego"}, {"policy_id", "default_cpu"}, {"policy", Base64UrlEncode(policy)}};
  ASSERT_EQ(Call("POST", "/kbs/v0/attestation-policy", body.dump(), "", Admin()).status, 200);
  AttestOk(service(), tee, &token);
  claims = ParseJson(jose::JwsParse(token)->payload, "c");
  EXPECT_EQ((*claims)["submods"]["cpu0"]["ear.status"], "contraindicated");
}

TEST_F(KbsServiceTest, UnknownReferenceValueIsRvpsError) {
  ExpectKbsError(Call("GET", "/kbs/v0/reference-value/nope", "", "", Admin()), 401, "RvpsError",
                 "not found");
}

TEST_F(KbsServiceTest, BadAttestationPolicyIsRejected) {
  Json body = {{"policy_id", "default_cpu"}, {"policy", Base64UrlEncode("package policy\nx := ")}};
  ExpectKbsError(Call("POST", "/kbs/v0/attestation-policy", body.dump(), "", Admin()), 401,
                 "AttestationError", "Set Attestation Policy failed");
}

TEST_F(KbsServiceTest, ResourcePolicyRoundTripAndBadPolicies) {
  SetPolicy(service(), DenyAllResourcePolicy());
  HttpResponse r = Call("GET", "/kbs/v0/resource-policy", "", "", Admin());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"(["resource-policy"])");
  Json bad = {{"policy", Base64UrlEncode("package policy\nallow if {")}};
  ExpectKbsError(Call("POST", "/kbs/v0/resource-policy", bad.dump(), "", Admin()), 401,
                 "ParsePolicyError", "Failed to parse policy");
  Json padded = {{"policy", Base64Encode(std::string(AllowAllResourcePolicy()))}};
  if (absl::EndsWith(padded["policy"].get<std::string>(), "=")) {
    ExpectKbsError(Call("POST", "/kbs/v0/resource-policy", padded.dump(), "", Admin()), 401,
                   "ParsePolicyError", "Failed to parse policy");
  }
}

TEST_F(KbsServiceTest, MissingResourceIsPluginInternalError401) {
  SetPolicy(service(), AllowAllResourcePolicy());
  crypto::PrivateKey tee = NewKey(crypto::KeyType::kEcP256);
  const std::string cookie = AttestOk(service(), tee, nullptr);
  ExpectKbsError(Call("GET", "/kbs/v0/resource/default/image_key/missing", "", cookie), 401,
                 "PluginInternalError", "not found");
}

TEST_F(KbsServiceTest, DeleteResource) {
  SetupResource(service());
  EXPECT_EQ(Call("DELETE", "/kbs/v0/resource/default/image_key/nginx", "", "", Admin()).status,
            200);
  ExpectKbsError(Call("DELETE", "/kbs/v0/resource/default/image_key/nginx", "", "", Admin()), 401,
                 "PluginInternalError", "not found");
}

TEST_F(KbsServiceTest, PolicyDataHasPluginPathAndQuery) {
  SetupResource(service(), R"(package policy
import rego.v1
default allow := false
allow if {
  data.plugin == "resource"
  data["resource-path"] == ["default", "image_key", "nginx"]
  data.query.v == "1"
  input.submods.cpu0["ear.veraison.annotated-evidence"].sample
}
)");
  crypto::PrivateKey tee = NewKey(crypto::KeyType::kEcP256);
  const std::string cookie = AttestOk(service(), tee, nullptr);
  HttpRequest r;
  r.method = "GET";
  r.path = "/kbs/v0/resource/default/image_key/nginx";
  r.query = "v=1";
  r.query_params = {{"v", "1"}};
  r.cookie = absl::StrCat("kbs-session-id=", cookie);
  EXPECT_EQ(Decrypt(service().Handle(r), tee), kSecret);
  r.query_params = {{"v", "2"}};
  ExpectKbsError(service().Handle(r), 401, "PolicyDeny", "Access denied by policy");
}

TEST_F(KbsServiceTest, TwoReplicasSharingKeysServeOneHandshake) {
  const std::string seal = dir_.Write("seal.key", crypto::RandomBytes(32));
  crypto::PrivateKey signer = NewKey(crypto::KeyType::kEcP256);
  const std::string signer_path = dir_.Write("signer.pem", testing::PrivatePem(signer));
  const std::string storage = absl::StrCat(dir_.path(), "/storage");
  KbsConfig c = config_;
  c.session.sealing_key_path = seal;
  c.attestation_service.broker.signer_key_path = signer_path;
  c.storage.type = StorageConfig::Type::kLocalFs;
  c.storage.dir_path = storage;
  std::unique_ptr<KbsService> a = MakeService(c);
  std::unique_ptr<KbsService> b = MakeService(c);
  HttpResponse set =
      Call(*a, "POST", "/kbs/v0/resource/default/image_key/nginx", kSecret, "", Admin());
  ASSERT_EQ(set.status, 200) << set.body;
  SetPolicy(*a, AllowAllResourcePolicy());
  std::unique_ptr<KbsService> b2 = MakeService(c);  // picks up the stored policy

  crypto::PrivateKey tee = NewKey(crypto::KeyType::kEcP256);
  Challenge ch = Auth(*a);
  HttpResponse attested = Call(*b2, "POST", "/kbs/v0/attest", AttestBody(ch.nonce, tee), ch.cookie);
  ASSERT_EQ(attested.status, 200) << attested.body;
  HttpResponse got =
      Call(*a, "GET", "/kbs/v0/resource/default/image_key/nginx", "", SessionCookie(attested));
  EXPECT_EQ(Decrypt(got, tee), kSecret);

  // A replica with another sealing key cannot open the cookie.
  KbsConfig other = c;
  other.session.sealing_key_path = dir_.Write("other.key", crypto::RandomBytes(32));
  std::unique_ptr<KbsService> stranger = MakeService(other);
  Challenge ch2 = Auth(*a);
  ExpectKbsError(Call(*stranger, "POST", "/kbs/v0/attest", AttestBody(ch2.nonce, tee), ch2.cookie),
                 401, "AttestationError", "session not found");
}

TEST_F(KbsServiceTest, HealthzAndMetrics) {
  EXPECT_EQ(Call("GET", "/healthz").status, 200);
  EXPECT_EQ(Call("POST", "/metrics").status, 405);
  SetupResource(service());
  crypto::PrivateKey tee = NewKey(crypto::KeyType::kEcP256);
  const std::string cookie = AttestOk(service(), tee, nullptr);
  Call("GET", "/kbs/v0/resource/default/image_key/nginx", "", cookie);
  HttpResponse m = Call("GET", "/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_TRUE(absl::StartsWith(m.content_type, "text/plain"));
  EXPECT_TRUE(absl::StrContains(
      m.body, R"(kbs_http_requests_total{endpoint="auth",method="POST",status="200"} 1)"));
  EXPECT_TRUE(absl::StrContains(
      m.body, R"(kbs_attestations_total{tee="sample",outcome="contraindicated"} 1)"));
  EXPECT_TRUE(absl::StrContains(
      m.body, R"(kbs_policy_decisions_total{policy="resource",decision="allow"} 1)"));
  EXPECT_TRUE(absl::StrContains(m.body, "kbs_request_duration_seconds_bucket{endpoint=\"attest\""));
}

// ---- negative matrix: one test per case ----

TEST_F(KbsServiceTest, NegWrongProtocolVersion) {
  Json req = {{"version", "0.3.0"}, {"tee", "sample"}, {"extra-params", ""}};
  HttpResponse r = Call("POST", "/kbs/v0/auth", req.dump());
  ExpectKbsError(r, 401, "AttestationError",
                 "Attestation error: RCAR handshake Auth failed: KBS Client Protocol Version "
                 "Mismatch: expect =0.4.0 while the request is 0.3.0");
  EXPECT_EQ((*ParseJson(r.body, "e"))["detail"],
            "Attestation error: RCAR handshake Auth failed: KBS Client Protocol Version "
            "Mismatch: expect =0.4.0 while the request is 0.3.0");
}

TEST_F(KbsServiceTest, NegAttestWithoutCookie) {
  crypto::PrivateKey tee = NewKey(crypto::KeyType::kEcP256);
  ExpectKbsError(Call("POST", "/kbs/v0/attest", AttestBody("x", tee)), 401, "AttestationError",
                 "cookie not found");
}

TEST_F(KbsServiceTest, NegAttestWithExpiredCookie) {
  Challenge c = Auth(service());
  now_ += absl::Minutes(5) + absl::Seconds(1);
  crypto::PrivateKey tee = NewKey(crypto::KeyType::kEcP256);
  ExpectKbsError(Call("POST", "/kbs/v0/attest", AttestBody(c.nonce, tee), c.cookie), 401,
                 "AttestationError", "session expired.");
}

TEST_F(KbsServiceTest, NegAttestAfterTheChallengeTimeout) {
  // The session lives 5 minutes, but its challenge must be answered within 60 s.
  Challenge c = Auth(service());
  now_ += absl::Seconds(61);
  crypto::PrivateKey tee = NewKey(crypto::KeyType::kEcP256);
  ExpectKbsError(Call("POST", "/kbs/v0/attest", AttestBody(c.nonce, tee), c.cookie), 401,
                 "AttestationError", "the challenge has expired");
}

TEST_F(KbsServiceTest, ChallengeAnsweredWithinTheTimeoutIsAccepted) {
  Challenge c = Auth(service());
  now_ += absl::Seconds(59);
  crypto::PrivateKey tee = NewKey(crypto::KeyType::kEcP256);
  EXPECT_EQ(Call("POST", "/kbs/v0/attest", AttestBody(c.nonce, tee), c.cookie).status, 200);
}

TEST_F(KbsServiceTest, NegAttestWithForgedCookie) {
  Challenge c = Auth(service());
  std::string forged = c.cookie;
  forged[10] = forged[10] == 'A' ? 'B' : 'A';
  crypto::PrivateKey tee = NewKey(crypto::KeyType::kEcP256);
  ExpectKbsError(Call("POST", "/kbs/v0/attest", AttestBody(c.nonce, tee), forged), 401,
                 "AttestationError", "session not found");
}

TEST_F(KbsServiceTest, NegNonceMismatch) {
  Challenge c = Auth(service());
  crypto::PrivateKey tee = NewKey(crypto::KeyType::kEcP256);
  const std::string other_nonce = Base64Encode(crypto::RandomBytes(32));
  ExpectKbsError(Call("POST", "/kbs/v0/attest", AttestBody(other_nonce, tee), c.cookie), 401,
                 "AttestationError", "nonce mismatch");
}

TEST_F(KbsServiceTest, NegReplayedNonce) {
  Challenge c = Auth(service());
  crypto::PrivateKey tee = NewKey(crypto::KeyType::kEcP256);
  ASSERT_EQ(Call("POST", "/kbs/v0/attest", AttestBody(c.nonce, tee), c.cookie).status, 200);
  ExpectKbsError(Call("POST", "/kbs/v0/attest", AttestBody(c.nonce, tee), c.cookie), 401,
                 "AttestationError", "nonce has already been used");
}

TEST_F(KbsServiceTest, NegReportDataNotMatchingTeeKey) {
  Challenge c = Auth(service());
  crypto::PrivateKey tee = NewKey(crypto::KeyType::kEcP256);
  crypto::PrivateKey other = NewKey(crypto::KeyType::kEcP256);
  auto other_key = TeePubKeyFromPublicKey(other.GetPublic());
  const std::string additional;
  const std::string digest = *RuntimeDataDigest(c.nonce, *other_key, &additional);
  ExpectKbsError(Call("POST", "/kbs/v0/attest", AttestBody(c.nonce, tee, "", &digest), c.cookie),
                 401, "AttestationError", "report data does not match");
}

TEST_F(KbsServiceTest, NegTokenSignedByAnotherKey) {
  SetupResource(service());
  crypto::PrivateKey tee = NewKey(crypto::KeyType::kEcP256);
  std::string token;
  AttestOk(service(), tee, &token);
  // Same claims, re-signed by a stranger's key that it puts in the header.
  auto parts = jose::JwsParse(token);
  crypto::PrivateKey stranger = NewKey(crypto::KeyType::kEcP256);
  auto jwk = jose::PublicJwkJson(stranger.GetPublic(), "ES256");
  const std::string header = absl::StrCat(R"({"alg":"ES256","typ":"JWT","jwk":)", *jwk, "}");
  auto forged = jose::JwsSign(header, parts->payload, stranger, crypto::SignatureAlg::kEs256);
  ASSERT_TRUE(forged.ok());
  ExpectKbsError(Call("GET", "/kbs/v0/resource/default/image_key/nginx", "", "",
                      absl::StrCat("Bearer ", *forged)),
                 401, "TokenVerifierError", "not trusted");
}

TEST_F(KbsServiceTest, NegExpiredToken) {
  SetupResource(service());
  crypto::PrivateKey tee = NewKey(crypto::KeyType::kEcP256);
  std::string token;
  AttestOk(service(), tee, &token);
  now_ += absl::Minutes(7);
  ExpectKbsError(Call("GET", "/kbs/v0/resource/default/image_key/nginx", "", "",
                      absl::StrCat("Bearer ", token)),
                 401, "TokenVerifierError", "expired");
}

TEST_F(KbsServiceTest, NegAlgNoneToken) {
  SetupResource(service());
  crypto::PrivateKey tee = NewKey(crypto::KeyType::kEcP256);
  std::string token;
  AttestOk(service(), tee, &token);
  auto parts = jose::JwsParse(token);
  const std::string none = absl::StrCat(Base64UrlEncode(R"({"alg":"none","typ":"JWT"})"), ".",
                                        Base64UrlEncode(parts->payload), ".");
  HttpResponse r = Call("GET", "/kbs/v0/resource/default/image_key/nginx", "", "",
                        absl::StrCat("Bearer ", none));
  ExpectKbsError(r, 401, "TokenVerifierError", "none");
}

TEST_F(KbsServiceTest, NegPolicyDeny) {
  SetupResource(service(), DenyAllResourcePolicy());
  crypto::PrivateKey tee = NewKey(crypto::KeyType::kEcP256);
  const std::string cookie = AttestOk(service(), tee, nullptr);
  ExpectKbsError(Call("GET", "/kbs/v0/resource/default/image_key/nginx", "", cookie), 401,
                 "PolicyDeny", "Access denied by policy");
}

TEST_F(KbsServiceTest, NegDefaultPolicyDeniesSampleTee) {
  HttpResponse set = Call("POST", "/kbs/v0/resource/default/image_key/nginx", kSecret, "", Admin());
  ASSERT_EQ(set.status, 200);
  crypto::PrivateKey tee = NewKey(crypto::KeyType::kEcP256);
  const std::string cookie = AttestOk(service(), tee, nullptr);
  ExpectKbsError(Call("GET", "/kbs/v0/resource/default/image_key/nginx", "", cookie), 401,
                 "PolicyDeny", "Access denied by policy");
}

TEST_F(KbsServiceTest, NegResourceWithoutToken) {
  ExpectKbsError(Call("GET", "/kbs/v0/resource/default/image_key/nginx"), 401, "TokenNotFound",
                 "Attestation Token not found");
}

TEST_F(KbsServiceTest, NegUnknownPlugin) {
  ExpectKbsError(Call("GET", "/kbs/v0/nebula/x/y/z"), 404, "PluginNotFound",
                 "Plugin nebula not found");
}

TEST_F(KbsServiceTest, NegMethodMismatchFallsThroughToPluginLookup) {
  ExpectKbsError(Call("GET", "/kbs/v0/auth"), 404, "PluginNotFound", "Plugin auth not found");
}

TEST_F(KbsServiceTest, NegDotDotInPath) {
  ExpectKbsError(Call("GET", "/kbs/v0/resource/default/../nginx"), 404, "InvalidRequestPath",
                 "is invalid");
  ExpectKbsError(Call("POST", "/kbs/v0/resource/default/..hidden/nginx", "x", "", Admin()), 404,
                 "InvalidRequestPath", "must start with");
  ExpectKbsError(Call("GET", "/kbs/v0/resource/default//nginx"), 404, "InvalidRequestPath",
                 "is invalid");
}

TEST_F(KbsServiceTest, NegAdminWithoutToken) {
  Json body = {{"policy", Base64UrlEncode(AllowAllResourcePolicy())}};
  ExpectKbsError(Call("POST", "/kbs/v0/resource-policy", body.dump()), 401, "AdminAuthAccess",
                 "admin token not found");
  ExpectKbsError(Call("POST", "/kbs/v0/resource/a/b/c", "x"), 401, "AdminAuthInitialization",
                 "admin token not found");
}

TEST_F(KbsServiceTest, NegAdminWrongKey) {
  crypto::PrivateKey other = NewKey(crypto::KeyType::kEd25519);
  const std::string token = AdminJwt(other, AdminClaims("admin"));
  Json body = {{"policy", Base64UrlEncode(AllowAllResourcePolicy())}};
  ExpectKbsError(
      Call("POST", "/kbs/v0/resource-policy", body.dump(), "", absl::StrCat("Bearer ", token)), 401,
      "AdminAuthAccess", "could not be verified");
}

TEST_F(KbsServiceTest, NegAdminExpiredToken) {
  const std::string token = AdminJwt(admin_key_, AdminClaims("admin", -120));
  Json body = {{"policy", Base64UrlEncode(AllowAllResourcePolicy())}};
  ExpectKbsError(
      Call("POST", "/kbs/v0/resource-policy", body.dump(), "", absl::StrCat("Bearer ", token)), 401,
      "AdminAuthAccess", "expired");
}

TEST_F(KbsServiceTest, NegAdminTokenWithoutExp) {
  Json claims = {{"role", "admin"}};
  const std::string token = AdminJwt(admin_key_, claims);
  ExpectKbsError(Call("POST", "/kbs/v0/resource/a/b/c", "x", "", absl::StrCat("Bearer ", token)),
                 401, "AdminAuthInitialization", "could not be verified");
}

TEST_F(KbsServiceTest, NegAdminWrongRole) {
  Json body = {{"policy", Base64UrlEncode(AllowAllResourcePolicy())}};
  ExpectKbsError(Call("POST", "/kbs/v0/resource-policy", body.dump(), "", Admin("reader")), 401,
                 "AdminAuthAccess", "role \"reader\" may not access /kbs/v0/resource-policy");
}

TEST_F(KbsServiceTest, NegAdminDisabledByDefault) {
  KbsConfig c = config_;
  c.admin = AdminConfig();
  std::unique_ptr<KbsService> s = MakeService(c);
  ExpectKbsError(Call(*s, "POST", "/kbs/v0/resource/a/b/c", "x", "", Admin()), 401,
                 "AdminAuthInitialization", "disabled");
}

TEST_F(KbsServiceTest, Es256AdminKeyAccepted) {
  crypto::PrivateKey ec = NewKey(crypto::KeyType::kEcP256);
  KbsConfig c = config_;
  c.admin.identity_providers[0].public_key_path = dir_.Write("ec.pub", testing::PublicPem(ec));
  std::unique_ptr<KbsService> s = MakeService(c);
  const std::string token = AdminJwt(ec, AdminClaims("admin"));
  EXPECT_EQ(
      Call(*s, "POST", "/kbs/v0/resource/a/b/c", "x", "", absl::StrCat("Bearer ", token)).status,
      200);
}

}  // namespace
}  // namespace cocoon::kbs
