#include "aa/attester/attester.h"

#include "aa/attester/az_tdx_vtpm_attester.h"
#include "aa/attester/sample_attester.h"
#include "aa/attester/tdx_attester.h"
#include "absl/strings/str_cat.h"

namespace cocoon::aa {

absl::Status Attester::ExtendRuntimeMeasurement(absl::string_view, int) {
  return absl::UnimplementedError(
      absl::StrCat(tee(), ": runtime measurement is not supported by this TEE"));
}

absl::Status Attester::BindInitData(absl::string_view) {
  return absl::UnimplementedError(absl::StrCat(tee(), ": init-data binding is not supported"));
}

std::string DetectTee(const AttesterConfig& config, std::string* warning) {
  if (IsTdxGuest(config)) return std::string(kTeeTdx);
  if (IsAzTdxVtpm(config.tcti)) return std::string(kTeeAzTdxVtpm);
  if (warning != nullptr) {
    *warning =
        "no TEE found (no configfs-tsm tdx_guest, no Azure vTPM HCL report); using the sample "
        "TEE, whose evidence proves nothing";
  }
  return std::string(kTeeSample);
}

absl::StatusOr<std::unique_ptr<Attester>> CreateAttester(const AttesterConfig& config,
                                                         std::string* warning) {
  std::string tee = config.tee.empty() ? DetectTee(config, warning) : config.tee;
  if (tee == kTeeAzTdxVtpm) {
    if (config.evidence_version < 0 || config.evidence_version > 2) {
      return absl::InvalidArgumentError(absl::StrCat("az-tdx-vtpm: evidence version ",
                                                     config.evidence_version, " is not 0, 1 or 2"));
    }
    return std::make_unique<AzTdxVtpmAttester>(config);
  }
  if (tee == kTeeTdx) return std::make_unique<TdxAttester>(config);
  if (tee == kTeeSample) return std::make_unique<SampleAttester>();
  return absl::InvalidArgumentError(
      absl::StrCat("attester: unknown TEE \"", tee, "\" (az-tdx-vtpm, tdx or sample)"));
}

}  // namespace cocoon::aa
