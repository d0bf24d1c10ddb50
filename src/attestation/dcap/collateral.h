// DCAP verification collateral for TDX: TCB info v3 and TD_QE identity v2 (parsed from the exact
// signed bytes), CRLs and issuer chains; signature checks that do not depend on time, and the
// validity window that does.
#ifndef COCOON_ATTESTATION_DCAP_COLLATERAL_H_
#define COCOON_ATTESTATION_DCAP_COLLATERAL_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "attestation/dcap/crypto_util.h"
#include "attestation/dcap/pki.h"

namespace cocoon::attestation::dcap {

struct TcbLevel {
  std::array<uint8_t, 16> sgx_components{};
  uint16_t pcesvn = 0;
  std::array<uint8_t, 16> tdx_components{};
  std::string tcb_date;  // as in the JSON (RFC 3339)
  std::string tcb_status;
  std::vector<std::string> advisory_ids;
};

// A TCB level of a TDX module identity or of the QE identity.
struct IsvTcbLevel {
  uint16_t isvsvn = 0;
  std::string tcb_date;
  std::string tcb_status;
  std::vector<std::string> advisory_ids;
};

struct TdxModuleIdentity {
  std::string id;               // "TDX_01"; empty for the legacy tdxModule
  std::string mrsigner;         // 48 bytes
  std::string attributes;       // 8 bytes
  std::string attributes_mask;  // 8 bytes
  std::vector<IsvTcbLevel> tcb_levels;
};

struct TcbInfo {
  std::string id;
  int version = 0;
  std::string issue_date;
  std::string next_update;
  absl::Time issue_time;
  absl::Time next_update_time;
  std::string fmspc;   // 6 bytes
  std::string pce_id;  // 2 bytes
  int tcb_type = 0;
  int64_t tcb_evaluation_data_number = 0;
  std::optional<TdxModuleIdentity> tdx_module;
  std::vector<TdxModuleIdentity> tdx_module_identities;
  std::vector<TcbLevel> tcb_levels;  // sorted as in the JSON (descending)
};

struct QeIdentity {
  std::string id;
  int version = 0;
  std::string issue_date;
  std::string next_update;
  absl::Time issue_time;
  absl::Time next_update_time;
  int64_t tcb_evaluation_data_number = 0;
  uint32_t miscselect = 0;
  uint32_t miscselect_mask = 0;
  std::string attributes;       // 16
  std::string attributes_mask;  // 16
  std::string mrsigner;         // 32
  uint16_t isvprodid = 0;
  std::vector<IsvTcbLevel> tcb_levels;
};

// A signed collateral document split into the exact signed bytes and the raw signature.
struct SignedJson {
  std::string body;       // the bytes of the member value, as present in the response
  std::string signature;  // 64 bytes r||s
};

// Splits a PCS response {"<body_key>":{...},"signature":"<hex>"}; the body is found by scanning
// the raw JSON, never by re-serialising it.
absl::StatusOr<SignedJson> SplitSignedJson(absl::string_view response, absl::string_view body_key);

absl::StatusOr<TcbInfo> ParseTcbInfoBody(absl::string_view body);
absl::StatusOr<QeIdentity> ParseQeIdentityBody(absl::string_view body);

// The collateral for one FMSPC as delivered by a source (raw, unverified).
struct Collateral {
  std::string tcb_info_body;
  std::string tcb_info_signature;     // 64 bytes
  std::string tcb_info_issuer_chain;  // PEM
  std::string qe_identity_body;
  std::string qe_identity_signature;
  std::string qe_identity_issuer_chain;
  std::string pck_crl;  // DER, PEM or hex
  std::string pck_crl_issuer_chain;
  std::string root_ca_crl;  // DER, PEM or hex
};

// JSON form (the QuoteCollateralV3 shape: tcb_info / qe_identity as strings holding the signed
// bytes, signatures as hex, CRLs as hex DER, issuer chains as PEM). Also accepts tcb_info given
// as a PCS response object {"tcbInfo":..,"signature":..}.
absl::StatusOr<Collateral> ParseCollateralJson(absl::string_view json);
std::string SerializeCollateralJson(const Collateral& collateral);

// Collateral whose signatures and issuer chains have been checked (time-independent), parsed.
struct CheckedCollateral {
  uint64_t id = 0;  // unique per process (cache key component)
  TcbInfo tcb_info;
  QeIdentity qe_identity;
  X509CrlPtr pck_crl;
  X509CrlPtr root_ca_crl;
  std::vector<X509Ptr> tcb_signing_chain;
  std::vector<X509Ptr> qe_signing_chain;
  int64_t pck_crl_number = -1;
  int64_t root_ca_crl_number = -1;
  absl::Time earliest_issue_date;  // min issueDate / thisUpdate
  absl::Time latest_issue_date;    // max issueDate / thisUpdate
  absl::Time earliest_expiration;  // min nextUpdate / signing certificates' notAfter
};

// Checks the TCB info and QE identity signatures over their exact bytes with the TCB signing
// certificate, that certificate's chain to `roots` (not revoked by the Root CA CRL) and parses the
// CRLs. Time is not checked here (see CollateralExpired).
absl::StatusOr<std::shared_ptr<const CheckedCollateral>> CheckCollateral(
    const Collateral& collateral, const TrustedRoots& roots);

// True if `at` is after any nextUpdate or signing-certificate notAfter of the collateral.
bool CollateralExpired(const CheckedCollateral& c, absl::Time at);

// RFC 3339 / ISO-8601 with Z.
absl::StatusOr<absl::Time> ParseRfc3339(absl::string_view s, absl::string_view field);
std::string FormatRfc3339(absl::Time t);

}  // namespace cocoon::attestation::dcap

#endif  // COCOON_ATTESTATION_DCAP_COLLATERAL_H_
