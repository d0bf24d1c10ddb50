// Per-step costs of a KBS key release, in process (no HTTP): where a flow's CPU goes.
#include <benchmark/benchmark.h>

#include "attestation/sample/sample_attester.h"
#include "base/encoding.h"
#include "base/json.h"
#include "crypto/jose/jwe.h"
#include "crypto/keys.h"
#include "kbs/kbs_service.h"
#include "kbs/policy_engine.h"
#include "kbs/tee_key.h"

namespace cocoon::kbs {
namespace {

struct Fixture {
  Fixture() {
    KbsConfig config;
    config.http_server.insecure_http = true;
    config.resource_plugin.enabled = true;
    config.admin.mode = AdminConfig::Mode::kInsecureAllowAll;
    service = *KbsService::Create(config);
    Call("POST", "/kbs/v0/resource/default/image_key/bench", "0123456789abcdef", "");
    Json body = {{"policy", Base64UrlEncode(AllowAllResourcePolicy())}};
    Call("POST", "/kbs/v0/resource-policy", body.dump(), "");
    key = std::make_unique<crypto::PrivateKey>(
        *crypto::PrivateKey::Generate(crypto::KeyType::kEcP256));
    tee_key = *TeePubKeyFromPublicKey(key->GetPublic());
  }
  HttpResponse Call(absl::string_view method, absl::string_view path, absl::string_view body,
                    absl::string_view cookie) {
    HttpRequest r;
    r.method = std::string(method);
    r.path = std::string(path);
    r.body = std::string(body);
    if (!cookie.empty()) r.cookie = absl::StrCat("kbs-session-id=", cookie);
    return service->Handle(r);
  }
  static std::string Cookie(const HttpResponse& r) {
    const std::string& v = r.headers[0].second;
    return v.substr(v.find('=') + 1, v.find(';') - v.find('=') - 1);
  }
  std::pair<std::string, std::string> Auth() {
    HttpResponse r =
        Call("POST", "/kbs/v0/auth", R"({"version":"0.4.0","tee":"sample","extra-params":""})", "");
    return {(*ParseJson(r.body, "c"))["nonce"], Cookie(r)};
  }
  std::string AttestBody(const std::string& nonce) {
    const std::string additional;
    const std::string digest = *RuntimeDataDigest(nonce, tee_key, &additional);
    Json body = Json::object();
    body["runtime-data"] = {{"nonce", nonce}, {"tee-pubkey", TeePubKeyToJson(tee_key)}};
    body["tee-evidence"] = {
        {"primary_evidence", *ParseJson(attestation::SampleEvidence(digest), "e")},
        {"additional_evidence", ""}};
    return body.dump();
  }
  std::unique_ptr<KbsService> service;
  std::unique_ptr<crypto::PrivateKey> key;
  TeePubKey tee_key;
};

Fixture& F() {
  static Fixture* f = new Fixture();
  return *f;
}

void BM_Auth(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(F().Auth());
}
BENCHMARK(BM_Auth);

void BM_Attest(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    auto [nonce, cookie] = F().Auth();
    const std::string body = F().AttestBody(nonce);
    state.ResumeTiming();
    HttpResponse r = F().Call("POST", "/kbs/v0/attest", body, cookie);
    if (r.status != 200) state.SkipWithError("attest failed");
  }
}
BENCHMARK(BM_Attest);

void BM_Resource(benchmark::State& state) {
  auto [nonce, cookie] = F().Auth();
  HttpResponse a = F().Call("POST", "/kbs/v0/attest", F().AttestBody(nonce), cookie);
  const std::string attested = Fixture::Cookie(a);
  for (auto _ : state) {
    HttpResponse r = F().Call("GET", "/kbs/v0/resource/default/image_key/bench", "", attested);
    if (r.status != 200) state.SkipWithError("resource failed");
  }
}
BENCHMARK(BM_Resource);

void BM_EncryptResource(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(EncryptResource(F().tee_key, "0123456789abcdef"));
}
BENCHMARK(BM_EncryptResource);

void BM_ClientDecrypt(benchmark::State& state) {
  const std::string jwe = *EncryptResource(F().tee_key, "0123456789abcdef");
  for (auto _ : state) benchmark::DoNotOptimize(jose::JweDecrypt(jwe, *F().key));
}
BENCHMARK(BM_ClientDecrypt);

void BM_GetPublic(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(F().key->GetPublic());
}
BENCHMARK(BM_GetPublic);

void BM_TeeKeyToPublicKey(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(TeePubKeyToPublicKey(F().tee_key));
}
BENCHMARK(BM_TeeKeyToPublicKey);

void BM_GenerateP256(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(crypto::PrivateKey::Generate(crypto::KeyType::kEcP256));
  }
}
BENCHMARK(BM_GenerateP256);

void BM_DefaultCpuPolicy(benchmark::State& state) {
  auto engine = NewRegoPolicyEngine();
  auto policy = *engine->Compile("p.rego", DefaultCpuAttestationPolicy());
  const std::string input =
      R"({"sample":{"svn":"1","launch_digest":"abcde","platform_version":{"major":1,"minor":4},"debug":false},"report_data":"x","runtime_data_claims":{"nonce":"n"}})";
  ReferenceValueLookup rv = [](absl::string_view) { return std::optional<std::string>(); };
  const policy::Value parsed = *policy::Value::FromJson(input, "input");
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        policy->EvaluateValue("data.policy", parsed, policy::Value::EmptyObject(), &rv));
  }
}
BENCHMARK(BM_DefaultCpuPolicy);

}  // namespace
}  // namespace cocoon::kbs

BENCHMARK_MAIN();
