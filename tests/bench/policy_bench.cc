// Evaluation speed of the policies the KBS runs on every request (compiled once, reused):
//   BM_WalkthroughResourcePolicy   — the walkthrough's policy.rego on a typical EAR token
//                                    (target < 20 us)
//   BM_DefaultCpuPolicyTdx         — Trustee's default CPU attestation policy on TDX claims
//                                    (target < 200 us)
// Inputs are pre-parsed Values, as the KBS passes them; the *FromJson variants include parsing.
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "base/json.h"
#include "benchmark/benchmark.h"
#include "policy/json_value.h"
#include "policy/policy.h"

namespace cocoon::policy {
namespace {

constexpr char kWalkthroughPolicy[] = R"(package policy

import rego.v1

default allow = false

allow if {
    input["submods"]["cpu0"]["ear.status"] == "affirming"
    input["submods"]["cpu0"]["ear.veraison.annotated-evidence"]["az-tdx-vtpm"]
}

allow if {
    input["submods"]["cpu0"]["ear.status"] == "affirming"
    input["submods"]["cpu0"]["ear.veraison.annotated-evidence"]["tdx"]
}

allow if {
    input["submods"]["cpu0"]["ear.status"] == "affirming"
}
)";

// A typical EAR token's claims for an Azure TDX vTPM node (kbs-protocol.md 2.1).
constexpr char kEarToken[] = R"({
 "eat_profile": "tag:github.com,2024:confidential-containers/Trustee",
 "iat": 1760426134, "exp": 1760426434, "iss": "CoCo-Attestation-Service",
 "ear.verifier-id": {"developer": "https://confidentialcontainers.org", "build": "attestation-service 0.1.0"},
 "submods": {"cpu0": {
   "ear.status": "affirming",
   "ear.trustworthiness-vector": {"instance-identity":0,"configuration":2,"executables":3,"file-system":0,
                                  "hardware":2,"runtime-opaque":0,"storage-opaque":0,"sourced-data":0},
   "ear.appraisal-policy-id": "default_cpu",
   "ear.veraison.annotated-evidence": {
     "az-tdx-vtpm": {
       "quote": {"header": {"version": "0400", "att_key_type": "0200", "tee_type": "81000000",
                            "vendor_id": "939a7233f79c4ca9940a0db3957f0607"},
                 "body": {"mr_td": "705ee9381b8633a9fbe532b52345e8433343d2868959f57889d84ca377c395b689cac1599ccea1b7d420483a9ce5f031",
                          "mr_seam": "2fd279c16164a93dd5bf373d834328d46008c2b693af9ebb865b08b2ced320c9a89b4869a9fab60fbe9d0c5a5363c656",
                          "rtmr_0": "e940da7c2712d2790e2961e00484f4fa8e6f9eed71361655ae22699476b14f9e63867eb41edd4b4814c1db4e4e2cb3a3",
                          "rtmr_1": "559cfcf42716ed6c40a48a73d5acb7da255435012f0a9f00fbe8c1c57612ede486a5684c4c9ff3ddb5d6dbc7aa4b9e2d",
                          "xfam": "e742060000000000", "td_attributes": "0000001000000000"}},
       "tpm": {"pcr00": "782b20b10f55cc46e2142cc2145d548698073e5beb82752c8d7f9279f0d8a273",
               "pcr11": "0000000000000000000000000000000000000000000000000000000000000000"},
       "tcb_status": "UpToDate"},
     "report_data": "6368616c6c656e6765",
     "runtime_data_claims": {"nonce": "8ef0LwLmBxm0U0c1nYHr0cqIGv8sBVbn0P2aoqbaUSo",
                             "tee-pubkey": {"kty": "EC", "crv": "P-256", "alg": "ES256",
                                            "x": "1QfWs4zVgd3Y0cmV7b7QXJ5pPj0k7c1oE2lUjBZ0i3o",
                                            "y": "Q1bLGWvMvTqq2BVZ5qG1b2A6n7m0Yc8xQdCZ3nC5Z6c"}}}}}
})";

std::string ReadTestdata(const std::string& rel) {
  const char* env = std::getenv("COCOON_TESTDATA");
  const std::string root = env ? env : COCOON_TESTDATA_DEFAULT;
  std::ifstream in(root + "/" + rel);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void BM_WalkthroughResourcePolicy(benchmark::State& state) {
  auto p = Policy::Compile({{"policy.rego", kWalkthroughPolicy}});
  auto input = Value::FromJson(kEarToken);
  auto data = Value::FromJson(
      R"({"plugin":"resource","resource-path":["default","image_key","nginx"],"query":{}})");
  if (!p.ok() || !input.ok() || !data.ok()) return state.SkipWithError("setup failed");
  for (auto _ : state) {
    auto v = (*p)->EvaluateValue("data.policy.allow", *input, *data);
    if (!v.ok() || !IsTrue(*v)) return state.SkipWithError("unexpected result");
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_WalkthroughResourcePolicy);

void BM_WalkthroughResourcePolicyFromJson(benchmark::State& state) {
  auto p = Policy::Compile({{"policy.rego", kWalkthroughPolicy}});
  if (!p.ok()) return state.SkipWithError("setup failed");
  const std::string data =
      R"({"plugin":"resource","resource-path":["default","image_key","nginx"],"query":{}})";
  for (auto _ : state) {
    auto v = (*p)->Evaluate("data.policy.allow", kEarToken, data);
    if (!v.ok() || v->value_or("") != "true") return state.SkipWithError("unexpected result");
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_WalkthroughResourcePolicyFromJson);

// The KBS holds the verified token's claims as nlohmann JSON: conversion plus evaluation.
void BM_WalkthroughResourcePolicyFromNlohmann(benchmark::State& state) {
  auto p = Policy::Compile({{"policy.rego", kWalkthroughPolicy}});
  auto claims = ParseJson(kEarToken, "token");
  auto data = Value::FromJson(
      R"({"plugin":"resource","resource-path":["default","image_key","nginx"],"query":{}})");
  if (!p.ok() || !claims.ok() || !data.ok()) return state.SkipWithError("setup failed");
  for (auto _ : state) {
    auto v = (*p)->EvaluateValue("data.policy.allow", FromNlohmann(*claims), *data);
    if (!v.ok() || !IsTrue(*v)) return state.SkipWithError("unexpected result");
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_WalkthroughResourcePolicyFromNlohmann);

void CpuPolicy(benchmark::State& state, bool from_json) {
  const std::string text =
      ReadTestdata("trustee/attestation-service/src/ear_token/ear_default_policy_cpu.rego");
  const std::string claims_text =
      ReadTestdata("trustee/deps/verifier/test_data/parse_tdx_claims_expected.json");
  if (text.empty() || claims_text.empty()) return state.SkipWithError("testdata not found");
  CompileOptions copts;
  copts.custom_functions.push_back({"query_reference_value", 1});
  auto p = Policy::Compile({{"ear_default_policy_cpu.rego", text}}, copts);
  auto claims = Value::FromJson(claims_text);
  if (!p.ok() || !claims.ok()) return state.SkipWithError("setup failed");
  // TDX claims as the verifier reports them, plus the collateral results.
  std::vector<Value::Item> items = claims->items();
  items.emplace_back(Value::String("tcb_status"), Value::String("UpToDate"));
  items.emplace_back(Value::String("collateral_expiration_status"), Value::String("0"));
  const Value tdx = Value::Object(std::move(items));
  const Value input = Value::Object({{Value::String("tdx"), tdx}});
  const std::string input_json = input.ToJson();
  const Value* body = tdx.FindKey("quote")->FindKey("body");
  auto rvs = std::make_shared<Value>(Value::Object({
      {Value::String("mr_td"), Value::Array({*body->FindKey("mr_td")})},
      {Value::String("rtmr_1"), Value::Array({*body->FindKey("rtmr_1")})},
      {Value::String("rtmr_2"), Value::Array({*body->FindKey("rtmr_2")})},
      {Value::String("xfam"), Value::Array({*body->FindKey("xfam")})},
  }));
  EvalOptions opts;
  opts.custom_function = [rvs](
                             absl::string_view,
                             absl::Span<const Value> args) -> absl::StatusOr<std::optional<Value>> {
    const Value* v = args[0].is_string() ? rvs->FindKey(args[0].str()) : nullptr;
    return std::optional<Value>(v ? *v : Value::Null());
  };
  const Value empty = Value::EmptyObject();
  for (auto _ : state) {
    if (from_json) {
      auto v = (*p)->Evaluate("data.policy.trust_claims", input_json, "", opts);
      if (!v.ok() || !v->has_value()) return state.SkipWithError("unexpected result");
      benchmark::DoNotOptimize(v);
    } else {
      auto v = (*p)->EvaluateValue("data.policy.trust_claims", input, empty, opts);
      if (!v.ok() || v->FindKey("hardware") == nullptr ||
          *v->FindKey("hardware") != Value::Int(2)) {
        return state.SkipWithError("unexpected result");
      }
      benchmark::DoNotOptimize(v);
    }
  }
}

void BM_DefaultCpuPolicyTdx(benchmark::State& state) { CpuPolicy(state, false); }
BENCHMARK(BM_DefaultCpuPolicyTdx);
void BM_DefaultCpuPolicyTdxFromJson(benchmark::State& state) { CpuPolicy(state, true); }
BENCHMARK(BM_DefaultCpuPolicyTdxFromJson);

void BM_CompileDefaultCpuPolicy(benchmark::State& state) {
  const std::string text =
      ReadTestdata("trustee/attestation-service/src/ear_token/ear_default_policy_cpu.rego");
  if (text.empty()) return state.SkipWithError("testdata not found");
  CompileOptions copts;
  copts.custom_functions.push_back({"query_reference_value", 1});
  for (auto _ : state) {
    auto p = Policy::Compile({{"cpu.rego", text}}, copts);
    if (!p.ok()) return state.SkipWithError("compile failed");
    benchmark::DoNotOptimize(p);
  }
}
BENCHMARK(BM_CompileDefaultCpuPolicy);

}  // namespace
}  // namespace cocoon::policy

BENCHMARK_MAIN();
