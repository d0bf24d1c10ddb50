#include "ocicrypt/keyprovider_config.h"

#include <stdlib.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "base/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/testdata.h"

namespace cocoon::ocicrypt {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kUpstream[] = "ocicrypt/keywrap/keyprovider/keyprovider_test.go.extracted/";
constexpr char kGenerated[] = "generated/ocicrypt/keyprovider/";

KeyProviderConfig ParseOrDie(const std::string& relative) {
  auto config = ParseKeyProviderConfig(cocoon::testing::ReadTestdata(relative));
  EXPECT_TRUE(config.ok()) << relative << ": " << config.status();
  return config.ok() ? *config : KeyProviderConfig();
}

TEST(KeyProviderConfigTest, UpstreamSingleCmdProviderConfigs) {
  struct Case {
    const char* file;
    const char* path;
  };
  for (const Case& c : {Case{"configFile1.json", "/usr/lib/keyprovider-1-wrapkey"},
                        Case{"configFile2.json", "/usr/lib/keyprovider-1-unwrapkey"}}) {
    COCOON_TESTDATA_OR_SKIP(p, absl::StrCat(kUpstream, c.file));
    KeyProviderConfig config = ParseOrDie(absl::StrCat(kUpstream, c.file));
    ASSERT_EQ(config.providers.size(), 1u) << c.file;
    const KeyProviderEntry& e = config.providers.at("keyprovider-1");
    EXPECT_EQ(e.name, "keyprovider-1");
    ASSERT_TRUE(e.cmd.has_value());
    EXPECT_EQ(e.cmd->path, c.path);
    EXPECT_THAT(e.cmd->args, IsEmpty());
    EXPECT_EQ(e.grpc, "");
    EXPECT_FALSE(e.grpc_tls.has_value());
  }
}

TEST(KeyProviderConfigTest, UpstreamTwoCmdProviderConfigs) {
  for (const char* file : {"configFile1_1.json", "configFile2_1.json"}) {
    COCOON_TESTDATA_OR_SKIP(p, absl::StrCat(kUpstream, file));
    KeyProviderConfig config = ParseOrDie(absl::StrCat(kUpstream, file));
    ASSERT_EQ(config.providers.size(), 2u) << file;
    EXPECT_TRUE(config.providers.at("keyprovider-1").cmd.has_value());
    ASSERT_TRUE(config.providers.at("keyprovider-2").cmd.has_value());
    EXPECT_THAT(config.providers.at("keyprovider-2").cmd->path, HasSubstr("keyprovider-2-"));
  }
}

TEST(KeyProviderConfigTest, UpstreamMixedConfigKeepsAllFourWithTlsOnlyOnTheFourth) {
  COCOON_TESTDATA_OR_SKIP(p, absl::StrCat(kUpstream, "filecontent.json"));
  KeyProviderConfig config = ParseOrDie(absl::StrCat(kUpstream, "filecontent.json"));
  ASSERT_EQ(config.providers.size(), 4u);
  EXPECT_EQ(config.providers.at("keyprovider-1").grpc, "localhost:50051");
  EXPECT_EQ(config.providers.at("keyprovider-2").grpc, "localhost:3990");
  EXPECT_TRUE(config.providers.at("keyprovider-3").cmd.has_value());
  EXPECT_EQ(config.providers.at("keyprovider-3").grpc, "");
  const KeyProviderEntry& four = config.providers.at("keyprovider-4");
  EXPECT_EQ(four.grpc, "localhost:3990");
  ASSERT_TRUE(four.grpc_tls.has_value());
  EXPECT_EQ(four.grpc_tls->server_name, "localhost");
  EXPECT_FALSE(four.grpc_tls->insecure_skip_verify);
  EXPECT_EQ(four.grpc_tls->root_ca_file, "/etc/ssl/certs/ca-certificates.crt");
  EXPECT_EQ(four.grpc_tls->cert_file, "");
  for (const char* name : {"keyprovider-1", "keyprovider-2", "keyprovider-3"}) {
    EXPECT_FALSE(config.providers.at(name).grpc_tls.has_value()) << name;
  }
}

TEST(KeyProviderConfigTest, GeneratedCmdConfigKeepsArgs) {
  COCOON_TESTDATA_OR_SKIP(p, absl::StrCat(kGenerated, "ocicrypt_keyprovider_cmd.conf"));
  KeyProviderConfig config = ParseOrDie(absl::StrCat(kGenerated, "ocicrypt_keyprovider_cmd.conf"));
  ASSERT_EQ(config.providers.size(), 1u);
  const KeyProviderEntry& e = config.providers.at("mycmd");
  ASSERT_TRUE(e.cmd.has_value());
  EXPECT_EQ(e.cmd->path, "/usr/local/bin/my-keyprovider");
  EXPECT_THAT(e.cmd->args, ElementsAre("--mode", "ocicrypt"));
}

TEST(KeyProviderConfigTest, GeneratedGrpcConfigsKeepTheTargetVerbatim) {
  struct Case {
    const char* file;
    const char* target;
  };
  for (const Case& c :
       {Case{"ocicrypt_keyprovider_grpc.conf", "127.0.0.1:50000"},
        Case{"ocicrypt_keyprovider_grpc_unix.conf",
             "unix:///run/confidential-containers/attestation-agent/keyprovider.sock"}}) {
    COCOON_TESTDATA_OR_SKIP(p, absl::StrCat(kGenerated, c.file));
    KeyProviderConfig config = ParseOrDie(absl::StrCat(kGenerated, c.file));
    ASSERT_EQ(config.providers.size(), 1u);
    const KeyProviderEntry& e = config.providers.at("attestation-agent");
    EXPECT_EQ(e.grpc, c.target);
    EXPECT_FALSE(e.cmd.has_value());
    EXPECT_FALSE(e.grpc_tls.has_value());
  }
}

TEST(KeyProviderConfigTest, GeneratedGrpcTlsConfigKeepsEveryTlsSetting) {
  COCOON_TESTDATA_OR_SKIP(p, absl::StrCat(kGenerated, "ocicrypt_keyprovider_grpc_tls.conf"));
  KeyProviderConfig config =
      ParseOrDie(absl::StrCat(kGenerated, "ocicrypt_keyprovider_grpc_tls.conf"));
  const KeyProviderEntry& e = config.providers.at("kp");
  EXPECT_EQ(e.grpc, "kms.example:443");
  ASSERT_TRUE(e.grpc_tls.has_value());
  EXPECT_EQ(e.grpc_tls->root_ca_file, "/etc/ssl/ca.pem");
  EXPECT_EQ(e.grpc_tls->cert_file, "/etc/ssl/client.pem");
  EXPECT_EQ(e.grpc_tls->key_file, "/etc/ssl/client.key");
  EXPECT_EQ(e.grpc_tls->server_name, "kms.example");
  EXPECT_FALSE(e.grpc_tls->insecure_skip_verify);
}

TEST(KeyProviderConfigTest, OcicryptRsKindsWithoutCmdOrGrpcAreKeptButHaveNoInvocation) {
  const char* rel = "guest-components/ocicrypt-rs/data/ocicrypt_config.json";
  COCOON_TESTDATA_OR_SKIP(p, rel);
  KeyProviderConfig config = ParseOrDie(rel);
  ASSERT_EQ(config.providers.size(), 4u);
  for (const char* name : {"keyprovider3", "keyprovider4"}) {
    const KeyProviderEntry& e = config.providers.at(name);
    EXPECT_FALSE(e.cmd.has_value()) << name;
    EXPECT_EQ(e.grpc, "") << name;
  }
}

TEST(KeyProviderConfigTest, BothCmdAndGrpcAreKept) {
  auto config = ParseKeyProviderConfig(
      R"({"key-providers":{"kp":{"cmd":{"path":"/bin/kp"},"grpc":"127.0.0.1:1"}}})");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->providers.at("kp").cmd.has_value());
  EXPECT_EQ(config->providers.at("kp").grpc, "127.0.0.1:1");
}

TEST(KeyProviderConfigTest, NullsAndUnknownMembersAreIgnoredAndNamesFoldCase) {
  auto config = ParseKeyProviderConfig(
      R"({"Key-Providers":{"a":null,"b":{"CMD":{"Path":"/x","args":[null,"y"]},"grpc":null,)"
      R"("grpc-tls":null,"other":1}},"version":2})");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_FALSE(config->providers.at("a").cmd.has_value());
  const KeyProviderEntry& b = config->providers.at("b");
  ASSERT_TRUE(b.cmd.has_value());
  EXPECT_EQ(b.cmd->path, "/x");
  EXPECT_THAT(b.cmd->args, ElementsAre("", "y"));
  EXPECT_FALSE(b.grpc_tls.has_value());
}

TEST(KeyProviderConfigTest, EmptyOrNullProvidersGiveAnEmptyConfig) {
  for (const char* json : {"{}", "null", R"({"key-providers":null})", R"({"key-providers":{}})"}) {
    auto config = ParseKeyProviderConfig(json);
    ASSERT_TRUE(config.ok()) << json << ": " << config.status();
    EXPECT_TRUE(config->providers.empty()) << json;
  }
}

TEST(KeyProviderConfigTest, WrongTypesNameTheField) {
  struct Case {
    const char* json;
    const char* message;
  };
  for (const Case& c : {
           Case{R"({"key-providers":[]})", "key-providers: expected an object or null"},
           Case{R"({"key-providers":{"x":{"grpc":5}}})", "key-providers.x.grpc: expected a string"},
           Case{R"({"key-providers":{"x":{"cmd":{"args":"a"}}}})",
                "key-providers.x.cmd.args: expected an array or null"},
           Case{R"({"key-providers":{"x":{"cmd":{"args":[1]}}}})",
                "key-providers.x.cmd.args[0]: expected a string"},
           Case{R"({"key-providers":{"x":{"grpc-tls":{"insecure-skip-verify":"no"}}}})",
                "key-providers.x.grpc-tls.insecure-skip-verify: expected a boolean"},
           Case{R"("x")", "top level: expected an object"},
       }) {
    auto config = ParseKeyProviderConfig(c.json);
    ASSERT_FALSE(config.ok()) << c.json;
    EXPECT_THAT(config.status().message(), HasSubstr(c.message)) << c.json;
  }
}

TEST(KeyProviderConfigTest, InvalidJsonIsAnError) {
  auto config = ParseKeyProviderConfig(R"({"key-providers":)");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("keyprovider config: invalid JSON"));
}

class KeyProviderConfigEnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* old = getenv("OCICRYPT_KEYPROVIDER_CONFIG");
    if (old != nullptr) saved_ = old;
    auto dir = MakeTempDir("/tmp/kpconfig");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = *dir;
  }
  void TearDown() override {
    if (saved_) {
      setenv("OCICRYPT_KEYPROVIDER_CONFIG", saved_->c_str(), 1);
    } else {
      unsetenv("OCICRYPT_KEYPROVIDER_CONFIG");
    }
    (void)RemoveAll(dir_);
  }
  std::optional<std::string> saved_;
  std::string dir_;
};

TEST_F(KeyProviderConfigEnvTest, UnsetVariableGivesAnEmptyConfig) {
  unsetenv("OCICRYPT_KEYPROVIDER_CONFIG");
  auto config = LoadKeyProviderConfigFromEnv();
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->providers.empty());
}

TEST_F(KeyProviderConfigEnvTest, NonexistentFileGivesAnEmptyConfig) {
  setenv("OCICRYPT_KEYPROVIDER_CONFIG", "/path/to/nowhere", 1);
  auto config = LoadKeyProviderConfigFromEnv();
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->providers.empty());
}

TEST_F(KeyProviderConfigEnvTest, FileNamedByTheVariableIsParsed) {
  const std::string path = dir_ + "/kp.conf";
  ASSERT_TRUE(WriteFileAtomic(path, R"({"key-providers":{"aa":{"grpc":"127.0.0.1:50000"}}})").ok());
  setenv("OCICRYPT_KEYPROVIDER_CONFIG", path.c_str(), 1);
  auto config = LoadKeyProviderConfigFromEnv();
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->providers.at("aa").grpc, "127.0.0.1:50000");
}

TEST_F(KeyProviderConfigEnvTest, InvalidJsonInTheFileIsAnErrorNamingThePath) {
  const std::string path = dir_ + "/bad.conf";
  ASSERT_TRUE(WriteFileAtomic(path, "{not json").ok());
  setenv("OCICRYPT_KEYPROVIDER_CONFIG", path.c_str(), 1);
  auto config = LoadKeyProviderConfigFromEnv();
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr(path));
  EXPECT_THAT(config.status().message(), HasSubstr("invalid JSON"));
}

}  // namespace
}  // namespace cocoon::ocicrypt
