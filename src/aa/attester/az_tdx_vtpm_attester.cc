#include "aa/attester/az_tdx_vtpm_attester.h"

#include <thread>
#include <utility>

#include "aa/attester/imds_client.h"
#include "absl/strings/str_cat.h"
#include "attestation/az_tdx_vtpm/hcl_report.h"
#include "base/encoding.h"
#include "base/json.h"
#include "base/status.h"
#include "tpm/tpm.h"

namespace cocoon::aa {
namespace {

using attestation::az::HclReport;
using attestation::az::kHclReportTypeTdx;

OrderedJson ByteArray(absl::string_view bytes) {
  OrderedJson a = OrderedJson::array();
  for (char c : bytes) a.push_back(static_cast<uint8_t>(c));
  return a;
}

std::string B64UrlPadded(absl::string_view bytes) {
  return Base64Encode(bytes, Base64Alphabet::kUrl, /*pad=*/true);
}

}  // namespace

absl::StatusOr<std::string> SerializeAzTdxVtpmEvidence(const AzTdxVtpmEvidence& e, int version) {
  OrderedJson j = OrderedJson::object();
  if (version == 1 || version == 2) {
    j["version"] = version;
    OrderedJson pcrs = OrderedJson::array();
    for (const auto& p : e.pcrs) pcrs.push_back(HexEncode(p));
    j["tpm_quote"] = OrderedJson::object();
    j["tpm_quote"]["signature"] = HexEncode(e.tpm_signature);
    j["tpm_quote"]["message"] = HexEncode(e.tpm_message);
    j["tpm_quote"]["pcrs"] = std::move(pcrs);
    j["hcl_report"] = B64UrlPadded(e.hcl_report);
    j["td_quote"] = B64UrlPadded(e.td_quote);
  } else if (version == 0) {
    OrderedJson pcrs = OrderedJson::array();
    for (const auto& p : e.pcrs) pcrs.push_back(ByteArray(p));
    j["tpm_quote"] = OrderedJson::object();
    j["tpm_quote"]["signature"] = ByteArray(e.tpm_signature);
    j["tpm_quote"]["message"] = ByteArray(e.tpm_message);
    j["tpm_quote"]["pcrs"] = std::move(pcrs);
    j["hcl_report"] = ByteArray(e.hcl_report);
    j["td_quote"] = ByteArray(e.td_quote);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("az-tdx-vtpm evidence: version ", version, " is not 0, 1 or 2"));
  }
  return j.dump();
}

AzTdxVtpmAttester::AzTdxVtpmAttester(AttesterConfig config) : config_(std::move(config)) {}

absl::StatusOr<AzTdxVtpmEvidence> AzTdxVtpmAttester::Collect(absl::string_view report_data) {
  if (report_data.empty() || report_data.size() > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("az-tdx-vtpm: report data must be 1..64 bytes, got ", report_data.size()));
  }
  AzTdxVtpmEvidence evidence;
  {
    // One TPM connection per call: a raw swtpm (tests, the emulator) serves a single client.
    COCOON_ASSIGN_OR_RETURN(auto tpm, tpm::Tpm::Open(config_.tcti));
    // Report data into NV 0x01400002, (re)defined with its exact size as upstream does.
    auto size = tpm->NvSize(kNvReportData);
    if (size.ok() && *size != report_data.size()) {
      COCOON_RETURN_IF_ERROR_CTX(tpm->NvUndefine(kNvReportData), "az-tdx-vtpm: report data index");
      size = absl::NotFoundError("undefined");
    }
    if (!size.ok()) {
      if (size.status().code() != absl::StatusCode::kNotFound) {
        return Annotate(size.status(), "az-tdx-vtpm: report data index");
      }
      COCOON_RETURN_IF_ERROR_CTX(
          tpm->NvDefine(kNvReportData, static_cast<uint16_t>(report_data.size()),
                        tpm::kNvOwnerWrite | tpm::kNvOwnerRead),
          "az-tdx-vtpm: report data index");
    }
    COCOON_RETURN_IF_ERROR_CTX(tpm->NvWrite(kNvReportData, report_data),
                               "az-tdx-vtpm: writing report data");
    if (config_.settle_delay > absl::ZeroDuration()) {
      std::this_thread::sleep_for(absl::ToChronoNanoseconds(config_.settle_delay));
    }
    COCOON_ASSIGN_OR_RETURN_CTX(evidence.hcl_report, tpm->NvRead(kNvHclReport),
                                "az-tdx-vtpm: reading the HCL report");
    COCOON_ASSIGN_OR_RETURN(tpm::TpmQuote quote, tpm->Quote(kAkHandle, report_data));
    evidence.tpm_signature = std::move(quote.signature);
    evidence.tpm_message = std::move(quote.attest);
    evidence.pcrs = std::move(quote.pcrs);
  }
  COCOON_ASSIGN_OR_RETURN(HclReport hcl, attestation::az::ParseHclReport(evidence.hcl_report,
                                                                         /*require_tdx=*/false));
  if (hcl.report_type != kHclReportTypeTdx) {
    return absl::FailedPreconditionError(
        absl::StrCat("az-tdx-vtpm: the HCL report is of type ", hcl.report_type, ", not TDX (4)"));
  }
  ImdsOptions imds{config_.imds_url, config_.imds_connect_timeout, config_.imds_timeout};
  COCOON_ASSIGN_OR_RETURN_CTX(evidence.td_quote, GetTdQuote(imds, hcl.td_report()),
                              "az-tdx-vtpm: TD quote");
  return evidence;
}

absl::StatusOr<std::string> AzTdxVtpmAttester::GetEvidence(absl::string_view report_data) {
  COCOON_ASSIGN_OR_RETURN(AzTdxVtpmEvidence evidence, Collect(report_data));
  return SerializeAzTdxVtpmEvidence(evidence, config_.evidence_version);
}

absl::Status AzTdxVtpmAttester::ExtendRuntimeMeasurement(absl::string_view digest, int pcr) {
  COCOON_ASSIGN_OR_RETURN(auto tpm, tpm::Tpm::Open(config_.tcti));
  return tpm->PcrExtend(pcr, digest);
}

absl::Status AzTdxVtpmAttester::BindInitData(absl::string_view digest) {
  if (digest.size() != 32) {
    return absl::InvalidArgumentError(absl::StrCat(
        "az-tdx-vtpm: the init-data digest must be 32 bytes (SHA-256), got ", digest.size()));
  }
  return ExtendRuntimeMeasurement(digest, kInitDataPcr);
}

bool IsAzTdxVtpm(const std::string& tcti) {
  auto tpm = tpm::Tpm::Open(tcti);
  if (!tpm.ok()) return false;
  auto hcl = (*tpm)->NvRead(kNvHclReport);
  if (!hcl.ok()) return false;
  auto parsed = attestation::az::ParseHclReport(*hcl, /*require_tdx=*/false);
  return parsed.ok() && parsed->report_type == kHclReportTypeTdx;
}

}  // namespace cocoon::aa
