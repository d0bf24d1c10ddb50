// KBS metrics in the Prometheus text exposition format (version 0.0.4):
//   kbs_http_requests_total{endpoint,method,status}
//   kbs_attestations_total{tee,outcome}           outcome = ear.status or "error"
//   kbs_attestation_failures_total{tee,reason}    reason = AttestationFailureReason(message)
//   kbs_policy_decisions_total{policy,decision}   policy = resource; decision = allow|deny
//   kbs_request_duration_seconds{endpoint}         histogram
// Counters are sharded atomics behind a label map; recording takes a short lock only the first
// time a label set appears.
#ifndef COCOON_KBS_METRICS_H_
#define COCOON_KBS_METRICS_H_

#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace cocoon::kbs {

// A short, bounded label for why an attestation failed, from the verifier's error message:
// untrusted_root, hcl_report_mismatch, tpm_nonce_mismatch, tpm_quote_signature,
// td_quote_signature, report_data_mismatch, init_data_mismatch, nonce_mismatch, replayed_nonce,
// no_verifier, bad_request, session, other.
std::string AttestationFailureReason(absl::string_view message);

class Metrics {
 public:
  void RecordRequest(absl::string_view endpoint, absl::string_view method, int status,
                     double seconds);
  void RecordAttestation(absl::string_view tee, absl::string_view outcome);
  void RecordAttestationFailure(absl::string_view tee, absl::string_view reason);
  void RecordPolicyDecision(absl::string_view policy, bool allow);

  std::string Render() const;

 private:
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1.0,  2.5};
  struct Histogram {
    std::array<std::atomic<uint64_t>, kBuckets.size() + 1> counts{};
    std::atomic<uint64_t> sum_micros{0};
  };
  std::atomic<uint64_t>* Counter(std::map<std::string, std::unique_ptr<std::atomic<uint64_t>>>* m,
                                 std::string key);

  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<std::atomic<uint64_t>>> requests_;      // labels text
  std::map<std::string, std::unique_ptr<std::atomic<uint64_t>>> attestations_;  // labels text
  std::map<std::string, std::unique_ptr<std::atomic<uint64_t>>> decisions_;     // labels text
  std::map<std::string, std::unique_ptr<std::atomic<uint64_t>>> failures_;      // labels text
  std::map<std::string, std::unique_ptr<Histogram>> durations_;                 // endpoint
};

}  // namespace cocoon::kbs

#endif  // COCOON_KBS_METRICS_H_
