#include "ocicrypt/image_crypt.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/file_util.h"
#include "crypto/stream_cipher.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ocicrypt/annotations.h"
#include "ocicrypt/image.h"
#include "ocicrypt/media_types.h"
#include "ocicrypt/oci_layout.h"

namespace cocoon::ocicrypt {
namespace {

using ::testing::HasSubstr;

// A transparent key-wrap scheme for tests: the "wrapped" entry is a marker plus the options, and
// it unwraps only when the decrypt config holds the matching password.
class TestWrapper : public KeyWrapper {
 public:
  explicit TestWrapper(std::string id = "provider.test") : id_(std::move(id)) {}
  std::string AnnotationId() const override { return id_; }
  bool HasRecipients(const EncryptConfig& ec) const override {
    return ec.parameters.count("test") > 0;
  }
  absl::StatusOr<std::string> Wrap(const EncryptConfig& ec, const SecretBytes& optsdata) override {
    return absl::StrCat("wrapped-for:", *ec.parameters.at("test").front(), ":", optsdata.view());
  }
  bool NoPossibleKeys(const DecryptConfig& dc) const override {
    return dc.parameters.count("test") == 0;
  }
  absl::StatusOr<SecretBytes> Unwrap(const DecryptConfig& dc, absl::string_view entry) override {
    const std::string prefix = absl::StrCat("wrapped-for:", *dc.parameters.at("test").front(), ":");
    if (!absl::StartsWith(entry, prefix)) return absl::PermissionDeniedError("wrong test password");
    return SecretBytes(entry.substr(prefix.size()));
  }

 private:
  std::string id_;
};

EncryptConfig TestEc(const std::string& password) {
  EncryptConfig ec;
  ec.parameters["test"].push_back(password);
  return ec;
}

DecryptConfig TestDc(const std::string& password) {
  DecryptConfig dc;
  dc.parameters["test"].push_back(password);
  return dc;
}

class ImageCryptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = MakeTempDir(::testing::TempDir() + "/cocoon-imgcrypt-");
    ASSERT_TRUE(d.ok()) << d.status();
    dir_ = *d;
    wrappers_.Add(std::make_unique<TestWrapper>());
  }
  void TearDown() override { (void)RemoveAll(dir_); }

  // Writes a manifest with `layers` random layer blobs of `layer_type`; returns its descriptor.
  Descriptor AddManifest(OciLayoutWriter& w, int layers, absl::string_view manifest_type,
                         absl::string_view config_type, absl::string_view layer_type,
                         std::optional<Platform> platform = std::nullopt) {
    Manifest m;
    m.media_type = std::string(manifest_type);
    m.has_media_type_member = true;
    auto config = w.WriteBlob(config_type, R"({"architecture":"amd64","os":"linux"})");
    EXPECT_TRUE(config.ok()) << config.status();
    m.config = *config;
    for (int i = 0; i < layers; ++i) {
      auto l = w.WriteBlob(layer_type, crypto::RandomBytes(3000 + i));
      EXPECT_TRUE(l.ok()) << l.status();
      m.layers.push_back(*l);
    }
    auto bytes = SerializeManifest(m);
    EXPECT_TRUE(bytes.ok()) << bytes.status();
    auto d = w.WriteBlob(manifest_type, *bytes);
    EXPECT_TRUE(d.ok()) << d.status();
    d->platform = platform;
    return *d;
  }

  // A two-platform image (index → amd64 and arm64 manifests with two layers each) at `path`.
  Descriptor BuildMultiPlatform(const std::string& path) {
    auto w = OciLayoutWriter::Create(path);
    EXPECT_TRUE(w.ok()) << w.status();
    Platform amd64;
    amd64.architecture = "amd64";
    amd64.os = "linux";
    Platform arm64;
    arm64.architecture = "arm64";
    arm64.os = "linux";
    arm64.variant = "v8";
    Index index;
    index.media_type = std::string(kMediaTypeOciIndex);
    index.has_media_type_member = true;
    index.manifests.push_back(AddManifest(**w, 2, kMediaTypeOciManifest, kMediaTypeOciConfig,
                                          kMediaTypeOciLayerGzip, amd64));
    index.manifests.push_back(AddManifest(**w, 2, kMediaTypeOciManifest, kMediaTypeOciConfig,
                                          kMediaTypeOciLayerGzip, arm64));
    auto bytes = SerializeIndex(index);
    EXPECT_TRUE(bytes.ok()) << bytes.status();
    auto top = (*w)->WriteBlob(kMediaTypeOciIndex, *bytes);
    EXPECT_TRUE(top.ok()) << top.status();
    EXPECT_TRUE((*w)->Commit({*top}, "v1").ok());
    return *top;
  }

  Manifest ReadManifest(const OciLayout& layout, const Descriptor& d) {
    auto bytes = layout.ReadBlob(d);
    EXPECT_TRUE(bytes.ok()) << bytes.status();
    auto m = ParseManifest(*bytes);
    EXPECT_TRUE(m.ok()) << m.status();
    return *m;
  }

  Index ReadIndex(const OciLayout& layout, const Descriptor& d) {
    auto bytes = layout.ReadBlob(d);
    EXPECT_TRUE(bytes.ok()) << bytes.status();
    auto i = ParseIndex(*bytes);
    EXPECT_TRUE(i.ok()) << i.status();
    return *i;
  }

  // Runs one encryption or decryption from `from` into a new layout `to`.
  absl::StatusOr<ImageCryptResult> Run(bool encrypt, const std::string& from, const std::string& to,
                                       const ImageCryptOptions& opts,
                                       const std::string& password = "pw") {
    auto src = OciLayout::Open(from);
    if (!src.ok()) return src.status();
    auto top = src->Resolve("v1");
    if (!top.ok()) return top.status();
    auto w = OciLayoutWriter::Create(to);
    if (!w.ok()) return w.status();
    auto r = encrypt ? EncryptImage(*src, *top, **w, wrappers_, TestEc(password), opts)
                     : DecryptImage(*src, *top, **w, wrappers_, TestDc(password), opts);
    if (!r.ok()) return r.status();
    if (auto st = (*w)->Commit({r->top}, "v1"); !st.ok()) return st;
    return r;
  }

  std::string dir_;
  KeyWrapperSet wrappers_;
};

TEST_F(ImageCryptTest, EncryptsOnlyTheSelectedPlatformOfAnIndex) {
  const Descriptor orig_top = BuildMultiPlatform(dir_ + "/src");
  ImageCryptOptions opts;
  opts.selection.platforms = {"linux/arm64"};
  auto r = Run(true, dir_ + "/src", dir_ + "/enc", opts);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stats.layers_encrypted, 2);
  EXPECT_EQ(r->stats.manifests, 1);

  auto src = OciLayout::Open(dir_ + "/src");
  auto enc = OciLayout::Open(dir_ + "/enc");
  ASSERT_TRUE(src.ok() && enc.ok());
  const Index before = ReadIndex(*src, orig_top);
  const Index after = ReadIndex(*enc, r->top);
  ASSERT_EQ(after.manifests.size(), 2u);
  EXPECT_EQ(after.manifests[0].digest, before.manifests[0].digest) << "amd64 must be untouched";
  EXPECT_NE(after.manifests[1].digest, before.manifests[1].digest);
  ASSERT_TRUE(after.manifests[1].platform.has_value());
  EXPECT_EQ(after.manifests[1].platform->variant, "v8");
  const Manifest m = ReadManifest(*enc, after.manifests[1]);
  for (const Descriptor& l : m.layers) {
    EXPECT_EQ(l.media_type, kMediaTypeOciLayerGzipEnc);
    EXPECT_TRUE(l.annotations.count("org.opencontainers.image.enc.keys.provider.test"));
    EXPECT_TRUE(l.annotations.count(std::string(kPubOptsAnnotation)));
  }
}

TEST_F(ImageCryptTest, DecryptRestoresEveryOriginalDigest) {
  const Descriptor orig_top = BuildMultiPlatform(dir_ + "/src");
  ASSERT_TRUE(Run(true, dir_ + "/src", dir_ + "/enc", {}).ok());
  auto r = Run(false, dir_ + "/enc", dir_ + "/dec", {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stats.layers_decrypted, 4);
  // Media types, annotations and serialization come back exactly, so even the index digest does.
  EXPECT_EQ(r->top.digest, orig_top.digest);
}

TEST_F(ImageCryptTest, NegativeLayerIndexSelectsFromTheTop) {
  BuildMultiPlatform(dir_ + "/src");
  ImageCryptOptions opts;
  opts.selection.layers = {-1};
  auto r = Run(true, dir_ + "/src", dir_ + "/enc", opts);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stats.layers_encrypted, 2);  // the top layer of each manifest
  EXPECT_EQ(r->stats.layers_copied, 2);
  auto enc = OciLayout::Open(dir_ + "/enc");
  const Index idx = ReadIndex(*enc, r->top);
  const Manifest m = ReadManifest(*enc, idx.manifests[0]);
  EXPECT_EQ(m.layers[0].media_type, kMediaTypeOciLayerGzip);
  EXPECT_EQ(m.layers[1].media_type, kMediaTypeOciLayerGzipEnc);
}

TEST_F(ImageCryptTest, LayerIndexOutOfRangeFailsWithoutOutput) {
  BuildMultiPlatform(dir_ + "/src");
  ImageCryptOptions opts;
  opts.selection.layers = {5};
  auto r = Run(true, dir_ + "/src", dir_ + "/enc", opts);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("layer index 5 is out of range"));
  EXPECT_FALSE(OciLayout::Open(dir_ + "/enc").ok());
}

TEST_F(ImageCryptTest, DockerManifestBecomesOciWhenEncrypted) {
  auto w = OciLayoutWriter::Create(dir_ + "/src");
  ASSERT_TRUE(w.ok());
  Descriptor top = AddManifest(**w, 1, kMediaTypeDockerManifest, kMediaTypeDockerConfig,
                               kMediaTypeDockerLayerGzip);
  ASSERT_TRUE((*w)->Commit({top}, "v1").ok());
  auto r = Run(true, dir_ + "/src", dir_ + "/enc", {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->top.media_type, kMediaTypeOciManifest);
  auto enc = OciLayout::Open(dir_ + "/enc");
  const Manifest m = ReadManifest(*enc, r->top);
  EXPECT_EQ(m.config.media_type, kMediaTypeOciConfig);
  EXPECT_EQ(m.layers[0].media_type, kMediaTypeOciLayerGzipEnc);
}

TEST_F(ImageCryptTest, WrongPasswordNamesTheLayerAndLeavesNoOutput) {
  BuildMultiPlatform(dir_ + "/src");
  ASSERT_TRUE(Run(true, dir_ + "/src", dir_ + "/enc", {}).ok());
  auto r = Run(false, dir_ + "/enc", dir_ + "/dec", {}, "not-pw");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("layer sha256:"));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("wrong test password"));
  EXPECT_FALSE(OciLayout::Open(dir_ + "/dec").ok());
}

TEST_F(ImageCryptTest, EncryptionWithoutRecipientsFails) {
  BuildMultiPlatform(dir_ + "/src");
  auto src = OciLayout::Open(dir_ + "/src");
  auto w = OciLayoutWriter::Create(dir_ + "/enc");
  ASSERT_TRUE(src.ok() && w.ok());
  auto r = EncryptImage(*src, *src->Resolve("v1"), **w, wrappers_, EncryptConfig{}, {});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("no wrapped keys produced"));
}

TEST(UnwrapLayerOptionsTest, LayerWithoutKeyAnnotationsIsNotEncrypted) {
  KeyWrapperSet set;
  set.Add(std::make_unique<TestWrapper>());
  auto r = UnwrapLayerOptions(set, TestDc("pw"), {});
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("not encrypted"));
}

TEST(UnwrapLayerOptionsTest, UnconfiguredSchemeIsNamed) {
  KeyWrapperSet set;
  set.Add(std::make_unique<TestWrapper>());
  auto r =
      UnwrapLayerOptions(set, TestDc("pw"), {{"org.opencontainers.image.enc.keys.pgp", "AAAA"}});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("missing private key needed for decryption"));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("not configured here: pgp"));
}

TEST(UnwrapLayerOptionsTest, TriesEveryEntryUntilOneUnwraps) {
  KeyWrapperSet set;
  set.Add(std::make_unique<TestWrapper>());
  const std::string value =
      JoinKeyAnnotation({"wrapped-for:other:x", "wrapped-for:pw:the-options"});
  auto r = UnwrapLayerOptions(set, TestDc("pw"),
                              {{"org.opencontainers.image.enc.keys.provider.test", value}});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->view(), "the-options");
}

TEST(UnwrapLayerOptionsTest, BadBase64EntryIsReported) {
  KeyWrapperSet set;
  set.Add(std::make_unique<TestWrapper>());
  auto r = UnwrapLayerOptions(set, TestDc("pw"),
                              {{"org.opencontainers.image.enc.keys.provider.test", "@@@"}});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("annotation org.opencontainers.image.enc.keys.provider.test"));
}

}  // namespace
}  // namespace cocoon::ocicrypt
