// Small helpers shared by the crypto unit tests.
#ifndef COCOON_TESTS_UNIT_CRYPTO_TEST_UTIL_H_
#define COCOON_TESTS_UNIT_CRYPTO_TEST_UTIL_H_

#include <cstdlib>
#include <map>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/encoding.h"
#include "crypto/keys.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cocoon::crypto::testing {

inline std::string Unhex(absl::string_view hex) {
  auto out = HexDecode(hex);
  EXPECT_TRUE(out.ok()) << out.status();
  return out.ok() ? *out : std::string();
}

inline std::string B64u(absl::string_view text) {
  auto out = Base64UrlDecode(text);
  EXPECT_TRUE(out.ok()) << out.status();
  return out.ok() ? *out : std::string();
}

inline std::string Message(const absl::Status& status) { return std::string(status.message()); }
template <typename T>
std::string Message(const absl::StatusOr<T>& value) {
  return std::string(value.status().message());
}

// A generated key shared by the tests of one binary (RSA generation is slow, above all under
// sanitizers). `slot` tells apart several keys of one type.
inline const PrivateKey& CachedKey(KeyType type, int slot = 0) {
  static auto* keys = new std::map<std::pair<KeyType, int>, PrivateKey>();
  auto it = keys->find({type, slot});
  if (it == keys->end()) {
    auto key = PrivateKey::Generate(type);
    if (!key.ok()) {
      ADD_FAILURE() << key.status();
      std::abort();
    }
    it = keys->emplace(std::make_pair(type, slot), *std::move(key)).first;
  }
  return it->second;
}

}  // namespace cocoon::crypto::testing

// Asserts that a Status or StatusOr failed with a message containing `substr`.
#define EXPECT_ERROR_HAS(expr, substr)                                                          \
  do {                                                                                          \
    const auto& cocoon_res_ = (expr);                                                           \
    EXPECT_FALSE(cocoon_res_.ok());                                                             \
    EXPECT_THAT(::cocoon::crypto::testing::Message(cocoon_res_), ::testing::HasSubstr(substr)); \
  } while (0)

#endif  // COCOON_TESTS_UNIT_CRYPTO_TEST_UTIL_H_
