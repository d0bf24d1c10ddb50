// Collateral sources for DCAP verification, chosen by configuration: Intel PCS v4, a PCCS, Azure
// THIM (regional endpoint), or an offline bundle directory. Results are checked
// (dcap::CheckCollateral), cached in memory by (FMSPC, CA) until their nextUpdate and, for network
// sources, on disk in the bundle layout, so a cache directory doubles as an offline bundle.
//
// Bundle layout: <dir>/<fmspc lower hex>-<platform|processor>.json, each a collateral JSON
// (dcap::ParseCollateralJson form; the dcap-qvl QuoteCollateralV3 shape also loads).
#ifndef COCOON_ATTESTATION_COLLATERAL_PROVIDER_H_
#define COCOON_ATTESTATION_COLLATERAL_PROVIDER_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "attestation/collateral/http.h"
#include "attestation/dcap/collateral.h"
#include "attestation/dcap/pki.h"
#include "attestation/dcap/verifier.h"

namespace cocoon::attestation::collateral {

enum class Source { kIntelPcs, kPccs, kAzureThim, kOffline };

struct CollateralConfig {
  Source source = Source::kIntelPcs;
  // PCS: default https://api.trustedservices.intel.com; PCCS: required (e.g.
  // https://localhost:8081); THIM: https://<azure_region>.thim.azure.net unless set.
  std::string base_url;
  std::string azure_region;
  std::string update_type = "standard";  // "standard" | "early" (PCS/PCCS)
  // Root CA CRL: PCS/THIM default Intel's CDP; PCCS uses <base>/sgx/certification/v4/rootcacrl.
  std::string root_ca_crl_url;
  std::string cache_dir;   // network sources: disk cache (optional)
  std::string bundle_dir;  // offline source: the bundle
  HttpOptions http;
};

// Parses the JSON form used in configuration files:
// {"source":"pcs|pccs|thim|offline","url":..,"azure_region":..,"update_type":..,
//  "root_ca_crl_url":..,"cache_dir":..,"bundle_dir":..,"proxy":..,"ca_bundle":..,
//  "timeout_seconds":..}
absl::StatusOr<CollateralConfig> ParseCollateralConfig(absl::string_view json);

absl::string_view CaName(dcap::PckCaKind ca);  // "platform" | "processor"
std::string BundleFileName(absl::string_view fmspc, dcap::PckCaKind ca);

// Fetches raw collateral for one FMSPC from the configured network source.
absl::StatusOr<dcap::Collateral> FetchCollateral(const CollateralConfig& config,
                                                 absl::string_view fmspc, dcap::PckCaKind ca);

// Writes collateral into a bundle directory (atomic).
absl::Status WriteBundleEntry(const std::string& dir, absl::string_view fmspc, dcap::PckCaKind ca,
                              const dcap::Collateral& collateral);

// The provider the verifiers use.
class CachingCollateralProvider : public dcap::CollateralProvider {
 public:
  CachingCollateralProvider(CollateralConfig config, const dcap::TrustedRoots* roots);

  absl::StatusOr<std::shared_ptr<const dcap::CheckedCollateral>> Get(absl::string_view fmspc,
                                                                     dcap::PckCaKind ca) override;
  // For tests and the CLI: time used to decide whether a cached entry is due for refresh.
  void set_clock(absl::Time (*now)()) { now_ = now; }

 private:
  absl::StatusOr<dcap::Collateral> Load(absl::string_view fmspc, dcap::PckCaKind ca);

  CollateralConfig config_;
  const dcap::TrustedRoots* roots_;
  absl::Time (*now_)() = &absl::Now;
  std::mutex mu_;
  std::map<std::pair<std::string, int>, std::shared_ptr<const dcap::CheckedCollateral>> cache_;
};

// Serves one fixed collateral set (a file given on the command line, tests), checked once.
class StaticCollateralProvider : public dcap::CollateralProvider {
 public:
  static absl::StatusOr<std::unique_ptr<StaticCollateralProvider>> Create(
      const dcap::Collateral& collateral, const dcap::TrustedRoots& roots);
  absl::StatusOr<std::shared_ptr<const dcap::CheckedCollateral>> Get(absl::string_view fmspc,
                                                                     dcap::PckCaKind ca) override;

 private:
  std::shared_ptr<const dcap::CheckedCollateral> checked_;
};

}  // namespace cocoon::attestation::collateral

#endif  // COCOON_ATTESTATION_COLLATERAL_PROVIDER_H_
