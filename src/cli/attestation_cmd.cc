#include "cli/attestation_cmd.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "attestation/az_tdx_vtpm/az_tdx_vtpm_verifier.h"
#include "attestation/az_tdx_vtpm/dcap_verifiers.h"
#include "attestation/collateral/provider.h"
#include "attestation/dcap/collateral.h"
#include "attestation/dcap/verifier.h"
#include "attestation/sample/sample_verifier.h"
#include "attestation/tdx/tdx_verifier.h"
#include "base/encoding.h"
#include "base/file_util.h"
#include "base/json.h"
#include "base/status.h"

namespace cocoon::cli {
namespace {

using attestation::DcapVerifierBackend;
namespace collateral = attestation::collateral;
namespace dcap = attestation::dcap;

std::string DefaultCacheDir() {
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x != nullptr && *x) {
    return absl::StrCat(x, "/cocoon-collateral");
  }
  if (const char* h = std::getenv("HOME"); h != nullptr && *h) {
    return absl::StrCat(h, "/.cache/cocoon-collateral");
  }
  return "";
}

absl::StatusOr<std::shared_ptr<DcapVerifierBackend>> BuildBackend(const AttestationVerifyArgs& args,
                                                                  std::optional<absl::Time> at) {
  std::vector<std::string> pems;
  for (const auto& f : args.trusted_roots) {
    COCOON_ASSIGN_OR_RETURN(std::string pem, ReadFile(f, 1 << 20));
    pems.push_back(std::move(pem));
  }
  COCOON_ASSIGN_OR_RETURN(dcap::TrustedRoots roots, dcap::TrustedRoots::WithExtra(pems));
  auto owned_roots = std::make_unique<dcap::TrustedRoots>(std::move(roots));
  std::unique_ptr<dcap::CollateralProvider> provider;
  struct stat st {};
  if (!args.collateral.empty() && ::stat(args.collateral.c_str(), &st) == 0 &&
      S_ISREG(st.st_mode)) {
    COCOON_ASSIGN_OR_RETURN(std::string text, ReadFile(args.collateral));
    COCOON_ASSIGN_OR_RETURN(dcap::Collateral c, dcap::ParseCollateralJson(text));
    COCOON_ASSIGN_OR_RETURN(auto p, collateral::StaticCollateralProvider::Create(c, *owned_roots));
    provider = std::move(p);
  } else {
    collateral::CollateralConfig config;
    if (!args.collateral_config.empty()) {
      COCOON_ASSIGN_OR_RETURN(std::string text, ReadFile(args.collateral_config, 1 << 20));
      COCOON_ASSIGN_OR_RETURN(config, collateral::ParseCollateralConfig(text));
    } else if (!args.collateral.empty()) {
      config.source = collateral::Source::kOffline;
      config.bundle_dir = args.collateral;
    } else {
      config.cache_dir = DefaultCacheDir();
    }
    provider = std::make_unique<collateral::CachingCollateralProvider>(config, owned_roots.get());
  }
  return DcapVerifierBackend::FromParts(std::move(owned_roots), std::move(provider), at);
}

double Micros(absl::Duration d) { return absl::ToDoubleMicroseconds(d); }

}  // namespace

int RunAttestationVerify(const AttestationVerifyArgs& args) {
  OrderedJson out;
  auto finish = [&](bool verified) {
    out["verified"] = verified;
    std::cout << out.dump(2, ' ', false, OrderedJson::error_handler_t::replace) << std::endl;
    return verified ? 0 : 1;
  };
  out["tee"] = args.tee;
  auto fail = [&](const absl::Status& s) {
    out["error"] = std::string(s.message());
    return finish(false);
  };
  auto evidence = ReadFile(args.evidence_file);
  if (!evidence.ok()) return fail(evidence.status());
  std::optional<std::string> report_data;
  if (!args.report_data_hex.empty()) {
    auto rd = HexDecode(args.report_data_hex);
    if (!rd.ok()) return fail(Annotate(rd.status(), "--report-data"));
    report_data = *rd;
  }
  std::optional<std::string> init_data;
  if (!args.init_data_hex.empty()) {
    auto id = HexDecode(args.init_data_hex);
    if (!id.ok()) return fail(Annotate(id.status(), "--init-data"));
    init_data = *id;
  }
  std::optional<absl::Time> at;
  if (!args.at.empty()) {
    auto t = dcap::ParseRfc3339(args.at, "--at");
    if (!t.ok()) return fail(t.status());
    at = *t;
  }
  out["report_data_checked"] = report_data.has_value();
  if (args.tee == "sample") {
    if (!report_data) return fail(absl::InvalidArgumentError("--tee sample needs --report-data"));
    attestation::SampleVerifier v;
    auto r = v.Evaluate(*evidence, *report_data, init_data);
    if (!r.ok()) return fail(r.status());
    out["tcb_status"] = nullptr;
    out["collateral_expired"] = false;
    auto claims = ParseJson(r->claims_json, "claims");
    out["claims"] = claims.ok() ? OrderedJson::parse(claims->dump()) : OrderedJson();
    return finish(true);
  }
  if (args.tee != "tdx" && !attestation::az::IsAzTdxVtpmTeeName(args.tee)) {
    return fail(absl::InvalidArgumentError(
        absl::StrCat("unknown --tee \"", args.tee, "\" (tdx, az-tdx-vtpm or sample)")));
  }
  auto backend = BuildBackend(args, at);
  if (!backend.ok()) return fail(backend.status());
  if ((*backend)->roots().has_extra_roots()) {
    std::fprintf(
        stderr,
        "cocoon: warning: trusting roots other than the Intel SGX Root CA (--trusted-root)\n");
  }
  std::optional<absl::string_view> rd_view;
  if (report_data) rd_view = *report_data;
  std::optional<absl::string_view> init_view;
  if (init_data) init_view = *init_data;
  absl::StatusOr<attestation::VerificationResult> r =
      args.tee == "tdx" ? attestation::tdx::VerifyTdxEvidence(*evidence, rd_view, init_view,
                                                              (*backend)->context())
                        : attestation::az::VerifyAzTdxVtpmEvidence(*evidence, rd_view, init_view,
                                                                   (*backend)->context());
  if (!r.ok()) return fail(r.status());
  out["tcb_status"] = std::string(dcap::TcbStatusName(r->tcb_status));
  out["collateral_expired"] = r->collateral_expired;
  out["claims"] = OrderedJson::parse(r->claims_json);
  const auto& t = r->timings;
  out["timings_us"] = {{"parse", Micros(t.parse)},
                       {"collateral", Micros(t.collateral)},
                       {"pck_chain", Micros(t.dcap_pck_chain)},
                       {"qe_report", Micros(t.dcap_qe_report)},
                       {"quote_signature", Micros(t.dcap_quote_signature)},
                       {"tcb", Micros(t.dcap_tcb)},
                       {"binding", Micros(t.binding)},
                       {"tpm", Micros(t.tpm)},
                       {"eventlog", Micros(t.eventlog)},
                       {"claims", Micros(t.claims)}};
  return finish(true);
}

int RunCollateralFetch(const CollateralFetchArgs& args) {
  auto fail = [](const absl::Status& s) {
    std::fprintf(stderr, "cocoon: error: %s\n", std::string(s.message()).c_str());
    return 1;
  };
  std::string fmspc;
  dcap::PckCaKind ca =
      args.ca == "processor" ? dcap::PckCaKind::kProcessor : dcap::PckCaKind::kPlatform;
  if (args.ca != "platform" && args.ca != "processor") {
    return fail(absl::InvalidArgumentError("--ca must be platform or processor"));
  }
  if (!args.quote_file.empty()) {
    auto bytes = ReadFile(args.quote_file);
    if (!bytes.ok()) return fail(bytes.status());
    auto p = dcap::PrepareQuote(*bytes);
    if (!p.ok()) return fail(p.status());
    fmspc = p->pck_extensions.fmspc;
    ca = p->ca;
  } else {
    auto f = HexDecode(args.fmspc_hex);
    if (!f.ok() || f->size() != 6) {
      return fail(absl::InvalidArgumentError("--fmspc must be 12 hex digits (or give --quote)"));
    }
    fmspc = *f;
  }
  OrderedJson cfg_json = {{"source", args.source},
                          {"update_type", args.update_type},
                          {"timeout_seconds", args.timeout_seconds}};
  if (!args.url.empty()) cfg_json["url"] = args.url;
  if (!args.azure_region.empty()) cfg_json["azure_region"] = args.azure_region;
  if (!args.proxy.empty()) cfg_json["proxy"] = args.proxy;
  if (!args.ca_bundle.empty()) cfg_json["ca_bundle"] = args.ca_bundle;
  auto config = collateral::ParseCollateralConfig(cfg_json.dump());
  if (!config.ok()) return fail(config.status());
  auto c = collateral::FetchCollateral(*config, fmspc, ca);
  if (!c.ok()) return fail(c.status());
  auto roots = dcap::TrustedRoots::IntelOnly();
  if (!roots.ok()) return fail(roots.status());
  auto checked = dcap::CheckCollateral(*c, *roots);
  if (!checked.ok()) return fail(Annotate(checked.status(), "fetched collateral does not verify"));
  if (auto st = collateral::WriteBundleEntry(args.out_dir, fmspc, ca, *c); !st.ok()) {
    return fail(st);
  }
  std::printf("%s/%s (TCB info eval #%lld, next update %s)\n", args.out_dir.c_str(),
              collateral::BundleFileName(fmspc, ca).c_str(),
              static_cast<long long>((*checked)->tcb_info.tcb_evaluation_data_number),
              (*checked)->tcb_info.next_update.c_str());
  return 0;
}

void RegisterAttestationCommands(CLI::App& app, int* exit_code) {
  CLI::App* att = app.add_subcommand("attestation", "Verify TEE evidence, manage DCAP collateral");
  att->require_subcommand(1);

  auto verify = std::make_shared<AttestationVerifyArgs>();
  CLI::App* v = att->add_subcommand("verify", "Verify evidence and print the result as JSON");
  v->add_option("--tee", verify->tee, "tdx | az-tdx-vtpm | sample")->required();
  v->add_option("--evidence", verify->evidence_file, "Evidence JSON file")->required();
  v->add_option("--report-data", verify->report_data_hex, "Expected report data (hex)");
  v->add_option("--init-data", verify->init_data_hex, "Expected init-data digest (hex)");
  v->add_option("--collateral", verify->collateral,
                "Collateral bundle directory or collateral JSON file (offline)");
  v->add_option("--collateral-config", verify->collateral_config,
                "Collateral source config JSON (pcs | pccs | thim)");
  v->add_option("--at", verify->at, "Verification time, RFC 3339 (default: now)");
  v->add_option("--trusted-root", verify->trusted_roots,
                "Extra trusted root certificate (PEM); for test PKIs only");
  v->callback([verify, exit_code] { *exit_code = RunAttestationVerify(*verify); });

  CLI::App* col = att->add_subcommand("collateral", "DCAP collateral bundles");
  col->require_subcommand(1);
  auto fetch = std::make_shared<CollateralFetchArgs>();
  CLI::App* f =
      col->add_subcommand("fetch", "Fetch collateral for an FMSPC into a bundle directory");
  f->add_option("--fmspc", fetch->fmspc_hex, "FMSPC (12 hex digits)");
  f->add_option("--quote", fetch->quote_file, "Take FMSPC and CA kind from this TD quote");
  f->add_option("--ca", fetch->ca, "PCK CA: platform | processor");
  f->add_option("--source", fetch->source, "pcs | pccs | thim");
  f->add_option("--url", fetch->url, "PCCS or collateral service URL");
  f->add_option("--azure-region", fetch->azure_region, "THIM region (e.g. eastus2)");
  f->add_option("--update", fetch->update_type, "standard | early");
  f->add_option("--out", fetch->out_dir, "Bundle directory")->required();
  f->add_option("--proxy", fetch->proxy, "HTTP(S) proxy");
  f->add_option("--ca-bundle", fetch->ca_bundle, "CA bundle for TLS");
  f->add_option("--timeout", fetch->timeout_seconds, "Per-request timeout in seconds");
  f->callback([fetch, exit_code] { *exit_code = RunCollateralFetch(*fetch); });
}

}  // namespace cocoon::cli
