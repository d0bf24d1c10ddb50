// Mutated inputs (bit flips, truncations, length-field overwrites) never crash a parser or a
// verifier: every outcome is a value or a located error. Runs under ASan/UBSan in `make test`.
#include <random>

#include "attestation/az_tdx_vtpm/az_tdx_vtpm_verifier.h"
#include "attestation/az_tdx_vtpm/hcl_report.h"
#include "attestation/collateral/provider.h"
#include "attestation/dcap/verifier.h"
#include "attestation/eventlog/ccel.h"
#include "attestation/tpm/tpms_attest.h"
#include "gtest/gtest.h"
#include "test_pki.h"
#include "testing/testdata.h"

namespace cocoon::attestation {
namespace {

namespace t = ::cocoon::attestation::testing;

std::string Mutate(const std::string& in, std::mt19937& rng) {
  std::string s = in;
  if (s.empty()) return s;
  switch (rng() % 4) {
    case 0:
      s.resize(rng() % s.size());
      break;
    case 1:
      for (int i = 0; i < 4; ++i) s[rng() % s.size()] ^= static_cast<char>(1u << (rng() % 8));
      break;
    case 2: {
      const size_t off = rng() % s.size();
      for (size_t i = off; i < std::min(s.size(), off + 4); ++i) s[i] = '\xff';
      break;
    }
    default:
      s.insert(rng() % s.size(), std::string(rng() % 64, static_cast<char>(rng())));
      break;
  }
  return s;
}

TEST(ParserRobustnessTest, MutatedQuotesAndAzureEvidenceNeverCrash) {
  t::TestPki pki;
  auto roots = dcap::TrustedRoots::WithExtra({pki.root_pem()});
  ASSERT_TRUE(roots.ok());
  auto provider = collateral::StaticCollateralProvider::Create(t::BuildCollateral(pki, {}), *roots);
  ASSERT_TRUE(provider.ok());
  VerifierContext ctx{&*roots, provider->get(), absl::FromUnixSeconds(1751328000)};
  t::AzEvidenceParts parts;
  const std::string nonce(48, '\x42');
  t::BuildAzEvidence(pki, nonce, 2, nonce, "", &parts);
  std::mt19937 rng(1234);
  for (int i = 0; i < 300; ++i) {
    const std::string q = Mutate(parts.td_quote, rng);
    auto p = dcap::PrepareQuote(q);
    if (p.ok()) {
      auto c = (*provider)->Get(p->pck_extensions.fmspc, p->ca);
      ASSERT_TRUE(c.ok());
      (void)dcap::VerifyPreparedQuote(*p, **c, *roots, *ctx.at);
    }
    (void)az::ParseHclReport(Mutate(parts.hcl_report, rng));
    (void)tpm::ParseTpmsAttest(Mutate(parts.tpm_message, rng));
    az::AzTdxVtpmEvidence e;
    e.version = 2;
    e.tpm_quote = {Mutate(parts.tpm_signature, rng), Mutate(parts.tpm_message, rng), parts.pcrs};
    e.hcl_report = Mutate(parts.hcl_report, rng);
    e.td_quote = parts.td_quote;
    (void)az::VerifyAzTdxVtpmEvidence(az::SerializeAzTdxVtpmEvidence(e), nonce, std::nullopt, ctx);
    (void)az::ParseAzTdxVtpmEvidence(Mutate(az::SerializeAzTdxVtpmEvidence(e), rng));
  }
}

TEST(ParserRobustnessTest, MutatedEventLogsAndCollateralNeverCrash) {
  COCOON_TESTDATA_OR_SKIP(path, "trustee/deps/eventlog/test_data/CCEL_data_grub");
  const std::string log =
      ::cocoon::testing::ReadTestdata("trustee/deps/eventlog/test_data/CCEL_data_grub")
          .substr(0, 20000);
  t::TestPki pki;
  const std::string collateral = dcap::SerializeCollateralJson(t::BuildCollateral(pki, {}));
  std::mt19937 rng(99);
  for (int i = 0; i < 200; ++i) {
    auto l = eventlog::ParseCcel(Mutate(log, rng));
    if (l.ok()) {
      (void)eventlog::EventLogJson(*l);
      (void)eventlog::ReplayRtmrs(*l);
    }
    (void)dcap::ParseCollateralJson(Mutate(collateral, rng));
  }
}

}  // namespace
}  // namespace cocoon::attestation
