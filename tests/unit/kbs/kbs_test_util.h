// Shared helpers for the KBS tests: temporary directories, keys, configs and RCAR requests.
#ifndef COCOON_TESTS_UNIT_KBS_KBS_TEST_UTIL_H_
#define COCOON_TESTS_UNIT_KBS_KBS_TEST_UTIL_H_

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "attestation/sample/sample_attester.h"
#include "base/encoding.h"
#include "base/file_util.h"
#include "base/json.h"
#include "crypto/asymmetric.h"
#include "crypto/jose/jwk.h"
#include "crypto/jose/jws.h"
#include "crypto/keys.h"
#include "gtest/gtest.h"
#include "kbs/config.h"
#include "kbs/errors.h"
#include "kbs/kbs_service.h"
#include "kbs/tee_key.h"

namespace cocoon::kbs::testing {

class TempDir {
 public:
  TempDir() {
    auto dir = MakeTempDir("/tmp/kbs_test_");
    EXPECT_TRUE(dir.ok());
    path_ = *dir;
  }
  ~TempDir() { (void)RemoveAll(path_); }
  const std::string& path() const { return path_; }
  std::string Write(const std::string& name, absl::string_view data) const {
    const std::string p = absl::StrCat(path_, "/", name);
    EXPECT_TRUE(WriteFileAtomic(p, data, 0600).ok());
    return p;
  }

 private:
  std::string path_;
};

inline std::string PrivatePem(const crypto::PrivateKey& key) {
  auto pem = key.ToPkcs8Pem();
  EXPECT_TRUE(pem.ok());
  return std::string(pem->view());
}

inline std::string PublicPem(const crypto::PrivateKey& key) {
  auto pem = key.GetPublic().ToPem();
  EXPECT_TRUE(pem.ok());
  return *pem;
}

inline crypto::PrivateKey NewKey(crypto::KeyType type) {
  auto key = crypto::PrivateKey::Generate(type);
  EXPECT_TRUE(key.ok());
  return *std::move(key);
}

// An admin JWT with the given claims, signed with `key` (EdDSA or ES256).
inline std::string AdminJwt(const crypto::PrivateKey& key, const Json& claims) {
  const crypto::SignatureAlg alg = key.type() == crypto::KeyType::kEd25519
                                       ? crypto::SignatureAlg::kEdDsa
                                       : crypto::SignatureAlg::kEs256;
  auto token = jose::JwtSign(claims.dump(), key, alg);
  EXPECT_TRUE(token.ok()) << token.status();
  return *token;
}

inline Json AdminClaims(absl::string_view role, int64_t exp_offset = 3600) {
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  Json c = {{"iat", now}, {"exp", now + exp_offset}};
  if (!role.empty()) c["role"] = std::string(role);
  return c;
}

// Parses an error response and checks status, type and a detail substring.
inline void ExpectKbsError(const HttpResponse& r, int status, absl::string_view type,
                           absl::string_view detail_substring) {
  EXPECT_EQ(r.status, status) << r.body;
  auto body = ParseJson(r.body, "error body");
  ASSERT_TRUE(body.ok()) << r.body;
  EXPECT_EQ((*body)["type"], absl::StrCat(kErrorTypePrefix, type)) << r.body;
  const std::string detail = (*body)["detail"];
  EXPECT_NE(detail.find(std::string(detail_substring)), std::string::npos)
      << "detail: " << detail << "\nwanted: " << detail_substring;
}

// The /attest body for `nonce` and `key` with sample evidence; `report_data` overrides the
// digest the evidence carries.
inline std::string AttestBody(absl::string_view nonce, const crypto::PrivateKey& key,
                              absl::string_view alg = "",
                              const std::string* report_data = nullptr) {
  auto tee_key = TeePubKeyFromPublicKey(key.GetPublic(), alg);
  EXPECT_TRUE(tee_key.ok());
  const std::string additional;
  auto digest = RuntimeDataDigest(nonce, *tee_key, &additional);
  EXPECT_TRUE(digest.ok());
  Json body = Json::object();
  body["runtime-data"] = {{"nonce", std::string(nonce)}, {"tee-pubkey", TeePubKeyToJson(*tee_key)}};
  auto evidence = ParseJson(
      attestation::SampleEvidence(report_data != nullptr ? *report_data : *digest), "evidence");
  body["tee-evidence"] = {{"primary_evidence", *evidence}, {"additional_evidence", ""}};
  return body.dump();
}

// The kbs-session-id value from a response's Set-Cookie header.
inline std::string SessionCookie(const HttpResponse& r) {
  for (const auto& [k, v] : r.headers) {
    if (k == "Set-Cookie") {
      const size_t eq = v.find('=');
      const size_t semi = v.find(';');
      return v.substr(eq + 1, semi - eq - 1);
    }
  }
  return "";
}

}  // namespace cocoon::kbs::testing

#endif  // COCOON_TESTS_UNIT_KBS_KBS_TEST_UTIL_H_
