#include "ocicrypt/layer_cipher.h"

#include <sys/resource.h>

#include <cstring>
#include <filesystem>
#include <random>

#include "base/encoding.h"
#include "base/file_util.h"
#include "base/json.h"
#include "crypto/stream_cipher.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ocicrypt/annotations.h"
#include "testing/testdata.h"

namespace cocoon::ocicrypt {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Hex(absl::string_view s) { return *HexDecode(s); }

std::string RandomData(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (auto& c : out) c = static_cast<char>(rng());
  return out;
}

std::string Sha256Digest(absl::string_view data) {
  return "sha256:" + HexEncode(crypto::Sha256(data));
}

struct Encrypted {
  std::string ciphertext;
  LayerEncryptResult result;
};

Encrypted Encrypt(const std::string& plaintext, LayerEncryptOptions opts = {}) {
  StringSource src(plaintext);
  StringSink sink;
  auto res = EncryptLayerStream(src, sink, Sha256Digest(plaintext), opts);
  EXPECT_TRUE(res.ok()) << res.status();
  return {sink.Release(), std::move(res).value()};
}

// Records what was released and how large each write was.
class RecordingSink : public ByteSink {
 public:
  absl::Status Write(const uint8_t* data, size_t n) override {
    data_.append(reinterpret_cast<const char*>(data), n);
    max_write_ = std::max(max_write_, n);
    return absl::OkStatus();
  }
  using ByteSink::Write;
  std::string data_;
  size_t max_write_ = 0;
};

// Returns short reads of pseudo-random length, as a pipe would.
class ChunkySource : public ByteSource {
 public:
  explicit ChunkySource(std::string data) : data_(std::move(data)) {}
  absl::StatusOr<size_t> Read(uint8_t* buf, size_t n) override {
    size_t k = std::min({n, data_.size() - pos_, static_cast<size_t>(1 + rng_() % 7000)});
    std::memcpy(buf, data_.data() + pos_, k);
    pos_ += k;
    return k;
  }

 private:
  std::string data_;
  size_t pos_ = 0;
  std::mt19937 rng_{7};
};

absl::Status Decrypt(const std::string& ct, const PrivateOptions& priv, const PublicOptions& pub,
                     std::string* out, const LayerDecryptOptions& opts = {}) {
  StringSource src(ct);
  RecordingSink sink;
  absl::Status st = DecryptLayerStream(src, sink, priv, pub, opts);
  *out = std::move(sink.data_);
  return st;
}

std::vector<LayerDecryptOptions> AllModes(size_t buffer_size = kDefaultLayerBufferSize) {
  LayerDecryptOptions streaming;
  streaming.buffer_size = buffer_size;
  LayerDecryptOptions parallel = streaming;
  parallel.parallel_mac = true;
  LayerDecryptOptions verify = streaming;
  verify.mode = ReleaseMode::kVerifyBeforeRelease;
  return {streaming, parallel, verify};
}

// --- Go vectors --------------------------------------------------------------------------------

struct Vector {
  std::string name, key, nonce, plaintext, ciphertext, ct_sha256, hmac, pubopts, privopts,
      annotation;
};

std::vector<Vector> LoadVectors(const std::string& path) {
  std::vector<Vector> out;
  auto text = ReadFile(path);
  EXPECT_TRUE(text.ok());
  Json j = Json::parse(*text);
  const std::string dir = std::filesystem::path(path).parent_path();
  for (const auto& v : j) {
    Vector x;
    x.name = v["name"];
    x.key = Hex(v["key_hex"].get<std::string>());
    x.nonce = Hex(v["nonce_hex"].get<std::string>());
    const size_t len = v["plaintext_len"];
    if (v.contains("plaintext_hex")) {
      x.plaintext = Hex(v["plaintext_hex"].get<std::string>());
    } else if (v.contains("plaintext_gen")) {
      for (size_t i = 0; i < len; ++i) x.plaintext.push_back(static_cast<char>(i % 251));
    }
    EXPECT_EQ(x.plaintext.size(), len) << x.name;
    if (v.contains("ciphertext_hex")) {
      x.ciphertext = Hex(v["ciphertext_hex"].get<std::string>());
    } else if (v.contains("ciphertext_file")) {
      x.ciphertext = *ReadFile(dir + "/" + v["ciphertext_file"].get<std::string>());
    }
    x.ct_sha256 = v["ciphertext_sha256"];
    x.hmac = Hex(v["hmac_hex"].get<std::string>());
    x.pubopts = v["pubopts_json"];
    x.privopts = v["privopts_json"];
    x.annotation = v["pubopts_annotation_b64"];
    out.push_back(std::move(x));
  }
  return out;
}

TEST(LayerCipherVectorsTest, EncryptReproducesGoCiphertextHmacAndOptionsJsonByteForByte) {
  COCOON_TESTDATA_OR_SKIP(path, "generated/ocicrypt/blockcipher/blockcipher_vectors.json");
  const auto vectors = LoadVectors(path);
  ASSERT_EQ(vectors.size(), 6u);
  for (const auto& v : vectors) {
    SCOPED_TRACE(v.name);
    LayerEncryptOptions opts;
    opts.key = SecretBytes(v.key);
    opts.nonce = v.nonce;
    Encrypted e = Encrypt(v.plaintext, std::move(opts));
    EXPECT_EQ(HexEncode(e.ciphertext), HexEncode(v.ciphertext));
    EXPECT_EQ(e.result.ciphertext_digest, "sha256:" + v.ct_sha256);
    EXPECT_EQ(e.result.size, v.plaintext.size());
    EXPECT_EQ(HexEncode(e.result.public_options.hmac), HexEncode(v.hmac));
    EXPECT_EQ(SerializePublicOptions(e.result.public_options), v.pubopts);
    EXPECT_EQ(SerializePrivateOptions(e.result.private_options).view(), v.privopts);
    EXPECT_EQ(EncodePubOpts(e.result.public_options), v.annotation);
  }
}

TEST(LayerCipherVectorsTest, GoCiphertextDecryptsWithParsedGoOptionsInEveryMode) {
  COCOON_TESTDATA_OR_SKIP(path, "generated/ocicrypt/blockcipher/blockcipher_vectors.json");
  for (const auto& v : LoadVectors(path)) {
    SCOPED_TRACE(v.name);
    auto priv = ParsePrivateOptions(v.privopts);
    ASSERT_TRUE(priv.ok()) << priv.status();
    auto pub = DecodePubOptsAnnotation(v.annotation);
    ASSERT_TRUE(pub.ok()) << pub.status();
    EXPECT_EQ(priv->symkey.view(), v.key);
    for (const auto& mode : AllModes()) {
      std::string out;
      ASSERT_TRUE(Decrypt(v.ciphertext, *priv, *pub, &out, mode).ok());
      EXPECT_EQ(out, v.plaintext);
    }
  }
}

// --- Round trips and boundaries ----------------------------------------------------------------

TEST(LayerCipherTest, RandomKeyAndNonceAreFreshPerLayer) {
  Encrypted a = Encrypt("same plaintext");
  Encrypted b = Encrypt("same plaintext");
  EXPECT_EQ(a.result.private_options.symkey.size(), kLayerKeySize);
  EXPECT_EQ(a.result.private_options.cipher_options.at("nonce").size(), kLayerNonceSize);
  EXPECT_NE(a.result.private_options.symkey.view(), b.result.private_options.symkey.view());
  EXPECT_NE(a.ciphertext, b.ciphertext);
  EXPECT_TRUE(a.result.public_options.cipher_options.empty());
  EXPECT_EQ(a.result.public_options.cipher, kCipherAes256CtrHmacSha256);
}

TEST(LayerCipherTest, PrivateDigestIsThePassedSourceDigestNotTheBytesRead) {
  StringSource src("abc");
  StringSink sink;
  auto res = EncryptLayerStream(src, sink, "sha256:" + std::string(64, '1'));
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->private_options.digest, "sha256:" + std::string(64, '1'));
}

TEST(LayerCipherTest, RoundTripsAtBufferAndHoldBackBoundariesInEveryMode) {
  constexpr size_t kBuf = 16 * 1024;
  const std::vector<size_t> sizes = {
      0,    1,        16,           10239,    10240,        10241,           kBuf - 1,
      kBuf, kBuf + 1, 2 * kBuf - 1, 2 * kBuf, 2 * kBuf + 1, 3 * kBuf + 10241};
  for (size_t n : sizes) {
    SCOPED_TRACE(n);
    const std::string pt = RandomData(n, static_cast<uint32_t>(n));
    LayerEncryptOptions eo;
    eo.buffer_size = kBuf;
    Encrypted e = Encrypt(pt, std::move(eo));
    ASSERT_EQ(e.ciphertext.size(), n);
    for (const auto& mode : AllModes(kBuf)) {
      std::string out;
      ASSERT_TRUE(
          Decrypt(e.ciphertext, e.result.private_options, e.result.public_options, &out, mode)
              .ok());
      EXPECT_EQ(out, pt);
    }
  }
}

TEST(LayerCipherTest, RoundTripsAroundTheDefaultBufferSize) {
  for (size_t n : {kDefaultLayerBufferSize - 1, kDefaultLayerBufferSize,
                   kDefaultLayerBufferSize + 1, 2 * kDefaultLayerBufferSize + 1}) {
    SCOPED_TRACE(n);
    const std::string pt = RandomData(n, 3);
    Encrypted e = Encrypt(pt);
    for (const auto& mode : AllModes()) {
      std::string out;
      ASSERT_TRUE(
          Decrypt(e.ciphertext, e.result.private_options, e.result.public_options, &out, mode)
              .ok());
      EXPECT_TRUE(out == pt);
    }
  }
}

TEST(LayerCipherTest, ShortReadsFromTheSourceGiveTheSameResult) {
  const std::string pt = RandomData(300000, 11);
  LayerEncryptOptions opts;
  opts.key = SecretBytes(std::string(32, 'k'));
  opts.nonce = std::string(16, 'n');
  Encrypted whole = Encrypt(pt, {opts.key->Clone(), opts.nonce, kDefaultLayerBufferSize});
  ChunkySource chunky(pt);
  StringSink sink;
  auto res = EncryptLayerStream(chunky, sink, "", opts);
  ASSERT_TRUE(res.ok());
  EXPECT_TRUE(sink.data() == whole.ciphertext);
  EXPECT_EQ(res->public_options.hmac, whole.result.public_options.hmac);
  for (const auto& mode : AllModes(16 * 1024)) {
    ChunkySource ct(whole.ciphertext);
    RecordingSink out;
    ASSERT_TRUE(
        DecryptLayerStream(ct, out, whole.result.private_options, whole.result.public_options, mode)
            .ok());
    EXPECT_TRUE(out.data_ == pt);
  }
}

// --- Authentication ----------------------------------------------------------------------------

constexpr absl::string_view kMismatch =
    "layer HMAC mismatch: ciphertext was modified, truncated, or decrypted with the wrong key";

TEST(LayerCipherTest, TamperedLastByteFailsAndTheFinalPartIsNeverReleased) {
  const size_t n = 1 << 20;
  const std::string pt = RandomData(n, 5);
  Encrypted e = Encrypt(pt);
  std::string ct = e.ciphertext;
  ct.back() ^= 1;
  for (size_t buf : {size_t{16 * 1024}, size_t{64 * 1024}, kDefaultLayerBufferSize}) {
    for (bool parallel : {false, true}) {
      SCOPED_TRACE(::testing::Message() << buf << " parallel=" << parallel);
      LayerDecryptOptions opts;
      opts.buffer_size = buf;
      opts.parallel_mac = parallel;
      std::string out;
      absl::Status st = Decrypt(ct, e.result.private_options, e.result.public_options, &out, opts);
      EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss);
      EXPECT_THAT(st.message(), HasSubstr(kMismatch));
      // Nothing of the last 10 KiB (and nothing of the last buffer) was released, and what was
      // released is the true plaintext prefix.
      EXPECT_LE(out.size(), n - std::max(kMinHoldBack, buf));
      EXPECT_TRUE(pt.compare(0, out.size(), out) == 0);
      if (buf < n / 2) {
        EXPECT_GT(out.size(), 0u);  // it does stream
      }
    }
  }
}

TEST(LayerCipherTest, VerifyBeforeReleaseWritesNothingOnTamper) {
  const std::string pt = RandomData(200000, 6);
  Encrypted e = Encrypt(pt);
  std::string ct = e.ciphertext;
  ct[10] ^= 0x80;
  LayerDecryptOptions opts;
  opts.mode = ReleaseMode::kVerifyBeforeRelease;
  opts.buffer_size = 16 * 1024;
  std::string out;
  absl::Status st = Decrypt(ct, e.result.private_options, e.result.public_options, &out, opts);
  EXPECT_THAT(st.message(), HasSubstr(kMismatch));
  EXPECT_TRUE(out.empty());
}

TEST(LayerCipherTest, VerifyBeforeReleaseUsesTheSpoolDirectoryAndLeavesNoFile) {
  auto dir = MakeTempDir(::testing::TempDir() + "/cocoon-spool-");
  ASSERT_TRUE(dir.ok());
  const std::string pt = RandomData(50000, 8);
  Encrypted e = Encrypt(pt);
  LayerDecryptOptions opts;
  opts.mode = ReleaseMode::kVerifyBeforeRelease;
  opts.spool_dir = *dir;
  std::string out;
  ASSERT_TRUE(
      Decrypt(e.ciphertext, e.result.private_options, e.result.public_options, &out, opts).ok());
  EXPECT_EQ(out, pt);
  EXPECT_TRUE(std::filesystem::is_empty(*dir));
  opts.spool_dir = *dir + "/missing";
  absl::Status st =
      Decrypt(e.ciphertext, e.result.private_options, e.result.public_options, &out, opts);
  EXPECT_THAT(st.message(), HasSubstr("spool file"));
  (void)RemoveAll(*dir);
}

TEST(LayerCipherTest, TruncatedCiphertextFailsInEveryMode) {
  const std::string pt = RandomData(100000, 9);
  Encrypted e = Encrypt(pt);
  for (size_t cut : {size_t{1}, size_t{16}, size_t{50000}, size_t{100000}}) {
    for (const auto& mode : AllModes(16 * 1024)) {
      std::string out;
      absl::Status st = Decrypt(e.ciphertext.substr(0, e.ciphertext.size() - cut),
                                e.result.private_options, e.result.public_options, &out, mode);
      EXPECT_THAT(st.message(), HasSubstr(kMismatch));
    }
  }
}

TEST(LayerCipherTest, WrongKeyFailsWithoutPrintingEitherMacOrTheKey) {
  Encrypted e = Encrypt(RandomData(30000, 10));
  PrivateOptions priv = e.result.private_options.Clone();
  priv.symkey.data()[0] ^= 1;
  std::string out;
  absl::Status st = Decrypt(e.ciphertext, priv, e.result.public_options, &out);
  EXPECT_THAT(st.message(), HasSubstr(kMismatch));
  EXPECT_TRUE(out.empty());
  const std::string mac = e.result.public_options.hmac;
  EXPECT_THAT(st.message(), Not(HasSubstr(HexEncode(mac))));
  EXPECT_THAT(st.message(), Not(HasSubstr(Base64Encode(mac))));
  EXPECT_THAT(st.message(), Not(HasSubstr(Base64Encode(priv.symkey.view()))));
}

// The MAC covers the ciphertext only (as in Go), so a wrong nonce is not detected: the output is
// garbage that the diff_id check further up must catch.
TEST(LayerCipherTest, WrongNonceIsNotCoveredByTheMacAndYieldsWrongPlaintext) {
  const std::string pt = RandomData(1000, 12);
  Encrypted e = Encrypt(pt);
  PrivateOptions priv = e.result.private_options.Clone();
  priv.cipher_options["nonce"][3] ^= 1;
  std::string out;
  ASSERT_TRUE(Decrypt(e.ciphertext, priv, e.result.public_options, &out).ok());
  EXPECT_EQ(out.size(), pt.size());
  EXPECT_NE(out, pt);
}

TEST(LayerCipherTest, NonceInPublicOptionsTakesPrecedenceOverPrivate) {
  const std::string pt = RandomData(1000, 13);
  Encrypted e = Encrypt(pt);
  PrivateOptions priv = e.result.private_options.Clone();
  PublicOptions pub = e.result.public_options;
  pub.cipher_options["nonce"] = priv.cipher_options["nonce"];
  priv.cipher_options["nonce"] = std::string(16, 'x');
  std::string out;
  ASSERT_TRUE(Decrypt(e.ciphertext, priv, pub, &out).ok());
  EXPECT_EQ(out, pt);
}

TEST(LayerCipherTest, MissingOrMalformedNonceIsACleanError) {
  Encrypted e = Encrypt("data");
  PrivateOptions priv = e.result.private_options.Clone();
  priv.cipher_options.clear();
  std::string out;
  EXPECT_THAT(Decrypt(e.ciphertext, priv, e.result.public_options, &out).message(),
              HasSubstr("no nonce in the layer options"));
  priv.cipher_options["nonce"] = "short";
  EXPECT_THAT(Decrypt(e.ciphertext, priv, e.result.public_options, &out).message(),
              HasSubstr("invalid nonce length of 5 bytes; need 16 bytes"));
}

TEST(LayerCipherTest, RejectsBadCipherKeyAndHmacBeforeReadingAnything) {
  Encrypted e = Encrypt("data");
  std::string out;
  PublicOptions pub = e.result.public_options;
  pub.cipher = "";
  EXPECT_THAT(Decrypt(e.ciphertext, e.result.private_options, pub, &out).message(),
              HasSubstr("no cipher type provided"));
  pub.cipher = "AES_128_GCM";
  EXPECT_THAT(Decrypt(e.ciphertext, e.result.private_options, pub, &out).message(),
              HasSubstr("unsupported cipher type: AES_128_GCM"));
  pub = e.result.public_options;
  pub.hmac.clear();
  EXPECT_THAT(Decrypt(e.ciphertext, e.result.private_options, pub, &out).message(),
              HasSubstr("HMAC is not provided"));
  pub.hmac = "abc";
  EXPECT_THAT(Decrypt(e.ciphertext, e.result.private_options, pub, &out).message(),
              HasSubstr("invalid HMAC length"));
  PrivateOptions priv = e.result.private_options.Clone();
  priv.symkey = SecretBytes(std::string(6, 'k'));
  EXPECT_THAT(Decrypt(e.ciphertext, priv, e.result.public_options, &out).message(),
              HasSubstr("invalid key length of 6 bytes; need 32 bytes"));
}

TEST(LayerCipherTest, EncryptRejectsFixedKeyOrNonceOfWrongLength) {
  StringSource src("x");
  StringSink sink;
  LayerEncryptOptions opts;
  opts.key = SecretBytes(std::string(31, 'k'));
  EXPECT_THAT(EncryptLayerStream(src, sink, "", opts).status().message(),
              HasSubstr("invalid key length of 31 bytes"));
  opts.key.reset();
  opts.nonce = std::string(12, 'n');
  EXPECT_THAT(EncryptLayerStream(src, sink, "", opts).status().message(),
              HasSubstr("invalid nonce length of 12 bytes"));
}

class FailingSource : public ByteSource {
 public:
  absl::StatusOr<size_t> Read(uint8_t*, size_t) override {
    return absl::UnavailableError("source broke");
  }
};

class FailingSink : public ByteSink {
 public:
  absl::Status Write(const uint8_t*, size_t) override {
    return absl::UnavailableError("sink broke");
  }
};

TEST(LayerCipherTest, SourceAndSinkErrorsPropagate) {
  FailingSource bad_src;
  StringSink sink;
  EXPECT_THAT(EncryptLayerStream(bad_src, sink, "").status().message(), HasSubstr("source broke"));
  Encrypted e = Encrypt("data");
  for (const auto& mode : AllModes()) {
    FailingSource s;
    StringSink out;
    EXPECT_THAT(DecryptLayerStream(s, out, e.result.private_options, e.result.public_options, mode)
                    .message(),
                HasSubstr("source broke"));
    StringSource ct(e.ciphertext);
    FailingSink fs;
    EXPECT_THAT(DecryptLayerStream(ct, fs, e.result.private_options, e.result.public_options, mode)
                    .message(),
                HasSubstr("sink broke"));
  }
}

// --- Large layers ------------------------------------------------------------------------------

// Produces `size` bytes of a cheap pattern; optionally encrypted on the fly with `aes`.
class GeneratorSource : public ByteSource {
 public:
  GeneratorSource(uint64_t size, crypto::AesCtr256* aes) : left_(size), aes_(aes) {}
  absl::StatusOr<size_t> Read(uint8_t* buf, size_t n) override {
    const size_t k = static_cast<size_t>(std::min<uint64_t>(n, left_));
    for (size_t i = 0; i < k; ++i) buf[i] = static_cast<uint8_t>((pos_ + i) * 131 >> 3);
    if (aes_ != nullptr) {
      auto st = aes_->Process(buf, buf, k);
      if (!st.ok()) return st;
    }
    pos_ += k;
    left_ -= k;
    return k;
  }

 private:
  uint64_t left_;
  uint64_t pos_ = 0;
  crypto::AesCtr256* aes_;
};

long MaxRssKiB() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

TEST(LayerCipherTest, LargeLayerStreamsInBoundedMemory) {
  constexpr uint64_t kSize = uint64_t{192} << 20;
  const std::string key(32, '\x42'), nonce(16, '\x24');
  const long rss_before = MaxRssKiB();

  GeneratorSource plain(kSize, nullptr);
  DiscardSink discard;
  DigestingSink ct_digest(discard);
  LayerEncryptOptions eo;
  eo.key = SecretBytes(key);
  eo.nonce = nonce;
  auto enc = EncryptLayerStream(plain, ct_digest, "", eo);
  ASSERT_TRUE(enc.ok()) << enc.status();
  EXPECT_EQ(enc->size, kSize);
  EXPECT_EQ(*ct_digest.Digest(), enc->ciphertext_digest);

  for (const auto& mode : {AllModes()[0], AllModes()[1]}) {
    auto aes = crypto::AesCtr256::New(key, nonce);
    ASSERT_TRUE(aes.ok());
    GeneratorSource ct(kSize, aes->get());
    DiscardSink out;
    DigestingSink out_digest(out);
    ASSERT_TRUE(
        DecryptLayerStream(ct, out_digest, enc->private_options, enc->public_options, mode).ok());
    EXPECT_EQ(out_digest.bytes(), kSize);
    GeneratorSource again(kSize, nullptr);
    DigestingSource again_digest(again);
    ASSERT_TRUE(CopyStream(again_digest, discard).ok());
    EXPECT_EQ(*out_digest.Digest(), *again_digest.Digest());
  }
  // A few buffers, not the layer: well under the 192 MiB that buffering would take.
  EXPECT_LT(MaxRssKiB() - rss_before, 48 * 1024);
}

}  // namespace
}  // namespace cocoon::ocicrypt
