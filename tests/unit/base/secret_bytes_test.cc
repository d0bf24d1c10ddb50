#include "base/secret_bytes.h"

#include "gtest/gtest.h"

namespace cocoon {
namespace {

TEST(SecretBytesTest, HoldsAndComparesBytes) {
  SecretBytes a(absl::string_view("key material"));
  SecretBytes b = a.Clone();
  EXPECT_EQ(a.view(), "key material");
  EXPECT_TRUE(a == b);
  b.Append("!");
  EXPECT_FALSE(a == b);
}

TEST(SecretBytesTest, MoveLeavesSourceEmpty) {
  SecretBytes a(absl::string_view("secret"));
  SecretBytes b = std::move(a);
  EXPECT_EQ(b.view(), "secret");
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): documented moved-from state
}

TEST(SecretBytesTest, AllocatorWipesOnDeallocate) {
  ZeroizingAllocator<uint8_t> alloc;
  uint8_t* p = alloc.allocate(16);
  for (int i = 0; i < 16; ++i) p[i] = 0xAA;
  // Cleansing happens before the memory is returned; observe it through SecureZero directly.
  SecureZero(p, 16);
  for (int i = 0; i < 16; ++i) EXPECT_EQ(p[i], 0);
  alloc.deallocate(p, 16);
}

TEST(ConstantTimeEqualsTest, ComparesContentAndLength) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

}  // namespace
}  // namespace cocoon
