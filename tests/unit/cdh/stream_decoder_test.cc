#include "cdh/stream_decoder.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/encoding.h"
#include "base/file_util.h"
#include "crypto/stream_cipher.h"
#include "gtest/gtest.h"
#include "testing/testdata.h"

namespace cocoon::cdh {
namespace {

constexpr char kDir[] = "generated/ocicrypt/ctd-decoder/";

std::string Td(absl::string_view name) { return testing::ReadTestdata(absl::StrCat(kDir, name)); }

std::string Varint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}

std::string Any(absl::string_view url, absl::string_view value) {
  return absl::StrCat("\x0a", Varint(url.size()), url, "\x12", Varint(value.size()), value);
}

TEST(PayloadTest, NodeKeyModelVector) {
  COCOON_TESTDATA_OR_SKIP(p, absl::StrCat(kDir, "payload_nodekeymodel.bin"));
  auto payload = ParseProcessorPayload(Td("payload_nodekeymodel.bin"));
  ASSERT_TRUE(payload.ok()) << payload.status();
  EXPECT_EQ(payload->descriptor.media_type,
            "application/vnd.oci.image.layer.v1.tar+gzip+encrypted");
  EXPECT_TRUE(absl::StartsWith(payload->descriptor.digest, "sha256:41751f07"));
  EXPECT_EQ(payload->descriptor.size, 50306);
  EXPECT_EQ(payload->descriptor.annotations.count("org.opencontainers.image.enc.keys.jwe"), 1u);
  EXPECT_TRUE(payload->dc.parameters.empty());
}

TEST(PayloadTest, PrivkeyVector) {
  COCOON_TESTDATA_OR_SKIP(p, absl::StrCat(kDir, "payload_privkey.bin"));
  auto payload = ParseProcessorPayload(Td("payload_privkey.bin"));
  ASSERT_TRUE(payload.ok()) << payload.status();
  const auto& keys = payload->dc.parameters.at("privkeys");
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_TRUE(absl::StartsWith(*keys[0], "-----BEGIN"));
  const auto& pw = payload->dc.parameters.at("privkeys-passwords");
  ASSERT_EQ(pw.size(), 1u);
  EXPECT_FALSE(pw[0].has_value());
}

TEST(PayloadTest, AcceptsPrefixedUrlUnknownFieldsAndCaseFolding) {
  const std::string value =
      R"({"decryptconfig":{"parameters":{"attestation-agent":["RW5hYmxlZA=="]}},)"
      R"("descriptor":{"mediaType":"application/vnd.oci.image.layer.v1.tar+encrypted",)"
      R"("digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":1}})";
  const std::string bytes =
      absl::StrCat("\x18\x05", Any("type.googleapis.com/io.containerd.ocicrypt.v1.Payload", value));
  auto payload = ParseProcessorPayload(bytes);
  ASSERT_TRUE(payload.ok()) << payload.status();
  EXPECT_EQ(*payload->dc.parameters.at("attestation-agent")[0], "Enabled");
}

TEST(PayloadTest, PreciseErrors) {
  auto msg = [](absl::string_view b) {
    auto p = ParseProcessorPayload(b);
    return p.ok() ? std::string("ok") : std::string(p.status().message());
  };
  EXPECT_NE(msg("").find("empty"), std::string::npos);
  EXPECT_NE(msg("\x0a").find("truncated varint at byte 1"), std::string::npos);
  EXPECT_NE(msg("\x0a\x7f"
                "abc")
                .find("claims 127 bytes but only 3 follow"),
            std::string::npos);
  EXPECT_NE(msg(std::string("\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12))
                .find("varint longer than 10 bytes"),
            std::string::npos);
  EXPECT_NE(msg("\x0b").find("unsupported wire type 3"), std::string::npos);
  EXPECT_NE(msg("\x08\x01").find("must be length-delimited"), std::string::npos);
  EXPECT_NE(msg(Any("", "{}")).find("no type_url"), std::string::npos);
  EXPECT_NE(msg("\x0a\x03"
                "abc")
                .find("no value"),
            std::string::npos);
  EXPECT_NE(msg(Any("example.com/Other", "{}")).find("type URL \"example.com/Other\" is not"),
            std::string::npos);
  EXPECT_NE(msg(Any(kPayloadTypeUrl, "{nope")).find("decryption payload value"), std::string::npos);
  EXPECT_NE(msg(Any(kPayloadTypeUrl, "[]")).find("must be a JSON object"), std::string::npos);
  EXPECT_NE(msg(Any(kPayloadTypeUrl, "{}")).find("no Descriptor"), std::string::npos);
  EXPECT_NE(
      msg(Any(kPayloadTypeUrl,
              R"({"Descriptor":{"mediaType":"x"},"DecryptConfig":{"Parameters":{"privkeys":["%%%"]}}})"))
          .find("DecryptConfig.Parameters.privkeys[0]: not standard base64"),
      std::string::npos);
  EXPECT_NE(msg(Any(kPayloadTypeUrl, R"({"Descriptor":{"mediaType":5}})")).find("Descriptor"),
            std::string::npos);
  EXPECT_NE(msg(std::string(kMaxPayloadSize + 1, '\x0a')).find("larger than"), std::string::npos);
}

TEST(KeyFileTest, ClassifiesLikeImgcryptOrMoreTolerant) {
  COCOON_TESTDATA_OR_SKIP(k, "generated/ocicrypt/keys/rsa_priv.pem");
  auto kind = [](absl::string_view f) {
    return ClassifyKeyFile(testing::ReadTestdata(absl::StrCat("generated/ocicrypt/keys/", f)));
  };
  EXPECT_EQ(*kind("rsa_priv.pem"), KeyFileKind::kPrivateKey);
  EXPECT_EQ(*kind("ec_priv.pem"), KeyFileKind::kPrivateKey);
  EXPECT_EQ(*kind("ec_priv_sec1.der"), KeyFileKind::kPrivateKey);
  EXPECT_EQ(*kind("ec_priv_sec1.pem"), KeyFileKind::kPrivateKey);  // Go refuses; we accept
  EXPECT_EQ(*kind("cert.pem"), KeyFileKind::kCertificate);
  EXPECT_EQ(*kind("empty.key"), KeyFileKind::kEmpty);
  EXPECT_NE(kind("garbage.txt").status().message().find("Unknown decryption key type"),
            absl::string_view::npos);
  EXPECT_NE(kind("rsa_pub.pem").status().message().find("Unknown decryption key type"),
            absl::string_view::npos);
  EXPECT_NE(kind("rsa_priv_enc_legacy.pem").status().message().find("password"),
            absl::string_view::npos);
  EXPECT_NE(kind("rsa_priv_enc_pkcs8.pem").status().message().find("password"),
            absl::string_view::npos);
  COCOON_TESTDATA_OR_SKIP(j, "guest-components/ocicrypt-rs/data/RSA_private.jwk");
  EXPECT_EQ(
      *ClassifyKeyFile(testing::ReadTestdata("guest-components/ocicrypt-rs/data/RSA_private.jwk")),
      KeyFileKind::kPrivateKey);
  EXPECT_FALSE(
      ClassifyKeyFile(testing::ReadTestdata("guest-components/ocicrypt-rs/data/RSA_public.jwk"))
          .ok());
  EXPECT_EQ(*ClassifyKeyFile(std::string("\x95\x01\x02", 3)), KeyFileKind::kGpgKeyring);
}

class KeysDirTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = *MakeTempDir("/tmp/ctd-keys-test."); }
  void TearDown() override { (void)RemoveAll(dir_); }
  std::string dir_;
};

TEST_F(KeysDirTest, WalksRecursivelyAndRefusesSymlinks) {
  COCOON_TESTDATA_OR_SKIP(k, "generated/ocicrypt/keys/rsa_priv.pem");
  const std::string pem = testing::ReadTestdata("generated/ocicrypt/keys/rsa_priv.pem");
  ASSERT_EQ(mkdir((dir_ + "/sub").c_str(), 0700), 0);
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/sub/a.pem", pem, 0600).ok());
  ASSERT_TRUE(
      WriteFileAtomic(dir_ + "/cert.pem", testing::ReadTestdata("generated/ocicrypt/keys/cert.pem"))
          .ok());
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/empty", "").ok());
  auto dc = LoadKeysDir(dir_);
  ASSERT_TRUE(dc.ok()) << dc.status();
  EXPECT_EQ(dc->parameters.at("privkeys").size(), 1u);
  EXPECT_EQ(dc->parameters.at("privkeys-passwords").size(), 1u);
  EXPECT_EQ(dc->parameters.at("x509s").size(), 1u);
  ASSERT_EQ(symlink((dir_ + "/sub/a.pem").c_str(), (dir_ + "/link.pem").c_str()), 0);
  EXPECT_NE(LoadKeysDir(dir_).status().message().find("Symbolic links not supported"),
            absl::string_view::npos);
  EXPECT_NE(LoadKeysDir(dir_ + "/missing").status().message().find("does not exist"),
            absl::string_view::npos);
  ASSERT_EQ(unlink((dir_ + "/link.pem").c_str()), 0);
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/README", "keys go here\n").ok());
  auto err = LoadKeysDir(dir_);
  EXPECT_NE(err.status().message().find("README: Unknown decryption key type"),
            absl::string_view::npos)
      << err.status();
}

TEST(CombineTest, KeysDirFirst) {
  ocicrypt::DecryptConfig a, b;
  a.parameters["privkeys"] = {"A"};
  b.parameters["privkeys"] = {"B"};
  b.parameters["x"] = {std::nullopt};
  CombineDecryptConfigs(&a, b);
  EXPECT_EQ(a.parameters["privkeys"], (std::vector<std::optional<std::string>>{"A", "B"}));
  EXPECT_EQ(a.parameters["x"].size(), 1u);
}

// ---- the built binary, fed as containerd feeds it ----------------------------------------------

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

enum class Fd3 { kClosed, kFile, kPipe, kWriteOnly };

std::string ReadAllFd(int fd) {
  std::string s;
  char buf[65536];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) s.append(buf, n);
  return s;
}

// Runs ctd-decoder with `stdin_data` on stdin and `payload` on fd 3 (as a file, a pipe, or not at
// all). The environment is cleared of OCICRYPT_KEYPROVIDER_CONFIG.
RunResult RunDecoder(const std::vector<std::string>& args, const std::string& stdin_data, Fd3 mode,
                     const std::string& payload) {
  const std::string tmp = *MakeTempDir("/tmp/ctd-run.");
  EXPECT_TRUE(WriteFileAtomic(tmp + "/in", stdin_data).ok());
  EXPECT_TRUE(WriteFileAtomic(tmp + "/payload", payload).ok());
  int out_pipe[2], err_pipe[2], pay_pipe[2];
  EXPECT_EQ(pipe(out_pipe), 0);
  EXPECT_EQ(pipe(err_pipe), 0);
  EXPECT_EQ(pipe(pay_pipe), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    int in = open((tmp + "/in").c_str(), O_RDONLY);
    int p = -1;
    if (mode == Fd3::kFile) p = open((tmp + "/payload").c_str(), O_RDONLY);
    if (mode == Fd3::kWriteOnly) p = open((tmp + "/payload").c_str(), O_WRONLY);
    if (mode == Fd3::kPipe) p = pay_pipe[0];
    dup2(in, 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    if (p >= 0) dup2(p, 10);
    for (int fd = 3; fd < 1024; ++fd) {
      if (fd != 10) close(fd);
    }
    if (p >= 0) {
      dup2(10, 3);
      close(10);
    }
    unsetenv("OCICRYPT_KEYPROVIDER_CONFIG");
    std::vector<char*> argv{const_cast<char*>(COCOON_CTD_DECODER)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  close(pay_pipe[0]);
  if (mode == Fd3::kPipe) {
    EXPECT_EQ(write(pay_pipe[1], payload.data(), payload.size()),
              static_cast<ssize_t>(payload.size()));
  }
  close(pay_pipe[1]);
  RunResult r;
  std::thread err_reader([&] { r.err = ReadAllFd(err_pipe[0]); });
  r.out = ReadAllFd(out_pipe[0]);
  err_reader.join();
  close(out_pipe[0]);
  close(err_pipe[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  (void)RemoveAll(tmp);
  return r;
}

class DecoderBinaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto p = testing::TestdataPath(absl::StrCat(kDir, "stdin_layer.enc"));
    if (!p) GTEST_SKIP() << "NOTICE: ctd-decoder vectors not found; skipping";
    layer_ = Td("stdin_layer.enc");
    node_payload_ = Td("payload_nodekeymodel.bin");
    keys_dir_ = *testing::TestdataPath(absl::StrCat(kDir, "keys_dir"));
    want_ = std::string(absl::StripAsciiWhitespace(Td("expected_stdout.sha256")));
  }
  static std::string Sha(const std::string& s) { return HexEncode(crypto::Sha256(s)); }
  std::string layer_, node_payload_, keys_dir_, want_;
};

TEST_F(DecoderBinaryTest, NodeKeyModelWithKeysDir) {
  auto r = RunDecoder({"--decryption-keys-path", keys_dir_}, layer_, Fd3::kFile, node_payload_);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(Sha(r.out), want_);
}

TEST_F(DecoderBinaryTest, PayloadOnAPipeAndEqualsForm) {
  auto r = RunDecoder({"--decryption-keys-path=" + keys_dir_}, layer_, Fd3::kPipe, node_payload_);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Sha(r.out), want_);
}

TEST_F(DecoderBinaryTest, PrivkeyPayloadWithoutKeysDir) {
  auto r = RunDecoder({}, layer_, Fd3::kFile, Td("payload_privkey.bin"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Sha(r.out), want_);
}

TEST_F(DecoderBinaryTest, VerifyBeforeRelease) {
  auto r = RunDecoder({"--verify-before-release", "--decryption-keys-path", keys_dir_}, layer_,
                      Fd3::kFile, node_payload_);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Sha(r.out), want_);
  std::string tampered = layer_;
  tampered[tampered.size() / 2] ^= 1;
  r = RunDecoder({"--verify-before-release", "--decryption-keys-path", keys_dir_}, tampered,
                 Fd3::kFile, node_payload_);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out.size(), 0u) << "plaintext released before the MAC was checked";
  EXPECT_NE(r.err.find("HMAC mismatch"), std::string::npos) << r.err;
  r = RunDecoder({"--decryption-keys-path", keys_dir_}, tampered, Fd3::kFile, node_payload_);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("HMAC mismatch"), std::string::npos) << r.err;
}

TEST_F(DecoderBinaryTest, NoKeysIsMissingPrivateKey) {
  auto r = RunDecoder({}, layer_, Fd3::kFile, node_payload_);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("missing private key needed for decryption"), std::string::npos) << r.err;
  EXPECT_TRUE(absl::StartsWith(r.err, "call to DecryptLayer failed for layer sha256:41751f07"))
      << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);
}

TEST_F(DecoderBinaryTest, WithoutFd3SaysWhy) {
  auto r = RunDecoder({"--decryption-keys-path", keys_dir_}, layer_, Fd3::kClosed, "");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(absl::StartsWith(r.err, "read payload: fd 3 is not open")) << r.err;
  EXPECT_NE(r.err.find("key_model = \"node\""), std::string::npos);
  EXPECT_NE(r.err.find("io.containerd.ocicrypt.decoder.v1.tar.gzip"), std::string::npos);
  EXPECT_EQ(r.out, "");
}

TEST_F(DecoderBinaryTest, GarbageAndLeakedFd3) {
  auto r = RunDecoder({}, layer_, Fd3::kFile, "this is not a payload");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(absl::StartsWith(r.err, "read payload: decryption payload:")) << r.err;
  r = RunDecoder({}, layer_, Fd3::kPipe, "");
  EXPECT_NE(r.err.find("fd 3 is empty"), std::string::npos) << r.err;
  r = RunDecoder({}, layer_, Fd3::kWriteOnly, "x");
  EXPECT_NE(r.err.find("write-only"), std::string::npos) << r.err;
}

TEST_F(DecoderBinaryTest, MediaTypeCrossCheckAndBadArgs) {
  setenv("STREAM_PROCESSOR_MEDIATYPE", "application/vnd.oci.image.layer.v1.tar+encrypted", 1);
  auto r = RunDecoder({"--decryption-keys-path", keys_dir_}, layer_, Fd3::kFile, node_payload_);
  unsetenv("STREAM_PROCESSOR_MEDIATYPE");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("STREAM_PROCESSOR_MEDIATYPE"), std::string::npos) << r.err;
  r = RunDecoder({"--bogus"}, layer_, Fd3::kFile, node_payload_);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unknown argument \"--bogus\""), std::string::npos);
  r = RunDecoder({"--decryption-keys-path", "/nonexistent/keys"}, layer_, Fd3::kFile,
                 node_payload_);
  EXPECT_TRUE(absl::StartsWith(r.err, "unable to get decryption keys in provided key path:"))
      << r.err;
}

}  // namespace
}  // namespace cocoon::cdh
