// Verifier for `tdx` evidence ({"cc_eventlog": b64|null, "quote": b64}) and the types shared with
// the other DCAP-based verifiers (az-tdx-vtpm): the context (trust anchors, collateral, time) and
// the result (claims JSON, TCB status, collateral flag, per-step timings).
#ifndef COCOON_ATTESTATION_TDX_TDX_VERIFIER_H_
#define COCOON_ATTESTATION_TDX_TDX_VERIFIER_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "attestation/dcap/pki.h"
#include "attestation/dcap/tcb.h"
#include "attestation/dcap/verifier.h"

namespace cocoon::attestation {

struct VerifierContext {
  const dcap::TrustedRoots* roots = nullptr;       // required
  dcap::CollateralProvider* collateral = nullptr;  // required
  std::optional<absl::Time> at;                    // verification time; now when unset
};

struct StepTimings {
  absl::Duration parse, collateral, dcap_pck_chain, dcap_qe_report, dcap_quote_signature, dcap_tcb,
      binding, tpm, eventlog, claims;
};

struct VerificationResult {
  std::string tee;  // "tdx" | "az-tdx-vtpm"
  std::string tee_class = "cpu";
  std::string claims_json;  // a JSON object in the shape Trustee's verifiers emit
  dcap::TcbStatus tcb_status = dcap::TcbStatus::kNotSupported;
  bool collateral_expired = false;
  StepTimings timings;
};

// Zero-pads or truncates `data` to `size` bytes (Trustee's regularize_data).
std::string RegularizeData(absl::string_view data, size_t size);

// Adds the time from construction to destruction to `*out` (one StepTimings field).
class StepTimer {
 public:
  explicit StepTimer(absl::Duration* out) : out_(out), start_(absl::Now()) {}
  ~StepTimer() { *out_ += absl::Now() - start_; }
  StepTimer(const StepTimer&) = delete;
  StepTimer& operator=(const StepTimer&) = delete;

 private:
  absl::Duration* out_;
  absl::Time start_;
};

// The TD quote step every DCAP-based verifier shares: collateral for the PCK's FMSPC from the
// context's provider, then the full quote verification at the context's time, with the step
// timings recorded in `t`.
absl::StatusOr<dcap::QuoteVerification> VerifyQuoteWithCollateral(
    const dcap::PreparedQuote& prepared, const VerifierContext& ctx, StepTimings* t);

namespace tdx {

// Verifies TDX evidence: the quote fully (dcap::VerifyPreparedQuote), REPORTDATA == pad64(expected
// report data) when given, MRCONFIGID == pad48(init data hash) when given, and the CCEL replay
// against RTMR0-3 when an event log is present.
absl::StatusOr<VerificationResult> VerifyTdxEvidence(
    absl::string_view evidence_json, std::optional<absl::string_view> expected_report_data,
    std::optional<absl::string_view> expected_init_data_hash, const VerifierContext& context);

// The parsed (unverified) claims of a quote and an optional raw CCEL log, as Trustee's
// `generate_parsed_claim` builds them. For inspection and tests.
absl::StatusOr<std::string> ParseTdxClaims(absl::string_view quote,
                                           std::optional<absl::string_view> ccel);

}  // namespace tdx
}  // namespace cocoon::attestation

#endif  // COCOON_ATTESTATION_TDX_TDX_VERIFIER_H_
