// TDX TCB evaluation against TCB info and QE identity (the QVL algorithm: platform level,
// TDX module identity, QE TCB level, status convergence, TD 1.5 relaunch advice).
#ifndef COCOON_ATTESTATION_DCAP_TCB_H_
#define COCOON_ATTESTATION_DCAP_TCB_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "attestation/dcap/collateral.h"
#include "attestation/dcap/pki.h"
#include "attestation/dcap/quote.h"

namespace cocoon::attestation::dcap {

enum class TcbStatus {
  kUpToDate,
  kSwHardeningNeeded,
  kConfigurationNeeded,
  kConfigurationAndSwHardeningNeeded,
  kOutOfDate,
  kOutOfDateConfigurationNeeded,
  kRevoked,
  kTdRelaunchAdvised,
  kTdRelaunchAdvisedConfigurationNeeded,
  // No TCB level of the collateral matches the platform (QVL STATUS_TCB_NOT_SUPPORTED). The
  // signatures are still valid; policy decides.
  kNotSupported,
};

// The claim strings ("UpToDate", "SWHardeningNeeded", ..., "NotSupported").
absl::string_view TcbStatusName(TcbStatus status);
absl::StatusOr<TcbStatus> ParseTcbStatus(absl::string_view name);

struct TcbEvaluation {
  TcbStatus status = TcbStatus::kNotSupported;
  std::string tcb_date;  // min(platform, module, QE) level dates; empty when not supported
  std::vector<std::string> advisory_ids;
  std::optional<std::string> platform_status;  // the matched level's own status
  std::optional<std::string> module_status;
  std::optional<std::string> qe_status;
  // TD 1.5: the evaluation with TEE_TCB_SVN2 (the current, post-update SVNs).
  std::optional<TcbStatus> current_status;
  std::string current_tcb_date;
  std::vector<std::string> current_advisory_ids;
};

// Checks the QE report against the QE identity (MISCSELECT/ATTRIBUTES under their masks,
// MRSIGNER, ISVPRODID); mismatches are errors.
absl::Status CheckQeIdentity(const EnclaveReport& qe_report, const QeIdentity& identity);

// Checks the quote's TDX module against the collateral (identity chosen by TEE_TCB_SVN[1]):
// MRSIGNERSEAM and SEAMATTRIBUTES must match. Mismatch or a missing identity is an error.
absl::Status CheckTdxModule(const TdQuoteBody& body, const TcbInfo& tcb_info);

// Evaluates the TCB status. Consistency errors (id/version/FMSPC/PCE-ID) are errors; "no level
// matches" is kNotSupported.
absl::StatusOr<TcbEvaluation> EvaluateTcb(const Quote& quote, const SgxExtensions& pck,
                                          const TcbInfo& tcb_info, const QeIdentity& qe_identity);

}  // namespace cocoon::attestation::dcap

#endif  // COCOON_ATTESTATION_DCAP_TCB_H_
