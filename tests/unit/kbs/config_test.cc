#include "kbs/config.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "testing/testdata.h"

namespace cocoon::kbs {
namespace {

// kbs-config.toml from walkthrough section 5.2, verbatim.
constexpr absl::string_view kWalkthroughConfig = R"([http_server]
sockets = ["0.0.0.0:8080"]
insecure_http = true

[admin]
insecure_api = false
type = "Simple"
auth_public_key = "/opt/confidential-containers/kbs/config/public.pub"

[attestation_token]
insecure_key = true
attestation_token_type = "CoCo"

[attestation_service]
type = "coco_as_builtin"
work_dir = "/opt/confidential-containers/attestation-service"
policy_engine = "opa"

[attestation_service.attestation_token_broker]
type = "Ear"
policy_dir = "/opt/confidential-containers/attestation-service/policies"

[attestation_service.attestation_token_config]
duration_min = 5

[attestation_service.rvps_config]
type = "BuiltIn"

[attestation_service.rvps_config.storage]
type = "LocalJson"
file_path = "/opt/confidential-containers/rvps/reference-values.json"

[[plugins]]
name = "resource"
type = "LocalFs"
dir_path = "/opt/confidential-containers/kbs/repository"

[policy_engine]
policy_path = "/opt/confidential-containers/kbs/policy.rego"
)";

void ExpectError(absl::string_view toml, absl::string_view substring) {
  absl::StatusOr<KbsConfig> c = ParseKbsConfig(toml);
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(absl::StrContains(c.status().message(), substring)) << c.status();
}

TEST(KbsConfigTest, WalkthroughLayout) {
  absl::StatusOr<KbsConfig> c = ParseKbsConfig(kWalkthroughConfig);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->http_server.sockets, std::vector<std::string>{"0.0.0.0:8080"});
  EXPECT_TRUE(c->http_server.insecure_http);
  EXPECT_EQ(c->admin.mode, AdminConfig::Mode::kAuthenticated);
  EXPECT_TRUE(c->admin.legacy_no_role);
  ASSERT_EQ(c->admin.identity_providers.size(), 1u);
  EXPECT_EQ(c->admin.identity_providers[0].public_key_path,
            "/opt/confidential-containers/kbs/config/public.pub");
  EXPECT_TRUE(c->attestation_token.insecure_header_jwk);
  EXPECT_EQ(c->attestation_service.broker.policy_dir,
            "/opt/confidential-containers/attestation-service/policies");
  EXPECT_EQ(c->attestation_service.broker.duration_min, 5);
  EXPECT_EQ(c->attestation_service.rvps_json_path,
            "/opt/confidential-containers/rvps/reference-values.json");
  EXPECT_TRUE(c->resource_plugin.enabled);
  EXPECT_EQ(c->resource_plugin.dir_path, "/opt/confidential-containers/kbs/repository");
  EXPECT_EQ(c->resource_policy_path, "/opt/confidential-containers/kbs/policy.rego");
}

TEST(KbsConfigTest, CurrentUpstreamLayout) {
  COCOON_TESTDATA_OR_SKIP(path, "trustee/kbs/config/kbs-config.toml");
  absl::StatusOr<KbsConfig> c = LoadKbsConfig(path);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->admin.mode, AdminConfig::Mode::kInsecureAllowAll);
  EXPECT_EQ(c->storage.type, StorageConfig::Type::kLocalFs);
  EXPECT_EQ(c->storage.dir_path, "/opt/confidential-containers/storage");
  EXPECT_TRUE(c->resource_plugin.enabled);
  EXPECT_TRUE(c->resource_plugin.dir_path.empty());
  EXPECT_EQ(c->http_server.sockets, std::vector<std::string>{"127.0.0.1:8080"});
}

TEST(KbsConfigTest, OlderTaggedLayouts) {
  for (const char* rel : {"trustee/_tags/v0.13.0/kbs/config/kbs-config.toml",
                          "trustee/_tags/v0.14.0/kbs/config/kbs-config.toml"}) {
    COCOON_TESTDATA_OR_SKIP(path, rel);
    absl::StatusOr<KbsConfig> c = LoadKbsConfig(path);
    EXPECT_TRUE(c.ok()) << rel << ": " << c.status();
  }
}

TEST(KbsConfigTest, UpstreamParserVectors) {
  COCOON_TESTDATA_OR_SKIP(b2, "trustee/kbs/test_data/configs/coco-as-builtin-2.toml");
  absl::StatusOr<KbsConfig> c = LoadKbsConfig(b2);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->http_server.payload_request_size_mib, 2u);
  EXPECT_EQ(c->attestation_service.timeout_min, 5);
  COCOON_TESTDATA_OR_SKIP(b3, "trustee/kbs/test_data/configs/coco-as-builtin-3.toml");
  c = LoadKbsConfig(b3);
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(absl::StrContains(c.status().message(), "storage_backend.storage_type"));
  COCOON_TESTDATA_OR_SKIP(grpc, "trustee/kbs/test_data/configs/coco-as-grpc-1.toml");
  c = LoadKbsConfig(grpc);
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(absl::StrContains(c.status().message(), "attestation_service.type")) << c.status();
}

TEST(KbsConfigTest, AuthenticatedAdminWithIdentityProvidersAndAcls) {
  absl::StatusOr<KbsConfig> c = ParseKbsConfig(R"(
[http_server]
insecure_http = true
[admin]
authorization_mode = "AuthenticatedAuthorization"
[admin.authentication.bearer_jwt]
identity_providers = [{ issuer = "issuer", audience = ["kbs"], public_key_uri = "/k.pem" }]
[admin.authorization.regex_acl]
acls = [{ role = "admin", allowed_endpoints = "^/kbs/.+$" }]
)");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->admin.identity_providers.size(), 1u);
  EXPECT_EQ(c->admin.identity_providers[0].issuer, "issuer");
  EXPECT_EQ(c->admin.identity_providers[0].audiences, std::vector<std::string>{"kbs"});
  ASSERT_EQ(c->admin.acls.size(), 1u);
  EXPECT_FALSE(c->admin.legacy_no_role);
}

TEST(KbsConfigTest, MissingAdminMeansDenyAll) {
  absl::StatusOr<KbsConfig> c = ParseKbsConfig("[http_server]\ninsecure_http = true\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->admin.mode, AdminConfig::Mode::kDenyAll);
}

TEST(KbsConfigTest, UnknownKeyIsNamed) {
  ExpectError("[http_server]\ninsecure_http = true\nworkers = 3\n",
              "config key http_server.workers: unknown key");
  ExpectError("[http_server]\ninsecure_http = true\n[admin]\ntype = \"Simple\"\nfoo = 1\n",
              "config key admin.foo: unknown key");
  ExpectError("[http_server]\ninsecure_http = true\nbogus = 1\n[bogus_section]\n", "unknown key");
}

TEST(KbsConfigTest, WrongTypeIsNamed) {
  ExpectError("[http_server]\ninsecure_http = \"yes\"\n",
              "config key http_server.insecure_http: expected a boolean, found string");
  ExpectError("[http_server]\nsockets = [\"a:1\", 2]\ninsecure_http = true\n",
              "config key http_server.sockets[1]: expected a string, found integer");
  ExpectError("[http_server]\ninsecure_http = true\n[attestation_service]\ntimeout = \"5\"\n",
              "config key attestation_service.timeout: expected an integer");
}

TEST(KbsConfigTest, MissingHttpServerAndHttpsMaterial) {
  ExpectError("[admin]\ninsecure_api = true\n", "http_server: required section is missing");
  ExpectError("[http_server]\nsockets = [\"127.0.0.1:8080\"]\n", "HTTPS needs private_key");
}

TEST(KbsConfigTest, UnknownPluginAndTomlSyntax) {
  ExpectError("[http_server]\ninsecure_http = true\n[[plugins]]\nname = \"nebula\"\n",
              "config key plugins[0].name: unknown plugin \"nebula\"");
  ExpectError("[http_server\n", "TOML error at line 1");
}

TEST(KbsConfigTest, SessionSealingKeyAndSigner) {
  absl::StatusOr<KbsConfig> c = ParseKbsConfig(R"(
[http_server]
insecure_http = true
[session]
sealing_key_path = "/etc/kbs/seal.key"
challenge_timeout_sec = 20
[attestation_service.attestation_token_broker.signer]
key_path = "/etc/kbs/token.key"
cert_path = "/etc/kbs/token.crt"
)");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->session.sealing_key_path, "/etc/kbs/seal.key");
  EXPECT_EQ(c->session.challenge_timeout_sec, 20);
  EXPECT_EQ(c->attestation_service.broker.signer_key_path, "/etc/kbs/token.key");
  EXPECT_EQ(c->attestation_service.broker.signer_cert_path, "/etc/kbs/token.crt");
}

}  // namespace
}  // namespace cocoon::kbs
