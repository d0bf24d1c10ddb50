// Hostile policies and inputs are answered with errors, never crashes or hangs; the API is
// usable from many threads at once.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "policy/policy.h"

namespace cocoon::policy {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<std::optional<std::string>> EvalText(const std::string& text,
                                                    const std::string& input = "",
                                                    const EvalOptions& opts = {},
                                                    const std::string& query = "data.t.p") {
  auto p = Policy::Compile({{"t.rego", "package t\n" + text}});
  if (!p.ok()) return p.status();
  return (*p)->Evaluate(query, input, "", opts);
}

TEST(PolicyLimitsTest, DeepTermNestingIsACompileError) {
  const std::string text = "p := " + std::string(100000, '[') + std::string(100000, ']');
  auto r = EvalText(text);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("nesting too deep"));
}

TEST(PolicyLimitsTest, LongOperatorAndReferenceChainsAreBounded) {
  std::string sum = "p := 1";
  for (int i = 0; i < 50000; ++i) sum += " + 1";
  EXPECT_THAT(EvalText(sum).status().message(), HasSubstr("nesting too deep"));
  std::string ref = "p := input";
  for (int i = 0; i < 50000; ++i) ref += ".a";
  EXPECT_THAT(EvalText(ref).status().message(), HasSubstr("nesting too deep"));
  std::string nots = "p if { ";
  for (int i = 0; i < 50000; ++i) nots += "not ";
  EXPECT_FALSE(EvalText(nots + "false }").ok());
}

TEST(PolicyLimitsTest, ModerateNestingWorks) {
  auto r = EvalText("p := [[[[[[[[[[1]]]]]]]]]][0][0][0][0][0][0][0][0][0][0]");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->value_or("undefined"), "1");
}

TEST(PolicyLimitsTest, DeepJsonInputIsRejected) {
  const std::string deep = std::string(5000, '[') + std::string(5000, ']');
  auto r = EvalText("p := 1", deep);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("input"));
}

TEST(PolicyLimitsTest, HugeNumbersDoNotCrash) {
  EXPECT_FALSE(EvalText("p := 1e400").ok());
  auto r = EvalText("p := [format_int(input.x, 10), input.x * input.x, to_number(\"1e999\")]",
                    R"({"x": 1e300})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->value_or("undefined"), "undefined");
  auto big = EvalText("p := input.x + 1", R"({"x": 123456789012345678901234567890})");
  ASSERT_TRUE(big.ok()) << big.status();
  EXPECT_EQ(big->value_or("undefined"), "1.2345678901234568e+29");
  EXPECT_FALSE(EvalText("p := 1", R"({"x": 1e999})").ok());
}

TEST(PolicyLimitsTest, LongRuleChainHitsTheStackLimit) {
  std::string text;
  const int n = 20000;
  for (int i = 0; i < n; ++i) absl::StrAppend(&text, "r", i, " := r", i + 1, "\n");
  absl::StrAppend(&text, "r", n, " := 1\np := r0\n");
  auto r = EvalText(text);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted) << r.status();
}

TEST(PolicyLimitsTest, RecursionIsRejectedAtCompileTime) {
  auto r = EvalText("f(x) := g(x)\ng(x) := f(x)\np := f(1)");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("recursive"));
  EXPECT_THAT(EvalText("p := data.t").status().message(), HasSubstr("recursive"));
}

TEST(PolicyLimitsTest, CombinatorialExplosionHitsTheStepLimit) {
  EvalOptions opts;
  opts.timeout = std::chrono::seconds(60);  // so that the step limit, not the clock, stops it
  auto r = EvalText("xs := numbers.range(1, 100)\np := count([1 | xs[_]; xs[_]; xs[_]; xs[_]])", "",
                    opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("step limit"));
}

TEST(PolicyLimitsTest, TimeLimit) {
  EvalOptions opts;
  opts.max_steps = uint64_t{1} << 40;
  opts.timeout = std::chrono::milliseconds(20);
  const auto start = std::chrono::steady_clock::now();
  auto r =
      EvalText("xs := numbers.range(1, 1000)\np := count([1 | xs[_]; xs[_]; xs[_]])", "", opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded) << r.status();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST(PolicyLimitsTest, MemoryAndStringLimits) {
  auto range = EvalText("p := count(numbers.range(1, 100000000))");
  ASSERT_FALSE(range.ok());
  EXPECT_EQ(range.status().code(), absl::StatusCode::kResourceExhausted);
  EvalOptions opts;
  opts.max_string_bytes = 1000;
  const std::string input = absl::StrCat(R"({"s": ")", std::string(800, 'a'), R"("})");
  auto s = EvalText("p := sprintf(\"%s%s\", [input.s, input.s])", input, opts);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.status().message(), HasSubstr("maximum string length"));
  auto c = EvalText("p := concat(\"\", [input.s, input.s])", input, opts);
  EXPECT_FALSE(c.ok());
  auto ok = EvalText("p := count(concat(\"\", [input.s]))", input, opts);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->value_or(""), "800");
  // Doubling a string until it is too long stops with an error.
  std::string doubling = "s0 := input.s\n";
  for (int i = 1; i <= 30; ++i)
    absl::StrAppend(&doubling, "s", i, " := concat(\"\", [s", i - 1, ", s", i - 1, "])\n");
  absl::StrAppend(&doubling, "p := count(s30)");
  EXPECT_EQ(EvalText(doubling, input).status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(PolicyLimitsTest, PathologicalRegexIsLinear) {
  const std::string input = absl::StrCat(R"({"s": ")", std::string(200000, 'a'), R"(b"})");
  const auto start = std::chrono::steady_clock::now();
  auto r = EvalText("p := regex.match(\"^(a+)+$\", input.s)", input);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->value_or(""), "false");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  const std::string long_pattern = absl::StrCat(R"({"p": ")", std::string(10000, 'a'), R"("})");
  EXPECT_EQ(EvalText("p := regex.match(input.p, \"a\")", long_pattern).status().code(),
            absl::StatusCode::kResourceExhausted);
  auto backref = EvalText(R"(p := regex.match("(a)\\1", "aa"))");
  ASSERT_TRUE(backref.ok());
  EXPECT_EQ(backref->value_or("undefined"), "undefined");  // RE2 syntax: no backreferences
}

TEST(PolicyLimitsTest, LongBodyIsBoundedByTheStack) {
  std::string text = "p if {\n";
  for (int i = 0; i < 30000; ++i) absl::StrAppend(&text, "  x", i, " := ", i, "\n");
  text += "}\n";
  auto r = EvalText(text);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted) << r.status();
}

TEST(PolicyLimitsTest, OversizedSourceIsRejected) {
  CompileOptions opts;
  opts.max_source_bytes = 100;
  auto p = Policy::Compile({{"a.rego", "package a\n" + std::string(200, '#')}}, opts);
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.status().message(), HasSubstr("too large"));
}

TEST(PolicyApiTest, ErrorsCarryFileLineAndColumn) {
  auto p = Policy::Compile(
      {{"ok.rego", "package a\np := 1\n"}, {"bad.rego", "package b\n\nq := [1,\n"}});
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.status().message(), HasSubstr("bad.rego:4:1: expected a term"));
  auto u = Policy::Compile({{"u.rego", "package a\np := nope(1)\n"}});
  ASSERT_FALSE(u.ok());
  EXPECT_THAT(u.status().message(), HasSubstr("u.rego:2:6: unknown function nope"));
}

TEST(PolicyApiTest, SeveralSourcesShareAPackage) {
  auto p = Policy::Compile({{"a.rego", "package policy\nallow if helper\n"},
                            {"b.rego", "package policy\nhelper if input.ok\n"},
                            {"c.rego", "package lib\nx := 1\n"}});
  ASSERT_TRUE(p.ok()) << p.status();
  auto r = (*p)->Evaluate("data.policy.allow", R"({"ok": true})", "");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->value_or(""), "true");
  EXPECT_THAT((*p)->Packages(), ::testing::ElementsAre("lib", "policy"));
}

TEST(PolicyApiTest, StrictBuiltinErrors) {
  EvalOptions opts;
  opts.strict_builtin_errors = true;
  auto r = EvalText("p := upper(1)", "", opts);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("t.rego:2:6: upper: operand 1 must be string"));
}

TEST(PolicyApiTest, PrintSinkAndClock) {
  std::vector<std::string> lines;
  EvalOptions opts;
  opts.print = [&](absl::string_view s) { lines.emplace_back(s); };
  opts.now_ns = [] { return int64_t{1700000000000000000}; };
  auto r = EvalText(
      "p := t if { print(\"now\", t, input.missing, [1]); t := time.now_ns() }\n"
      "q := time.now_ns()",
      "{}", opts);
  // Expressions are not reordered: `t` is referenced before its assignment.
  EXPECT_FALSE(r.ok());
  r = EvalText("p := t if { t := time.now_ns(); print(\"now\", t, input.missing, [1]) }", "{}",
               opts);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->value_or(""), "1700000000000000000");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "now 1700000000000000000 <undefined> [1]");
}

TEST(PolicyApiTest, CustomFunctionErrorsAbort) {
  CompileOptions copts;
  copts.custom_functions.push_back({"rv", 1});
  auto p = Policy::Compile({{"c.rego", "package c\np := rv(\"x\")\nq := rv(\"none\")\n"}}, copts);
  ASSERT_TRUE(p.ok()) << p.status();
  EvalOptions opts;
  opts.custom_function = [](absl::string_view,
                            absl::Span<const Value> args) -> absl::StatusOr<std::optional<Value>> {
    if (args[0].str() == "x") return absl::UnavailableError("rvps down");
    return std::nullopt;
  };
  auto r = (*p)->Evaluate("data.c.p", "", "", opts);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("rvps down"));
  auto q = (*p)->Evaluate("data.c.q", "", "", opts);
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_FALSE(q->has_value());
  // Without an implementation the call is an error, not a silent "undefined".
  EXPECT_FALSE((*p)->Evaluate("data.c.q", "", "").ok());
}

TEST(PolicyApiTest, PreParsedValuesAndQueryForms) {
  auto p =
      Policy::Compile({{"p.rego", "package policy\nallow if input.a == data.b\nf(x) := x * 2\n"}});
  ASSERT_TRUE(p.ok());
  const Value input = Value::Object({{Value::String("a"), Value::Int(1)}});
  const Value data = Value::Object({{Value::String("b"), Value::Int(1)}});
  auto v = (*p)->EvaluateValue("data.policy.allow", input, data);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(IsTrue(*v));
  auto u = (*p)->EvaluateValue("data.policy.allow", Value(), data);
  ASSERT_TRUE(u.ok());
  EXPECT_TRUE(u->is_undefined());
  EXPECT_FALSE(IsTrue(*u));
  auto call = (*p)->EvaluateValue("data.policy.f(21)", Value(), Value());
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_EQ(call->ToJson(), "42");
  EXPECT_FALSE((*p)->EvaluateValue("allow", input, data).ok());  // bare names are variables
  EXPECT_FALSE((*p)->Evaluate("data.policy.allow", "{", "").ok());
  EXPECT_FALSE((*p)->Evaluate("data.policy.allow", "{}", "[1").ok());
}

TEST(PolicyApiTest, ConcurrentEvaluation) {
  auto p = Policy::Compile({{"p.rego", R"(package policy
import rego.v1
default allow := false
allow if {
  some s in input.subs
  regex.match("^ok-[0-9]+$", s)
  count([x | some x in input.subs; startswith(x, "ok")]) == input.n
}
)"}});
  ASSERT_TRUE(p.ok()) << p.status();
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        const bool want = (i + t) % 2 == 0;
        const std::string input =
            absl::StrCat(R"({"subs": ["ok-)", i, R"(", "no"], "n": )", want ? 1 : 2, "}");
        auto r = (*p)->Evaluate("data.policy.allow", input, "");
        if (!r.ok() || r->value_or("") != (want ? "true" : "false")) ++mismatches;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace cocoon::policy
