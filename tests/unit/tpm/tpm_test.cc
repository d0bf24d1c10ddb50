#include "tpm/tpm.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "base/file_util.h"
#include "crypto/asymmetric.h"
#include "crypto/stream_cipher.h"
#include "swtpm_process.h"

namespace cocoon::tpm {
namespace {

constexpr uint32_t kAk = 0x81000003;

uint32_t U32(absl::string_view b, size_t at) {
  return (uint32_t{static_cast<uint8_t>(b[at])} << 24) |
         (uint32_t{static_cast<uint8_t>(b[at + 1])} << 16) |
         (uint32_t{static_cast<uint8_t>(b[at + 2])} << 8) |
         uint32_t{static_cast<uint8_t>(b[at + 3])};
}
uint16_t U16(absl::string_view b, size_t at) {
  return static_cast<uint16_t>((static_cast<uint8_t>(b[at]) << 8) |
                               static_cast<uint8_t>(b[at + 1]));
}

// The fields of a quote's TPMS_ATTEST that the tests look at.
struct Attest {
  std::string extra_data;
  std::string pcr_select;
  std::string pcr_digest;
};

Attest ParseAttest(absl::string_view b) {
  Attest a;
  EXPECT_EQ(U32(b, 0), 0xff544347u);
  EXPECT_EQ(U16(b, 4), 0x8018);
  size_t at = 6;
  at += 2 + U16(b, at);  // qualifiedSigner
  uint16_t n = U16(b, at);
  a.extra_data = std::string(b.substr(at + 2, n));
  at += 2 + n;
  at += 17 + 8;  // clockInfo, firmwareVersion
  EXPECT_EQ(U32(b, at), 1u);
  at += 4;
  EXPECT_EQ(U16(b, at), 0x000b);
  uint8_t size_of_select = static_cast<uint8_t>(b[at + 2]);
  a.pcr_select = std::string(b.substr(at + 3, size_of_select));
  at += 3 + size_of_select;
  n = U16(b, at);
  a.pcr_digest = std::string(b.substr(at + 2, n));
  EXPECT_EQ(at + 2 + n, b.size());
  return a;
}

class TpmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::SwtpmProcess::Available()) {
      GTEST_SKIP() << "swtpm is not installed (apt-get install swtpm swtpm-tools)";
    }
    auto dir = MakeTempDir("/tmp/tpm_test_");
    ASSERT_TRUE(dir.ok());
    dir_ = *dir;
    auto swtpm = testing::SwtpmProcess::Start(dir_ + "/state");
    ASSERT_TRUE(swtpm.ok()) << swtpm.status();
    swtpm_ = std::move(*swtpm);
    auto tpm = Tpm::Open(swtpm_->tcti());
    ASSERT_TRUE(tpm.ok()) << tpm.status();
    tpm_ = std::move(*tpm);
  }
  void TearDown() override {
    tpm_.reset();
    swtpm_.reset();
    if (!dir_.empty()) (void)RemoveAll(dir_);
  }

  std::string dir_;
  std::unique_ptr<testing::SwtpmProcess> swtpm_;
  std::unique_ptr<Tpm> tpm_;
};

TEST(TpmOpenTest, BadTctiIsUnavailable) {
  auto tpm = Tpm::Open("device:/nonexistent/tpmrm0");
  ASSERT_FALSE(tpm.ok());
  EXPECT_EQ(tpm.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(tpm.status().message().find("/nonexistent/tpmrm0"), absl::string_view::npos);
}

TEST_F(TpmTest, NvRoundTripChunked) {
  constexpr uint32_t kIndex = 0x01400001;
  auto exists = tpm_->NvExists(kIndex);
  ASSERT_TRUE(exists.ok()) << exists.status();
  EXPECT_FALSE(*exists);
  EXPECT_EQ(tpm_->NvRead(kIndex).status().code(), absl::StatusCode::kNotFound);

  auto max = tpm_->NvBufferMax();
  ASSERT_TRUE(max.ok());
  EXPECT_EQ(*max, 1024u);  // swtpm: more than one chunk below

  std::string data = crypto::RandomBytes(2048);
  absl::Time t0 = absl::Now();
  ASSERT_TRUE(tpm_->NvDefine(kIndex, 2048).ok());
  absl::Time t1 = absl::Now();
  ASSERT_TRUE(tpm_->NvWrite(kIndex, data).ok());
  absl::Time t2 = absl::Now();
  auto back = tpm_->NvRead(kIndex);
  absl::Time t3 = absl::Now();
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, data);
  std::printf("timing: NV define %s, write 2048 B %s, read 2048 B %s\n",
              absl::FormatDuration(t1 - t0).c_str(), absl::FormatDuration(t2 - t1).c_str(),
              absl::FormatDuration(t3 - t2).c_str());

  auto part = tpm_->NvRead(kIndex, 1000, 100);
  ASSERT_TRUE(part.ok());
  EXPECT_EQ(*part, data.substr(1000, 100));
  ASSERT_TRUE(tpm_->NvWrite(kIndex, "abc", 1023).ok());
  auto mid = tpm_->NvRead(kIndex, 1022, 5);
  ASSERT_TRUE(mid.ok());
  EXPECT_EQ(mid->substr(1, 3), "abc");

  auto size = tpm_->NvSize(kIndex);
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, 2048);
  // Defining twice fails and names the index.
  auto again = tpm_->NvDefine(kIndex, 16);
  EXPECT_FALSE(again.ok());
  EXPECT_NE(again.message().find("0x01400001"), absl::string_view::npos) << again;
  // Writing past the end fails.
  EXPECT_FALSE(tpm_->NvWrite(kIndex, "x", 2048).ok());
  ASSERT_TRUE(tpm_->NvUndefine(kIndex).ok());
  exists = tpm_->NvExists(kIndex);
  ASSERT_TRUE(exists.ok());
  EXPECT_FALSE(*exists);
  // Above the index maximum (2048 on swtpm).
  EXPECT_FALSE(tpm_->NvDefine(kIndex, 2600).ok());
}

TEST_F(TpmTest, QuoteRoundTrip) {
  ASSERT_TRUE(tpm_->CreateAttestationKey(kAk).ok());
  // Re-provisioning replaces the key in place.
  absl::Status again = tpm_->CreateAttestationKey(kAk);
  ASSERT_TRUE(again.ok()) << again;
  auto ak = tpm_->ReadPublicKey(kAk);
  ASSERT_TRUE(ak.ok()) << ak.status();
  EXPECT_EQ(ak->type(), crypto::KeyType::kRsa);
  EXPECT_EQ(ak->bits(), 2048);

  ASSERT_TRUE(tpm_->PcrExtend(8, crypto::Sha256("init data")).ok());
  std::string nonce = crypto::RandomBytes(48);
  absl::Time t0 = absl::Now();
  auto quote = tpm_->Quote(kAk, nonce);
  absl::Time t1 = absl::Now();
  ASSERT_TRUE(quote.ok()) << quote.status();
  std::printf("timing: quote + PCR read %s\n", absl::FormatDuration(t1 - t0).c_str());
  EXPECT_EQ(quote->sig_alg, 0x0014);
  EXPECT_EQ(quote->sig_hash, 0x000b);
  EXPECT_EQ(quote->signature.size(), 256u);
  ASSERT_EQ(quote->pcrs.size(), 24u);
  EXPECT_EQ(quote->pcrs[0], std::string(32, '\0'));
  EXPECT_NE(quote->pcrs[8], std::string(32, '\0'));

  EXPECT_TRUE(
      crypto::Verify(*ak, crypto::SignatureAlg::kRs256, quote->attest, quote->signature).ok());
  std::string tampered = quote->attest;
  tampered[tampered.size() - 1] ^= 1;
  EXPECT_FALSE(crypto::Verify(*ak, crypto::SignatureAlg::kRs256, tampered, quote->signature).ok());

  Attest a = ParseAttest(quote->attest);
  EXPECT_EQ(a.extra_data, nonce);
  EXPECT_EQ(a.pcr_select, std::string("\xff\xff\xff", 3));
  std::string concat;
  for (const auto& p : quote->pcrs) concat += p;
  EXPECT_EQ(a.pcr_digest, crypto::Sha256(concat));

  EXPECT_EQ(tpm_->Quote(kAk, std::string(65, 'x')).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(tpm_->Quote(0x81000009, nonce).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(TpmTest, PcrReadSubsetAndExtend) {
  auto before = tpm_->PcrRead((1u << 23) | 1u);
  ASSERT_TRUE(before.ok()) << before.status();
  ASSERT_EQ(before->size(), 2u);
  std::string digest = crypto::Sha256("event");
  ASSERT_TRUE(tpm_->PcrExtend(23, digest).ok());
  auto after = tpm_->PcrRead(1u << 23);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ((*after)[0], crypto::Sha256((*before)[1] + digest));
  EXPECT_EQ(tpm_->PcrExtend(24, digest).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(tpm_->PcrExtend(1, "short").code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cocoon::tpm
