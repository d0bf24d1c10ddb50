// The az-tdx-vtpm attester (Azure TDX confidential VM behind the HCL paravisor): writes the report
// data to vTPM NV 0x01400002, reads the refreshed HCL report from NV 0x01400001, quotes SHA-256
// PCRs 0..23 with the AK at 0x81000003 and the report data as qualifying data, and converts the
// HCL report's TD report into a TD quote through IMDS /acc/tdquote.
//
// Evidence v2 (default), compact, keys in this order:
//   {"version":2,"tpm_quote":{"signature":"<hex>","message":"<hex TPMS_ATTEST>","pcrs":[24×hex]},
//    "hcl_report":"<base64url, padded>","td_quote":"<base64url, padded>"}
// v1 is the same with "version":1; v0 has no "version" and carries every byte string as a JSON
// array of numbers (pcrs as arrays of 32 numbers).
#ifndef COCOON_AA_ATTESTER_AZ_TDX_VTPM_ATTESTER_H_
#define COCOON_AA_ATTESTER_AZ_TDX_VTPM_ATTESTER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "aa/attester/attester.h"

namespace cocoon::aa {

inline constexpr uint32_t kNvHclReport = 0x01400001;
inline constexpr uint32_t kNvReportData = 0x01400002;
inline constexpr uint32_t kAkHandle = 0x81000003;
inline constexpr int kInitDataPcr = 8;

// The parts of the evidence, for building the JSON and for tests.
struct AzTdxVtpmEvidence {
  std::string tpm_signature;
  std::string tpm_message;
  std::vector<std::string> pcrs;
  std::string hcl_report;
  std::string td_quote;
};

// Evidence JSON of `version` 0, 1 or 2.
absl::StatusOr<std::string> SerializeAzTdxVtpmEvidence(const AzTdxVtpmEvidence& evidence,
                                                       int version);

class AzTdxVtpmAttester : public Attester {
 public:
  explicit AzTdxVtpmAttester(AttesterConfig config);
  std::string tee() const override { return std::string(kTeeAzTdxVtpm); }
  absl::StatusOr<std::string> GetEvidence(absl::string_view report_data) override;
  // The evidence parts without serializing them.
  absl::StatusOr<AzTdxVtpmEvidence> Collect(absl::string_view report_data);
  bool SupportsRuntimeMeasurement() const override { return true; }
  // PCR_Extend(pcr 0..23, SHA-256) with a 32-byte digest.
  absl::Status ExtendRuntimeMeasurement(absl::string_view digest, int pcr) override;
  // Extends PCR 8 with the 32-byte init-data digest.
  absl::Status BindInitData(absl::string_view digest) override;

 private:
  AttesterConfig config_;
};

// True if the TPM at `tcti` holds an HCL report of type TDX at NV 0x01400001.
bool IsAzTdxVtpm(const std::string& tcti);

}  // namespace cocoon::aa

#endif  // COCOON_AA_ATTESTER_AZ_TDX_VTPM_ATTESTER_H_
