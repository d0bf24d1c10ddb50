#include "attestation/az_tdx_vtpm/az_tdx_vtpm_verifier.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "attestation/tdx/claims_json.h"
#include "base/encoding.h"
#include "base/json.h"
#include "base/status.h"
#include "crypto/stream_cipher.h"

namespace cocoon::attestation::az {
namespace {

using Timer = StepTimer;

absl::StatusOr<Json> VarDataJson(absl::string_view var_data) {
  COCOON_ASSIGN_OR_RETURN(Json j, ParseJson(var_data, "HCL variable data", 16));
  if (!j.is_object()) return absl::InvalidArgumentError("HCL variable data: not a JSON object");
  return j;
}

absl::StatusOr<std::string> JwkNumber(const Json& key, const char* name) {
  COCOON_ASSIGN_OR_RETURN(std::string text, GetString(key, name, "HCLAkPub"));
  auto raw = Base64Decode(text, Base64Alphabet::kUrl, Base64Padding::kOptional);
  if (!raw.ok() || raw->empty()) {
    return absl::InvalidArgumentError(absl::StrCat("HCLAkPub: ", name, " is not base64url"));
  }
  return *std::move(raw);
}

}  // namespace

bool IsAzTdxVtpmTeeName(absl::string_view tee) {
  return tee == "az-tdx-vtpm" || tee == "aztdxvtpm";
}

absl::Status CheckVarDataBinding(absl::string_view var_data, absl::string_view report_data) {
  if (report_data.size() != 64) return absl::InvalidArgumentError("report data is not 64 bytes");
  const std::string hash = crypto::Sha256(var_data);
  if (report_data.substr(0, 32) != hash) {
    return absl::PermissionDeniedError(absl::StrCat(
        "TDX Quote report data mismatch: SHA256(HCL variable data) = ", HexEncode(hash),
        ", TD quote REPORTDATA[0..32) = ", HexEncode(report_data.substr(0, 32))));
  }
  if (report_data.substr(32) != std::string(32, '\0')) {
    return absl::PermissionDeniedError(
        "TDX Quote report data mismatch: REPORTDATA[32..64) is not zero");
  }
  return absl::OkStatus();
}

absl::StatusOr<EvpPkeyPtr> AkFromVarData(absl::string_view var_data) {
  COCOON_ASSIGN_OR_RETURN(Json j, VarDataJson(var_data));
  auto keys = j.find("keys");
  if (keys == j.end() || !keys->is_array()) {
    return absl::InvalidArgumentError("HCL variable data: no \"keys\" array");
  }
  for (const auto& k : *keys) {
    if (!k.is_object()) continue;
    auto kid = k.find("kid");
    if (kid == k.end() || !kid->is_string() || kid->get<std::string>() != "HCLAkPub") continue;
    auto kty = k.find("kty");
    if (kty == k.end() || !kty->is_string() || kty->get<std::string>() != "RSA") {
      return absl::InvalidArgumentError("HCLAkPub: kty is not RSA");
    }
    COCOON_ASSIGN_OR_RETURN(std::string n, JwkNumber(k, "n"));
    COCOON_ASSIGN_OR_RETURN(std::string e, JwkNumber(k, "e"));
    if (n.size() < 256)
      return absl::InvalidArgumentError("HCLAkPub: RSA key shorter than 2048 bits");
    return RsaKeyFromNumbers(n, e);
  }
  return absl::InvalidArgumentError("HCL variable data: no key with kid \"HCLAkPub\"");
}

absl::StatusOr<tpm::TpmsAttest> CheckTpmQuote(const TpmQuote& quote, EVP_PKEY* ak,
                                              std::optional<absl::string_view> expected_nonce) {
  COCOON_RETURN_IF_ERROR(
      VerifyRsaPkcs1Sha256(ak, quote.message, quote.signature, "TPM quote (HCLAkPub)"));
  COCOON_ASSIGN_OR_RETURN(tpm::TpmsAttest attest, tpm::ParseTpmsAttest(quote.message));
  if (expected_nonce.has_value() && attest.extra_data != *expected_nonce) {
    return absl::PermissionDeniedError(absl::StrCat("TPM quote nonce mismatch: extraData ",
                                                    HexEncode(attest.extra_data), ", expected ",
                                                    HexEncode(*expected_nonce)));
  }
  if (attest.pcr_select.size() != 1 || attest.pcr_select[0].hash != tpm::kTpmAlgSha256) {
    return absl::InvalidArgumentError("TPM quote: expected one SHA-256 PCR selection");
  }
  const std::vector<int> selected = attest.pcr_select[0].Pcrs();
  if (selected.size() != quote.pcrs.size()) {
    return absl::InvalidArgumentError(absl::StrCat("TPM quote: ", selected.size(),
                                                   " PCRs selected, ", quote.pcrs.size(),
                                                   " PCR values in the evidence"));
  }
  std::string concat;
  for (const auto& p : quote.pcrs) {
    if (p.size() != 32) return absl::InvalidArgumentError("TPM quote: PCR value is not 32 bytes");
    concat += p;
  }
  if (crypto::Sha256(concat) != attest.pcr_digest) {
    return absl::PermissionDeniedError(
        "TPM quote PCR digest mismatch: SHA256 of the PCR values differs from pcrDigest");
  }
  return attest;
}

absl::Status CheckUserData(absl::string_view var_data, absl::string_view expected) {
  COCOON_ASSIGN_OR_RETURN(Json j, VarDataJson(var_data));
  auto it = j.find("user-data");
  if (it == j.end() || !it->is_string()) {
    return absl::PermissionDeniedError("HCL variable data has no user-data");
  }
  auto raw = HexDecode(it->get<std::string>());
  if (!raw.ok() || raw->size() < expected.size() || raw->substr(0, expected.size()) != expected) {
    return absl::PermissionDeniedError("User-data in HCL variable data doesn't match report_data");
  }
  return absl::OkStatus();
}

absl::Status CheckInitDataPcr(const TpmQuote& quote, const tpm::TpmsAttest& attest,
                              absl::string_view init_data_hash) {
  if (init_data_hash.size() != 32) {
    return absl::InvalidArgumentError(
        "az-tdx-vtpm init data: the init data digest must be 32 bytes (sha256)");
  }
  const std::vector<int> selected = attest.pcr_select[0].Pcrs();
  for (size_t i = 0; i < selected.size(); ++i) {
    if (selected[i] != 8) continue;
    const std::string expected =
        crypto::Sha256(std::string(32, '\0') + std::string(init_data_hash));
    if (quote.pcrs[i] != expected) {
      return absl::PermissionDeniedError(absl::StrCat("init data mismatch: PCR8 is ",
                                                      HexEncode(quote.pcrs[i]), ", expected ",
                                                      HexEncode(expected)));
    }
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError("az-tdx-vtpm init data: PCR 8 is not in the TPM quote");
}

absl::StatusOr<VerificationResult> VerifyAzTdxVtpmEvidence(
    absl::string_view evidence_json, std::optional<absl::string_view> expected_report_data,
    std::optional<absl::string_view> expected_init_data_hash, const VerifierContext& ctx) {
  if (ctx.roots == nullptr || ctx.collateral == nullptr) {
    return absl::FailedPreconditionError(
        "az-tdx-vtpm verifier: trust anchors and collateral are required");
  }
  VerificationResult result;
  result.tee = "az-tdx-vtpm";
  StepTimings& t = result.timings;
  AzTdxVtpmEvidence ev;
  HclReport hcl;
  dcap::PreparedQuote prepared;
  {
    Timer timer(&t.parse);
    COCOON_ASSIGN_OR_RETURN(ev, ParseAzTdxVtpmEvidence(evidence_json));
    COCOON_ASSIGN_OR_RETURN(hcl, ParseHclReport(ev.hcl_report));
    COCOON_ASSIGN_OR_RETURN(prepared, dcap::PrepareQuote(ev.td_quote));
  }
  // 1. The TD quote, fully.
  COCOON_ASSIGN_OR_RETURN(dcap::QuoteVerification v, VerifyQuoteWithCollateral(prepared, ctx, &t));
  // 2. The HCL variable data is bound into the Intel-signed quote; only now is its AK trusted.
  {
    Timer timer(&t.binding);
    COCOON_RETURN_IF_ERROR(CheckVarDataBinding(hcl.var_data, prepared.quote.body.report_data));
  }
  tpm::TpmsAttest attest;
  {
    Timer timer(&t.tpm);
    COCOON_ASSIGN_OR_RETURN(EvpPkeyPtr ak, AkFromVarData(hcl.var_data));
    COCOON_ASSIGN_OR_RETURN(attest, CheckTpmQuote(ev.tpm_quote, ak.get(), expected_report_data));
    if (ev.version >= 2 && expected_report_data.has_value()) {
      COCOON_RETURN_IF_ERROR(CheckUserData(hcl.var_data, *expected_report_data));
    }
    if (expected_init_data_hash.has_value()) {
      COCOON_RETURN_IF_ERROR(CheckInitDataPcr(ev.tpm_quote, attest, *expected_init_data_hash));
    }
  }
  {
    Timer timer(&t.claims);
    Json claims = tdx::QuoteClaims(prepared);
    Json tpm_claims = Json::object();
    const std::vector<int> selected = attest.pcr_select[0].Pcrs();
    for (size_t i = 0; i < selected.size(); ++i) {
      tpm_claims[absl::StrFormat("pcr%02d", selected[i])] = HexEncode(ev.tpm_quote.pcrs[i]);
      if (selected[i] == 8) claims["init_data"] = HexEncode(ev.tpm_quote.pcrs[i]);
    }
    claims["tpm"] = std::move(tpm_claims);
    claims["report_data"] = HexEncode(attest.extra_data);
    tdx::AddDcapClaims(prepared, v, &claims);
    result.claims_json = claims.dump(-1, ' ', false, Json::error_handler_t::replace);
  }
  result.tcb_status = v.tcb.status;
  result.collateral_expired = v.collateral_expired;
  return result;
}

}  // namespace cocoon::attestation::az
