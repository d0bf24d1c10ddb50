#include "cdh/config.h"

#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/file_util.h"
#include "gtest/gtest.h"
#include "testing/testdata.h"

namespace cocoon::cdh {
namespace {

bool HasWarning(const CdhConfig& c, absl::string_view needle) {
  for (const auto& w : c.warnings) {
    if (absl::StrContains(w, needle)) return true;
  }
  return false;
}

TEST(CdhConfigTest, WalkthroughJson) {
  auto cfg = ParseCdhConfig(R"({
    "socket": "127.0.0.1:50000",
    "kbc": {"name": "cc_kbc", "url": "http://10.0.0.4:8080"},
    "image": {"max_concurrent_layer_downloads_per_image": 3, "work_dir": "/run/image-rs"}})",
                            ConfigFormat::kJson);
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->socket, "127.0.0.1:50000");
  EXPECT_FALSE(IsUnixSocketAddress(cfg->socket));
  EXPECT_EQ(cfg->kbc.name, "cc_kbc");
  EXPECT_EQ(cfg->kbc.url, "http://10.0.0.4:8080");
  EXPECT_EQ(cfg->kbc.offline_fs_resources_file, "/etc/aa-offline_fs_kbc-resources.json");
  EXPECT_TRUE(HasWarning(*cfg, "\"image\" settings are not used"));
}

TEST(CdhConfigTest, UpstreamExamplesParseInBothFormats) {
  for (const char* file : {"guest-components/confidential-data-hub/example.config.json",
                           "guest-components/confidential-data-hub/example.config.toml"}) {
    COCOON_TESTDATA_OR_SKIP(path, file);
    auto cfg = LoadCdhConfig(path);
    ASSERT_TRUE(cfg.ok()) << file << ": " << cfg.status();
    EXPECT_EQ(cfg->socket, "unix:///run/confidential-containers/cdh.sock");
    EXPECT_TRUE(IsUnixSocketAddress(cfg->socket));
    EXPECT_EQ(cfg->kbc.name, "cc_kbc");
    EXPECT_EQ(cfg->kbc.url, "http://example.io:8080");
    EXPECT_NE(cfg->kbc.kbs_cert.find("BEGIN CERTIFICATE"), std::string::npos);
    ASSERT_EQ(cfg->credentials.size(), 2u);
    EXPECT_EQ(cfg->credentials[1].resource_uri, "kbs:///default/test/file");
    EXPECT_EQ(cfg->log_level, "info");
  }
}

TEST(CdhConfigTest, UpstreamTestToml) {
  COCOON_TESTDATA_OR_SKIP(path, "guest-components/confidential-data-hub/hub/tests/cdh.toml");
  auto cfg = LoadCdhConfig(path);
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->kbc.name, "offline_fs_kbc");
}

TEST(CdhConfigTest, UnknownKeysWarnAndExtensionsApply) {
  auto cfg = ParseCdhConfig(R"(
socket = "127.0.0.1:0"
ttrpc_socket = "unix:///tmp/x.sock"
colour = "blue"
[kbc]
name = "offline_fs_kbc"
offline_fs_resources_file = "/tmp/r.json"
typo = 1
)",
                            ConfigFormat::kToml);
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->ttrpc_socket, "unix:///tmp/x.sock");
  EXPECT_EQ(cfg->kbc.offline_fs_resources_file, "/tmp/r.json");
  EXPECT_TRUE(HasWarning(*cfg, "unknown key \"colour\""));
  EXPECT_TRUE(HasWarning(*cfg, "unknown key \"kbc.typo\""));
}

TEST(CdhConfigTest, Errors) {
  EXPECT_NE(ParseCdhConfig("{}", ConfigFormat::kJson).status().message().find("kbc.name: required"),
            absl::string_view::npos);
  EXPECT_NE(ParseCdhConfig(R"({"kbc":{"name":5}})", ConfigFormat::kJson)
                .status()
                .message()
                .find("kbc.name: must be a string"),
            absl::string_view::npos);
  EXPECT_NE(ParseCdhConfig("[kbc\nname=", ConfigFormat::kToml).status().message().find("line"),
            absl::string_view::npos);
  EXPECT_FALSE(ParseCdhConfig("{", ConfigFormat::kJson).ok());
  EXPECT_FALSE(
      ParseCdhConfig(R"({"kbc":{"name":"x"},"credentials":[{"path":"/p"}]})", ConfigFormat::kJson)
          .ok());
  auto dir = MakeTempDir("/tmp/cdh-config-test.");
  ASSERT_TRUE(dir.ok());
  const std::string yaml = *dir + "/cdh.yaml";
  ASSERT_TRUE(WriteFileAtomic(yaml, "kbc: {}").ok());
  EXPECT_NE(LoadCdhConfig(yaml).status().message().find(".toml or .json"), absl::string_view::npos);
  const std::string json = *dir + "/cdh.JSON";
  ASSERT_TRUE(WriteFileAtomic(json, R"({"kbc":{"name":"offline_fs_kbc"}})").ok());
  auto cfg = LoadCdhConfig(json);
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->socket, kDefaultCdhSocket);
  (void)RemoveAll(*dir);
}

}  // namespace
}  // namespace cocoon::cdh
