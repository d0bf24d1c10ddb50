// The `cmd` keyprovider transport: one process per call, request on stdin, reply on stdout.
#ifndef COCOON_OCICRYPT_KEYPROVIDER_CMD_H_
#define COCOON_OCICRYPT_KEYPROVIDER_CMD_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "ocicrypt/keyprovider_config.h"

namespace cocoon::ocicrypt {

struct CommandLimits {
  absl::Duration timeout = absl::Seconds(30);
  size_t max_stdout = 16u << 20;
  size_t max_stderr_kept = 16u << 10;  // the rest of stderr is read and dropped
};

// Runs `cmd.path` (looked up in PATH when it has no '/') with `cmd.args` and the inherited
// environment, in its own process group, writes `input` to its stdin and returns everything it
// wrote to stdout once it exits with status 0. Other descriptors are not inherited.
//
// Errors, in Go's words where Go has them:
//   "Error while running command: <path>. stderr: <stderr>: exit status N" (or "signal: killed"),
//   a timeout (the whole process group is killed; code DEADLINE_EXCEEDED), stdout longer than
//   `max_stdout` (killed; RESOURCE_EXHAUSTED), a program that cannot be started (NOT_FOUND when
//   it does not exist). Occurrences of any `redact` string in stderr are replaced by
//   "[redacted]" before stderr enters a message.
absl::StatusOr<std::string> RunKeyProviderCommand(const KeyProviderCmd& cmd,
                                                  absl::string_view input,
                                                  const CommandLimits& limits,
                                                  absl::Span<const absl::string_view> redact = {});

}  // namespace cocoon::ocicrypt

#endif  // COCOON_OCICRYPT_KEYPROVIDER_CMD_H_
