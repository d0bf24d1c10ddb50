#include "crypto/jose/jws.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/encoding.h"
#include "crypto/jose/jwk.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "unit/crypto/test_util.h"

namespace cocoon::jose {
namespace {

using ::cocoon::crypto::KeyType;
using ::cocoon::crypto::PrivateKey;
using ::cocoon::crypto::PublicKey;
using ::cocoon::crypto::SignatureAlg;
using ::cocoon::crypto::testing::B64u;
using ::cocoon::crypto::testing::CachedKey;

const std::vector<SignatureAlg> kAll = {SignatureAlg::kEs256, SignatureAlg::kEs384,
                                        SignatureAlg::kEs512, SignatureAlg::kEdDsa,
                                        SignatureAlg::kRs256, SignatureAlg::kPs256};

constexpr char kRfc7515Payload[] =
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVl"
    "fQ";
constexpr char kRfc7515Claims[] =
    "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}";

PublicKey Rfc7515EcKey() {
  auto jwk =
      ParseJwk(R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",)"
               R"("y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})");
  EXPECT_TRUE(jwk.ok()) << jwk.status();
  return jwk->public_key;
}

std::string Rfc7515Es256Token() {
  return absl::StrCat("eyJhbGciOiJFUzI1NiJ9.", kRfc7515Payload,
                      ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJ"
                      "qPP3-Kg6NU1Q");
}

TEST(JwsVerify, VerifiesRfc7515AppendixA3Es256) {
  auto jws = JwsVerify(Rfc7515Es256Token(), Rfc7515EcKey(), {SignatureAlg::kEs256});
  ASSERT_TRUE(jws.ok()) << jws.status();
  EXPECT_EQ(jws->header, R"({"alg":"ES256"})");
  EXPECT_EQ(jws->payload, kRfc7515Claims);
}

TEST(JwsVerify, VerifiesRfc7515AppendixA2Rs256) {
  auto jwk = ParseJwk(
      R"({"kty":"RSA","e":"AQAB","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPd)"
      R"(dxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47so)"
      R"(MZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMT)"
      R"(BQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcD)"
      R"(TW9gb54h4FRWyuXpoQ"})");
  ASSERT_TRUE(jwk.ok()) << jwk.status();
  const std::string token = absl::StrCat(
      "eyJhbGciOiJSUzI1NiJ9.", kRfc7515Payload,
      ".cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2"
      "Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQ"
      "BMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6Ie"
      "YI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw");
  auto jws = JwsVerify(token, jwk->public_key, {SignatureAlg::kRs256});
  ASSERT_TRUE(jws.ok()) << jws.status();
  EXPECT_EQ(jws->payload, kRfc7515Claims);
}

TEST(JwsSign, ReproducesRfc8037AppendixA4) {
  auto key = PrivateKey::FromEd25519(B64u("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"));
  ASSERT_TRUE(key.ok());
  auto token = JwsSign("", "Example of Ed25519 signing", *key, SignatureAlg::kEdDsa);
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(
      *token,
      "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."
      "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg");
  auto jws = JwsVerify(*token, key->GetPublic(), {SignatureAlg::kEdDsa});
  ASSERT_TRUE(jws.ok()) << jws.status();
  EXPECT_EQ(jws->payload, "Example of Ed25519 signing");
}

class JwsRoundTripTest : public ::testing::TestWithParam<std::pair<SignatureAlg, KeyType>> {};

TEST_P(JwsRoundTripTest, SignsAndVerifies) {
  const auto [alg, type] = GetParam();
  const PrivateKey& key = CachedKey(type);
  auto token = JwsSign(R"({"kid":"k1","typ":"JWT"})", "payload bytes", key, alg);
  ASSERT_TRUE(token.ok()) << token.status();
  auto jws = JwsVerify(*token, key.GetPublic(), {alg});
  ASSERT_TRUE(jws.ok()) << jws.status();
  EXPECT_EQ(jws->payload, "payload bytes");
  EXPECT_EQ(jws->header, absl::StrCat(R"({"alg":")", crypto::SignatureAlgName(alg),
                                      R"(","kid":"k1","typ":"JWT"})"));
  // Tampered payload.
  std::vector<std::string> parts = absl::StrSplit(*token, '.');
  parts[1] = Base64UrlEncode("payload byteS");
  auto tampered = JwsVerify(absl::StrJoin(parts, "."), key.GetPublic(), {alg});
  EXPECT_EQ(tampered.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_ERROR_HAS(tampered, "JWS signature invalid");
  // Another key of the same type.
  auto other = PrivateKey::Generate(type == KeyType::kRsa ? KeyType::kEcP256 : type);
  ASSERT_TRUE(other.ok());
  if (type != KeyType::kRsa) {
    EXPECT_ERROR_HAS(JwsVerify(*token, other->GetPublic(), {alg}), "JWS signature invalid");
  }
}

INSTANTIATE_TEST_SUITE_P(AllAlgs, JwsRoundTripTest,
                         ::testing::Values(std::pair{SignatureAlg::kEs256, KeyType::kEcP256},
                                           std::pair{SignatureAlg::kEs384, KeyType::kEcP384},
                                           std::pair{SignatureAlg::kEs512, KeyType::kEcP521},
                                           std::pair{SignatureAlg::kEdDsa, KeyType::kEd25519},
                                           std::pair{SignatureAlg::kRs256, KeyType::kRsa},
                                           std::pair{SignatureAlg::kPs256, KeyType::kRsa}),
                         [](const auto& info) {
                           return std::string(crypto::SignatureAlgName(info.param.first));
                         });

TEST(JwsSign, KeepsAHeaderWithMatchingAlgVerbatimAndRejectsMismatches) {
  const PrivateKey& key = CachedKey(KeyType::kEcP256);
  const std::string header = R"({"typ":"JWT", "alg":"ES256"})";
  auto token = JwsSign(header, "p", key, SignatureAlg::kEs256);
  ASSERT_TRUE(token.ok()) << token.status();
  auto parts = JwsParse(*token);
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(parts->header, header);
  EXPECT_ERROR_HAS(JwsSign(R"({"alg":"RS256"})", "p", key, SignatureAlg::kEs256),
                   "\"alg\" \"RS256\" does not match ES256");
  EXPECT_ERROR_HAS(JwsSign("[]", "p", key, SignatureAlg::kEs256), "expected a JSON object");
  EXPECT_ERROR_HAS(JwsSign("", "p", key, SignatureAlg::kRs256), "needs an RSA key");
}

TEST(JwsVerify, RejectsAlgNoneUnknownDisallowedAndMismatchedAlgorithms) {
  const PrivateKey& ec = CachedKey(KeyType::kEcP256);
  const PrivateKey& rsa = CachedKey(KeyType::kRsa);
  const std::string none =
      absl::StrCat(Base64UrlEncode(R"({"alg":"none"})"), ".", Base64UrlEncode("{}"), ".");
  auto st = JwsVerify(none, ec.GetPublic(), kAll);
  EXPECT_EQ(st.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_ERROR_HAS(st, "JWS alg not allowed: none");
  const std::string hs256 =
      absl::StrCat(Base64UrlEncode(R"({"alg":"HS256"})"), ".", Base64UrlEncode("{}"), ".AAAA");
  EXPECT_ERROR_HAS(JwsVerify(hs256, ec.GetPublic(), kAll),
                   "JWS alg not allowed: HS256 (not supported)");
  auto token = JwsSign("", "{}", ec, SignatureAlg::kEs256);
  ASSERT_TRUE(token.ok());
  EXPECT_ERROR_HAS(JwsVerify(*token, ec.GetPublic(), {SignatureAlg::kRs256}),
                   "JWS alg not allowed: ES256 (not in the allowed list)");
  EXPECT_ERROR_HAS(JwsVerify(*token, ec.GetPublic(), {}), "not in the allowed list");
  EXPECT_ERROR_HAS(JwsVerify(*token, rsa.GetPublic(), kAll),
                   "JWS alg not allowed: algorithm ES256 needs an EC P-256 key, got RSA");
}

TEST(JwsVerify, RejectsMalformedTokens) {
  const PublicKey key = CachedKey(KeyType::kEcP256).GetPublic();
  for (const char* token : {"", "a", "a.b", "a.b.c.d", "a..b..c"}) {
    SCOPED_TRACE(token);
    auto st = JwsVerify(token, key, kAll);
    EXPECT_EQ(st.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_ERROR_HAS(st, "JWS malformed: expected 3 dot-separated segments");
  }
  EXPECT_ERROR_HAS(JwsVerify("e30!.e30.AAAA", key, kAll),
                   "JWS malformed: header: base64: illegal character");
  EXPECT_ERROR_HAS(JwsVerify("W10.e30.AAAA", key, kAll), "JWS malformed: header is not a JSON");
  EXPECT_ERROR_HAS(JwsVerify("e30.e30.AAAA", key, kAll), "JWS malformed: header has no string");
  EXPECT_ERROR_HAS(JwsVerify("eyJ.e30.AAAA", key, kAll), "JWS malformed");
  const std::string crit =
      Base64UrlEncode(R"({"alg":"ES256","crit":["b64"],"b64":false})") + ".e30.AAAA";
  EXPECT_ERROR_HAS(JwsVerify(crit, key, kAll), "JWS malformed: header \"crit\"");
  const std::string es256 = Base64UrlEncode(R"({"alg":"ES256"})");
  EXPECT_ERROR_HAS(JwsVerify(es256 + ".e30=.AAAA", key, kAll), "JWS malformed: payload");
  EXPECT_ERROR_HAS(JwsVerify(es256 + ".e30.AA AA", key, kAll), "JWS malformed: signature");
  EXPECT_ERROR_HAS(JwsVerify(es256 + ".e30.AAAA", key, kAll),
                   "JWS malformed: signature: ES256 signature must be 64 bytes");
  EXPECT_ERROR_HAS(JwsVerify(std::string(9 << 20, 'a'), key, kAll), "exceeds the 8 MiB limit");
}

TEST(JwsParse, SplitsWithoutVerifying) {
  auto parts = JwsParse(Rfc7515Es256Token());
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_EQ(parts->alg, "ES256");
  EXPECT_EQ(parts->payload, kRfc7515Claims);
  EXPECT_EQ(parts->signature.size(), 64u);
  EXPECT_EQ(parts->signing_input, absl::StrCat("eyJhbGciOiJFUzI1NiJ9.", kRfc7515Payload));
}

absl::Time At(int64_t unix_seconds) { return absl::FromUnixSeconds(unix_seconds); }

JwtVerifyOptions ClockAt(int64_t unix_seconds) {
  JwtVerifyOptions options;
  options.clock = [unix_seconds] { return At(unix_seconds); };
  return options;
}

TEST(JwtVerify, ChecksExpiryOfRfc7515TokenAgainstTheInjectedClock) {
  const std::string token = Rfc7515Es256Token();
  const PublicKey key = Rfc7515EcKey();
  auto valid = JwtVerify(token, key, {SignatureAlg::kEs256}, ClockAt(1300819380 - 3600));
  ASSERT_TRUE(valid.ok()) << valid.status();
  EXPECT_EQ(*valid, kRfc7515Claims);
  // Within the default 60 s leeway.
  EXPECT_TRUE(JwtVerify(token, key, {SignatureAlg::kEs256}, ClockAt(1300819380 + 59)).ok());
  auto expired = JwtVerify(token, key, {SignatureAlg::kEs256}, ClockAt(1300819380 + 61));
  EXPECT_EQ(expired.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_ERROR_HAS(expired, "JWT expired (exp 1300819380, now 1300819441)");
  // The real clock is long past 2011.
  EXPECT_ERROR_HAS(JwtVerify(token, key, {SignatureAlg::kEs256}), "JWT expired");
  JwtVerifyOptions no_leeway = ClockAt(1300819381);
  no_leeway.leeway = absl::ZeroDuration();
  EXPECT_ERROR_HAS(JwtVerify(token, key, {SignatureAlg::kEs256}, no_leeway), "JWT expired");
}

TEST(JwtVerify, PreparedVerifierGivesTheSameAnswers) {
  const std::string token = Rfc7515Es256Token();
  auto verifier = crypto::SignatureVerifier::Create(Rfc7515EcKey(), SignatureAlg::kEs256);
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  auto valid = JwtVerify(token, *verifier, ClockAt(1300819380 - 3600));
  ASSERT_TRUE(valid.ok()) << valid.status();
  EXPECT_EQ(*valid, kRfc7515Claims);
  EXPECT_ERROR_HAS(JwtVerify(token, *verifier, ClockAt(1300819380 + 61)),
                   "JWT expired (exp 1300819380, now 1300819441)");
  std::string tampered = token;
  tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
  auto bad = JwtVerify(tampered, *verifier, ClockAt(1300819380));
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_ERROR_HAS(bad, "JWS signature invalid (ES256)");
  // An algorithm other than the verifier's is refused before any signature check.
  PrivateKey ed = *PrivateKey::Generate(crypto::KeyType::kEd25519);
  auto ed_token = JwtSign(R"({"exp":2000})", ed, SignatureAlg::kEdDsa);
  ASSERT_TRUE(ed_token.ok());
  auto refused = JwtVerify(*ed_token, *verifier, ClockAt(1));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_ERROR_HAS(refused, "JWS alg not allowed: EdDSA (not in the allowed list)");
}

TEST(JwtVerify, ChecksNotBeforeAndRequiredExp) {
  const PrivateKey& key = CachedKey(KeyType::kEd25519);
  auto token = JwtSign(R"({"sub":"node","nbf":2000,"exp":3000})", key, SignatureAlg::kEdDsa);
  ASSERT_TRUE(token.ok()) << token.status();
  auto parts = JwsParse(*token);
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(parts->header, R"({"alg":"EdDSA","typ":"JWT"})");
  EXPECT_TRUE(JwtVerify(*token, key.GetPublic(), {SignatureAlg::kEdDsa}, ClockAt(2500)).ok());
  EXPECT_TRUE(JwtVerify(*token, key.GetPublic(), {SignatureAlg::kEdDsa}, ClockAt(1950)).ok());
  auto early = JwtVerify(*token, key.GetPublic(), {SignatureAlg::kEdDsa}, ClockAt(1900));
  EXPECT_EQ(early.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_ERROR_HAS(early, "JWT not yet valid (nbf 2000, now 1900)");

  auto no_exp = JwtSign(R"({"sub":"node"})", key, SignatureAlg::kEdDsa);
  ASSERT_TRUE(no_exp.ok());
  EXPECT_ERROR_HAS(JwtVerify(*no_exp, key.GetPublic(), {SignatureAlg::kEdDsa}, ClockAt(1)),
                   "JWT malformed: missing \"exp\"");
  JwtVerifyOptions optional_exp = ClockAt(1);
  optional_exp.require_exp = false;
  EXPECT_TRUE(JwtVerify(*no_exp, key.GetPublic(), {SignatureAlg::kEdDsa}, optional_exp).ok());

  auto string_exp = JwtSign(R"({"exp":"tomorrow"})", key, SignatureAlg::kEdDsa);
  ASSERT_TRUE(string_exp.ok());
  EXPECT_ERROR_HAS(JwtVerify(*string_exp, key.GetPublic(), {SignatureAlg::kEdDsa}, ClockAt(1)),
                   "JWT malformed: \"exp\" is not a number");
  auto array_claims = JwsSign("", "[1,2]", key, SignatureAlg::kEdDsa);
  ASSERT_TRUE(array_claims.ok());
  EXPECT_ERROR_HAS(JwtVerify(*array_claims, key.GetPublic(), {SignatureAlg::kEdDsa}, ClockAt(1)),
                   "JWT malformed: claims are not a JSON object");
  auto not_json = JwsSign("", "not json", key, SignatureAlg::kEdDsa);
  ASSERT_TRUE(not_json.ok());
  EXPECT_ERROR_HAS(JwtVerify(*not_json, key.GetPublic(), {SignatureAlg::kEdDsa}, ClockAt(1)),
                   "JWT malformed");
  EXPECT_ERROR_HAS(JwtSign("[]", key, SignatureAlg::kEdDsa), "expected a JSON object");
}

TEST(JwtVerify, SignatureIsCheckedBeforeClaims) {
  const PrivateKey& key = CachedKey(KeyType::kEcP384);
  auto token = JwtSign(R"({"exp":1})", key, SignatureAlg::kEs384);
  ASSERT_TRUE(token.ok());
  std::string bad = *token;
  bad[bad.size() - 5] = bad[bad.size() - 5] == 'A' ? 'B' : 'A';
  EXPECT_ERROR_HAS(JwtVerify(bad, key.GetPublic(), {SignatureAlg::kEs384}), "signature invalid");
}

}  // namespace
}  // namespace cocoon::jose
