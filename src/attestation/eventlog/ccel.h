// The TDX CC event log (CCEL, TCG2 crypto-agile format): parsing, RTMR replay, and the event
// details policies read (device paths, tagged events, UEFI variables, descriptions).
#ifndef COCOON_ATTESTATION_EVENTLOG_CCEL_H_
#define COCOON_ATTESTATION_EVENTLOG_CCEL_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cocoon::attestation::eventlog {

inline constexpr uint32_t kEvNoAction = 0x00000003;
inline constexpr uint16_t kAlgSha384 = 0x000c;

struct EventDigest {
  uint16_t alg = 0;
  std::string digest;
};

struct Event {
  uint32_t index = 0;  // CC MR index: 0 = MRTD, 1..4 = RTMR0..3
  uint32_t type = 0;
  std::vector<EventDigest> digests;
  std::string data;
  size_t offset = 0;  // byte offset of the event in the log
};

struct EventLog {
  std::vector<std::pair<uint16_t, uint16_t>> algorithms;  // (alg id, digest size) from Spec ID
  std::vector<Event> events;  // TCG_PCR_EVENT2 entries, the Spec ID header excluded
};

// Parses a CCEL log: the TCG_PCR_EVENT "Spec ID Event03" header, then TCG_PCR_EVENT2 records
// until the end or the unused area (0xFF... or zeros). Errors name the field and the offset.
absl::StatusOr<EventLog> ParseCcel(absl::string_view bytes);

// SHA-384 replay: RTMR[i] = SHA384(RTMR[i] || digest) for each event of index i+1, starting
// from zeros; EV_NO_ACTION events are not extended.
absl::StatusOr<std::array<std::string, 4>> ReplayRtmrs(const EventLog& log);

// Replays and compares with the quote's RTMRs; a mismatch names the register and both values.
absl::Status CheckRtmrs(const EventLog& log, const std::array<std::string, 4>& rtmrs);

absl::string_view EventTypeName(uint32_t type);
absl::string_view AlgName(uint16_t alg);

// The `uefi_event_logs` claim (a JSON array) in the shape Trustee's parser emits.
std::string EventLogJson(const EventLog& log);

}  // namespace cocoon::attestation::eventlog

#endif  // COCOON_ATTESTATION_EVENTLOG_CCEL_H_
