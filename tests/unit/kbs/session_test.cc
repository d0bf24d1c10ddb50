#include "kbs/session.h"

#include "absl/strings/match.h"
#include "crypto/stream_cipher.h"
#include "gtest/gtest.h"
#include "kbs_test_util.h"

namespace cocoon::kbs {
namespace {

Session MakeSession(int64_t expires) {
  Session s;
  s.nonce = "bm9uY2U=";
  s.tee = "sample";
  s.expires_unix = expires;
  s.attest_by_unix = expires - 240;
  return s;
}

TEST(SessionTest, SealOpenRoundTrip) {
  auto sealer = SessionSealer::CreateEphemeral();
  const absl::Time now = absl::Now();
  Session s = MakeSession(absl::ToUnixSeconds(now) + 300);
  s.state = Session::State::kAttested;
  s.token = "a.b.c";
  const std::string cookie = sealer->Seal(s);
  EXPECT_EQ(cookie.find_first_of("=;, "), std::string::npos);
  auto opened = sealer->Open(cookie, now);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->state, Session::State::kAttested);
  EXPECT_EQ(opened->nonce, s.nonce);
  EXPECT_EQ(opened->attest_by_unix, s.attest_by_unix);
  EXPECT_EQ(opened->tee, "sample");
  EXPECT_EQ(opened->token, "a.b.c");
  EXPECT_NE(sealer->Seal(s), cookie);  // fresh IV
}

TEST(SessionTest, ForgedTruncatedAndForeignCookiesAreNotFound) {
  auto sealer = SessionSealer::CreateEphemeral();
  const absl::Time now = absl::Now();
  const std::string cookie = sealer->Seal(MakeSession(absl::ToUnixSeconds(now) + 300));
  std::string forged = cookie;
  forged[20] = forged[20] == 'A' ? 'B' : 'A';
  for (const std::string& bad :
       {forged, cookie.substr(0, 30), std::string("deadbeef"), std::string(""),
        SessionSealer::CreateEphemeral()->Seal(MakeSession(absl::ToUnixSeconds(now) + 1))}) {
    auto r = sealer->Open(bad, now);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().message(), "session not found");
  }
}

TEST(SessionTest, ExpiredCookie) {
  auto sealer = SessionSealer::CreateEphemeral();
  const absl::Time now = absl::Now();
  const std::string cookie = sealer->Seal(MakeSession(absl::ToUnixSeconds(now) + 10));
  auto r = sealer->Open(cookie, now + absl::Seconds(11));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "session expired.");
}

TEST(SessionTest, KeyFileFormats) {
  testing::TempDir dir;
  const std::string raw = crypto::RandomBytes(32);
  auto a = SessionSealer::FromFile(dir.Write("raw", raw));
  auto b = SessionSealer::FromFile(dir.Write("hex", HexEncode(raw) + "\n"));
  auto c = SessionSealer::FromFile(dir.Write("b64", Base64Encode(raw)));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  const absl::Time now = absl::Now();
  const std::string cookie = (*a)->Seal(MakeSession(absl::ToUnixSeconds(now) + 60));
  EXPECT_TRUE((*b)->Open(cookie, now).ok());
  EXPECT_TRUE((*c)->Open(cookie, now).ok());
  EXPECT_FALSE(SessionSealer::FromFile(dir.Write("short", "abc")).ok());
}

TEST(NonceCacheTest, RejectsReplayUntilExpiry) {
  NonceCache cache;
  const int64_t now = 1'000'000;
  EXPECT_TRUE(cache.Insert("n1", now + 300, now));
  EXPECT_FALSE(cache.Insert("n1", now + 300, now + 10));
  EXPECT_TRUE(cache.Insert("n2", now + 300, now));
  EXPECT_EQ(cache.size(), 2u);
  // After expiry the entries are dropped (a replay then fails on the expired cookie anyway).
  EXPECT_TRUE(cache.Insert("n3", now + 1000, now + 400));
  EXPECT_EQ(cache.size(), 1u);
}

}  // namespace
}  // namespace cocoon::kbs
