// Locating the upstream vectors in shared/testdata.
//
// Tests find the folder through COCOON_TESTDATA (CMake passes the default ../shared/testdata).
// When it is absent a test skips with a visible notice, so the project still builds and tests
// outside this setting.
#ifndef COCOON_TESTING_TESTDATA_H_
#define COCOON_TESTING_TESTDATA_H_

#include <optional>
#include <string>

#include "gtest/gtest.h"

namespace cocoon::testing {

// Absolute path of `relative` inside the testdata folder, or nullopt if the folder or the file
// is missing.
std::optional<std::string> TestdataPath(const std::string& relative);

// Reads a testdata file; fails the test if it cannot.
std::string ReadTestdata(const std::string& relative);

}  // namespace cocoon::testing

// Skips the current test with a notice when `relative` is not available; otherwise declares
// `std::string var` holding its absolute path.
#define COCOON_TESTDATA_OR_SKIP(var, relative)                                       \
  std::string var;                                                                   \
  if (auto cocoon_td_ = ::cocoon::testing::TestdataPath(relative); !cocoon_td_) {    \
    GTEST_SKIP() << "NOTICE: upstream test vector " << (relative)                    \
                 << " not found (set COCOON_TESTDATA to shared/testdata); skipping"; \
  } else {                                                                           \
    var = *cocoon_td_;                                                               \
  }

#endif  // COCOON_TESTING_TESTDATA_H_
