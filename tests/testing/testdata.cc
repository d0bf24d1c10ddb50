#include "testing/testdata.h"

#include <cstdlib>
#include <filesystem>

#include "base/file_util.h"

namespace cocoon::testing {

std::optional<std::string> TestdataPath(const std::string& relative) {
  const char* root = std::getenv("COCOON_TESTDATA");
  std::filesystem::path base = root != nullptr && *root != '\0' ? root : "../shared/testdata";
  std::filesystem::path p = base / relative;
  std::error_code ec;
  if (!std::filesystem::exists(p, ec)) return std::nullopt;
  return std::filesystem::absolute(p, ec).string();
}

std::string ReadTestdata(const std::string& relative) {
  auto path = TestdataPath(relative);
  EXPECT_TRUE(path.has_value()) << relative;
  if (!path) return "";
  auto data = ReadFile(*path, 1ull << 30);
  EXPECT_TRUE(data.ok()) << data.status();
  return data.ok() ? *data : "";
}

}  // namespace cocoon::testing
