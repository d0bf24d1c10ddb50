#include "cdh/offline_fs_kbc.h"

#include <cstdlib>

#include "base/encoding.h"
#include "base/file_util.h"
#include "gtest/gtest.h"
#include "testing/testdata.h"

namespace cocoon::cdh {
namespace {

ResourceUri Uri(absl::string_view s) { return *ParseResourceUri(s); }

TEST(OfflineFsKbcTest, UpstreamKeysFile) {
  COCOON_TESTDATA_OR_SKIP(
      keys,
      "guest-components/attestation-agent/kbc/src/offline_fs_kbc/aa-offline_fs_kbc-keys.json");
  COCOON_TESTDATA_OR_SKIP(
      res,
      "guest-components/attestation-agent/kbc/src/offline_fs_kbc/aa-offline_fs_kbc-resources.json");
  std::vector<std::string> warnings;
  auto kbc = OfflineFsKbc::Load({{keys, res, "/nonexistent/extra.json"}}, &warnings);
  ASSERT_TRUE(kbc.ok()) << kbc.status();
  for (int i = 1; i <= 10; ++i) {
    auto key = (*kbc)->GetResource(Uri(absl::StrCat("kbs:///default/key/key_id", i)));
    ASSERT_TRUE(key.ok()) << key.status();
    EXPECT_EQ(key->size(), 32u);
  }
  COCOON_TESTDATA_OR_SKIP(policy,
                          "guest-components/attestation-agent/kbc/src/sample_kbc/policy.json");
  auto want = ReadFile(policy);
  ASSERT_TRUE(want.ok());
  auto got = (*kbc)->GetResource(Uri("kbs:///default/security-policy/test"));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->view(), *want);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("does not exist"), std::string::npos);
}

TEST(OfflineFsKbcTest, EmptyValueIsEmptyResource) {
  OfflineFsKbc kbc;
  std::vector<std::string> warnings;
  ASSERT_TRUE(kbc.AddFile(R"({"default/sigstore-config/test": ""})", "f", &warnings).ok());
  auto v = kbc.GetResource(Uri("kbs:///default/sigstore-config/test"));
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->empty());
}

TEST(OfflineFsKbcTest, MissNamesPathNotValues) {
  OfflineFsKbc kbc;
  std::vector<std::string> warnings;
  ASSERT_TRUE(kbc.AddFile(R"({"a/b/c": "c2VjcmV0"})", "f", &warnings).ok());
  auto v = kbc.GetResource(Uri("kbs:///default/image_key/demo"));
  EXPECT_EQ(v.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(v.status().message(), "offline-fs-kbc: resource not found default/image_key/demo");
}

TEST(OfflineFsKbcTest, LaterFilesOverrideWithWarning) {
  OfflineFsKbc kbc;
  std::vector<std::string> warnings;
  ASSERT_TRUE(kbc.AddFile(R"({"a/b/c": "MQ=="})", "one", &warnings).ok());
  ASSERT_TRUE(kbc.AddFile(R"({"a/b/c": "Mg=="})", "two", &warnings).ok());
  EXPECT_EQ(kbc.GetResource(Uri("kbs:///a/b/c"))->view(), "2");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("overrides"), std::string::npos);
}

TEST(OfflineFsKbcTest, MalformedFilesAreErrorsWithoutValues) {
  OfflineFsKbc kbc;
  std::vector<std::string> w;
  auto s = kbc.AddFile(R"({"a/b/c": "not base64!!secretish"})", "file.json", &w);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("\"a/b/c\" is not standard base64"), absl::string_view::npos);
  EXPECT_EQ(s.message().find("secretish"), absl::string_view::npos);
  EXPECT_FALSE(kbc.AddFile("[]", "f", &w).ok());
  EXPECT_FALSE(kbc.AddFile(R"({"a":1})", "f", &w).ok());
  EXPECT_FALSE(kbc.AddFile("{", "f", &w).ok());
}

TEST(OfflineFsKbcTest, ExtraFilesFromEnvironment) {
  KbcConfig cfg;
  cfg.offline_fs_keys_file = "/k.json";
  cfg.offline_fs_resources_file = "/r.json";
  setenv("OFFLINE_FS_KBC_EXTRA_FILE_PATH", "/x.json, /y.json", 1);
  auto opts = OfflineFsKbcOptionsFromConfig(cfg);
  unsetenv("OFFLINE_FS_KBC_EXTRA_FILE_PATH");
  EXPECT_EQ(opts.files, (std::vector<std::string>{"/k.json", "/r.json", "/x.json", "/y.json"}));
}

TEST(OfflineFsKbcTest, NewKbcNames) {
  std::vector<std::string> w;
  KbcConfig cfg;
  cfg.name = "cc_kbc";
  EXPECT_EQ(NewKbc(cfg, &w).status().code(), absl::StatusCode::kUnimplemented);
  cfg.name = "foo_kbc";
  EXPECT_NE(NewKbc(cfg, &w).status().message().find("offline_fs_kbc, cc_kbc"),
            absl::string_view::npos);
  cfg.name = "offline_fs_kbc";
  cfg.offline_fs_keys_file = "/nonexistent/a";
  cfg.offline_fs_resources_file = "/nonexistent/b";
  auto kbc = NewKbc(cfg, &w);
  ASSERT_TRUE(kbc.ok());
  EXPECT_EQ((*kbc)->name(), "offline_fs_kbc");
}

}  // namespace
}  // namespace cocoon::cdh
