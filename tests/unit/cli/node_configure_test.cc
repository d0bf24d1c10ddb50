#include "cli/node_configure.h"

#include <dirent.h>
#include <sys/stat.h>

#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/file_util.h"
#include "base/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "toml++/toml.h"

namespace cocoon::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class NodeConfigureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = MakeTempDir("/tmp/cocoon-nodecfg-");
    ASSERT_TRUE(dir.ok()) << dir.status();
    root_ = *dir;
    opts_.kbs_url = "http://10.0.0.4:8080";
    opts_.tee = "az-tdx-vtpm";
    opts_.prefix = root_;
    opts_.write = true;
    opts_.timestamp = "20260101T000000Z";
  }
  void TearDown() override { ASSERT_TRUE(RemoveAll(root_).ok()); }

  std::string P(const std::string& path) const { return root_ + path; }

  void Put(const std::string& path, const std::string& content) {
    const std::string full = P(path);
    std::string dir = full.substr(0, full.rfind('/'));
    std::string cur;
    for (size_t i = 1; i <= dir.size(); ++i) {
      if (i == dir.size() || dir[i] == '/') ::mkdir(dir.substr(0, i).c_str(), 0755);
    }
    ASSERT_TRUE(WriteFileAtomic(full, content, 0644).ok());
  }

  std::string Read(const std::string& path) const {
    auto s = ReadFile(P(path));
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *s : "";
  }

  mode_t Mode(const std::string& path) const {
    struct stat st;
    if (::stat(P(path).c_str(), &st) != 0) return 0;
    return st.st_mode & 07777;
  }

  std::vector<std::string> Backups(const std::string& dir) const {
    std::vector<std::string> out;
    DIR* d = ::opendir(P(dir).c_str());
    if (d == nullptr) return out;
    while (dirent* e = ::readdir(d)) {
      if (absl::StrContains(e->d_name, ".cocoon-backup-")) out.push_back(e->d_name);
    }
    ::closedir(d);
    return out;
  }

  std::string root_;
  NodeConfigureOptions opts_;
};

toml::table ParseOrDie(const std::string& text) { return toml::parse(text); }

TEST_F(NodeConfigureTest, FreshWriteCreatesEveryFile) {
  auto report = WriteNodeConfiguration(opts_);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(report->written, SizeIs(6));
  EXPECT_THAT(report->backups, IsEmpty());

  toml::table ctd = ParseOrDie(Read("/etc/containerd/config.toml"));
  EXPECT_EQ(ctd["version"].value<int64_t>(), 2);
  EXPECT_EQ(ctd["plugins"]["io.containerd.grpc.v1.cri"]["image_decryption"]["key_model"]
                .value<std::string>(),
            "node");
  auto gz = ctd["stream_processors"]["io.containerd.ocicrypt.decoder.v1.tar.gzip"];
  EXPECT_EQ(gz["path"].value<std::string>(), "/usr/local/bin/ctd-decoder");
  EXPECT_EQ(gz["accepts"][1].value<std::string>(),
            "application/vnd.oci.image.layer.v1.tar+zstd+encrypted");
  EXPECT_EQ(ctd["stream_processors"]["io.containerd.ocicrypt.decoder.v1.tar"]["returns"]
                .value<std::string>(),
            "application/vnd.oci.image.layer.v1.tar");

  auto kp = ParseJson(Read("/etc/containerd/ocicrypt/ocicrypt_keyprovider.conf"), "kp");
  ASSERT_TRUE(kp.ok());
  EXPECT_EQ((*kp)["key-providers"]["attestation-agent"]["grpc"], "127.0.0.1:50000");

  auto cdh = ParseJson(Read("/etc/confidential-data-hub.json"), "cdh");
  ASSERT_TRUE(cdh.ok());
  EXPECT_EQ((*cdh)["socket"], "127.0.0.1:50000");
  EXPECT_EQ((*cdh)["kbc"]["name"], "cc_kbc");
  EXPECT_EQ((*cdh)["kbc"]["url"], "http://10.0.0.4:8080");

  toml::table aa = ParseOrDie(Read("/etc/attestation-agent/config.toml"));
  EXPECT_EQ(aa["token_configs"]["kbs"]["url"].value<std::string>(), "http://10.0.0.4:8080");

  const std::string aa_unit = Read("/etc/systemd/system/attestation-agent.service");
  EXPECT_THAT(aa_unit, HasSubstr("SupplementaryGroups=tss"));
  EXPECT_THAT(aa_unit, HasSubstr("DeviceAllow=/dev/tpmrm0 rw"));
  EXPECT_THAT(aa_unit, HasSubstr("-c /etc/attestation-agent/config.toml"));
  EXPECT_THAT(Read("/etc/systemd/system/confidential-data-hub.service"),
              HasSubstr("Requires=attestation-agent.service"));

  for (const char* f : {"/etc/containerd/config.toml", "/etc/confidential-data-hub.json",
                        "/etc/containerd/ocicrypt/ocicrypt_keyprovider.conf",
                        "/etc/attestation-agent/config.toml"}) {
    EXPECT_EQ(Mode(f), 0644u) << f;
  }
  EXPECT_EQ(Mode("/etc/containerd/ocicrypt/keys"), 0700u);
}

TEST_F(NodeConfigureTest, TdxUnitUsesTdxGuestDevice) {
  opts_.tee = "tdx";
  auto files = RenderNodeFiles(opts_);
  ASSERT_TRUE(files.ok());
  bool seen = false;
  for (const auto& f : *files) {
    if (f.path == kAaUnitPath) {
      seen = true;
      EXPECT_THAT(f.content, HasSubstr("DeviceAllow=/dev/tdx_guest rw"));
      EXPECT_THAT(f.content, HasSubstr("/sys/kernel/config/tsm/report"));
      EXPECT_THAT(f.content, ::testing::Not(HasSubstr("tpmrm0")));
    }
  }
  EXPECT_TRUE(seen);
}

constexpr char kExisting[] = R"(# site containerd config: do not lose this comment
version = 2
root = "/var/lib/containerd"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.k8s.io/pause:3.9"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
    SystemdCgroup = true

[stream_processors."io.example.custom"]
  accepts = ["application/x-custom"]
  returns = "application/vnd.oci.image.layer.v1.tar"
  path = "/usr/bin/custom"
)";

TEST_F(NodeConfigureTest, MergeKeepsUnrelatedSettingsAndComments) {
  Put("/etc/containerd/config.toml", kExisting);
  auto report = WriteNodeConfiguration(opts_);
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_THAT(report->backups, SizeIs(1));
  EXPECT_EQ(report->backups[0], P("/etc/containerd/config.toml.cocoon-backup-20260101T000000Z"));
  EXPECT_EQ(Read("/etc/containerd/config.toml.cocoon-backup-20260101T000000Z"), kExisting);

  const std::string merged = Read("/etc/containerd/config.toml");
  EXPECT_TRUE(absl::StartsWith(merged, kExisting)) << "appended, not rewritten";
  EXPECT_THAT(merged, HasSubstr("do not lose this comment"));
  toml::table t = ParseOrDie(merged);
  EXPECT_EQ(t["root"].value<std::string>(), "/var/lib/containerd");
  EXPECT_EQ(t["plugins"]["io.containerd.grpc.v1.cri"]["sandbox_image"].value<std::string>(),
            "registry.k8s.io/pause:3.9");
  EXPECT_EQ(t["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]["runtimes"]["runc"]["options"]
             ["SystemdCgroup"]
                 .value<bool>(),
            true);
  EXPECT_EQ(t["stream_processors"]["io.example.custom"]["path"].value<std::string>(),
            "/usr/bin/custom");
  EXPECT_EQ(t["plugins"]["io.containerd.grpc.v1.cri"]["image_decryption"]["key_model"]
                .value<std::string>(),
            "node");
  EXPECT_TRUE(t["stream_processors"]["io.containerd.ocicrypt.decoder.v1.tar"]);
}

TEST_F(NodeConfigureTest, ConflictingValuesAreRewrittenAndOthersKept) {
  Put("/etc/containerd/config.toml", R"(version = 2
[plugins."io.containerd.grpc.v1.cri".image_decryption]
  key_model = ""
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "pause:3.9"
[stream_processors."io.containerd.ocicrypt.decoder.v1.tar"]
  accepts = ["application/vnd.oci.image.layer.v1.tar+encrypted"]
  returns = "application/vnd.oci.image.layer.v1.tar"
  path = "ctd-decoder"
)");
  auto report = WriteNodeConfiguration(opts_);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(report->backups, SizeIs(1));
  toml::table t = ParseOrDie(Read("/etc/containerd/config.toml"));
  EXPECT_EQ(t["plugins"]["io.containerd.grpc.v1.cri"]["image_decryption"]["key_model"]
                .value<std::string>(),
            "node");
  EXPECT_EQ(t["plugins"]["io.containerd.grpc.v1.cri"]["sandbox_image"].value<std::string>(),
            "pause:3.9");
  EXPECT_EQ(
      t["stream_processors"]["io.containerd.ocicrypt.decoder.v1.tar"]["path"].value<std::string>(),
      "/usr/local/bin/ctd-decoder");
}

TEST_F(NodeConfigureTest, SecondRunChangesNothingAndMakesNoSecondBackup) {
  Put("/etc/containerd/config.toml", kExisting);
  Put("/etc/confidential-data-hub.json", "{\"socket\":\"unix:///old\"}\n");
  ASSERT_TRUE(WriteNodeConfiguration(opts_).ok());
  const std::string after_first = Read("/etc/containerd/config.toml");
  EXPECT_THAT(Backups("/etc/containerd"), SizeIs(1));
  EXPECT_THAT(Backups("/etc"), SizeIs(1));  // the CDH config differed

  opts_.timestamp = "20260102T000000Z";
  auto second = WriteNodeConfiguration(opts_);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_THAT(second->written, IsEmpty());
  EXPECT_THAT(second->backups, IsEmpty());
  EXPECT_THAT(second->unchanged, SizeIs(6));
  EXPECT_EQ(Read("/etc/containerd/config.toml"), after_first);
  EXPECT_THAT(Backups("/etc/containerd"), SizeIs(1));
  EXPECT_THAT(Backups("/etc"), SizeIs(1));
}

TEST_F(NodeConfigureTest, MergeOfMergedTextIsIdentity) {
  auto once = MergeContainerdConfig(kExisting);
  ASSERT_TRUE(once.ok()) << once.status();
  auto twice = MergeContainerdConfig(*once);
  ASSERT_TRUE(twice.ok());
  EXPECT_EQ(*once, *twice);
  auto fresh = MergeContainerdConfig("");
  ASSERT_TRUE(fresh.ok());
  auto fresh2 = MergeContainerdConfig(*fresh);
  ASSERT_TRUE(fresh2.ok());
  EXPECT_EQ(*fresh, *fresh2);
}

TEST_F(NodeConfigureTest, InlineTablesFallBackToRewrite) {
  auto merged = MergeContainerdConfig(
      "version = 2\nplugins = { \"io.containerd.grpc.v1.cri\" = { sandbox_image = \"p\" } }\n");
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_THAT(*merged, HasSubstr("Rewritten by cocoon node configure"));
  toml::table t = ParseOrDie(*merged);
  EXPECT_EQ(t["plugins"]["io.containerd.grpc.v1.cri"]["sandbox_image"].value<std::string>(), "p");
  EXPECT_EQ(t["plugins"]["io.containerd.grpc.v1.cri"]["image_decryption"]["key_model"]
                .value<std::string>(),
            "node");
}

TEST_F(NodeConfigureTest, RefusesOtherConfigVersionsAndBadToml) {
  auto v3 = MergeContainerdConfig("version = 3\n");
  EXPECT_FALSE(v3.ok());
  EXPECT_THAT(v3.status().message(), HasSubstr("version 3"));
  auto v1 = MergeContainerdConfig("[plugins.cri]\n  sandbox_image = \"p\"\n");
  EXPECT_FALSE(v1.ok());
  EXPECT_THAT(v1.status().message(), HasSubstr("version 1"));
  auto bad = MergeContainerdConfig("version = = 2\n");
  EXPECT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("line 1"));

  // Nothing is written when the merge fails.
  Put("/etc/containerd/config.toml", "version = 3\n");
  EXPECT_FALSE(WriteNodeConfiguration(opts_).ok());
  EXPECT_EQ(Read("/etc/containerd/config.toml"), "version = 3\n");
  EXPECT_THAT(Backups("/etc/containerd"), IsEmpty());
}

TEST_F(NodeConfigureTest, PrintModeWritesNothing) {
  opts_.write = false;
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(RunNodeConfigure(opts_, out, err), 0) << err.str();
  EXPECT_THAT(out.str(),
              HasSubstr(P("/etc/containerd/config.toml") + " (mode 0644): would create"));
  EXPECT_THAT(out.str(), HasSubstr("key_model = \"node\""));
  EXPECT_THAT(out.str(), HasSubstr("\"url\": \"http://10.0.0.4:8080\""));
  EXPECT_THAT(out.str(), HasSubstr("rerun with --write"));
  struct stat st;
  EXPECT_NE(::stat(P("/etc").c_str(), &st), 0);

  opts_.write = true;
  ASSERT_TRUE(WriteNodeConfiguration(opts_).ok());
  opts_.write = false;
  std::ostringstream again;
  EXPECT_EQ(RunNodeConfigure(opts_, again, err), 0);
  EXPECT_THAT(again.str(), HasSubstr("unchanged"));
  EXPECT_THAT(again.str(), ::testing::Not(HasSubstr("would create")));
}

// A self-signed P-256 certificate made for this test (CN "cocoon test KBS CA").
constexpr char kTestCaPem[] = R"(-----BEGIN CERTIFICATE-----
MIIBkDCCATegAwIBAgIUDPbjoWirR3Kq5wZ0jz5KMS2JsLQwCgYIKoZIzj0EAwIw
HTEbMBkGA1UEAwwSY29jb29uIHRlc3QgS0JTIENBMCAXDTI2MTIwNDExMjIwM1oY
DzIxMjYxMTEwMTEyMjAzWjAdMRswGQYDVQQDDBJjb2Nvb24gdGVzdCBLQlMgQ0Ew
WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAASLh2jTZuQGQynI0euwOAVvty1iLol2
tPn79ZVqJbF5th3tsmH/Sd6V/t1mUyskbUxbB4kRnYCtQ799PPE7recVo1MwUTAd
BgNVHQ4EFgQUhtb+x5RLHy6S5I9BffVsl4iP6XAwHwYDVR0jBBgwFoAUhtb+x5RL
Hy6S5I9BffVsl4iP6XAwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNHADBE
AiAMgbQB2OBdOA6M3NEV0Ze3RNduhUCa8yW7rjN0sX8eMgIgI9maBN5N6uAIIwzt
yhPuhnRd6dUdGrkKJK3CcFwyWZs=
-----END CERTIFICATE-----
)";

TEST_F(NodeConfigureTest, KbsCertIsEmbeddedInTheCdhAndAaConfigs) {
  const std::string ca = P("/ca.pem");
  ASSERT_TRUE(WriteFileAtomic(ca, kTestCaPem, 0644).ok());
  NodeConfigureOptions o = opts_;
  o.kbs_url = "https://kbs.example:8080";
  o.kbs_cert_file = ca;
  auto report = WriteNodeConfiguration(o);
  ASSERT_TRUE(report.ok()) << report.status();
  auto cdh = ParseJson(Read("/etc/confidential-data-hub.json"), "cdh");
  ASSERT_TRUE(cdh.ok());
  EXPECT_EQ((*cdh)["kbc"]["kbs_cert"], kTestCaPem);
  toml::table aa = ParseOrDie(Read("/etc/attestation-agent/config.toml"));
  EXPECT_EQ(aa["token_configs"]["kbs"]["cert"].value<std::string>(), kTestCaPem);
}

TEST_F(NodeConfigureTest, KbsCertNeedsHttpsAndACertificate) {
  NodeConfigureOptions o = opts_;  // http://
  o.kbs_cert_file = P("/ca.pem");
  EXPECT_THAT(ValidateNodeConfigureOptions(o).message(), HasSubstr("only with an https://"));
  o.kbs_url = "https://kbs.example:8080";
  EXPECT_THAT(RenderNodeFiles(o).status().message(), HasSubstr("--kbs-cert"));  // missing file
  ASSERT_TRUE(WriteFileAtomic(P("/ca.pem"), "-----BEGIN PUBLIC KEY-----\nAAAA\n", 0644).ok());
  EXPECT_THAT(RenderNodeFiles(o).status().message(), HasSubstr("holds no PEM certificate"));
}

TEST_F(NodeConfigureTest, RejectsBadOptions) {
  NodeConfigureOptions o = opts_;
  o.tee = "snp";
  EXPECT_THAT(ValidateNodeConfigureOptions(o).message(), HasSubstr("--tee"));
  o = opts_;
  o.kbs_url = "10.0.0.4:8080";
  EXPECT_THAT(ValidateNodeConfigureOptions(o).message(), HasSubstr("--kbs-url"));
  o.kbs_url = "http://";
  EXPECT_FALSE(ValidateNodeConfigureOptions(o).ok());
  o.kbs_url = "http://a\"b";
  EXPECT_FALSE(ValidateNodeConfigureOptions(o).ok());
  o = opts_;
  o.containerd_config = "config.toml";
  EXPECT_FALSE(ValidateNodeConfigureOptions(o).ok());
  std::ostringstream out;
  std::ostringstream err;
  o = opts_;
  o.tee = "bogus";
  EXPECT_EQ(RunNodeConfigure(o, out, err), 1);
  EXPECT_THAT(err.str(), HasSubstr("--tee"));
}

}  // namespace
}  // namespace cocoon::cli
