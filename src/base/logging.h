// Logging set-up on spdlog. Libraries do not log; daemons and the CLI log one line per event
// that matters, tagged with their component, never with a secret.
//
// Call sites include <spdlog/spdlog.h> themselves; this header stays light.
#ifndef COCOON_BASE_LOGGING_H_
#define COCOON_BASE_LOGGING_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace cocoon {

// Configures the default logger: lines go to stderr as
// "<ISO time> <level> <component>: <message>". `level` is one of trace, debug, info, warn,
// error, off (case-insensitive); anything else is an error naming the value.
absl::Status InitLogging(absl::string_view component, absl::string_view level = "info");

}  // namespace cocoon

#endif  // COCOON_BASE_LOGGING_H_
