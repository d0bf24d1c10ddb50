#include "cli/demo_cmd.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cocoon::cli {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;

// A fake source tree with a build directory inside it:
//   <root>/scripts/demo, <root>/tests/integration/harness.sh,
//   <root>/build/rel/apps/{cocoon,kbs,...}, <root>/build/rel/tests/fixtures/<fixture>/<binary>
class DemoCmdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = MakeTempDir("/tmp/cocoon-democmd-");
    ASSERT_TRUE(dir.ok()) << dir.status();
    root_ = *dir;
    build_ = root_ + "/build/rel";
    self_ = build_ + "/apps/cocoon";
    Exec(self_);
  }
  void TearDown() override { ASSERT_TRUE(RemoveAll(root_).ok()); }

  void Write(const std::string& path, mode_t mode) {
    ASSERT_TRUE(WriteFileAtomic(path, "#!/bin/sh\n", mode).ok()) << path;
  }
  void Exec(const std::string& path) {
    std::string dir = path.substr(0, path.rfind('/'));
    ASSERT_EQ(std::system(absl::StrCat("mkdir -p '", dir, "'").c_str()), 0);
    Write(path, 0755);
  }
  void MakeSourceTree() {
    Exec(root_ + "/scripts/demo");
    Exec(root_ + "/tests/integration/harness.sh");
  }
  void BuildAllBinaries() {
    for (const DemoBinary& b : DemoBinaries())
      Exec(absl::StrCat(build_, "/", b.build_subdir, "/", b.name));
  }
  EnvLookup Env() {
    return [this](absl::string_view name) -> std::optional<std::string> {
      auto it = env_.find(std::string(name));
      if (it == env_.end()) return std::nullopt;
      return it->second;
    };
  }

  std::string root_, build_, self_;
  std::map<std::string, std::string> env_;
};

TEST_F(DemoCmdTest, FindsTheScriptOfTheSourceTreeAroundTheBuildDirectory) {
  MakeSourceTree();
  auto script = FindDemoScript(DemoOptions{}, self_, Env(), "");
  ASSERT_TRUE(script.ok()) << script.status();
  EXPECT_EQ(*script, root_ + "/scripts/demo");
}

TEST_F(DemoCmdTest, FallsBackToTheSourceTreeItWasBuiltFrom) {
  // The binary lives elsewhere (an out-of-tree build); the compiled-in source dir has the script.
  auto other = MakeTempDir("/tmp/cocoon-democmd-src-");
  ASSERT_TRUE(other.ok());
  Exec(*other + "/scripts/demo");
  Exec(*other + "/tests/integration/harness.sh");
  auto script = FindDemoScript(DemoOptions{}, self_, Env(), *other);
  ASSERT_TRUE(script.ok()) << script.status();
  EXPECT_EQ(*script, *other + "/scripts/demo");
  ASSERT_TRUE(RemoveAll(*other).ok());
}

TEST_F(DemoCmdTest, ScriptWithoutTheHarnessBesideItIsNotASourceTree) {
  Exec(root_ + "/scripts/demo");  // no tests/integration/harness.sh
  auto script = FindDemoScript(DemoOptions{}, self_, Env(), "");
  ASSERT_FALSE(script.ok());
  EXPECT_EQ(script.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(script.status().message(), HasSubstr("--script"));
  EXPECT_THAT(script.status().message(), HasSubstr(build_ + "/apps"));
}

TEST_F(DemoCmdTest, ExplicitScriptWinsOverEnvironmentAndSearch) {
  MakeSourceTree();
  Exec(root_ + "/mine.sh");
  Exec(root_ + "/env.sh");
  env_["COCOON_DEMO_SCRIPT"] = root_ + "/env.sh";
  DemoOptions opts;
  opts.script = root_ + "/mine.sh";
  EXPECT_EQ(*FindDemoScript(opts, self_, Env(), ""), root_ + "/mine.sh");
  EXPECT_EQ(*FindDemoScript(DemoOptions{}, self_, Env(), ""), root_ + "/env.sh");
}

TEST_F(DemoCmdTest, ExplicitScriptMustBeExecutable) {
  Write(root_ + "/plain.sh", 0644);
  DemoOptions opts;
  opts.script = root_ + "/plain.sh";
  auto script = FindDemoScript(opts, self_, Env(), "");
  ASSERT_FALSE(script.ok());
  EXPECT_THAT(script.status().message(), HasSubstr("--script " + root_ + "/plain.sh"));
  EXPECT_THAT(script.status().message(), HasSubstr("not an executable file"));
}

TEST_F(DemoCmdTest, PlanExportsEveryBinaryFromTheBuildTree) {
  MakeSourceTree();
  BuildAllBinaries();
  auto plan = PlanDemo(DemoOptions{}, self_, Env(), "");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->script, root_ + "/scripts/demo");
  EXPECT_THAT(plan->env, Contains(Pair("COCOON_BIN", self_)));
  EXPECT_THAT(plan->env, Contains(Pair("KBS_BIN", build_ + "/apps/kbs")));
  EXPECT_THAT(plan->env, Contains(Pair("CTD_DECODER", build_ + "/apps/ctd-decoder")));
  EXPECT_THAT(plan->env,
              Contains(Pair("COCOON_AZ_EMULATOR",
                            build_ + "/tests/fixtures/az-tdx-vtpm-emulator/az-tdx-vtpm-emulator")));
  EXPECT_THAT(plan->env, Contains(Pair("CRI_CLIENT", build_ + "/tests/fixtures/cri/cri-client")));
  EXPECT_EQ(plan->env.size(), DemoBinaries().size() + 1);
  EXPECT_THAT(plan->env, Not(Contains(Pair("HARNESS_KEEP", "1"))));
}

TEST_F(DemoCmdTest, BinDirWinsOverTheBuildLayout) {
  MakeSourceTree();
  BuildAllBinaries();
  const std::string installed = root_ + "/bin";
  for (const DemoBinary& b : DemoBinaries()) Exec(absl::StrCat(installed, "/", b.name));
  DemoOptions opts;
  opts.bin_dir = installed;
  auto plan = PlanDemo(opts, self_, Env(), "");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->env, Contains(Pair("CRI_CLIENT", installed + "/cri-client")));
  EXPECT_THAT(plan->env, Contains(Pair("KBS_BIN", installed + "/kbs")));
}

TEST_F(DemoCmdTest, EnvironmentOverridesABinary) {
  MakeSourceTree();
  BuildAllBinaries();
  Exec(root_ + "/other/kbs");
  env_["KBS_BIN"] = root_ + "/other/kbs";
  env_["AA_BIN"] = "";  // empty: ignored
  auto plan = PlanDemo(DemoOptions{}, self_, Env(), "");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->env, Contains(Pair("KBS_BIN", root_ + "/other/kbs")));
  EXPECT_THAT(plan->env, Contains(Pair("AA_BIN", build_ + "/apps/attestation-agent")));
}

TEST_F(DemoCmdTest, MissingBinariesAreAllNamedWithTheBuildCommand) {
  MakeSourceTree();
  BuildAllBinaries();
  ASSERT_EQ(std::remove((build_ + "/apps/kbs").c_str()), 0);
  ASSERT_EQ(std::remove((build_ + "/tests/fixtures/cri/cri-client").c_str()), 0);
  env_["CTD_DECODER"] = root_ + "/nowhere/ctd-decoder";
  auto plan = PlanDemo(DemoOptions{}, self_, Env(), "");
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kFailedPrecondition);
  const std::string msg(plan.status().message());
  EXPECT_THAT(msg, HasSubstr("kbs (looked for " + build_ + "/apps/kbs"));
  EXPECT_THAT(msg, HasSubstr("or set KBS_BIN"));
  EXPECT_THAT(msg, HasSubstr("cri-client (looked for"));
  EXPECT_THAT(msg, HasSubstr("CTD_DECODER=" + root_ + "/nowhere/ctd-decoder is not an executable"));
  EXPECT_THAT(msg, HasSubstr("ninja -C " + build_ + " kbs ctd-decoder cri-client"));
  EXPECT_THAT(msg, Not(HasSubstr("attestation-agent")));
}

TEST_F(DemoCmdTest, KeepAsksTheHarnessToKeepTheWorkDirectory) {
  MakeSourceTree();
  BuildAllBinaries();
  DemoOptions opts;
  opts.keep = true;
  auto plan = PlanDemo(opts, self_, Env(), "");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->env, Contains(Pair("HARNESS_KEEP", "1")));
}

}  // namespace
}  // namespace cocoon::cli
