#include "attestation/collateral/provider.h"

#include <sys/stat.h>

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/encoding.h"
#include "base/file_util.h"
#include "base/json.h"
#include "base/status.h"

namespace cocoon::attestation::collateral {
namespace {

constexpr absl::string_view kIntelPcs = "https://api.trustedservices.intel.com";
constexpr absl::string_view kIntelRootCrl =
    "https://certificates.trustedservices.intel.com/IntelSGXRootCA.der";
constexpr absl::string_view kThimQuery =
    "clientid=production_client&api-version=2018-10-01-preview";

// scheme://host[:port] of `url` (a configured path such as /sgx/certification/v4/ is dropped).
std::string Origin(absl::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme == absl::string_view::npos) return std::string(absl::StripSuffix(url, "/"));
  const size_t slash = url.find('/', scheme + 3);
  return std::string(url.substr(0, slash));
}

std::string BaseUrl(const CollateralConfig& c) {
  switch (c.source) {
    case Source::kIntelPcs:
      return c.base_url.empty() ? std::string(kIntelPcs) : Origin(c.base_url);
    case Source::kPccs:
      return Origin(c.base_url);
    case Source::kAzureThim:
      return c.base_url.empty() ? absl::StrCat("https://", c.azure_region, ".thim.azure.net")
                                : Origin(c.base_url);
    case Source::kOffline:
      return "";
  }
  return "";
}

std::string Query(const CollateralConfig& c) {
  if (c.source == Source::kAzureThim) return std::string(kThimQuery);
  return absl::StrCat("update=", c.update_type);
}

absl::StatusOr<HttpResponse> GetOk(const std::string& url, absl::string_view what,
                                   const CollateralConfig& c) {
  COCOON_ASSIGN_OR_RETURN(HttpResponse r, HttpGet(url, {}, c.http));
  if (r.status == 404 || r.status == 410) {
    return absl::NotFoundError(absl::StrCat(what, " not available from ", url, " (HTTP ", r.status,
                                            "): the collateral service does not know this "
                                            "platform; on Azure TDX use the THIM source"));
  }
  if (r.status != 200) {
    return absl::UnavailableError(absl::StrCat(what, ": GET ", url, " returned HTTP ", r.status));
  }
  return r;
}

absl::StatusOr<std::string> Header(const HttpResponse& r, absl::string_view name,
                                   absl::string_view what) {
  auto it = r.headers.find(std::string(name));
  if (it == r.headers.end()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": response lacks header ", name));
  }
  return UrlDecode(it->second);
}

}  // namespace

absl::string_view CaName(dcap::PckCaKind ca) {
  return ca == dcap::PckCaKind::kPlatform ? "platform" : "processor";
}

std::string BundleFileName(absl::string_view fmspc, dcap::PckCaKind ca) {
  return absl::StrCat(HexEncode(fmspc), "-", CaName(ca), ".json");
}

absl::StatusOr<CollateralConfig> ParseCollateralConfig(absl::string_view json) {
  COCOON_ASSIGN_OR_RETURN(Json j, ParseJson(json, "collateral config", 8));
  if (!j.is_object()) return absl::InvalidArgumentError("collateral config: not an object");
  CollateralConfig c;
  auto str = [&](const char* key, std::string* out) -> absl::Status {
    auto it = j.find(key);
    if (it == j.end()) return absl::OkStatus();
    if (!it->is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat("collateral config: ", key, " must be a string"));
    }
    *out = it->get<std::string>();
    return absl::OkStatus();
  };
  std::string source = "pcs";
  COCOON_RETURN_IF_ERROR(str("source", &source));
  if (source == "pcs") {
    c.source = Source::kIntelPcs;
  } else if (source == "pccs") {
    c.source = Source::kPccs;
  } else if (source == "thim") {
    c.source = Source::kAzureThim;
  } else if (source == "offline") {
    c.source = Source::kOffline;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("collateral config: source \"", source,
                                                   "\" is not pcs, pccs, thim or offline"));
  }
  COCOON_RETURN_IF_ERROR(str("url", &c.base_url));
  COCOON_RETURN_IF_ERROR(str("azure_region", &c.azure_region));
  COCOON_RETURN_IF_ERROR(str("update_type", &c.update_type));
  COCOON_RETURN_IF_ERROR(str("root_ca_crl_url", &c.root_ca_crl_url));
  COCOON_RETURN_IF_ERROR(str("cache_dir", &c.cache_dir));
  COCOON_RETURN_IF_ERROR(str("bundle_dir", &c.bundle_dir));
  COCOON_RETURN_IF_ERROR(str("proxy", &c.http.proxy));
  COCOON_RETURN_IF_ERROR(str("ca_bundle", &c.http.ca_bundle));
  if (auto it = j.find("timeout_seconds"); it != j.end()) {
    if (!it->is_number_integer() || it->get<long>() <= 0) {
      return absl::InvalidArgumentError(
          "collateral config: timeout_seconds must be a positive integer");
    }
    c.http.timeout_seconds = it->get<long>();
  }
  if (c.update_type != "standard" && c.update_type != "early") {
    return absl::InvalidArgumentError("collateral config: update_type must be standard or early");
  }
  if (c.source == Source::kPccs && c.base_url.empty()) {
    return absl::InvalidArgumentError("collateral config: source pccs needs a url");
  }
  if (c.source == Source::kAzureThim && c.base_url.empty() && c.azure_region.empty()) {
    return absl::InvalidArgumentError(
        "collateral config: source thim needs azure_region (e.g. eastus2) or a url");
  }
  if (c.source == Source::kOffline && c.bundle_dir.empty()) {
    return absl::InvalidArgumentError("collateral config: source offline needs bundle_dir");
  }
  return c;
}

absl::StatusOr<dcap::Collateral> FetchCollateral(const CollateralConfig& c, absl::string_view fmspc,
                                                 dcap::PckCaKind ca) {
  if (c.source == Source::kOffline) {
    return absl::FailedPreconditionError("offline collateral source: nothing to fetch");
  }
  const std::string base = BaseUrl(c);
  const std::string fmspc_hex = absl::AsciiStrToUpper(HexEncode(fmspc));
  dcap::Collateral out;
  {
    const std::string url =
        absl::StrCat(base, "/tdx/certification/v4/tcb?fmspc=", fmspc_hex, "&", Query(c));
    COCOON_ASSIGN_OR_RETURN(HttpResponse r,
                            GetOk(url, absl::StrCat("TDX TCB info for FMSPC ", fmspc_hex), c));
    COCOON_ASSIGN_OR_RETURN(dcap::SignedJson s, dcap::SplitSignedJson(r.body, "tcbInfo"));
    out.tcb_info_body = std::move(s.body);
    out.tcb_info_signature = std::move(s.signature);
    COCOON_ASSIGN_OR_RETURN(out.tcb_info_issuer_chain,
                            Header(r, "tcb-info-issuer-chain", "TCB info"));
  }
  {
    const std::string url = absl::StrCat(base, "/tdx/certification/v4/qe/identity?", Query(c));
    COCOON_ASSIGN_OR_RETURN(HttpResponse r, GetOk(url, "TD QE identity", c));
    COCOON_ASSIGN_OR_RETURN(dcap::SignedJson s, dcap::SplitSignedJson(r.body, "enclaveIdentity"));
    out.qe_identity_body = std::move(s.body);
    out.qe_identity_signature = std::move(s.signature);
    COCOON_ASSIGN_OR_RETURN(out.qe_identity_issuer_chain,
                            Header(r, "sgx-enclave-identity-issuer-chain", "QE identity"));
  }
  {
    std::string url =
        absl::StrCat(base, "/sgx/certification/v4/pckcrl?ca=", CaName(ca), "&encoding=der");
    if (c.source == Source::kAzureThim) absl::StrAppend(&url, "&", kThimQuery);
    COCOON_ASSIGN_OR_RETURN(HttpResponse r, GetOk(url, "PCK CRL", c));
    out.pck_crl = std::move(r.body);
    auto chain = Header(r, "sgx-pck-crl-issuer-chain", "PCK CRL");
    if (chain.ok()) out.pck_crl_issuer_chain = *std::move(chain);
  }
  {
    std::string url = c.root_ca_crl_url;
    if (url.empty()) {
      url = c.source == Source::kPccs ? absl::StrCat(base, "/sgx/certification/v4/rootcacrl")
                                      : std::string(kIntelRootCrl);
    }
    COCOON_ASSIGN_OR_RETURN(HttpResponse r, GetOk(url, "Root CA CRL", c));
    out.root_ca_crl = std::move(r.body);  // DER, or hex from a PCCS: ParseCrl takes both
  }
  return out;
}

absl::Status WriteBundleEntry(const std::string& dir, absl::string_view fmspc, dcap::PckCaKind ca,
                              const dcap::Collateral& collateral) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return ErrnoStatus(errno, "creating collateral directory", dir);
  }
  return WriteFileAtomic(absl::StrCat(dir, "/", BundleFileName(fmspc, ca)),
                         dcap::SerializeCollateralJson(collateral));
}

CachingCollateralProvider::CachingCollateralProvider(CollateralConfig config,
                                                     const dcap::TrustedRoots* roots)
    : config_(std::move(config)), roots_(roots) {}

absl::StatusOr<dcap::Collateral> CachingCollateralProvider::Load(absl::string_view fmspc,
                                                                 dcap::PckCaKind ca) {
  const std::string dir =
      config_.source == Source::kOffline ? config_.bundle_dir : config_.cache_dir;
  std::optional<dcap::Collateral> on_disk;
  if (!dir.empty()) {
    auto text = ReadFile(absl::StrCat(dir, "/", BundleFileName(fmspc, ca)));
    if (text.ok()) {
      COCOON_ASSIGN_OR_RETURN(on_disk, dcap::ParseCollateralJson(*text));
    } else if (config_.source == Source::kOffline) {
      return absl::NotFoundError(absl::StrCat("no collateral for FMSPC ", HexEncode(fmspc), " (",
                                              CaName(ca), " CA) in bundle ", dir));
    }
  }
  if (config_.source == Source::kOffline) {
    if (!on_disk)
      return absl::FailedPreconditionError("offline collateral source without bundle_dir");
    return *on_disk;
  }
  if (on_disk) {
    auto checked = dcap::CheckCollateral(*on_disk, *roots_);
    if (checked.ok() && now_() <= (*checked)->earliest_expiration) return *on_disk;
  }
  auto fetched = FetchCollateral(config_, fmspc, ca);
  if (!fetched.ok()) {
    if (on_disk) return *on_disk;  // stale beats nothing; verification flags it as expired
    return fetched.status();
  }
  if (!config_.cache_dir.empty()) {
    // A cache write failure must not fail verification.
    (void)WriteBundleEntry(config_.cache_dir, fmspc, ca, *fetched);
  }
  return fetched;
}

absl::StatusOr<std::shared_ptr<const dcap::CheckedCollateral>> CachingCollateralProvider::Get(
    absl::string_view fmspc, dcap::PckCaKind ca) {
  const auto key = std::make_pair(std::string(fmspc), static_cast<int>(ca));
  std::shared_ptr<const dcap::CheckedCollateral> stale;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      if (config_.source == Source::kOffline || now_() <= it->second->earliest_expiration) {
        return it->second;
      }
      stale = it->second;
    }
  }
  auto raw = Load(fmspc, ca);
  if (!raw.ok()) {
    if (stale) return stale;
    return raw.status();
  }
  COCOON_ASSIGN_OR_RETURN(std::shared_ptr<const dcap::CheckedCollateral> checked,
                          dcap::CheckCollateral(*raw, *roots_));
  std::lock_guard<std::mutex> lock(mu_);
  cache_[key] = checked;
  return checked;
}

absl::StatusOr<std::unique_ptr<StaticCollateralProvider>> StaticCollateralProvider::Create(
    const dcap::Collateral& collateral, const dcap::TrustedRoots& roots) {
  COCOON_ASSIGN_OR_RETURN(auto checked, dcap::CheckCollateral(collateral, roots));
  auto p = std::unique_ptr<StaticCollateralProvider>(new StaticCollateralProvider());
  p->checked_ = std::move(checked);
  return p;
}

absl::StatusOr<std::shared_ptr<const dcap::CheckedCollateral>> StaticCollateralProvider::Get(
    absl::string_view, dcap::PckCaKind) {
  return checked_;
}

}  // namespace cocoon::attestation::collateral
