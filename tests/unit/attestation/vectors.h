// Shared loaders for the upstream TDX / Azure vectors in shared/testdata (never copied here).
#ifndef COCOON_TESTS_UNIT_ATTESTATION_VECTORS_H_
#define COCOON_TESTS_UNIT_ATTESTATION_VECTORS_H_

#include <string>

#include "absl/time/time.h"
#include "attestation/dcap/collateral.h"

namespace cocoon::attestation::testing {

inline constexpr char kE1Quote[] = "dcap-qvl-phala/sample/tdx_quote";
inline constexpr char kE1Collateral[] = "dcap-qvl-phala/sample/tdx_quote_collateral.json";
inline constexpr char kE2Quote[] = "dcap-qvl-phala/sample/tdx_quote_outdated";
inline constexpr char kE2Collateral[] = "dcap-qvl-phala/sample/tdx_quote_outdated_collateral.json";
inline constexpr char kE3Quote[] = "trustee/deps/verifier/test_data/tdx_quote_4.dat";
inline constexpr char kTrQuote5[] = "trustee/deps/verifier/test_data/tdx_quote_5.dat";
inline constexpr char kSprQuote[] = "go-tdx-guest/testing/testdata/tdx_prod_quote_SPR_E4.dat";
inline constexpr char kAzureTdQuote[] = "trustee/deps/verifier/test_data/az-tdx-vtpm/td-quote.bin";
inline constexpr char kCosQuote[] = "go-tdx-guest/testing/testdata/ccel/cos-113-tdx-quote.dat";

// Times inside each vector's validity window (tdx-and-azure-vtpm.md §4.1).
inline absl::Time E1Time() { return absl::FromUnixSeconds(1751328000); }  // 2025-07-01T00:00:00Z
inline absl::Time E2Time() { return absl::FromUnixSeconds(1772323200); }  // 2026-03-01T00:00:00Z
inline absl::Time E3Time() { return absl::FromUnixSeconds(1687651200); }  // 2023-06-25T00:00:00Z

// The GTG 2023 collateral (E3 window) assembled from its parts.
dcap::Collateral Gtg2023Collateral();
// A PH collateral JSON.
dcap::Collateral PhalaCollateral(const std::string& relative);
// Decodes the PH hex quote files ("0x" prefix and whitespace tolerated).
std::string ReadHexQuote(const std::string& relative);

}  // namespace cocoon::attestation::testing

#endif  // COCOON_TESTS_UNIT_ATTESTATION_VECTORS_H_
