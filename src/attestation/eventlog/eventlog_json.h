// Internal: the event-log claim as a JSON value. Include from .cc files only (pulls nlohmann).
#ifndef COCOON_ATTESTATION_EVENTLOG_EVENTLOG_JSON_H_
#define COCOON_ATTESTATION_EVENTLOG_EVENTLOG_JSON_H_

#include "attestation/eventlog/ccel.h"
#include "base/json.h"

namespace cocoon::attestation::eventlog {

Json EventLogToJson(const EventLog& log);

}  // namespace cocoon::attestation::eventlog

#endif  // COCOON_ATTESTATION_EVENTLOG_EVENTLOG_JSON_H_
