// Full DCAP verification of a TDX quote (v4/v5), in the order of the reference: PCK chain to the
// pinned root with CRLs, QE report signature, QE report data binding (both halves), quote
// signature, then QE identity, TDX module identity and TCB evaluation against the checked
// collateral. Expired collateral is a flag, not a failure; the verification time is an input.
#ifndef COCOON_ATTESTATION_DCAP_VERIFIER_H_
#define COCOON_ATTESTATION_DCAP_VERIFIER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "attestation/dcap/collateral.h"
#include "attestation/dcap/pki.h"
#include "attestation/dcap/quote.h"
#include "attestation/dcap/tcb.h"

namespace cocoon::attestation::dcap {

// A parsed quote with its PCK chain split out and the SGX extension read: everything needed to
// choose the collateral (FMSPC, CA kind). No cryptography has been done yet.
// The PCK chain of a quote, parsed. Shared: platforms send the same chain in every quote, so
// parsed chains are cached by the SHA-256 of the certification data.
struct PckChain {
  std::string id;                     // SHA-256 of the certification data
  std::vector<X509Ptr> certificates;  // as in the quote
  X509* pck = nullptr;
  X509* intermediate = nullptr;
  X509* root = nullptr;  // may be null when the quote omits it
  SgxExtensions pck_extensions;
  PckCaKind ca = PckCaKind::kPlatform;
};

struct PreparedQuote {
  Quote quote;
  std::shared_ptr<const PckChain> chain;
  // Shortcuts into `chain`.
  X509* pck = nullptr;
  X509* intermediate = nullptr;
  X509* root = nullptr;
  SgxExtensions pck_extensions;
  PckCaKind ca = PckCaKind::kPlatform;
};

absl::StatusOr<PreparedQuote> PrepareQuote(absl::string_view quote_bytes);
// Parses (or finds in the cache) a PEM PCK chain.
absl::StatusOr<std::shared_ptr<const PckChain>> ParsePckChain(absl::string_view certification_data);

// Supplies checked collateral for an FMSPC and PCK CA. Implementations cache.
class CollateralProvider {
 public:
  virtual ~CollateralProvider() = default;
  virtual absl::StatusOr<std::shared_ptr<const CheckedCollateral>> Get(absl::string_view fmspc,
                                                                       PckCaKind ca) = 0;
};

struct QuoteVerification {
  TcbEvaluation tcb;
  bool collateral_expired = false;
  absl::Time earliest_expiration = absl::InfiniteFuture();
  absl::Time earliest_issue_date = absl::InfinitePast();
  absl::Time latest_issue_date = absl::InfinitePast();
  int64_t tcb_evaluation_data_number = 0;
  int64_t pck_crl_number = -1;
  int64_t root_ca_crl_number = -1;
  std::string root_key_id;  // SHA-384 of the trust anchor's public key (0x04||X||Y), raw bytes
};

// Timing of each step, for the benchmark (filled when non-null).
struct VerifyTimings {
  absl::Duration pck_chain, qe_report, quote_signature, tcb;
};

absl::StatusOr<QuoteVerification> VerifyPreparedQuote(const PreparedQuote& prepared,
                                                      const CheckedCollateral& collateral,
                                                      const TrustedRoots& roots, absl::Time at,
                                                      VerifyTimings* timings = nullptr);

}  // namespace cocoon::attestation::dcap

#endif  // COCOON_ATTESTATION_DCAP_VERIFIER_H_
