// The tdx attester (TDX guest with the kernel's configfs-tsm interface): the TD quote comes from a
// report entry under /sys/kernel/config/tsm/report (inblob = report data zero-padded to 64 bytes,
// outblob = quote), the event log from the ACPI CCEL table.
//
// Evidence: {"cc_eventlog":"<standard base64>"|null,"quote":"<standard base64>"}.
#ifndef COCOON_AA_ATTESTER_TDX_ATTESTER_H_
#define COCOON_AA_ATTESTER_TDX_ATTESTER_H_

#include <optional>
#include <string>

#include "aa/attester/attester.h"

namespace cocoon::aa {

class TdxAttester : public Attester {
 public:
  explicit TdxAttester(AttesterConfig config);
  std::string tee() const override { return std::string(kTeeTdx); }
  absl::StatusOr<std::string> GetEvidence(absl::string_view report_data) override;
  // The TD quote for `report_data` (at most 64 bytes) through configfs-tsm.
  absl::StatusOr<std::string> GetQuote(absl::string_view report_data);

 private:
  AttesterConfig config_;
};

// The CCEL event log as upstream sends it: the records up to the first unused slot (a u64 of all
// 0x00 or all 0xFF where a record would start), then `aael` (may be empty), then 8 bytes of 0xFF.
// nullopt when `ccel` is empty.
std::optional<std::string> TrimCcelEventLog(absl::string_view ccel, absl::string_view aael);

// True if configfs-tsm offers the tdx_guest provider under `tsm_root` or `device` exists.
bool IsTdxGuest(const AttesterConfig& config);

}  // namespace cocoon::aa

#endif  // COCOON_AA_ATTESTER_TDX_ATTESTER_H_
