#include "base/file_util.h"

#include <sys/stat.h>

#include <filesystem>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cocoon {
namespace {

using ::testing::HasSubstr;

class FileUtilTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = MakeTempDir(::testing::TempDir() + "/cocoon-file-");
    ASSERT_TRUE(d.ok()) << d.status();
    dir_ = *d;
  }
  void TearDown() override { (void)RemoveAll(dir_); }
  std::string dir_;
};

TEST_F(FileUtilTest, AtomicWriteCreatesFileWithMode) {
  const std::string path = dir_ + "/key";
  ASSERT_TRUE(WriteFileAtomic(path, "secret", 0600).ok());
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(*ReadFile(path), "secret");
}

TEST_F(FileUtilTest, AtomicWriteReplacesAndLeavesNoTemporaries) {
  const std::string path = dir_ + "/f";
  ASSERT_TRUE(WriteFileAtomic(path, "one").ok());
  ASSERT_TRUE(WriteFileAtomic(path, "two").ok());
  EXPECT_EQ(*ReadFile(path), "two");
  int count = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_)) {
    (void)e;
    ++count;
  }
  EXPECT_EQ(count, 1);
}

TEST_F(FileUtilTest, AtomicWriteIntoMissingDirectoryFails) {
  auto st = WriteFileAtomic(dir_ + "/no/such/f", "x");
  EXPECT_FALSE(st.ok());
  EXPECT_THAT(st.message(), HasSubstr("no/such/f"));
}

TEST_F(FileUtilTest, ReadFileEnforcesLimit) {
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/big", std::string(100, 'x')).ok());
  auto r = ReadFile(dir_ + "/big", 10);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("limit of 10"));
}

TEST_F(FileUtilTest, ReadMissingFileIsNotFound) {
  auto r = ReadFile(dir_ + "/missing");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace cocoon
