#include "ocicrypt/oci_layout.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "base/encoding.h"
#include "base/file_util.h"
#include "crypto/stream_cipher.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ocicrypt/image.h"
#include "ocicrypt/media_types.h"
#include "testing/testdata.h"

namespace cocoon::ocicrypt {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr char kGzipLayer[] =
    "sha256:57105ec2ef0c885360b9293200a0d40e3449adc966e2776c71e440d1b8dd042d";
constexpr char kTarLayer[] =
    "sha256:9503aa0adc85a598c35f850f6f95690e3d5fde08947ac34f30aeaa8e576e18ec";
constexpr char kConfig[] =
    "sha256:4decfecb7f08e836a10ca019a2b43f6e9d28b4ba497e768545b297bc560221c3";

Descriptor Desc(absl::string_view media_type, absl::string_view digest, int64_t size) {
  Descriptor d;
  d.media_type = std::string(media_type);
  d.digest = std::string(digest);
  d.size = size;
  return d;
}

std::string Sha256Digest(absl::string_view data) {
  return "sha256:" + HexEncode(crypto::Sha256(data));
}

class OciLayoutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = MakeTempDir(::testing::TempDir() + "/cocoon-layout-");
    ASSERT_TRUE(d.ok());
    tmp_ = *d;
  }
  void TearDown() override {
    // Directories copied from read-only testdata need write permission back before removal.
    // Only directories: blob files may be hard links to the testdata itself.
    std::error_code ec;
    for (auto& e : fs::recursive_directory_iterator(tmp_, ec)) {
      if (e.is_directory() && !e.is_symlink()) {
        fs::permissions(e.path(), fs::perms::owner_all, fs::perm_options::add, ec);
      }
    }
    (void)RemoveAll(tmp_);
  }
  // A writable copy of a testdata layout.
  std::string CopyLayout(const std::string& src, const std::string& name) {
    const std::string dst = tmp_ + "/" + name;
    fs::copy(src, dst, fs::copy_options::recursive);
    for (auto& e : fs::recursive_directory_iterator(dst)) {
      if (e.is_directory()) fs::permissions(e.path(), fs::perms::owner_all, fs::perm_options::add);
    }
    fs::permissions(dst, fs::perms::owner_all, fs::perm_options::add);
    return dst;
  }
  std::string tmp_;
};

TEST_F(OciLayoutTest, ReadsPlainGzipLayoutWithDigestChecks) {
  COCOON_TESTDATA_OR_SKIP(dir, "generated/ocicrypt/images/plain_gzip");
  auto layout = OciLayout::Open(dir);
  ASSERT_TRUE(layout.ok()) << layout.status();
  ASSERT_EQ(layout->manifests().size(), 1u);
  auto top = layout->Resolve("latest");
  ASSERT_TRUE(top.ok()) << top.status();
  EXPECT_EQ(top->media_type, kMediaTypeOciManifest);
  EXPECT_EQ(layout->Resolve("")->digest, top->digest);
  auto bytes = layout->ReadBlob(*top);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  auto manifest = ParseManifest(*bytes);
  ASSERT_TRUE(manifest.ok()) << manifest.status();
  EXPECT_EQ(manifest->config.digest, kConfig);
  ASSERT_EQ(manifest->layers.size(), 1u);
  EXPECT_EQ(manifest->layers[0].digest, kGzipLayer);
  EXPECT_EQ(manifest->layers[0].size, 50306);
  EXPECT_EQ(manifest->layers[0].media_type, kMediaTypeOciLayerGzip);
  auto config = layout->ReadBlob(manifest->config);
  ASSERT_TRUE(config.ok());
  EXPECT_THAT(*config, HasSubstr("diff_ids"));
  auto src = layout->OpenBlob(manifest->layers[0]);
  ASSERT_TRUE(src.ok());
  auto layer = ReadAll(**src, 1 << 20);
  ASSERT_TRUE(layer.ok()) << layer.status();
  EXPECT_EQ(Sha256Digest(*layer), kGzipLayer);
  // Re-serializing an unchanged manifest gives the same bytes.
  EXPECT_EQ(*SerializeManifest(*manifest), *bytes);
}

TEST_F(OciLayoutTest, ReadsPlainTarLayout) {
  COCOON_TESTDATA_OR_SKIP(dir, "generated/ocicrypt/images/plain_tar");
  auto layout = OciLayout::Open(dir);
  ASSERT_TRUE(layout.ok()) << layout.status();
  auto manifest = ParseManifest(*layout->ReadBlob(*layout->Resolve("latest")));
  ASSERT_TRUE(manifest.ok());
  ASSERT_EQ(manifest->layers.size(), 1u);
  EXPECT_EQ(manifest->layers[0].digest, kTarLayer);
  EXPECT_EQ(manifest->layers[0].size, 61440);
  auto layer = layout->ReadBlob(manifest->layers[0]);
  ASSERT_TRUE(layer.ok());
  EXPECT_EQ(Sha256Digest(*layer), kTarLayer);
}

TEST_F(OciLayoutTest, SkopeoEncryptedManifestReserializesByteForByteAndKeepsAnnotations) {
  COCOON_TESTDATA_OR_SKIP(dir, "generated/ocicrypt/images/skopeo_jwe_rsa");
  auto layout = OciLayout::Open(dir);
  ASSERT_TRUE(layout.ok());
  auto bytes = layout->ReadBlob(*layout->Resolve("latest"));
  ASSERT_TRUE(bytes.ok());
  auto m = ParseManifest(*bytes);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->layers[0].media_type, kMediaTypeOciLayerGzipEnc);
  EXPECT_EQ(m->layers[0].annotations.count("org.opencontainers.image.enc.pubopts"), 1u);
  EXPECT_EQ(*SerializeManifest(*m), *bytes);
}

TEST_F(OciLayoutTest, MissingBlobIsNotFoundNamingTheDigest) {
  COCOON_TESTDATA_OR_SKIP(src, "generated/ocicrypt/images/plain_gzip");
  const std::string dir = CopyLayout(src, "l");
  fs::remove(dir + "/blobs/sha256/" + std::string(kGzipLayer).substr(7));
  auto layout = OciLayout::Open(dir);
  ASSERT_TRUE(layout.ok());
  Descriptor d = Desc(std::string(kMediaTypeOciLayerGzip), kGzipLayer, 50306);
  auto st = layout->ReadBlob(d).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(st.message(), HasSubstr(absl::StrCat("blob ", kGzipLayer, " is missing")));
  EXPECT_EQ(layout->OpenBlob(d).status().code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(layout->HasBlob(kGzipLayer));
}

TEST_F(OciLayoutTest, DigestMismatchIsDetectedByReadAndByTheFinalStreamRead) {
  COCOON_TESTDATA_OR_SKIP(src, "generated/ocicrypt/images/plain_gzip");
  const std::string dir = CopyLayout(src, "l");
  const std::string path = dir + "/blobs/sha256/" + std::string(kGzipLayer).substr(7);
  std::string data = *ReadFile(path);
  data[100] ^= 1;
  ASSERT_TRUE(WriteFileAtomic(path, data).ok());
  auto layout = OciLayout::Open(dir);
  ASSERT_TRUE(layout.ok());
  Descriptor d = Desc(std::string(kMediaTypeOciLayerGzip), kGzipLayer, 50306);
  EXPECT_THAT(layout->ReadBlob(d).status().message(),
              HasSubstr(absl::StrCat("blob ", kGzipLayer, ": digest mismatch")));
  auto stream = layout->OpenBlob(d);
  ASSERT_TRUE(stream.ok());
  uint8_t buf[4096];
  size_t total = 0;
  absl::Status final_status;
  for (;;) {
    auto r = (*stream)->Read(buf, sizeof(buf));
    if (!r.ok()) {
      final_status = r.status();
      break;
    }
    ASSERT_NE(*r, 0u) << "reached EOF without an error";
    total += *r;
  }
  EXPECT_EQ(total, 50306u);
  EXPECT_THAT(final_status.message(), HasSubstr("digest mismatch"));
}

TEST_F(OciLayoutTest, SizeMismatchIsReported) {
  COCOON_TESTDATA_OR_SKIP(dir, "generated/ocicrypt/images/plain_gzip");
  auto layout = OciLayout::Open(dir);
  ASSERT_TRUE(layout.ok());
  Descriptor d = Desc(std::string(kMediaTypeOciLayerGzip), kGzipLayer, 50000);
  EXPECT_THAT(layout->ReadBlob(d).status().message(),
              HasSubstr("size mismatch: descriptor says 50000 bytes, file has 50306"));
  EXPECT_THAT(layout->OpenBlob(d).status().message(), HasSubstr("size mismatch"));
  d.size = 50306;
  EXPECT_THAT(layout->ReadBlob(d, 1000).status().message(), HasSubstr("more than the limit"));
}

TEST_F(OciLayoutTest, SymlinkLeavingTheLayoutAndPathTricksAreRefused) {
  COCOON_TESTDATA_OR_SKIP(src, "generated/ocicrypt/images/plain_gzip");
  const std::string dir = CopyLayout(src, "l");
  const std::string outside = tmp_ + "/outside";
  ASSERT_TRUE(WriteFileAtomic(outside, "secret").ok());
  const std::string digest = Sha256Digest("secret");
  ASSERT_EQ(symlink(outside.c_str(), (dir + "/blobs/sha256/" + digest.substr(7)).c_str()), 0);
  auto layout = OciLayout::Open(dir);
  ASSERT_TRUE(layout.ok());
  Descriptor d = Desc("application/octet-stream", digest, 6);
  auto st = layout->ReadBlob(d).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(st.message(), HasSubstr("outside the layout"));
  EXPECT_THAT(layout->BlobPath("sha256:../../../etc/passwd").status().message(),
              HasSubstr("invalid digest"));
  EXPECT_THAT(layout->BlobPath("sha256:" + std::string(64, 'A')).status().message(),
              HasSubstr("lower-case hex"));
  EXPECT_THAT(layout->BlobPath("md5:abc").status().message(), HasSubstr("unsupported digest"));
  EXPECT_EQ(*layout->BlobPath(kConfig), dir + "/blobs/sha256/" + std::string(kConfig).substr(7));
  EXPECT_THAT(layout->Resolve("../x").status().message(), HasSubstr("invalid tag"));
  EXPECT_THAT(layout->Resolve("a/../b").status().message(), HasSubstr("invalid tag"));
}

TEST_F(OciLayoutTest, IndexJsonSymlinkedOutOfTheLayoutIsRefused) {
  COCOON_TESTDATA_OR_SKIP(src, "generated/ocicrypt/images/plain_gzip");
  const std::string dir = CopyLayout(src, "l");
  fs::rename(dir + "/index.json", tmp_ + "/index.json");
  ASSERT_EQ(symlink((tmp_ + "/index.json").c_str(), (dir + "/index.json").c_str()), 0);
  EXPECT_THAT(OciLayout::Open(dir).status().message(), HasSubstr("outside the layout"));
}

TEST_F(OciLayoutTest, BadIndexAndUnsupportedVersionAreRejected) {
  COCOON_TESTDATA_OR_SKIP(src, "generated/ocicrypt/images/plain_gzip");
  const std::string dir = CopyLayout(src, "l");
  ASSERT_TRUE(
      WriteFileAtomic(dir + "/index.json", "{\"schemaVersion\":2,\"manifests\":[{}]}").ok());
  auto st = OciLayout::Open(dir).status();
  EXPECT_THAT(st.message(), HasSubstr("index.json"));
  EXPECT_THAT(st.message(), HasSubstr("manifests[0].mediaType: missing"));
  ASSERT_TRUE(WriteFileAtomic(dir + "/index.json", "not json").ok());
  EXPECT_THAT(OciLayout::Open(dir).status().message(), HasSubstr("invalid JSON"));
  ASSERT_TRUE(WriteFileAtomic(dir + "/oci-layout", "{\"imageLayoutVersion\":\"2.0.0\"}").ok());
  EXPECT_THAT(OciLayout::Open(dir).status().message(),
              HasSubstr("unsupported OCI layout version \"2.0.0\""));
  fs::remove(dir + "/oci-layout");
  EXPECT_THAT(OciLayout::Open(dir).status().message(), HasSubstr("oci-layout is missing"));
  EXPECT_EQ(OciLayout::Open(tmp_ + "/nope").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(OciLayoutTest, ResolveListsTagsWhenAmbiguousOrUnknown) {
  COCOON_TESTDATA_OR_SKIP(src, "generated/ocicrypt/images/plain_gzip");
  auto layout = OciLayout::Open(src);
  ASSERT_TRUE(layout.ok());
  auto st = layout->Resolve("v2").status();
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(st.message(), HasSubstr("available: latest"));

  auto w = OciLayoutWriter::Create(tmp_ + "/two");
  ASSERT_TRUE(w.ok());
  auto m = (*w)->WriteBlob(kMediaTypeOciManifest, *layout->ReadBlob(*layout->Resolve("")));
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE((*w)->Commit({*m}, "a").ok());
  auto w2 = OciLayoutWriter::Create(tmp_ + "/two");
  ASSERT_TRUE(w2.ok()) << w2.status();
  ASSERT_TRUE((*w2)->Commit({*m}, "b").ok());
  auto two = OciLayout::Open(tmp_ + "/two");
  ASSERT_TRUE(two.ok());
  EXPECT_THAT(two->Resolve("").status().message(), HasSubstr("2 images; name one of: a, b"));
  EXPECT_EQ(two->Resolve("b")->digest, m->digest);
}

// --- Writer ------------------------------------------------------------------------------------

TEST_F(OciLayoutTest, WriterBuildsANewLayoutThatAppearsOnlyAtCommit) {
  COCOON_TESTDATA_OR_SKIP(src_dir, "generated/ocicrypt/images/plain_gzip");
  auto src = OciLayout::Open(src_dir);
  ASSERT_TRUE(src.ok());
  const Descriptor top = *src->Resolve("latest");
  auto manifest = ParseManifest(*src->ReadBlob(top));
  ASSERT_TRUE(manifest.ok());

  const std::string out = tmp_ + "/out";
  auto w = OciLayoutWriter::Create(out);
  ASSERT_TRUE(w.ok()) << w.status();
  ASSERT_TRUE((*w)->CopyBlobFrom(*src, manifest->config).ok());
  ASSERT_TRUE((*w)->CopyBlobFrom(*src, manifest->layers[0]).ok());
  // A streamed blob.
  auto blob = (*w)->NewBlob();
  ASSERT_TRUE(blob.ok());
  ASSERT_TRUE((*blob)->sink().Write("extra blob").ok());
  auto extra = (*blob)->Finish("text/plain");
  ASSERT_TRUE(extra.ok());
  EXPECT_EQ(extra->digest, Sha256Digest("extra blob"));
  EXPECT_EQ(extra->size, 10);
  auto mdesc = (*w)->WriteBlob(kMediaTypeOciManifest, *SerializeManifest(*manifest));
  ASSERT_TRUE(mdesc.ok());
  EXPECT_EQ(mdesc->digest, top.digest);
  EXPECT_FALSE(fs::exists(out));
  ASSERT_TRUE((*w)->Commit({*mdesc}, "v1").ok());
  w->reset();

  auto back = OciLayout::Open(out);
  ASSERT_TRUE(back.ok()) << back.status();
  auto d = back->Resolve("v1");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->digest, top.digest);
  EXPECT_TRUE(back->ReadBlob(manifest->layers[0]).ok());
  EXPECT_TRUE(back->ReadBlob(manifest->config).ok());
  EXPECT_EQ(*ReadFile(out + "/oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
  // Only the layout itself is left in the parent: no temporary directory.
  int entries = 0;
  for (const auto& e : fs::directory_iterator(tmp_)) entries += e.path() != out;
  EXPECT_EQ(entries, 0);
}

TEST_F(OciLayoutTest, WriterAbortLeavesNothingForANewLayout) {
  {
    auto w = OciLayoutWriter::Create(tmp_ + "/out");
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->WriteBlob("text/plain", "abc").ok());
    auto unfinished = (*w)->NewBlob();
    ASSERT_TRUE(unfinished.ok());
    ASSERT_TRUE((*unfinished)->sink().Write("partial").ok());
  }
  EXPECT_TRUE(fs::is_empty(tmp_));
}

TEST_F(OciLayoutTest, WriterAbortRemovesOnlyWhatItAddedToAnExistingLayout) {
  COCOON_TESTDATA_OR_SKIP(src, "generated/ocicrypt/images/plain_gzip");
  const std::string dir = CopyLayout(src, "l");
  const std::string index_before = *ReadFile(dir + "/index.json");
  {
    auto w = OciLayoutWriter::Create(dir);
    ASSERT_TRUE(w.ok()) << w.status();
    ASSERT_TRUE((*w)->WriteBlob("text/plain", "new").ok());
    EXPECT_TRUE(fs::exists(dir + "/blobs/sha256/" + Sha256Digest("new").substr(7)));
    ASSERT_TRUE((*w)->WriteBlob("text/plain",
                                *ReadFile(dir + "/blobs/sha256/" + std::string(kConfig).substr(7)))
                    .ok());
  }
  EXPECT_FALSE(fs::exists(dir + "/blobs/sha256/" + Sha256Digest("new").substr(7)));
  EXPECT_TRUE(fs::exists(dir + "/blobs/sha256/" + std::string(kConfig).substr(7)));
  EXPECT_EQ(*ReadFile(dir + "/index.json"), index_before);
  EXPECT_TRUE(OciLayout::Open(dir).ok());
}

TEST_F(OciLayoutTest, WriterIntoExistingLayoutReplacesTheTagAndKeepsOthers) {
  COCOON_TESTDATA_OR_SKIP(src, "generated/ocicrypt/images/plain_gzip");
  const std::string dir = CopyLayout(src, "l");
  auto layout = OciLayout::Open(dir);
  ASSERT_TRUE(layout.ok());
  Manifest m = *ParseManifest(*layout->ReadBlob(*layout->Resolve("latest")));
  m.annotations["org.example.changed"] = "yes";
  {
    auto w = OciLayoutWriter::Create(dir);
    ASSERT_TRUE(w.ok());
    auto d = (*w)->WriteBlob(kMediaTypeOciManifest, *SerializeManifest(m));
    ASSERT_TRUE(d.ok());
    ASSERT_TRUE((*w)->Commit({*d}, "latest").ok());
    auto w2 = OciLayoutWriter::Create(dir);
    ASSERT_TRUE(w2.ok());
    ASSERT_TRUE((*w2)->Commit({*layout->Resolve("latest")}, "old").ok());
  }
  auto back = OciLayout::Open(dir);
  ASSERT_TRUE(back.ok());
  ASSERT_EQ(back->manifests().size(), 2u);
  auto latest = back->ReadBlob(*back->Resolve("latest"));
  ASSERT_TRUE(latest.ok());
  EXPECT_THAT(*latest, HasSubstr("org.example.changed"));
  EXPECT_EQ(back->Resolve("old")->digest, layout->Resolve("latest")->digest);
}

TEST_F(OciLayoutTest, WriterRefusesMissingManifestBlobBadTagAndNonLayoutDirectory) {
  auto w = OciLayoutWriter::Create(tmp_ + "/out");
  ASSERT_TRUE(w.ok());
  Descriptor d = Desc(std::string(kMediaTypeOciManifest), Sha256Digest("absent"), 6);
  EXPECT_THAT((*w)->Commit({d}, "x").message(), HasSubstr("was not written to layout"));
  EXPECT_THAT((*w)->Commit({}, "..").message(), HasSubstr("invalid tag"));
  ASSERT_TRUE(
      WriteFileAtomic(tmp_ + "/junk/file", "x").ok() ||
      (fs::create_directory(tmp_ + "/junk") && WriteFileAtomic(tmp_ + "/junk/file", "x").ok()));
  EXPECT_THAT(OciLayoutWriter::Create(tmp_ + "/junk").status().message(),
              HasSubstr("is not an OCI image layout"));
  EXPECT_THAT(OciLayoutWriter::Create(tmp_ + "/no/such/out").status().message(),
              HasSubstr("parent directory"));
}

TEST_F(OciLayoutTest, CopyBlobFromVerifiesTheDigestAndLeavesNothingOnMismatch) {
  COCOON_TESTDATA_OR_SKIP(src, "generated/ocicrypt/images/plain_gzip");
  const std::string dir = CopyLayout(src, "l");
  const std::string path = dir + "/blobs/sha256/" + std::string(kGzipLayer).substr(7);
  std::string data = *ReadFile(path);
  data[0] ^= 1;
  ASSERT_TRUE(WriteFileAtomic(path, data).ok());
  auto layout = OciLayout::Open(dir);
  ASSERT_TRUE(layout.ok());
  auto w = OciLayoutWriter::Create(tmp_ + "/out");
  ASSERT_TRUE(w.ok());
  Descriptor d = Desc(std::string(kMediaTypeOciLayerGzip), kGzipLayer, 50306);
  EXPECT_THAT((*w)->CopyBlobFrom(*layout, d).message(), HasSubstr("digest mismatch"));
  Descriptor missing = Desc("x/y", Sha256Digest("nothing"), 7);
  EXPECT_EQ((*w)->CopyBlobFrom(*layout, missing).code(), absl::StatusCode::kNotFound);
  w->reset();
  EXPECT_FALSE(fs::exists(tmp_ + "/out"));
}

// --- Manifest and index documents --------------------------------------------------------------

constexpr char kDigestA[] =
    "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

std::string Layer(absl::string_view digest, absl::string_view size = "1") {
  return absl::StrCat(R"({"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":")", digest,
                      R"(","size":)", size, "}");
}

std::string ManifestWith(const std::string& layers) {
  return absl::StrCat(
      R"({"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")",
      kDigestA, R"(","size":2},"layers":[)", layers, "]}");
}

TEST(ImageTest, ManifestErrorsNameTheJsonPath) {
  const std::string good = Layer(kDigestA);
  auto st = ParseManifest(ManifestWith(good + "," + good + "," + Layer("sha256:xyz")),
                          "manifest sha256:1234");
  EXPECT_THAT(st.status().message(),
              HasSubstr("manifest sha256:1234: layers[2].digest: invalid digest"));
  EXPECT_THAT(ParseManifest(ManifestWith(Layer(kDigestA, "-5"))).status().message(),
              HasSubstr("layers[0].size: negative"));
  EXPECT_THAT(ParseManifest(ManifestWith(Layer(kDigestA, "1.5"))).status().message(),
              HasSubstr("layers[0].size: expected a non-negative integer"));
  EXPECT_THAT(ParseManifest(R"({"schemaVersion":1})").status().message(),
              HasSubstr("schemaVersion: unsupported value 1"));
  EXPECT_THAT(ParseManifest(R"({"schemaVersion":2,"layers":[]})").status().message(),
              HasSubstr("config: missing"));
  EXPECT_THAT(ParseManifest(absl::StrCat(R"({"schemaVersion":2,"mediaType":")", kMediaTypeOciIndex,
                                         R"(","manifests":[]})"))
                  .status()
                  .message(),
              HasSubstr("is an index, not a manifest"));
  EXPECT_THAT(ParseIndex(R"({"schemaVersion":2,"manifests":{}})").status().message(),
              HasSubstr("manifests: expected an array"));
}

TEST(ImageTest, ManifestLayerCountIsBounded) {
  std::string layers;
  for (size_t i = 0; i <= kMaxDescriptorsPerList; ++i) {
    if (i > 0) layers += ",";
    layers += Layer(kDigestA);
  }
  EXPECT_THAT(ParseManifest(ManifestWith(layers)).status().message(),
              HasSubstr("more than the limit of 10000"));
}

TEST(ImageTest, SerializeChangesOnlyWhatTheCallerChanged) {
  const std::string raw = absl::StrCat(
      R"({"schemaVersion":2,"x-first":{"keep":["me",1]},"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")",
      kDigestA,
      R"(","size":2},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":")",
      kDigestA,
      R"(","size":1,"data":"AA==","annotations":{"b":"2","a":"1"}}],"annotations":{"k":"v<>"},"x-last":null})");
  auto m = ParseManifest(raw);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->media_type, kMediaTypeOciManifest);
  EXPECT_FALSE(m->has_media_type_member);
  m->layers[0].media_type = std::string(kMediaTypeOciLayerEnc);
  auto out = SerializeManifest(*m);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(
      *out,
      absl::StrCat(
          R"({"schemaVersion":2,"x-first":{"keep":["me",1]},"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")",
          kDigestA,
          R"(","size":2},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+encrypted","digest":")",
          kDigestA,
          R"(","size":1,"annotations":{"a":"1","b":"2"},"data":"AA=="}],"annotations":{"k":"v\u003c\u003e"},"x-last":null})"));
}

TEST(ImageTest, DescriptorRoundTripKeepsPlatformAndUnknownMembers) {
  auto d = ParseDescriptor(absl::StrCat(
      R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")", kDigestA,
      R"(","size":7,"platform":{"architecture":"arm64","os":"linux","variant":"v8","x":1},"urls":["https://e/x"],"new":true})"));
  ASSERT_TRUE(d.ok()) << d.status();
  ASSERT_TRUE(d->platform.has_value());
  EXPECT_EQ(d->platform->variant, "v8");
  EXPECT_EQ(
      SerializeDescriptor(*d),
      absl::StrCat(
          R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")", kDigestA,
          R"(","size":7,"urls":["https://e/x"],"platform":{"architecture":"arm64","os":"linux","variant":"v8","x":1},"new":true})"));
}

TEST(ImageTest, ConvertsDockerManifestToOci) {
  auto m = ParseManifest(absl::StrCat(
      R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":")",
      kDigestA,
      R"(","size":2},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":")",
      kDigestA, R"(","size":1}]})"));
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_TRUE(ConvertToOciManifest(&*m).ok());
  EXPECT_EQ(m->media_type, kMediaTypeOciManifest);
  EXPECT_EQ(m->config.media_type, kMediaTypeOciConfig);
  EXPECT_EQ(m->layers[0].media_type, kMediaTypeOciLayerGzip);
  auto out = SerializeManifest(*m);
  ASSERT_TRUE(out.ok());
  EXPECT_THAT(*out, HasSubstr(R"("mediaType":"application/vnd.oci.image.manifest.v1+json")"));
  EXPECT_TRUE(ParseManifest(*out).ok());
}

TEST(ImageTest, IndexRoundTripAndFromScratch) {
  Index idx;
  idx.media_type = std::string(kMediaTypeOciIndex);
  idx.manifests.push_back(Desc(kMediaTypeOciManifest, kDigestA, 3));
  auto out = SerializeIndex(idx);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(
      *out,
      absl::StrCat(
          R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")",
          kDigestA, R"(","size":3}]})"));
  auto back = ParseIndex(*out);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*SerializeIndex(*back), *out);
}

}  // namespace
}  // namespace cocoon::ocicrypt
