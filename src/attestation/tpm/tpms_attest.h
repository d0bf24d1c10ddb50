// TPMS_ATTEST (TPM 2.0 Part 2 §10.12.12) for quotes: a pure big-endian parser, no TSS.
#ifndef COCOON_ATTESTATION_TPM_TPMS_ATTEST_H_
#define COCOON_ATTESTATION_TPM_TPMS_ATTEST_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cocoon::attestation::tpm {

inline constexpr uint32_t kTpmGeneratedValue = 0xff544347;  // "\xffTCG"
inline constexpr uint16_t kTpmStAttestQuote = 0x8018;
inline constexpr uint16_t kTpmAlgSha1 = 0x0004;
inline constexpr uint16_t kTpmAlgSha256 = 0x000b;
inline constexpr uint16_t kTpmAlgSha384 = 0x000c;

struct PcrSelection {
  uint16_t hash = 0;
  std::string select;  // bitmap, PCR n = bit (n % 8) of byte n / 8
  std::vector<int> Pcrs() const;
};

struct TpmsAttest {
  uint32_t magic = 0;
  uint16_t type = 0;
  std::string qualified_signer;  // TPM2B_NAME contents
  std::string extra_data;        // TPM2B_DATA contents (the nonce)
  uint64_t clock = 0;
  uint32_t reset_count = 0;
  uint32_t restart_count = 0;
  bool safe = false;
  uint64_t firmware_version = 0;
  std::vector<PcrSelection> pcr_select;
  std::string pcr_digest;
};

// Parses a quote-type TPMS_ATTEST; the magic and the type are checked and the structure must
// consume the input exactly.
absl::StatusOr<TpmsAttest> ParseTpmsAttest(absl::string_view bytes);

// Strips a marshalled TPMT_SIGNATURE (RSASSA/SHA-256) header if present, returning the raw
// signature bytes; raw signatures pass through.
absl::StatusOr<std::string> RawRsaSignature(absl::string_view sig);

}  // namespace cocoon::attestation::tpm

#endif  // COCOON_ATTESTATION_TPM_TPMS_ATTEST_H_
