#include "cli/policy_eval.h"

#include <sstream>

#include "base/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cocoon::cli {
namespace {

using ::testing::HasSubstr;

class PolicyEvalCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = MakeTempDir("/tmp/policy_cli_");
    ASSERT_TRUE(d.ok());
    dir_ = *d;
  }
  void TearDown() override { (void)RemoveAll(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    EXPECT_TRUE(WriteFileAtomic(path, text).ok());
    return path;
  }
  int Run(const std::vector<std::string>& argv) {
    out_.str("");
    err_.str("");
    auto args = ParsePolicyEvalArgs(argv);
    if (!args.ok()) {
      err_ << args.status().message();
      return 2;
    }
    return RunPolicyEval(*args, out_, err_);
  }
  std::string dir_;
  std::ostringstream out_, err_;
};

TEST_F(PolicyEvalCliTest, PrintsValueAndUndefined) {
  const std::string pol = Write("p.rego", "package policy\nallow if input.ok\nx := data.v\n");
  const std::string in = Write("in.json", R"({"ok": true})");
  const std::string data = Write("data.json", R"({"v": [1, "a"]})");
  EXPECT_EQ(Run({"--policy", pol, "--input", in}), 0);
  EXPECT_EQ(out_.str(), "true\n");
  EXPECT_EQ(Run({"--policy=" + pol, "--input=" + in, "--data", data, "--query", "data.policy.x"}),
            0);
  EXPECT_EQ(out_.str(), "[1,\"a\"]\n");
  const std::string no = Write("no.json", R"({"ok": false})");
  EXPECT_EQ(Run({"--policy", pol, "--input", no}), 0);
  EXPECT_EQ(out_.str(), "undefined\n");
}

TEST_F(PolicyEvalCliTest, ErrorsExitOne) {
  const std::string bad = Write("bad.rego", "package policy\nallow if {\n");
  const std::string good = Write("good.rego", "package policy\nallow := true\n");
  const std::string in = Write("in.json", "{}");
  const std::string broken = Write("broken.json", "{");
  EXPECT_EQ(Run({"--policy", bad, "--input", in}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("bad.rego:3:1:"));
  EXPECT_EQ(Run({"--policy", good, "--input", broken}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("input"));
  EXPECT_EQ(Run({"--policy", good, "--input", dir_ + "/missing.json"}), 1);
  EXPECT_EQ(Run({"--policy", good}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--input is required"));
  EXPECT_EQ(Run({"--policy", good, "--input", in, "--bogus"}), 2);
}

TEST_F(PolicyEvalCliTest, ReferenceValuesAndPrint) {
  const std::string pol =
      Write("p.rego",
            "package policy\nimport rego.v1\nallow if {\n print(\"svn\", input.svn)\n input.svn in "
            "query_reference_value(\"svn\")\n}\n");
  const std::string in = Write("in.json", R"({"svn": "2"})");
  const std::string rv = Write("rv.json", R"({"svn": ["1", "2"]})");
  EXPECT_EQ(Run({"--policy", pol, "--input", in, "--reference-values", rv}), 0);
  EXPECT_EQ(out_.str(), "true\n");
  EXPECT_THAT(err_.str(), HasSubstr("svn 2"));
  EXPECT_EQ(Run({"--policy", pol, "--input", in}), 1);  // query_reference_value undeclared
  EXPECT_THAT(err_.str(), HasSubstr("unknown function query_reference_value"));
}

}  // namespace
}  // namespace cocoon::cli
