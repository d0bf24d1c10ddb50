#include "kbs/storage.h"

#include <sys/stat.h>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "kbs_test_util.h"

namespace cocoon::kbs {
namespace {

TEST(ResourcePathTest, ValidatesSegmentsAsUpstream) {
  EXPECT_TRUE(ParseResourcePath("default/image_key/nginx").ok());
  EXPECT_TRUE(ParseResourcePath("a-b/c_d/e.f.g").ok());
  for (const char* bad : {"a/b", "a/b/c/d", "a//c", "../b/c", "a/../c", "a/b/..", "a/.b/c",
                          "a/b c/d", "a/b/c%2f", ""}) {
    EXPECT_FALSE(ParseResourcePath(bad).ok()) << bad;
  }
}

TEST(StorageKeyTest, RejectsTraversal) {
  EXPECT_TRUE(ValidateStorageKey("a/b/c").ok());
  for (const char* bad : {"", "/a", ".a", "a/../b", "a//b", "a/./b", "a\\b"}) {
    EXPECT_FALSE(ValidateStorageKey(bad).ok()) << bad;
  }
}

void Exercise(ResourceStore& store) {
  auto path = ParseResourcePath("default/image_key/nginx");
  EXPECT_EQ(store.Get(*path).status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(store.Set(*path, "v1").ok());
  ASSERT_TRUE(store.Set(*path, "v2").ok());
  EXPECT_EQ(*store.Get(*path), "v2");
  ASSERT_TRUE(store.Delete(*path).ok());
  EXPECT_EQ(store.Delete(*path).code(), absl::StatusCode::kNotFound);
}

TEST(ResourceStoreTest, TreeLayoutIsRepoTypeTagFiles0600) {
  testing::TempDir dir;
  auto store = NewTreeResourceStore(dir.path());
  Exercise(*store);
  auto path = ParseResourcePath("default/image_key/nginx");
  ASSERT_TRUE(store->Set(*path, "key").ok());
  const std::string file = absl::StrCat(dir.path(), "/default/image_key/nginx");
  struct stat st;
  ASSERT_EQ(stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(*ReadFile(file), "key");
  // A file written by hand (as the walkthrough does) is served.
  ASSERT_TRUE(WriteFileAtomic(absl::StrCat(dir.path(), "/default/image_key/other"), "k2").ok());
  EXPECT_EQ(*store->Get(*ParseResourcePath("default/image_key/other")), "k2");
}

TEST(ResourceStoreTest, KvLayoutOnLocalFsUsesEscapedKeys) {
  testing::TempDir dir;
  auto kv = NewLocalFsStore(dir.path());
  ASSERT_TRUE(kv.ok());
  auto store = NewKvResourceStore(kv->get());
  Exercise(*store);
  ASSERT_TRUE(store->Set(*ParseResourcePath("one/two/three"), "s").ok());
  EXPECT_EQ(*ReadFile(absl::StrCat(dir.path(), "/repository/one\\x2Ftwo\\x2Fthree")), "s");
  EXPECT_EQ(*(*kv)->List("repository"), std::vector<std::string>{"one/two/three"});
}

TEST(ResourceStoreTest, MemoryStore) {
  auto kv = NewMemoryStore();
  auto store = NewKvResourceStore(kv.get());
  Exercise(*store);
}

}  // namespace
}  // namespace cocoon::kbs
