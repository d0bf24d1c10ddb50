#include "kbs/verifiers.h"

#include "absl/strings/str_cat.h"
#include "attestation/az_tdx_vtpm/dcap_verifiers.h"
#include "attestation/collateral/provider.h"
#include "attestation/sample/sample_verifier.h"
#include "base/file_util.h"
#include "base/json.h"
#include "base/status.h"

namespace cocoon::kbs {
namespace {

absl::Status KeyError(absl::string_view key, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("attestation_service.verifier_config.", key, ": ", why));
}

}  // namespace

absl::StatusOr<VerifierSetup> BuildVerifiers(absl::string_view verifier_config_json) {
  COCOON_ASSIGN_OR_RETURN(
      Json vc,
      ParseJson(verifier_config_json.empty() ? "{}" : verifier_config_json, "verifier_config"));
  if (!vc.is_object()) return KeyError("", "expected a table");
  attestation::DcapVerifierConfig dcap;
  VerifierSetup out;
  if (auto d = vc.find("dcap"); d != vc.end()) {
    if (!d->is_object()) return KeyError("dcap", "expected a table");
    for (const auto& [k, v] : d->items()) {
      if (k == "collateral") {
        if (!v.is_object()) return KeyError("dcap.collateral", "expected a table");
        COCOON_ASSIGN_OR_RETURN_CTX(dcap.collateral,
                                    attestation::collateral::ParseCollateralConfig(v.dump()),
                                    "attestation_service.verifier_config.dcap.collateral");
      } else if (k == "trusted_test_roots") {
        if (!v.is_array()) return KeyError("dcap.trusted_test_roots", "expected an array");
        for (size_t i = 0; i < v.size(); ++i) {
          const std::string key = absl::StrCat("dcap.trusted_test_roots[", i, "]");
          if (!v[i].is_string() || v[i].get<std::string>().empty()) {
            return KeyError(key, "expected a PEM file path");
          }
          dcap.trusted_root_files.push_back(v[i].get<std::string>());
          out.warnings.push_back(absl::StrCat(
              "verifier_config.dcap.trusted_test_roots: trusting the test root CA ",
              v[i].get<std::string>(),
              " besides the pinned Intel SGX Root CA; TDX evidence signed under it is accepted. "
              "For tests and demos only, never in production"));
        }
      } else {
        return KeyError(absl::StrCat("dcap.", k), "unknown key (collateral, trusted_test_roots)");
      }
    }
  }
  COCOON_ASSIGN_OR_RETURN_CTX(std::shared_ptr<attestation::DcapVerifierBackend> backend,
                              attestation::DcapVerifierBackend::Create(dcap),
                              "attestation_service.verifier_config.dcap");
  auto registry = std::make_shared<attestation::VerifierRegistry>();
  registry->Register("sample", std::make_shared<attestation::SampleVerifier>());
  attestation::RegisterDcapVerifiers(std::move(backend), registry.get());
  out.registry = std::move(registry);
  return out;
}

}  // namespace cocoon::kbs
