// The attestation agent: upstream config files, the ttrpc service with the sample attester, the
// AAEL event record, and GetToken through an in-process KBS.
#include "aa/agent.h"

#include <thread>

#include <grpcpp/grpcpp.h>

#include "aa/aa_client.h"
#include "aa/attester/sample_attester.h"
#include "aa/config.h"
#include "aa/grpc_server.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/encoding.h"
#include "base/file_util.h"
#include "base/json.h"
#include "crypto/keys.h"
#include "crypto/stream_cipher.h"
#include "gtest/gtest.h"
#include "kbs/client.h"
#include "kbs/http_server.h"
#include "kbs/kbs_service.h"
#include "kbs/policy_engine.h"
#include "rpc/attestation-agent.grpc.pb.h"
#include "rpc/attestation-agent.pb.h"
#include "rpc/ttrpc_client.h"
#include "rpc/ttrpc_server.h"
#include "testing/testdata.h"

namespace cocoon::aa {
namespace {

constexpr char kAaDir[] = "guest-components/attestation-agent/attestation-agent/";

TEST(AaConfigTest, UpstreamExampleToml) {
  COCOON_TESTDATA_OR_SKIP(path, absl::StrCat(kAaDir, "config.example.toml"));
  auto cfg = LoadAaConfig(path);
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  ASSERT_TRUE(cfg->kbs.has_value());
  EXPECT_EQ(cfg->kbs->url, "https://127.0.0.1:8080");
  EXPECT_TRUE(absl::StrContains(cfg->kbs->cert, "BEGIN CERTIFICATE"));
  EXPECT_EQ(cfg->kbs->tee_key_algorithm, TeeKeyAlgorithm::kEcP256);
  EXPECT_EQ(cfg->coco_as_url, "http://127.0.0.1:8000");
  EXPECT_EQ(cfg->init_pcr, 17);
  EXPECT_FALSE(cfg->enable_eventlog);
  EXPECT_EQ(cfg->log_level, "info");
  EXPECT_TRUE(cfg->warnings.empty());
}

TEST(AaConfigTest, UpstreamExampleJson) {
  COCOON_TESTDATA_OR_SKIP(path, absl::StrCat(kAaDir, "config.example.json"));
  auto cfg = LoadAaConfig(path);
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  ASSERT_TRUE(cfg->kbs.has_value());
  EXPECT_EQ(cfg->kbs->url, "https://127.0.0.1:8080");
  EXPECT_EQ(cfg->coco_as_url, "http://127.0.0.1:8000");
}

TEST(AaConfigTest, UpstreamTestConfigs) {
  for (int i = 1; i <= 6; ++i) {
    const std::string rel = absl::StrCat(kAaDir, "test/config", i, ".toml");
    COCOON_TESTDATA_OR_SKIP(path, rel);
    auto cfg = LoadAaConfig(path);
    ASSERT_TRUE(cfg.ok()) << rel << ": " << cfg.status();
    EXPECT_EQ(cfg->init_pcr, 17) << rel;
    if (i == 1) {
      ASSERT_TRUE(cfg->kbs.has_value());
      EXPECT_EQ(cfg->kbs->cert, "cert");
      EXPECT_EQ(cfg->log_level, "warn");
    }
    if (i == 5) {
      EXPECT_FALSE(cfg->kbs.has_value());
      EXPECT_EQ(cfg->log_level, "info");
    }
  }
}

TEST(AaConfigTest, EmptyUnknownAndWrongTypes) {
  auto cfg = ParseAaConfig("", AaConfigFormat::kToml);
  ASSERT_TRUE(cfg.ok());
  EXPECT_FALSE(cfg->kbs.has_value());
  EXPECT_TRUE(cfg->attester.tee.empty());

  cfg = ParseAaConfig("foo = 1\n[log]\nlevel = \"DEBUG\"\ncolour = true\n", AaConfigFormat::kToml);
  ASSERT_TRUE(cfg.ok());
  EXPECT_EQ(cfg->log_level, "debug");
  ASSERT_EQ(cfg->warnings.size(), 2u);
  EXPECT_TRUE(absl::StrContains(cfg->warnings[0] + cfg->warnings[1], "log.colour"));

  auto bad = ParseAaConfig("[eventlog_config]\ninit_pcr = \"17\"\n", AaConfigFormat::kToml);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "eventlog_config.init_pcr"));
  bad = ParseAaConfig("[token_configs.kbs]\nurl = \"http://k\"\ntee_key_algorithm = \"X\"\n",
                      AaConfigFormat::kToml);
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "tee_key_algorithm"));
  bad = ParseAaConfig("[token_configs.kbs]\ncert = \"c\"\n", AaConfigFormat::kToml);
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "token_configs.kbs.url: required"));
  bad = ParseAaConfig("[log\n", AaConfigFormat::kToml);
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "line 1"));
  EXPECT_FALSE(LoadAaConfig("/etc/attestation-agent.conf").ok());
}

TEST(AaConfigTest, AttesterExtension) {
  auto cfg = ParseAaConfig(
      "[attester]\ntee = \"az-tdx-vtpm\"\ntcti = \"swtpm:host=127.0.0.1,port=2321\"\n"
      "imds_url = \"http://127.0.0.1:9\"\nsettle_delay_ms = 0\nevidence_version = 1\n"
      "[token_configs.kbs]\nurl = \"http://127.0.0.1:8080\"\ntee_key_algorithm = "
      "\"RSA-OAEP-256\"\n",
      AaConfigFormat::kToml);
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->attester.tee, "az-tdx-vtpm");
  EXPECT_EQ(cfg->attester.tcti, "swtpm:host=127.0.0.1,port=2321");
  EXPECT_EQ(cfg->attester.settle_delay, absl::ZeroDuration());
  EXPECT_EQ(cfg->attester.evidence_version, 1);
  EXPECT_EQ(cfg->kbs->tee_key_algorithm, TeeKeyAlgorithm::kRsaOaep256);
  EXPECT_FALSE(ParseAaConfig("[attester]\ntee = \"snp\"\n", AaConfigFormat::kToml).ok());
  setenv("COCOON_AA_TEE", "sample", 1);
  setenv("COCOON_AA_TCTI", "swtpm:port=1", 1);
  ApplyAaEnvironment(&*cfg);
  unsetenv("COCOON_AA_TEE");
  unsetenv("COCOON_AA_TCTI");
  EXPECT_EQ(cfg->attester.tee, "sample");
  EXPECT_EQ(cfg->attester.tcti, "swtpm:port=1");
}

TEST(AaConfigTest, InitData) {
  const std::string text = "version = \"0.1.0\"\nalgorithm = \"sha256\"\n[data]\nk = \"v\"\n";
  auto init = ParseInitData(text);
  ASSERT_TRUE(init.ok()) << init.status();
  EXPECT_EQ(init->digest, crypto::Sha256(text));
  EXPECT_EQ(init->toml, text);
  auto dflt = ParseInitData("[data]\n");
  ASSERT_TRUE(dflt.ok());
  EXPECT_EQ(dflt->digest.size(), 48u);
  EXPECT_FALSE(ParseInitData("algorithm = \"md5\"\n").ok());
  EXPECT_FALSE(ParseInitData("algorithm = [\n").ok());
}

TEST(AaelTest, UpstreamEventVector) {
  const std::string tagged = AaelTaggedEvent("domain", "operation", "content");
  EXPECT_EQ(HexEncode(tagged), "4c45414118000000646f6d61696e206f7065726174696f6e20636f6e74656e74");
  EXPECT_EQ(HexEncode(crypto::Sha256(tagged)),
            "46df8dacf00a07d34a83cdf56d7978697790787cf2ba1432ef7c38f22cd96351");
}

class AgentServiceTest : public ::testing::Test {
 protected:
  void StartAgent(const AaConfig& config) {
    auto dir = MakeTempDir("/tmp/aa_test_");
    ASSERT_TRUE(dir.ok());
    dir_ = *dir;
    auto agent = AttestationAgent::Create(config, std::make_unique<SampleAttester>());
    ASSERT_TRUE(agent.ok()) << agent.status();
    agent_ = *std::move(agent);
    RegisterAttestationAgentService(agent_.get(), &server_);
    socket_ = absl::StrCat("unix://", dir_, "/aa/attestation-agent.sock");
    ASSERT_TRUE(server_.Start(socket_).ok());
  }
  void TearDown() override {
    server_.Stop();
    if (!dir_.empty()) (void)RemoveAll(dir_);
  }

  std::string dir_;
  std::string socket_;
  std::unique_ptr<AttestationAgent> agent_;
  rpc::TtrpcServer server_;
};

TEST_F(AgentServiceTest, EvidenceAndTeeTypeOverTtrpc) {
  StartAgent(AaConfig());
  AttestationAgentClient client(socket_);
  auto tee = client.GetTeeType();
  ASSERT_TRUE(tee.ok()) << tee.status();
  EXPECT_EQ(*tee, "sample");
  const std::string rd(48, '\x07');
  auto evidence = client.GetEvidence(rd);
  ASSERT_TRUE(evidence.ok()) << evidence.status();
  EXPECT_EQ(*evidence, absl::StrCat("{\"svn\":\"1\",\"report_data\":\"", Base64Encode(rd), "\"}"));
}

TEST_F(AgentServiceTest, UpstreamErrorShapes) {
  StartAgent(AaConfig());
  auto raw = rpc::TtrpcClient::Connect(socket_);
  ASSERT_TRUE(raw.ok());
  // BindInitData is not served over ttrpc (as upstream's ttrpc-aa).
  auto r = (*raw)->Call(kAttestationAgentService, "BindInitData", "");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(r.status().message(),
                                "/attestation_agent.AttestationAgentService/BindInitData"));
  // A body that is not the request message.
  r = (*raw)->Call(kAttestationAgentService, "GetEvidence", std::string("\xff\xff\xff", 3));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  AttestationAgentClient client(socket_);
  auto token = client.GetToken("coco_as");
  EXPECT_EQ(token.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(token.status().message(), "Unsupported token type"));
  token = client.GetToken("kbs");
  EXPECT_EQ(token.status().code(), absl::StatusCode::kInternal);
  EXPECT_TRUE(absl::StrContains(token.status().message(), "[ERROR:attestation-agent]"));
  EXPECT_TRUE(absl::StrContains(token.status().message(), "token_configs.kbs.url"));
}

TEST_F(AgentServiceTest, RuntimeMeasurement) {
  StartAgent(AaConfig());
  auto raw = rpc::TtrpcClient::Connect(socket_);
  ASSERT_TRUE(raw.ok());
  attestation_agent::ExtendRuntimeMeasurementRequest req;
  req.set_domain("d");
  req.set_operation("o");
  req.set_content("c");
  auto r =
      (*raw)->Call(kAttestationAgentService, "ExtendRuntimeMeasurement", req.SerializeAsString());
  ASSERT_TRUE(r.ok()) << r.status();
  attestation_agent::ExtendRuntimeMeasurementResponse resp;
  ASSERT_TRUE(resp.ParseFromString(*r));
  EXPECT_EQ(resp.result(), attestation_agent::NOT_ENABLED);

  AaConfig enabled;
  enabled.enable_eventlog = true;
  auto agent = AttestationAgent::Create(enabled, std::make_unique<SampleAttester>());
  ASSERT_TRUE(agent.ok());
  auto m = (*agent)->ExtendRuntimeMeasurement("d", "o", "c", std::nullopt);
  EXPECT_EQ(m.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_TRUE(absl::StrContains(m.status().message(), "sample"));
}

TEST_F(AgentServiceTest, GrpcTransport) {
  StartAgent(AaConfig());
  auto grpc_server = AaGrpcServer::Start("127.0.0.1:0", agent_.get());
  ASSERT_TRUE(grpc_server.ok()) << grpc_server.status();
  auto stub = attestation_agent::AttestationAgentService::NewStub(
      grpc::CreateChannel((*grpc_server)->target(), grpc::InsecureChannelCredentials()));
  {
    grpc::ClientContext ctx;
    attestation_agent::GetTeeTypeResponse resp;
    ASSERT_TRUE(stub->GetTeeType(&ctx, attestation_agent::GetTeeTypeRequest(), &resp).ok());
    EXPECT_EQ(resp.tee(), "sample");
  }
  {
    grpc::ClientContext ctx;
    attestation_agent::GetEvidenceRequest req;
    req.set_runtimedata("abc");
    attestation_agent::GetEvidenceResponse resp;
    ASSERT_TRUE(stub->GetEvidence(&ctx, req, &resp).ok());
    EXPECT_EQ(resp.evidence(), "{\"svn\":\"1\",\"report_data\":\"YWJj\"}");
  }
  {
    // grpc-aa serves BindInitData; the sample TEE cannot bind.
    grpc::ClientContext ctx;
    attestation_agent::BindInitDataRequest req;
    req.set_digest(std::string(32, 'x'));
    attestation_agent::BindInitDataResponse resp;
    grpc::Status s = stub->BindInitData(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  }
  (*grpc_server)->Shutdown();
}

TEST_F(AgentServiceTest, GetTokenFromKbs) {
  // An in-process KBS with the sample verifier.
  kbs::KbsConfig kc;
  kc.http_server.insecure_http = true;
  kc.http_server.sockets = {"127.0.0.1:0"};
  kc.resource_plugin.enabled = true;
  kc.admin.mode = kbs::AdminConfig::Mode::kInsecureAllowAll;
  auto service = kbs::KbsService::Create(kc);
  ASSERT_TRUE(service.ok());
  auto http = kbs::KbsHttpServer::Create(service->get(), kc.http_server);
  ASSERT_TRUE(http.ok());
  auto bound = (*http)->Bind();
  ASSERT_TRUE(bound.ok());
  std::thread t([&] { (void)(*http)->Run(); });

  AaConfig config;
  config.kbs =
      KbsTokenConfig{absl::StrCat("http://", (*bound)[0], "/"), "", TeeKeyAlgorithm::kEcP256};
  StartAgent(config);
  AttestationAgentClient client(socket_);
  auto token = client.GetToken("kbs");
  ASSERT_TRUE(token.ok()) << token.status();
  auto j = ParseJson(*token, "token");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ((*j)["token"].get<std::string>().substr(0, 2), "ey");
  EXPECT_TRUE(absl::StrContains((*j)["tee_keypair"].get<std::string>(), "BEGIN PRIVATE KEY"));
  // Reused until it expires.
  auto again = client.GetToken("kbs");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *token);

  // Each TEE key algorithm: the token and key from GetToken fetch a resource (passport mode, as
  // upstream's CDH uses them).
  kbs::KbsClientOptions admin_opts;
  admin_opts.url = absl::StrCat("http://", (*bound)[0]);
  auto admin = kbs::KbsClient::Create(admin_opts);
  ASSERT_TRUE(admin.ok());
  ASSERT_TRUE((*admin)->SetResource("default/key/1", "resource bytes", "").ok());
  ASSERT_TRUE((*admin)->SetResourcePolicy(kbs::AllowAllResourcePolicy(), "").ok());
  for (auto [alg, pem_kind] : {std::pair{TeeKeyAlgorithm::kEcP256, "BEGIN PRIVATE KEY"},
                               std::pair{TeeKeyAlgorithm::kEcP521, "BEGIN PRIVATE KEY"},
                               std::pair{TeeKeyAlgorithm::kRsaOaep256, "BEGIN RSA PRIVATE KEY"}}) {
    AaConfig c = config;
    c.kbs->tee_key_algorithm = alg;
    auto agent = AttestationAgent::Create(c, std::make_unique<SampleAttester>());
    ASSERT_TRUE(agent.ok());
    auto out = (*agent)->GetToken("kbs");
    ASSERT_TRUE(out.ok()) << pem_kind << ": " << out.status();
    auto parsed = ParseJson(*out, "token");
    ASSERT_TRUE(parsed.ok());
    const std::string pem = (*parsed)["tee_keypair"].get<std::string>();
    EXPECT_TRUE(absl::StrContains(pem, pem_kind)) << pem.substr(0, 40);
    auto key = crypto::PrivateKey::Parse(pem);
    ASSERT_TRUE(key.ok());
    auto value = (*admin)->GetResourceWithToken("default/key/1",
                                                (*parsed)["token"].get<std::string>(), *key);
    ASSERT_TRUE(value.ok()) << pem_kind << ": " << value.status();
    EXPECT_EQ(value->view(), "resource bytes");
  }
  (*http)->Stop();
  t.join();
}

}  // namespace
}  // namespace cocoon::aa
