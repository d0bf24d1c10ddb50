// Verification cost with collateral already cached (checked once, in memory):
//   BM_AzTdxVtpmEvidence  full az-tdx-vtpm evidence (TD quote + HCL binding + TPM quote), test PKI
//   BM_TdxQuoteIntel      a real Intel-signed TDX quote (dcap-qvl sample) at a pinned time
//   BM_TdxQuoteTestPki    a TDX quote signed by the test PKI
// Counters give the mean per-step time in microseconds.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "attestation/az_tdx_vtpm/az_tdx_vtpm_verifier.h"
#include "attestation/collateral/provider.h"
#include "attestation/tdx/tdx_verifier.h"
#include "base/encoding.h"
#include "base/json.h"
#include "test_pki.h"

namespace cocoon::attestation {
namespace {

namespace t = ::cocoon::attestation::testing;

std::string ReadData(const std::string& rel) {
  const char* env = std::getenv("COCOON_TESTDATA");
  const std::string dir = env != nullptr ? env : COCOON_BENCH_TESTDATA;
  std::ifstream in(dir + "/" + rel, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void Report(benchmark::State& state, const StepTimings& sum) {
  const double n = static_cast<double>(state.iterations());
  auto us = [&](absl::Duration d) { return absl::ToDoubleMicroseconds(d) / n; };
  state.counters["parse_us"] = us(sum.parse);
  state.counters["collateral_us"] = us(sum.collateral);
  state.counters["pck_chain_us"] = us(sum.dcap_pck_chain);
  state.counters["qe_report_us"] = us(sum.dcap_qe_report);
  state.counters["quote_sig_us"] = us(sum.dcap_quote_signature);
  state.counters["tcb_us"] = us(sum.dcap_tcb);
  state.counters["binding_us"] = us(sum.binding);
  state.counters["tpm_us"] = us(sum.tpm);
  state.counters["claims_us"] = us(sum.claims);
}

void Add(StepTimings* sum, const StepTimings& t) {
  sum->parse += t.parse;
  sum->collateral += t.collateral;
  sum->dcap_pck_chain += t.dcap_pck_chain;
  sum->dcap_qe_report += t.dcap_qe_report;
  sum->dcap_quote_signature += t.dcap_quote_signature;
  sum->dcap_tcb += t.dcap_tcb;
  sum->binding += t.binding;
  sum->tpm += t.tpm;
  sum->eventlog += t.eventlog;
  sum->claims += t.claims;
}

struct TestPkiSetup {
  t::TestPki pki;
  std::unique_ptr<dcap::TrustedRoots> roots;
  std::unique_ptr<collateral::StaticCollateralProvider> provider;
  TestPkiSetup() {
    roots = std::make_unique<dcap::TrustedRoots>(*dcap::TrustedRoots::WithExtra({pki.root_pem()}));
    provider = std::move(
        *collateral::StaticCollateralProvider::Create(t::BuildCollateral(pki, {}), *roots));
  }
  VerifierContext Ctx() {
    return VerifierContext{roots.get(), provider.get(), absl::FromUnixSeconds(1751328000)};
  }
};

void BM_AzTdxVtpmEvidence(benchmark::State& state) {
  TestPkiSetup s;
  const std::string nonce(48, '\x42');
  const std::string ev = t::BuildAzEvidence(s.pki, nonce, 2, nonce);
  StepTimings sum;
  for (auto _ : state) {
    auto r = az::VerifyAzTdxVtpmEvidence(ev, nonce, std::nullopt, s.Ctx());
    if (!r.ok()) {
      state.SkipWithError(std::string(r.status().message()).c_str());
      return;
    }
    Add(&sum, r->timings);
  }
  Report(state, sum);
}
BENCHMARK(BM_AzTdxVtpmEvidence)->Unit(benchmark::kMicrosecond);

void BM_TdxQuoteTestPki(benchmark::State& state) {
  TestPkiSetup s;
  Json j = {{"quote", Base64Encode(t::BuildQuote(s.pki, {}))}, {"cc_eventlog", nullptr}};
  const std::string ev = j.dump();
  StepTimings sum;
  for (auto _ : state) {
    auto r = tdx::VerifyTdxEvidence(ev, std::nullopt, std::nullopt, s.Ctx());
    if (!r.ok()) {
      state.SkipWithError(std::string(r.status().message()).c_str());
      return;
    }
    Add(&sum, r->timings);
  }
  Report(state, sum);
}
BENCHMARK(BM_TdxQuoteTestPki)->Unit(benchmark::kMicrosecond);

void BM_TdxQuoteIntel(benchmark::State& state) {
  const std::string quote = ReadData("dcap-qvl-phala/sample/tdx_quote");
  auto c = dcap::ParseCollateralJson(ReadData("dcap-qvl-phala/sample/tdx_quote_collateral.json"));
  if (quote.empty() || !c.ok()) {
    state.SkipWithError("testdata not found (set COCOON_TESTDATA)");
    return;
  }
  auto roots = std::make_unique<dcap::TrustedRoots>(*dcap::TrustedRoots::IntelOnly());
  auto provider = std::move(*collateral::StaticCollateralProvider::Create(*c, *roots));
  VerifierContext ctx{roots.get(), provider.get(), absl::FromUnixSeconds(1751328000)};
  Json j = {{"quote", Base64Encode(quote)}, {"cc_eventlog", nullptr}};
  const std::string ev = j.dump();
  StepTimings sum;
  for (auto _ : state) {
    auto r = tdx::VerifyTdxEvidence(ev, std::nullopt, std::nullopt, ctx);
    if (!r.ok()) {
      state.SkipWithError(std::string(r.status().message()).c_str());
      return;
    }
    Add(&sum, r->timings);
  }
  Report(state, sum);
}
BENCHMARK(BM_TdxQuoteIntel)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace cocoon::attestation

BENCHMARK_MAIN();
