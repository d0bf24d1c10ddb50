#include "attestation/tdx/tdx_verifier.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "attestation/eventlog/ccel.h"
#include "attestation/eventlog/eventlog_json.h"
#include "attestation/tdx/claims_json.h"
#include "base/encoding.h"
#include "base/json.h"
#include "base/status.h"

namespace cocoon::attestation {

std::string RegularizeData(absl::string_view data, size_t size) {
  std::string out(data.substr(0, std::min(size, data.size())));
  out.resize(size, '\0');
  return out;
}

absl::StatusOr<dcap::QuoteVerification> VerifyQuoteWithCollateral(
    const dcap::PreparedQuote& prepared, const VerifierContext& ctx, StepTimings* t) {
  std::shared_ptr<const dcap::CheckedCollateral> collateral;
  {
    StepTimer timer(&t->collateral);
    COCOON_ASSIGN_OR_RETURN(collateral,
                            ctx.collateral->Get(prepared.pck_extensions.fmspc, prepared.ca));
  }
  dcap::VerifyTimings vt;
  COCOON_ASSIGN_OR_RETURN(dcap::QuoteVerification v,
                          dcap::VerifyPreparedQuote(prepared, *collateral, *ctx.roots,
                                                    ctx.at.value_or(absl::Now()), &vt));
  t->dcap_pck_chain = vt.pck_chain;
  t->dcap_qe_report = vt.qe_report;
  t->dcap_quote_signature = vt.quote_signature;
  t->dcap_tcb = vt.tcb;
  return v;
}

namespace tdx {
namespace {

using Timer = StepTimer;

struct TdxEvidence {
  std::string quote;
  std::optional<std::string> ccel;
};

absl::StatusOr<TdxEvidence> ParseTdxEvidence(absl::string_view json) {
  COCOON_ASSIGN_OR_RETURN(Json j, ParseJson(json, "tdx evidence", 8));
  if (!j.is_object()) return absl::InvalidArgumentError("tdx evidence: not a JSON object");
  TdxEvidence e;
  COCOON_ASSIGN_OR_RETURN(std::string quote_b64, GetString(j, "quote", "tdx evidence"));
  auto quote = Base64Decode(quote_b64, Base64Alphabet::kStandard, Base64Padding::kOptional);
  if (!quote.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("tdx evidence: quote is not standard base64: ", quote.status().message()));
  }
  e.quote = *std::move(quote);
  auto it = j.find("cc_eventlog");
  if (it != j.end() && !it->is_null()) {
    if (!it->is_string())
      return absl::InvalidArgumentError("tdx evidence: cc_eventlog is not a string");
    auto log =
        Base64Decode(it->get<std::string>(), Base64Alphabet::kStandard, Base64Padding::kOptional);
    if (!log.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tdx evidence: cc_eventlog is not standard base64: ", log.status().message()));
    }
    if (!log->empty()) e.ccel = *std::move(log);
  }
  return e;
}

}  // namespace

absl::StatusOr<VerificationResult> VerifyTdxEvidence(
    absl::string_view evidence_json, std::optional<absl::string_view> expected_report_data,
    std::optional<absl::string_view> expected_init_data_hash, const VerifierContext& ctx) {
  if (ctx.roots == nullptr || ctx.collateral == nullptr) {
    return absl::FailedPreconditionError("tdx verifier: trust anchors and collateral are required");
  }
  VerificationResult result;
  result.tee = "tdx";
  StepTimings& t = result.timings;
  TdxEvidence evidence;
  dcap::PreparedQuote prepared;
  {
    Timer timer(&t.parse);
    COCOON_ASSIGN_OR_RETURN(evidence, ParseTdxEvidence(evidence_json));
    COCOON_ASSIGN_OR_RETURN(prepared, dcap::PrepareQuote(evidence.quote));
  }
  COCOON_ASSIGN_OR_RETURN(dcap::QuoteVerification v, VerifyQuoteWithCollateral(prepared, ctx, &t));
  const dcap::TdQuoteBody& body = prepared.quote.body;
  {
    Timer timer(&t.binding);
    if (expected_report_data.has_value() &&
        RegularizeData(*expected_report_data, 64) != body.report_data) {
      return absl::PermissionDeniedError(
          absl::StrCat("TDX quote report data mismatch: quote has ", HexEncode(body.report_data),
                       ", expected ", HexEncode(RegularizeData(*expected_report_data, 64))));
    }
    if (expected_init_data_hash.has_value() &&
        RegularizeData(*expected_init_data_hash, 48) != body.mr_config_id) {
      return absl::PermissionDeniedError(
          absl::StrCat("TDX init data mismatch: MRCONFIGID ", HexEncode(body.mr_config_id),
                       ", expected ", HexEncode(RegularizeData(*expected_init_data_hash, 48))));
    }
  }
  Json event_json = Json::array();
  if (evidence.ccel) {
    Timer timer(&t.eventlog);
    COCOON_ASSIGN_OR_RETURN(eventlog::EventLog log, eventlog::ParseCcel(*evidence.ccel));
    COCOON_RETURN_IF_ERROR(eventlog::CheckRtmrs(log, body.rtmr));
    event_json = eventlog::EventLogToJson(log);
  }
  {
    Timer timer(&t.claims);
    Json claims = QuoteClaims(prepared);
    claims["uefi_event_logs"] = std::move(event_json);
    AddDcapClaims(prepared, v, &claims);
    result.claims_json = claims.dump(-1, ' ', false, Json::error_handler_t::replace);
  }
  result.tcb_status = v.tcb.status;
  result.collateral_expired = v.collateral_expired;
  return result;
}

absl::StatusOr<std::string> ParseTdxClaims(absl::string_view quote,
                                           std::optional<absl::string_view> ccel) {
  COCOON_ASSIGN_OR_RETURN(dcap::PreparedQuote prepared, dcap::PrepareQuote(quote));
  Json claims = QuoteClaims(prepared);
  Json events = Json::array();
  if (ccel) {
    COCOON_ASSIGN_OR_RETURN(eventlog::EventLog log, eventlog::ParseCcel(*ccel));
    events = eventlog::EventLogToJson(log);
  }
  claims["uefi_event_logs"] = std::move(events);
  return claims.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace tdx
}  // namespace cocoon::attestation
