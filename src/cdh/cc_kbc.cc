#include "cdh/cc_kbc.h"

#include "aa/aa_client.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "crypto/keys.h"
#include "kbs/client.h"

namespace cocoon::cdh {

CcKbc::~CcKbc() = default;

absl::StatusOr<std::unique_ptr<CcKbc>> CcKbc::Create(const KbcConfig& config) {
  if (config.url.empty() || config.url == "null") {
    return absl::InvalidArgumentError("kbc.url: cc_kbc needs the KBS URL (e.g. http://kbs:8080)");
  }
  if (config.aa_socket.empty()) {
    return absl::InvalidArgumentError("aa.aa_socket: cc_kbc needs the attestation agent socket");
  }
  std::unique_ptr<CcKbc> kbc(new CcKbc());
  kbc->aa_ = std::make_unique<aa::AttestationAgentClient>(config.aa_socket);
  kbs::KbsClientOptions opts;
  opts.url = config.url;
  opts.cert_pem = config.kbs_cert;
  COCOON_ASSIGN_OR_RETURN(kbc->kbs_, kbs::KbsClient::Create(std::move(opts)));
  COCOON_ASSIGN_OR_RETURN(crypto::PrivateKey key,
                          crypto::PrivateKey::Generate(crypto::KeyType::kEcP256));
  kbc->tee_key_ = std::make_unique<crypto::PrivateKey>(std::move(key));
  return kbc;
}

absl::StatusOr<SecretBytes> CcKbc::GetResource(const ResourceUri& uri) {
  if (uri.plugin != "resource" || !uri.IsRepoTypeTag()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cc_kbc: ", uri.ResourcePath(), " is not a KBS resource path <repo>/<type>/<tag>"));
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (tee_.empty()) {
    COCOON_ASSIGN_OR_RETURN(tee_, aa_->GetTeeType());
    if (tee_.empty()) return absl::InternalError("attestation agent reported an empty TEE type");
  }
  aa::AttestationAgentClient* agent = aa_.get();
  kbs::Attester attester{
      tee_, [agent](absl::string_view report_data) { return agent->GetEvidence(report_data); }};
  // Errors name the resource path (the caller adds the kid and "cc_kbc").
  absl::StatusOr<SecretBytes> value =
      kbs_->GetResourceCached(uri.ResourcePath(), attester, *tee_key_);
  if (!value.ok() && !absl::StrContains(value.status().message(), uri.ResourcePath())) {
    return absl::Status(value.status().code(),
                        absl::StrCat(uri.ResourcePath(), ": ", value.status().message()));
  }
  return value;
}

kbs::KbsCallTimings CcKbc::last_timings() {
  std::lock_guard<std::mutex> lock(mu_);
  return kbs_->last_timings();
}

void CcKbc::InvalidateToken() {
  std::lock_guard<std::mutex> lock(mu_);
  kbs_->InvalidateToken();
}

void RegisterCcKbc() {
  RegisterKbcFactory("cc_kbc",
                     [](const KbcConfig& config,
                        std::vector<std::string>*) -> absl::StatusOr<std::unique_ptr<Kbc>> {
                       COCOON_ASSIGN_OR_RETURN(std::unique_ptr<CcKbc> kbc, CcKbc::Create(config));
                       return std::unique_ptr<Kbc>(std::move(kbc));
                     });
}

}  // namespace cocoon::cdh
