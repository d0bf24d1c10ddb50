#include "attestation/dcap/verifier.h"

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/encoding.h"
#include "base/status.h"
#include "crypto/stream_cipher.h"

namespace cocoon::attestation::dcap {
namespace {

class StepTimer {
 public:
  explicit StepTimer(absl::Duration* out) : out_(out), start_(absl::Now()) {}
  ~StepTimer() {
    if (out_ != nullptr) *out_ += absl::Now() - start_;
  }

 private:
  absl::Duration* out_;
  absl::Time start_;
};

bool IsSelfIssued(X509* c) { return X509_check_issued(c, c) == X509_V_OK; }

absl::StatusOr<std::shared_ptr<const PckChain>> ParseChainUncached(absl::string_view data,
                                                                   std::string id) {
  auto chain = std::make_shared<PckChain>();
  PckChain& p = *chain;
  p.id = std::move(id);
  COCOON_ASSIGN_OR_RETURN(p.certificates, ParsePemCertificates(data, "PCK chain"));
  // Identify the certificates by their role, not by their order.
  for (auto& c : p.certificates) {
    const std::string cn = CertSubjectCn(c.get());
    if (IsSelfIssued(c.get())) {
      if (p.root != nullptr) return absl::InvalidArgumentError("PCK chain: two root certificates");
      p.root = c.get();
    } else if (absl::StrContains(cn, "SGX PCK Certificate")) {
      if (p.pck != nullptr) return absl::InvalidArgumentError("PCK chain: two PCK certificates");
      p.pck = c.get();
    } else if (absl::StrContains(cn, "CA")) {
      if (p.intermediate != nullptr) {
        return absl::InvalidArgumentError("PCK chain: two intermediate CA certificates");
      }
      p.intermediate = c.get();
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("PCK chain: unexpected certificate \"", cn, "\""));
    }
  }
  if (p.pck == nullptr || p.intermediate == nullptr) {
    return absl::InvalidArgumentError(
        "PCK chain: a PCK certificate (CN \"... SGX PCK Certificate\") and its CA are required");
  }
  const std::string ca_cn = CertSubjectCn(p.intermediate);
  if (absl::StrContains(ca_cn, "Platform")) {
    p.ca = PckCaKind::kPlatform;
  } else if (absl::StrContains(ca_cn, "Processor")) {
    p.ca = PckCaKind::kProcessor;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("PCK chain: intermediate \"", ca_cn,
                                                   "\" is neither Platform nor Processor CA"));
  }
  COCOON_ASSIGN_OR_RETURN(p.pck_extensions, ParseSgxExtensions(p.pck));
  return std::shared_ptr<const PckChain>(std::move(chain));
}

// Bounded caches: parsed chains by content hash; successful chain verifications by (chain,
// collateral, roots). Both are pure functions of their keys, so sharing them is safe.
constexpr size_t kMaxCacheEntries = 4096;

struct ChainVerdict {
  absl::Time not_before;  // latest notBefore / CRL thisUpdate
  absl::Time not_after;   // earliest notAfter / CRL nextUpdate
  std::string root_key_id;
};

std::mutex cache_mu;
std::map<std::string, std::shared_ptr<const PckChain>>& ChainCache() {
  static auto* m = new std::map<std::string, std::shared_ptr<const PckChain>>();
  return *m;
}
std::map<std::string, ChainVerdict>& VerdictCache() {
  static auto* m = new std::map<std::string, ChainVerdict>();
  return *m;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const PckChain>> ParsePckChain(absl::string_view data) {
  std::string id = crypto::Sha256(data);
  {
    std::lock_guard<std::mutex> lock(cache_mu);
    auto it = ChainCache().find(id);
    if (it != ChainCache().end()) return it->second;
  }
  COCOON_ASSIGN_OR_RETURN(std::shared_ptr<const PckChain> chain, ParseChainUncached(data, id));
  std::lock_guard<std::mutex> lock(cache_mu);
  if (ChainCache().size() >= kMaxCacheEntries) ChainCache().clear();
  ChainCache()[id] = chain;
  return chain;
}

absl::StatusOr<PreparedQuote> PrepareQuote(absl::string_view quote_bytes) {
  PreparedQuote p;
  COCOON_ASSIGN_OR_RETURN(p.quote, ParseQuote(quote_bytes));
  if (p.quote.certification_data_type != 5) {
    return absl::InvalidArgumentError(
        absl::StrCat("TD quote: certification data type ", p.quote.certification_data_type,
                     " carries no PCK certificate chain (type 5 is required)"));
  }
  COCOON_ASSIGN_OR_RETURN(p.chain, ParsePckChain(p.quote.certification_data));
  p.pck = p.chain->pck;
  p.intermediate = p.chain->intermediate;
  p.root = p.chain->root;
  p.pck_extensions = p.chain->pck_extensions;
  p.ca = p.chain->ca;
  return p;
}

absl::StatusOr<QuoteVerification> VerifyPreparedQuote(const PreparedQuote& p,
                                                      const CheckedCollateral& collateral,
                                                      const TrustedRoots& roots, absl::Time at,
                                                      VerifyTimings* timings) {
  QuoteVerification out;
  const Quote& q = p.quote;
  // 1. PCK chain to a pinned root, with the Root CA CRL and the PCK CRL, at time `at`.
  {
    StepTimer t(timings ? &timings->pck_chain : nullptr);
    if (p.root != nullptr && !roots.IsTrusted(p.root)) {
      return absl::PermissionDeniedError(absl::StrCat(
          "PCK chain: root certificate ", CertFingerprint(p.root),
          " is not a trusted root (the Intel SGX Root CA is pinned by its SHA-256 fingerprint)"));
    }
    if (X509_NAME_cmp(X509_CRL_get_issuer(collateral.pck_crl.get()), X509_get_issuer_name(p.pck)) !=
        0) {
      return absl::InvalidArgumentError(
          "PCK CRL: issuer is not the PCK certificate's issuer (wrong CA kind?)");
    }
    const std::string key = absl::StrCat(p.chain->id, "/", collateral.id, "/", roots.id());
    std::optional<ChainVerdict> verdict;
    {
      std::lock_guard<std::mutex> lock(cache_mu);
      auto it = VerdictCache().find(key);
      if (it != VerdictCache().end()) verdict = it->second;
    }
    if (!verdict) {
      // Signatures and revocation; validity periods are compared with `at` below, so the
      // verdict can be reused at any time.
      COCOON_ASSIGN_OR_RETURN(
          ChainCheck chain,
          VerifyCertChain(p.pck, {p.intermediate},
                          {collateral.pck_crl.get(), collateral.root_ca_crl.get()}, roots, at,
                          "PCK chain", "PCK certificate", "PCK intermediate CA",
                          /*check_time=*/false));
      ChainVerdict v{absl::InfinitePast(), absl::InfiniteFuture(), ""};
      for (X509* cert : chain.chain) {
        v.not_before = std::max(v.not_before, Asn1TimeToAbsl(X509_get0_notBefore(cert)));
        v.not_after = std::min(v.not_after, Asn1TimeToAbsl(X509_get0_notAfter(cert)));
      }
      for (X509_CRL* crl : {collateral.pck_crl.get(), collateral.root_ca_crl.get()}) {
        v.not_before = std::max(v.not_before, Asn1TimeToAbsl(X509_CRL_get0_lastUpdate(crl)));
        v.not_after = std::min(v.not_after, Asn1TimeToAbsl(X509_CRL_get0_nextUpdate(crl)));
      }
      X509_PUBKEY* pub = X509_get_X509_PUBKEY(chain.chain.back());
      const unsigned char* pk = nullptr;
      int pk_len = 0;
      if (pub != nullptr && X509_PUBKEY_get0_param(nullptr, &pk, &pk_len, nullptr, pub) == 1) {
        v.root_key_id = crypto::Sha384(
            absl::string_view(reinterpret_cast<const char*>(pk), static_cast<size_t>(pk_len)));
      }
      std::lock_guard<std::mutex> lock(cache_mu);
      if (VerdictCache().size() >= kMaxCacheEntries) VerdictCache().clear();
      VerdictCache()[key] = v;
      verdict = v;
    }
    if (at < verdict->not_before) {
      return absl::PermissionDeniedError(
          absl::StrCat("PCK chain: a certificate or CRL is not yet valid at ", FormatRfc3339(at),
                       " (valid from ", FormatRfc3339(verdict->not_before), ")"));
    }
    out.collateral_expired = at > verdict->not_after;
    out.earliest_expiration = verdict->not_after;
    out.root_key_id = verdict->root_key_id;
  }
  // 2. QE report signature by the PCK key, and 3. the report data binding.
  {
    StepTimer t(timings ? &timings->qe_report : nullptr);
    EVP_PKEY* pck_key = X509_get0_pubkey(p.pck);
    if (pck_key == nullptr) return absl::InvalidArgumentError("PCK certificate: no public key");
    COCOON_RETURN_IF_ERROR(
        VerifyEcdsaP256Raw(pck_key, q.qe_report.raw, q.qe_report_signature, "QE report"));
    const std::string expected = crypto::Sha256(absl::StrCat(q.attestation_key, q.qe_auth_data));
    const absl::string_view rd = q.qe_report.report_data;
    if (rd.substr(0, 32) != expected) {
      return absl::PermissionDeniedError(
          "QE report data does not bind the attestation key: SHA256(attestation key || QE auth "
          "data) differs from REPORTDATA[0..32)");
    }
    if (rd.substr(32) != std::string(32, '\0')) {
      return absl::PermissionDeniedError(
          "QE report data does not bind the attestation key: REPORTDATA[32..64) is not zero");
    }
  }
  // 4. Quote signature by the attestation key over header [+ descriptor] + body.
  {
    StepTimer t(timings ? &timings->quote_signature : nullptr);
    COCOON_ASSIGN_OR_RETURN(EvpPkeyPtr att_key, P256KeyFromXY(q.attestation_key));
    COCOON_RETURN_IF_ERROR(
        VerifyEcdsaP256Raw(att_key.get(), q.signed_region, q.signature, "quote"));
  }
  // 5. QE identity, TDX module identity, TCB evaluation.
  {
    StepTimer t(timings ? &timings->tcb : nullptr);
    COCOON_RETURN_IF_ERROR(CheckQeIdentity(q.qe_report, collateral.qe_identity));
    COCOON_RETURN_IF_ERROR(CheckTdxModule(q.body, collateral.tcb_info));
    COCOON_ASSIGN_OR_RETURN(
        out.tcb, EvaluateTcb(q, p.pck_extensions, collateral.tcb_info, collateral.qe_identity));
  }
  if (CollateralExpired(collateral, at)) out.collateral_expired = true;
  out.earliest_expiration = std::min(out.earliest_expiration, collateral.earliest_expiration);
  out.earliest_issue_date = collateral.earliest_issue_date;
  out.latest_issue_date = collateral.latest_issue_date;
  out.tcb_evaluation_data_number = collateral.tcb_info.tcb_evaluation_data_number;
  out.pck_crl_number = collateral.pck_crl_number;
  out.root_ca_crl_number = collateral.root_ca_crl_number;
  return out;
}

}  // namespace cocoon::attestation::dcap
