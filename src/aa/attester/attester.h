// Attesters: the TEE-specific evidence producers of the attestation agent (namespace cocoon::aa).
// Evidence is the compact JSON text upstream's attestation agent returns from GetEvidence, with
// the same key order, so a Trustee KBS and cocoon's KBS both accept it.
//
// Detection follows upstream's order among the TEEs cocoon supports: tdx (configfs-tsm or
// /dev/tdx_guest) → az-tdx-vtpm (vTPM NV 0x01400001 holds an HCL report of type TDX) → sample
// (with a warning). A configured `tee` skips detection.
#ifndef COCOON_AA_ATTESTER_ATTESTER_H_
#define COCOON_AA_ATTESTER_ATTESTER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace cocoon::aa {

inline constexpr absl::string_view kTeeAzTdxVtpm = "az-tdx-vtpm";
inline constexpr absl::string_view kTeeTdx = "tdx";
inline constexpr absl::string_view kTeeSample = "sample";

class Attester {
 public:
  virtual ~Attester() = default;
  // The kbs-types name of the TEE: "az-tdx-vtpm", "tdx", "sample".
  virtual std::string tee() const = 0;
  // Evidence JSON for `report_data` (raw bytes, e.g. the 48-byte KBS runtime-data digest).
  virtual absl::StatusOr<std::string> GetEvidence(absl::string_view report_data) = 0;
  virtual bool SupportsRuntimeMeasurement() const { return false; }
  // Extends measurement register `pcr` (PCR index; the TEE maps it) with `digest`.
  virtual absl::Status ExtendRuntimeMeasurement(absl::string_view digest, int pcr);
  // Binds the init-data digest (az-tdx-vtpm: extend PCR 8; tdx: compare with MRCONFIGID).
  virtual absl::Status BindInitData(absl::string_view digest);
};

struct AttesterConfig {
  // "" = detect; otherwise "az-tdx-vtpm", "tdx" or "sample".
  std::string tee;

  // az-tdx-vtpm
  std::string tcti = "device:/dev/tpmrm0";
  std::string imds_url = "http://169.254.169.254";  // /acc/tdquote is appended
  // Wait between writing report data to NV 0x01400002 and reading the HCL report, as upstream
  // does on Azure (3 s). The emulator refreshes the report in-band, so tests use zero.
  absl::Duration settle_delay = absl::Seconds(3);
  int evidence_version = 2;  // 0, 1 or 2
  absl::Duration imds_connect_timeout = absl::Seconds(5);
  absl::Duration imds_timeout = absl::Seconds(60);

  // tdx
  std::string tsm_report_root = "/sys/kernel/config/tsm/report";
  std::string tdx_guest_device = "/dev/tdx_guest";
  std::string ccel_path = "/sys/firmware/acpi/tables/data/CCEL";
  // The AA event log appended after the CCEL records; empty = none.
  std::string aael_path;
  // Called after the configfs-tsm report entry is created, before it is read. Only for tests
  // that emulate configfs with an ordinary directory.
  std::function<void(const std::string& entry_dir)> tsm_entry_created_hook;
};

// The TEE this machine offers: "tdx", "az-tdx-vtpm" or "sample". `warning` (optional) receives a
// message when nothing was found and the sample TEE is used.
std::string DetectTee(const AttesterConfig& config, std::string* warning = nullptr);

// The attester for config.tee, or for the detected TEE when config.tee is empty.
absl::StatusOr<std::unique_ptr<Attester>> CreateAttester(const AttesterConfig& config,
                                                         std::string* warning = nullptr);

}  // namespace cocoon::aa

#endif  // COCOON_AA_ATTESTER_ATTESTER_H_
