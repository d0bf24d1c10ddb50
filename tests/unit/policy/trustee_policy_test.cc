// Trustee's policies, unchanged, evaluated as Trustee's own tests and reference
// (shared/docs/reference/kbs-protocol.md sections 2.4 and 2.5) expect. Inputs are built here from
// the documented EAR claims and verifier outputs.
#include <filesystem>
#include <map>
#include <string>

#include "base/file_util.h"
#include "base/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "policy/json_value.h"
#include "policy/policy.h"
#include "testing/testdata.h"

namespace cocoon::policy {
namespace {

// The resource policy from the walkthrough (docs/walkthrough.md, section 5.2, kbs/policy.rego).
constexpr char kWalkthroughPolicy[] = R"(package policy

import rego.v1

default allow = false

# Allow Azure TDX vTPM attestations with affirming status
allow if {
    input["submods"]["cpu0"]["ear.status"] == "affirming"
    input["submods"]["cpu0"]["ear.veraison.annotated-evidence"]["az-tdx-vtpm"]
}

# Alternative: Allow based on TDX evidence
allow if {
    input["submods"]["cpu0"]["ear.status"] == "affirming"
    input["submods"]["cpu0"]["ear.veraison.annotated-evidence"]["tdx"]
}

# For demo/testing: also allow sample attester
allow if {
    input["submods"]["cpu0"]["ear.status"] == "affirming"
}
)";

// EAR claims as Trustee's attestation service issues them (kbs-protocol.md 2.1).
Json EarClaims(const std::string& status, const std::string& tee, Json tee_claims,
               const std::string& submod = "cpu0") {
  static const std::map<std::string, Json> kVectors = {
      {"affirming",
       {{"configuration", 2},
        {"executables", 3},
        {"file-system", 0},
        {"hardware", 2},
        {"instance-identity", 0},
        {"runtime-opaque", 0},
        {"sourced-data", 0},
        {"storage-opaque", 0}}},
      {"warning",
       {{"configuration", 36},
        {"executables", 3},
        {"file-system", 0},
        {"hardware", 2},
        {"instance-identity", 0},
        {"runtime-opaque", 0},
        {"sourced-data", 0},
        {"storage-opaque", 0}}},
      {"contraindicated",
       {{"configuration", 36},
        {"executables", 33},
        {"file-system", 0},
        {"hardware", 97},
        {"instance-identity", 0},
        {"runtime-opaque", 0},
        {"sourced-data", 0},
        {"storage-opaque", 0}}},
  };
  Json evidence = {{tee, std::move(tee_claims)},
                   {"report_data", "7c71fe2c86eff65a"},
                   {"runtime_data_claims", {{"nonce", "abc"}, {"tee-pubkey", {{"kty", "EC"}}}}}};
  return {{"eat_profile", "tag:github.com,2024:confidential-containers/Trustee"},
          {"iat", 1760426134},
          {"exp", 1760426434},
          {"iss", "CoCo-Attestation-Service"},
          {"ear.verifier-id",
           {{"developer", "https://confidentialcontainers.org"},
            {"build", "attestation-service 0.1.0"}}},
          {"submods",
           {{submod,
             {{"ear.status", status},
              {"ear.trustworthiness-vector", kVectors.at(status)},
              {"ear.appraisal-policy-id", "default"},
              {"ear.veraison.annotated-evidence", evidence}}}}}};
}

Json ResourceData(const std::string& plugin = "resource",
                  std::vector<std::string> path = {"default", "image_key", "nginx"}) {
  return {{"plugin", plugin}, {"resource-path", path}, {"query", Json::object()}};
}

std::string Eval(const Policy& p, const std::string& query, const Json& input, const Json& data,
                 const EvalOptions& opts = {}) {
  auto v = p.EvaluateValue(query, FromNlohmann(input), FromNlohmann(data), opts);
  if (!v.ok()) return "error: " + std::string(v.status().message());
  return v->is_undefined() ? "undefined" : v->ToJson();
}

std::shared_ptr<const Policy> MustCompile(const std::string& name, const std::string& text,
                                          const CompileOptions& opts = {}) {
  auto p = Policy::Compile({{name, text}}, opts);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *p : nullptr;
}

std::shared_ptr<const Policy> TrusteePolicy(const std::string& rel,
                                            const CompileOptions& opts = {}) {
  return MustCompile(rel, cocoon::testing::ReadTestdata("trustee/" + rel), opts);
}

TEST(WalkthroughPolicyTest, AllowsOnlyAffirmingTokens) {
  auto p = MustCompile("kbs/policy.rego", kWalkthroughPolicy);
  ASSERT_TRUE(p);
  const Json tdx_claims = {{"quote", {{"header", {{"tee_type", "81000000"}}}}}};
  const Json az_claims = {{"quote", {{"header", {{"tee_type", "81000000"}}}}},
                          {"tpm", {{"pcr11", "00"}}}};
  const Json sample_claims = {{"svn", "1"}, {"launch_digest", "abcde"}};
  const std::vector<std::pair<std::string, Json>> tees = {{"az-tdx-vtpm", az_claims},
                                                          {"tdx", tdx_claims},
                                                          {"sample", sample_claims},
                                                          {"snp", {{"measurement", "aa"}}}};
  for (const auto& [tee, claims] : tees) {
    for (const std::string status : {"affirming", "warning", "contraindicated"}) {
      const std::string want = status == "affirming" ? "true" : "false";
      EXPECT_EQ(Eval(*p, "data.policy.allow", EarClaims(status, tee, claims), ResourceData()), want)
          << tee << " " << status;
    }
  }
  // No submods at all, a different submod name, and no input: default false.
  EXPECT_EQ(Eval(*p, "data.policy.allow", Json::object(), ResourceData()), "false");
  EXPECT_EQ(Eval(*p, "data.policy.allow", EarClaims("affirming", "tdx", tdx_claims, "gpu0"),
                 ResourceData()),
            "false");
  auto none = p->Evaluate("data.policy.allow", "", "");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->value_or("undefined"), "false");
}

TEST(TrusteePoliciesTest, EveryRegoFileCompiles) {
  COCOON_TESTDATA_OR_SKIP(root, "trustee");
  CompileOptions opts;
  opts.custom_functions.push_back({"query_reference_value", 1});
  int n = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    if (!e.is_regular_file() || e.path().extension() != ".rego") continue;
    auto text = ReadFile(e.path().string());
    ASSERT_TRUE(text.ok()) << text.status();
    auto p = Policy::Compile({{e.path().string(), *text}}, opts);
    EXPECT_TRUE(p.ok()) << p.status();
    ++n;
  }
  EXPECT_GE(n, 24);
}

TEST(TrusteePoliciesTest, QueryReferenceValueMustBeDeclared) {
  COCOON_TESTDATA_OR_SKIP(path,
                          "trustee/attestation-service/src/ear_token/ear_default_policy_cpu.rego");
  auto p = Policy::Compile(
      {{"cpu.rego", cocoon::testing::ReadTestdata("trustee/attestation-service/src/ear_token/"
                                                  "ear_default_policy_cpu.rego")}});
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.status().message(), ::testing::HasSubstr("unknown function query_reference_value"));
}

TEST(KbsSamplePoliciesTest, DefaultDeniesSampleAndOtherPlugins) {
  COCOON_TESTDATA_OR_SKIP(path, "trustee/kbs/sample_policies/default.rego");
  auto p = TrusteePolicy("kbs/sample_policies/default.rego");
  ASSERT_TRUE(p);
  const Json tdx = EarClaims("contraindicated", "tdx", {{"quote", Json::object()}});
  const Json sample = EarClaims("affirming", "sample", {{"svn", "1"}});
  EXPECT_EQ(Eval(*p, "data.policy.allow", tdx, ResourceData()), "true");  // ear.status unchecked
  EXPECT_EQ(Eval(*p, "data.policy.allow", sample, ResourceData()), "false");
  EXPECT_EQ(Eval(*p, "data.policy.allow", tdx, ResourceData("nebula-ca", {"x"})), "false");
  EXPECT_EQ(Eval(*p, "data.policy.plugin", tdx, ResourceData()), "\"resource\"");
}

TEST(KbsSamplePoliciesTest, AllowAllDenyAllAffirming) {
  COCOON_TESTDATA_OR_SKIP(path, "trustee/kbs/sample_policies/affirming.rego");
  auto allow_all = TrusteePolicy("kbs/sample_policies/allow_all.rego");
  auto deny_all = TrusteePolicy("kbs/sample_policies/deny_all.rego");
  auto affirming = TrusteePolicy("kbs/sample_policies/affirming.rego");
  ASSERT_TRUE(allow_all && deny_all && affirming);
  const Json sample = EarClaims("affirming", "sample", {{"svn", "1"}});
  EXPECT_EQ(Eval(*allow_all, "data.policy.allow", sample, ResourceData()), "true");
  EXPECT_EQ(Eval(*allow_all, "data.policy.allow", sample, ResourceData("other")), "false");
  EXPECT_EQ(Eval(*deny_all, "data.policy.allow", sample, ResourceData()), "false");
  EXPECT_EQ(Eval(*affirming, "data.policy.allow", sample, ResourceData()), "true");
  Json two = sample;
  two["submods"]["gpu0"] = {{"ear.status", "warning"}};
  EXPECT_EQ(Eval(*affirming, "data.policy.allow", two, ResourceData()), "false");
  two["submods"]["gpu0"]["ear.status"] = "affirming";
  EXPECT_EQ(Eval(*affirming, "data.policy.allow", two, ResourceData()), "true");
  EXPECT_EQ(Eval(*affirming, "data.policy.allow", {{"submods", Json::object()}}, ResourceData()),
            "false");
  EXPECT_EQ(Eval(*affirming, "data.policy.allow", EarClaims("contraindicated", "tdx", {}),
                 ResourceData()),
            "false");
}

TEST(PolicyEngineTestData, Policy1To5) {
  COCOON_TESTDATA_OR_SKIP(path, "trustee/deps/policy-engine/test_data/policy_1.rego");
  const Json data = ResourceData("resource", {"my_repo", "Alice", "key"});
  const Json alice = EarClaims("affirming", "sample", {{"productId", "Alice"}, {"svn", "1"}});
  const Json bob = EarClaims("affirming", "sample", {{"productId", "Bob"}, {"svn", "1"}});
  for (const char* f : {"policy_1.rego", "policy_4.rego"}) {
    auto p = TrusteePolicy(std::string("deps/policy-engine/test_data/") + f);
    ASSERT_TRUE(p);
    EXPECT_EQ(Eval(*p, "data.policy.allow", alice, data), "true") << f;
    EXPECT_EQ(Eval(*p, "data.policy.allow", bob, data), "false") << f;
    EXPECT_EQ(Eval(*p, "data.policy.allow", alice, ResourceData("resource", {"my_repo", "Alice"})),
              "false")
        << f;
  }
  auto p2 = TrusteePolicy("deps/policy-engine/test_data/policy_2.rego");
  auto p3 = TrusteePolicy("deps/policy-engine/test_data/policy_3.rego");
  ASSERT_TRUE(p2 && p3);
  EXPECT_EQ(Eval(*p2, "data.policy.allow", alice, data), "true");
  EXPECT_EQ(Eval(*p3, "data.policy.allow", alice, data), "false");

  auto p5 = TrusteePolicy("deps/policy-engine/test_data/policy_5.rego");
  ASSERT_TRUE(p5);
  auto svn = [](int v) { return EarClaims("affirming", "sample", {{"svn", v}}); };
  EXPECT_EQ(Eval(*p5, "data.policy.allow", svn(2),
                 ResourceData("resource", {"myrepo", "secret", "secret1"})),
            "true");
  EXPECT_EQ(Eval(*p5, "data.policy.allow", svn(3),
                 ResourceData("resource", {"myrepo", "secret", "secret2"})),
            "true");
  EXPECT_EQ(Eval(*p5, "data.policy.allow", svn(2),
                 ResourceData("resource", {"myrepo", "secret", "secret2"})),
            "false");
  EXPECT_EQ(Eval(*p5, "data.policy.allow", svn(9),
                 ResourceData("resource", {"myrepo", "secret", "secret3"})),
            "false");
  EXPECT_EQ(Eval(*p5, "data.policy.allow", svn(9),
                 ResourceData("resource", {"other", "secret", "secret1"})),
            "false");
  EXPECT_EQ(Eval(*p5, "data.policy.allow", EarClaims("affirming", "tdx", {{"svn", 9}}),
                 ResourceData("resource", {"myrepo", "secret", "secret1"})),
            "false");
}

TEST(LegacyPoliciesTest, V013ResourcePolicyAndSimpleAsPolicy) {
  COCOON_TESTDATA_OR_SKIP(path,
                          "trustee/_tags/v0.13.0/kbs/src/policy_engine/opa/default_policy.rego");
  auto kbs = TrusteePolicy("_tags/v0.13.0/kbs/src/policy_engine/opa/default_policy.rego");
  ASSERT_TRUE(kbs);
  const Json legacy_data = {{"resource-path", "default/key/1"}};
  EXPECT_EQ(Eval(*kbs, "data.policy.allow", EarClaims("affirming", "tdx", {}, "cpu"), legacy_data),
            "true");
  EXPECT_EQ(Eval(*kbs, "data.policy.allow", EarClaims("affirming", "sample", {{"svn", "1"}}, "cpu"),
                 legacy_data),
            "false");

  auto simple =
      TrusteePolicy("_tags/v0.13.0/attestation-service/src/token/simple_default_policy.rego");
  ASSERT_TRUE(simple);
  const Json ref = {
      {"reference",
       {{"sample1", {"112233", "223311"}}, {"sample2", "332211"}, {"sample3", Json::array()}}}};
  EXPECT_EQ(
      Eval(*simple, "data.policy.allow",
           {{"sample1", "112233"}, {"sample2", "332211"}, {"sample3", "x"}, {"other", 1}}, ref),
      "true");
  EXPECT_EQ(Eval(*simple, "data.policy.allow", {{"sample1", "999"}}, ref), "false");
  EXPECT_EQ(Eval(*simple, "data.policy.allow", {{"sample2", "1"}}, ref), "false");
  EXPECT_EQ(Eval(*simple, "data.policy.allow", Json::object(), ref), "true");
}

TEST(AttestationServiceTestPolicies, Examples) {
  COCOON_TESTDATA_OR_SKIP(path, "trustee/attestation-service/tests/coco-as/policy/example-1.rego");
  auto e1 = TrusteePolicy("attestation-service/tests/coco-as/policy/example-1.rego");
  auto e2 = TrusteePolicy("attestation-service/tests/coco-as/policy/example-2.rego");
  auto e3 = TrusteePolicy("attestation-service/tests/coco-as/policy/example-3.rego");
  auto np = TrusteePolicy("attestation-service/tests/coco-as/policy/new_policy.rego");
  ASSERT_TRUE(e1 && e2 && e3 && np);
  const Json sgx = {
      {"sgx.body.mr_enclave", "8f173e4613ff05c52aaf04162d234edae8c9977eae47eb2299ae16a553011c68"},
      {"sgx.body.mr_signer", "83d719e77deaca1470f6baf62a4d774303c899db69020f9c70ee1dfc08c7ce9e"}};
  EXPECT_EQ(Eval(*e1, "data.policy.executables", sgx, Json::object()), "3");
  EXPECT_EQ(Eval(*e1, "data.policy.executables", Json::object(), Json::object()), "33");
  const Json tdx = {{"tdx.quote.body.mr_td",
                     "705ee9381b8633a9fbe532b52345e8433343d2868959f57889d84ca377c395b689cac1599ccea"
                     "1b7d420483a9ce5f031"},
                    {"tdx.quote.body.mr_seam",
                     "2fd279c16164a93dd5bf373d834328d46008c2b693af9ebb865b08b2ced320c9a89b4869a9fab"
                     "60fbe9d0c5a5363c656"},
                    {"tdx.ccel.kernel",
                     "5b7aa6572f649714ff00b6a2b9170516a068fd1a0ba72aa8de27574131d454e6396d3bfa1727d"
                     "9baf421618a942977fa"}};
  EXPECT_EQ(Eval(*e2, "data.policy.executables", tdx, Json::object()), "3");
  Json se = {
      {"se.version", 256},
      {"se.user_data", "00"},
      {"se.tag", "773780962a7350165054673b6c54235d"},
      {"se.image_phkh", "92d0aff6eb86719b6b1ea0cb98d2c99ff2ec693df3efff2158f54112f6961508"},
      {"se.attestation_phkh", "92d0aff6eb86719b6b1ea0cb98d2c99ff2ec693df3efff2158f54112f6961508"}};
  EXPECT_EQ(Eval(*e3, "data.policy.executables", se, Json::object()), "3");
  EXPECT_EQ(Eval(*e3, "data.policy.converted_version", se, Json::object()), "\"256\"");
  se["se.version"] = 257;
  EXPECT_EQ(Eval(*e3, "data.policy.executables", se, Json::object()), "33");
  EXPECT_EQ(Eval(*np, "data.policy.allow", Json::object(), Json::object()), "true");
}

// ---- the default CPU attestation policy -------------------------------------------------

constexpr char kCpuPolicy[] = "attestation-service/src/ear_token/ear_default_policy_cpu.rego";

std::string Vector(int executables, int hardware, int configuration) {
  return absl::StrCat("{\"configuration\":", configuration, ",\"executables\":", executables,
                      ",\"file-system\":0,\"hardware\":", hardware,
                      ",\"instance-identity\":0,\"runtime-opaque\":0,\"sourced-data\":0,"
                      "\"storage-opaque\":0}");
}

Json TdxClaims(bool debug, bool kernel_events) {
  Json c = ParseJson(cocoon::testing::ReadTestdata(
                         "trustee/deps/verifier/test_data/parse_tdx_claims_expected.json"),
                     "claims")
               .value();
  c["tcb_status"] = "UpToDate";
  c["collateral_expiration_status"] = "0";
  c["td_attributes"]["debug"] = debug;
  if (kernel_events) {
    c["uefi_event_logs"].push_back(
        {{"index", 2},
         {"type_name", "EV_EFI_BOOT_SERVICES_APPLICATION"},
         {"details", {{"device_paths", {"PciRoot(0x0)", "File(kernel)"}}}},
         {"digests", {{{"alg", "SHA-384"}, {"digest", "aa11"}}}}});
    c["uefi_event_logs"].push_back({{"index", 2},
                                    {"type_name", "EV_EVENT_TAG"},
                                    {"details", {{"string", "LOADED_IMAGE::LoadOptions"}}},
                                    {"digests", {{{"alg", "SHA-384"}, {"digest", "bb22"}}}}});
  }
  return c;
}

Json ReferenceValues(const Json& tdx) {
  return {{"launch_digest", {"abcde"}},
          {"svn", {"1"}},
          {"major_version", 1},
          {"minimum_minor_version", 1},
          {"mr_td", {tdx["quote"]["body"]["mr_td"]}},
          {"rtmr_1", {tdx["quote"]["body"]["rtmr_1"]}},
          {"rtmr_2", {tdx["quote"]["body"]["rtmr_2"]}},
          {"xfam", {tdx["quote"]["body"]["xfam"]}},
          {"tdvfkernel", "aa11"},
          {"tdvfkernelparams", "bb22"},
          {"tdx_pcr11", {"pcr11value"}},
          {"snp_launch_measurement", {"m1"}},
          {"snp_bootloader", {3}},
          {"snp_microcode", {209}},
          {"snp_snp_svn", {20}},
          {"snp_tee_svn", {0}},
          {"snp_smt_enabled", true},
          {"snp_tsme_enabled", false},
          {"snp_guest_abi_major", 0},
          {"snp_guest_abi_minor", 0},
          {"snp_single_socket", false},
          {"snp_smt_allowed", true},
          {"tpm_pcr11", {"p11"}},
          {"trusted_aks", {"ak1"}}};
}

struct CpuVector {
  std::string name;
  Json input;
  std::string want;
};

std::vector<CpuVector> CpuVectors() {
  const Json tdx = TdxClaims(/*debug=*/true, /*kernel_events=*/false);
  Json tdx_ok = TdxClaims(false, true);
  Json tdx_outdated = tdx_ok;
  tdx_outdated["tcb_status"] = "OutOfDate";
  Json tdx_bad_rtmr = tdx_ok;
  tdx_bad_rtmr["quote"]["body"]["rtmr_1"] = "00";
  const Json sample = {{"svn", "1"},
                       {"launch_digest", "abcde"},
                       {"platform_version", {{"major", 1}, {"minor", 2}}},
                       {"debug", false}};
  Json sample_old = sample;
  sample_old["platform_version"]["minor"] = 0;
  Json az = {
      {"quote", tdx_ok["quote"]}, {"tpm", {{"pcr11", "pcr11value"}}}, {"tcb_status", "UpToDate"}};
  Json snp = {{"measurement", "m1"},
              {"reported_tcb_bootloader", 3},
              {"reported_tcb_microcode", 209},
              {"reported_tcb_snp", 20},
              {"reported_tcb_tee", 0},
              {"policy_debug_allowed", false},
              {"policy_migrate_ma", false},
              {"platform_smt_enabled", true},
              {"platform_tsme_enabled", false},
              {"policy_abi_major", 0},
              {"policy_abi_minor", 0},
              {"policy_single_socket", false},
              {"policy_smt_allowed", true}};
  Json snp_partial = snp;
  snp_partial["platform_smt_enabled"] = false;
  snp_partial["reported_tcb_snp"] = 1;
  return {
      {"no_tee", Json::object(), Vector(33, 97, 36)},
      {"sample_ok", {{"sample", sample}}, Vector(3, 2, 2)},
      {"sample_old_minor", {{"sample", sample_old}}, Vector(3, 97, 2)},
      {"tdx_quote4_debug_grub", {{"tdx", tdx}}, Vector(4, 2, 36)},
      {"tdx_kernel_events", {{"tdx", tdx_ok}}, Vector(3, 2, 2)},
      {"tdx_outdated", {{"tdx", tdx_outdated}}, Vector(3, 97, 2)},
      {"tdx_unknown_rtmr", {{"tdx", tdx_bad_rtmr}}, Vector(33, 2, 2)},
      {"az_tdx_vtpm", {{"az-tdx-vtpm", az}}, Vector(3, 2, 2)},
      {"snp_full", {{"snp", snp}}, Vector(3, 2, 2)},
      {"snp_partial_config", {{"snp", snp_partial}}, Vector(3, 97, 3)},
      {"tpm", {{"tpm", {{"pcr11", "p11"}, {"ak_public", "ak1"}}}}, Vector(3, 2, 0)},
      {"tpm_unknown_ak", {{"tpm", {{"pcr11", "p11"}, {"ak_public", "x"}}}}, Vector(33, 2, 0)},
      {"se", {{"se", {{"version", 256}}}}, Vector(3, 2, 2)},
  };
}

EvalOptions RvOptions(const Json& rvs) {
  auto rv = std::make_shared<Value>(FromNlohmann(rvs));
  EvalOptions o;
  o.custom_function = [rv](absl::string_view name,
                           absl::Span<const Value> args) -> absl::StatusOr<std::optional<Value>> {
    if (name != "query_reference_value" || !args[0].is_string()) {
      return absl::InvalidArgumentError("bad reference value query");
    }
    const Value* v = rv->FindKey(args[0].str());
    return std::optional<Value>(v ? *v : Value::Null());  // RVPS answers null for unknown ids
  };
  return o;
}

TEST(DefaultCpuPolicyTest, TrustVectorsWithQueryReferenceValue) {
  COCOON_TESTDATA_OR_SKIP(path, std::string("trustee/") + kCpuPolicy);
  CompileOptions copts;
  copts.custom_functions.push_back({"query_reference_value", 1});
  auto p = TrusteePolicy(kCpuPolicy, copts);
  ASSERT_TRUE(p);
  const Json rvs = ReferenceValues(TdxClaims(true, false));
  for (const auto& v : CpuVectors()) {
    EXPECT_EQ(Eval(*p, "data.policy.trust_claims", v.input, Json::object(), RvOptions(rvs)), v.want)
        << v.name;
  }
}

// Rewrites every `query_reference_value("id")` into `data.reference.id`.
std::string ToDataReference(const std::string& text) {
  static constexpr char kCall[] = "query_reference_value(\"";
  std::string out;
  size_t pos = 0;
  while (true) {
    const size_t hit = text.find(kCall, pos);
    if (hit == std::string::npos) break;
    const size_t id = hit + sizeof(kCall) - 1;
    const size_t end = text.find("\")", id);
    if (end == std::string::npos) break;
    out.append(text, pos, hit - pos);
    out.append("data.reference.").append(text, id, end - id);
    pos = end + 2;
  }
  out.append(text, pos, std::string::npos);
  return out;
}

TEST(DefaultCpuPolicyTest, TrustVectorsWithDataReference) {
  COCOON_TESTDATA_OR_SKIP(path, std::string("trustee/") + kCpuPolicy);
  // The same policy in its data.reference form (Trustee <= v0.15 passed all reference values as
  // data.reference).
  const std::string text =
      ToDataReference(cocoon::testing::ReadTestdata(std::string("trustee/") + kCpuPolicy));
  auto p = MustCompile("cpu_data_reference.rego", text);
  ASSERT_TRUE(p);
  const Json data = {{"reference", ReferenceValues(TdxClaims(true, false))}};
  for (const auto& v : CpuVectors()) {
    EXPECT_EQ(Eval(*p, "data.policy.trust_claims", v.input, data), v.want) << v.name;
  }
}

TEST(DefaultCpuPolicyTest, Extensions) {
  COCOON_TESTDATA_OR_SKIP(path, std::string("trustee/") + kCpuPolicy);
  CompileOptions copts;
  copts.custom_functions.push_back({"query_reference_value", 1});
  auto p = TrusteePolicy(kCpuPolicy, copts);
  ASSERT_TRUE(p);
  EXPECT_EQ(Eval(*p, "data.policy.extensions", Json::object(), Json::object(), RvOptions({})),
            R"([{"key":-18,"name":"ear.trustee.identifiers","value":{"validated":{}}}])");
  const Json input = {
      {"init_data_claims",
       {{"agent_policy_claims",
         {{"containers",
           {{{"OCI",
              {{"Annotations", {{"io.kubernetes.cri.image-name", "docker.io/library/nginx"}}},
               {"Process", {{"User", {{"UID", 0}}}}}}}},
            {{"OCI",
              {{"Annotations", {{"io.kubernetes.cri.image-name", "pause"}}},
               {"Process", {{"User", {{"UID", 65535}}}}}}}}}}}}}}};
  EXPECT_EQ(
      Eval(*p, "data.policy.extensions", input, Json::object(), RvOptions({})),
      R"([{"key":-18,"name":"ear.trustee.identifiers","value":{"validated":{)"
      R"("container_images":["docker.io/library/nginx","pause"],"container_uids":[0,65535]}}}])");
}

TEST(DefaultCpuPolicyTest, V014DataReferencePolicy) {
  COCOON_TESTDATA_OR_SKIP(
      path, "trustee/_tags/v0.14.0/attestation-service/src/token/ear_default_policy_cpu.rego");
  auto p = TrusteePolicy("_tags/v0.14.0/attestation-service/src/token/ear_default_policy_cpu.rego");
  ASSERT_TRUE(p);
  Json tdx = TdxClaims(false, true);
  tdx["tcb_status"] = "OK";
  Json ref = ReferenceValues(tdx);
  ref["mr_seam"] = {tdx["quote"]["body"]["mr_seam"]};
  ref["tcb_svn"] = {tdx["quote"]["body"]["tcb_svn"]};
  const Json data = {{"reference", ref}};
  // v0.14 has no trust_claims rule: read the three claims.
  auto claims = [&](const Json& in) {
    return absl::StrCat(Eval(*p, "data.policy.executables", in, data), ",",
                        Eval(*p, "data.policy.hardware", in, data), ",",
                        Eval(*p, "data.policy.configuration", in, data));
  };
  EXPECT_EQ(claims(Json::object()), "33,97,36");
  EXPECT_EQ(claims({{"tdx", tdx}}), "3,2,2");
  EXPECT_EQ(claims({{"sample",
                     {{"svn", "1"},
                      {"launch_digest", "abcde"},
                      {"platform_version", {{"major", 1}, {"minor", 1}}}}}}),
            "3,2,36");
  Json az = {{"quote", tdx["quote"]}, {"tpm", {{"pcr11", "pcr11value"}}}};
  EXPECT_EQ(claims({{"aztdxvtpm", az}}), "3,2,2");
}

TEST(OtherDefaultPoliciesTest, GpuSwitchPpcieCcaAndNoRv) {
  COCOON_TESTDATA_OR_SKIP(path,
                          "trustee/attestation-service/src/ear_token/ear_default_policy_gpu.rego");
  CompileOptions copts;
  copts.custom_functions.push_back({"query_reference_value", 1});
  auto gpu = TrusteePolicy("attestation-service/src/ear_token/ear_default_policy_gpu.rego", copts);
  auto ppcie =
      TrusteePolicy("attestation-service/src/ear_token/ear_default_policy_ppcie.rego", copts);
  auto sw =
      TrusteePolicy("attestation-service/src/ear_token/ear_default_policy_switch.rego", copts);
  auto norv =
      TrusteePolicy("attestation-service/tests/coco-as/policy/opa/ear_no_rv_policy_cpu.rego");
  auto sample = TrusteePolicy("attestation-service/tests/policy/ear_sample.rego");
  auto cca = TrusteePolicy("deps/verifier/test_data/cca/conf/default.rego");
  ASSERT_TRUE(gpu && ppcie && sw && norv && sample && cca);

  const Json sampledevice = {{"sampledevice", {{"svn", "2"}}}};
  const Json dref = {{"reference", {{"device_svn", {"2"}}}}};
  EXPECT_EQ(Eval(*gpu, "data.policy.trust_claims", sampledevice, dref, RvOptions({})),
            Vector(33, 2, 36));
  EXPECT_EQ(Eval(*gpu, "data.policy.trust_claims", Json::object(), dref, RvOptions({})),
            Vector(33, 97, 36));
  Json nvidia = {{"secboot", true},
                 {"dbgstat", "disabled"},
                 {"x-nvidia-gpu-vbios-version", "96.00"},
                 {"x-nvidia-gpu-driver-version", "550"}};
  EXPECT_EQ(Eval(*gpu, "data.policy.configuration", {{"nvidia", nvidia}}, dref,
                 RvOptions({{"allowed_vbios_versions", {"96.00"}},
                            {"allowed_driver_versions", {"550"}}})),
            "2");
  EXPECT_EQ(Eval(*gpu, "data.policy.configuration", {{"nvidia", nvidia}}, dref, RvOptions({})),
            "3");
  EXPECT_EQ(Eval(*sw, "data.policy.trust_claims", sampledevice, dref, RvOptions({})),
            Vector(33, 2, 36));
  EXPECT_EQ(Eval(*ppcie, "data.policy.trust_claims", Json::object(), Json::object()),
            Vector(0, 0, 2));

  const Json s = {{"sample",
                   {{"svn", "1"},
                    {"launch_digest", "abcde"},
                    {"platform_version", {{"major", 1}, {"minor", 1}}},
                    {"debug", false}}}};
  EXPECT_EQ(Eval(*norv, "data.policy.trust_claims", s, Json::object()), Vector(3, 2, 2));
  EXPECT_EQ(Eval(*norv, "data.policy.trust_claims", Json::object(), Json::object()),
            Vector(33, 97, 36));
  const Json sref = {{"reference",
                      {{"launch_digest", {"abcde"}},
                       {"svn", {"1"}},
                       {"major_version", 1},
                       {"minimum_minor_version", 0}}}};
  EXPECT_EQ(Eval(*sample, "data.policy.trust_claims", s, sref), Vector(3, 2, 36));

  const Json realm = {{"cca", {{"realm", {{"cca-realm-initial-measurement", "rim1"}}}}}};
  const Json cref = {{"reference", {{"cca.realm.cca-realm-initial-measurement", {"rim1"}}}}};
  EXPECT_EQ(
      Eval(*cca, "data.policy.trust_claims", realm, cref),
      R"({"configuration":36,"executables":3,"hardware":2,"instance-identity":2,"runtime-opaque":2})");
}

}  // namespace
}  // namespace cocoon::policy
