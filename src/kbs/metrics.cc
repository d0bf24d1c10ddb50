#include "kbs/metrics.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace cocoon::kbs {
namespace {

std::string Escape(absl::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

std::string AttestationFailureReason(absl::string_view m) {
  auto has = [m](absl::string_view s) { return absl::StrContains(m, s); };
  if (has("trusted root") || has("not pinned")) return "untrusted_root";
  if (has("TPM quote nonce mismatch")) return "tpm_nonce_mismatch";
  if (has("TPM quote") && has("signature")) return "tpm_quote_signature";
  if (has("TDX Quote report data mismatch") || has("HCL")) return "hcl_report_mismatch";
  if (has("signature")) return "td_quote_signature";
  if (has("init data mismatch") || has("MRCONFIGID")) return "init_data_mismatch";
  if (has("already been used")) return "replayed_nonce";
  if (has("nonce mismatch")) return "nonce_mismatch";
  if (has("report data") || has("report_data") || has("REPORTDATA")) return "report_data_mismatch";
  if (has("no verifier")) return "no_verifier";
  if (has("cookie") || has("session")) return "session";
  if (has("attestation request") || has("tee-evidence") || has("JSON")) return "bad_request";
  return "other";
}

void Metrics::RecordAttestationFailure(absl::string_view tee, absl::string_view reason) {
  Counter(&failures_, absl::StrCat("tee=\"", Escape(tee), "\",reason=\"", Escape(reason), "\""))
      ->fetch_add(1, std::memory_order_relaxed);
}

std::atomic<uint64_t>* Metrics::Counter(
    std::map<std::string, std::unique_ptr<std::atomic<uint64_t>>>* m, std::string key) {
  {
    absl::ReaderMutexLock lock(&mu_);
    auto it = m->find(key);
    if (it != m->end()) return it->second.get();
  }
  absl::MutexLock lock(&mu_);
  auto& slot = (*m)[std::move(key)];
  if (!slot) slot = std::make_unique<std::atomic<uint64_t>>(0);
  return slot.get();
}

void Metrics::RecordRequest(absl::string_view endpoint, absl::string_view method, int status,
                            double seconds) {
  Counter(&requests_, absl::StrCat("endpoint=\"", Escape(endpoint), "\",method=\"", Escape(method),
                                   "\",status=\"", status, "\""))
      ->fetch_add(1, std::memory_order_relaxed);
  Histogram* h;
  {
    absl::ReaderMutexLock lock(&mu_);
    auto it = durations_.find(std::string(endpoint));
    h = it == durations_.end() ? nullptr : it->second.get();
  }
  if (h == nullptr) {
    absl::MutexLock lock(&mu_);
    auto& slot = durations_[std::string(endpoint)];
    if (!slot) slot = std::make_unique<Histogram>();
    h = slot.get();
  }
  size_t i = 0;
  while (i < kBuckets.size() && seconds > kBuckets[i]) ++i;
  h->counts[i].fetch_add(1, std::memory_order_relaxed);
  h->sum_micros.fetch_add(static_cast<uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

void Metrics::RecordAttestation(absl::string_view tee, absl::string_view outcome) {
  Counter(&attestations_,
          absl::StrCat("tee=\"", Escape(tee), "\",outcome=\"", Escape(outcome), "\""))
      ->fetch_add(1, std::memory_order_relaxed);
}

void Metrics::RecordPolicyDecision(absl::string_view policy, bool allow) {
  Counter(&decisions_, absl::StrCat("policy=\"", Escape(policy), "\",decision=\"",
                                    allow ? "allow" : "deny", "\""))
      ->fetch_add(1, std::memory_order_relaxed);
}

std::string Metrics::Render() const {
  absl::ReaderMutexLock lock(&mu_);
  std::string out;
  auto counters = [&out](absl::string_view name, absl::string_view help,
                         const std::map<std::string, std::unique_ptr<std::atomic<uint64_t>>>& m) {
    absl::StrAppend(&out, "# HELP ", name, " ", help, "\n# TYPE ", name, " counter\n");
    for (const auto& [labels, v] : m) {
      absl::StrAppend(&out, name, "{", labels, "} ", v->load(std::memory_order_relaxed), "\n");
    }
  };
  counters("kbs_http_requests_total", "HTTP requests by endpoint, method and status.", requests_);
  counters("kbs_attestations_total", "Attestations by TEE and outcome.", attestations_);
  counters("kbs_policy_decisions_total", "Resource policy decisions.", decisions_);
  counters("kbs_attestation_failures_total", "Failed attestations by TEE and reason.", failures_);
  absl::StrAppend(&out,
                  "# HELP kbs_request_duration_seconds Request latency by endpoint.\n"
                  "# TYPE kbs_request_duration_seconds histogram\n");
  for (const auto& [endpoint, h] : durations_) {
    uint64_t cumulative = 0;
    const std::string e = Escape(endpoint);
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      cumulative += h->counts[i].load(std::memory_order_relaxed);
      absl::StrAppend(&out, "kbs_request_duration_seconds_bucket{endpoint=\"", e, "\",le=\"",
                      absl::StrFormat("%g", kBuckets[i]), "\"} ", cumulative, "\n");
    }
    cumulative += h->counts[kBuckets.size()].load(std::memory_order_relaxed);
    absl::StrAppend(&out, "kbs_request_duration_seconds_bucket{endpoint=\"", e, "\",le=\"+Inf\"} ",
                    cumulative, "\n");
    absl::StrAppend(&out, "kbs_request_duration_seconds_sum{endpoint=\"", e, "\"} ",
                    absl::StrFormat("%.6f", h->sum_micros.load(std::memory_order_relaxed) / 1e6),
                    "\n");
    absl::StrAppend(&out, "kbs_request_duration_seconds_count{endpoint=\"", e, "\"} ", cumulative,
                    "\n");
  }
  return out;
}

}  // namespace cocoon::kbs
