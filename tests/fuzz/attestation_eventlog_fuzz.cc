// CC event log parser, replay and the event-details renderer.
#include <cstddef>
#include <cstdint>

#include "attestation/eventlog/ccel.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view in(reinterpret_cast<const char*>(data), size);
  auto log = cocoon::attestation::eventlog::ParseCcel(in);
  if (log.ok()) {
    (void)cocoon::attestation::eventlog::ReplayRtmrs(*log);
    (void)cocoon::attestation::eventlog::EventLogJson(*log);
  }
  return 0;
}
