// ctd-decoder: containerd stream processor for encrypted layers, a drop-in for imgcrypt's.
//
//   ctd-decoder [--decryption-keys-path DIR] [--verify-before-release]
//
// Ciphertext on stdin, plaintext on stdout, the decryption payload on fd 3 (see
// cdh/stream_decoder.h and docs/node.md). On failure: one line on stderr, exit status 1;
// containerd puts that line into the pull error. Nothing is written to stderr on success.
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cdh/stream_decoder.h"

namespace {

constexpr char kUsage[] =
    "usage: ctd-decoder [--decryption-keys-path DIR] [--verify-before-release]\n"
    "  containerd stream processor: ciphertext on stdin, plaintext on stdout, payload on fd 3\n";

int Fail(absl::string_view message) {
  std::string line(message);
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  line.push_back('\n');
  (void)!write(STDERR_FILENO, line.data(), line.size());
  return 1;
}

// containerd 1.6 collects our exit status in a goroutine that races with its reader reaching EOF
// on stdout (fixed upstream in 1.7). When EOF wins, the unpack ends with "wrong diff id" and this
// process's message never reaches the pull error. So on failure a short-lived child keeps only
// stdout open until containerd has had time to reap us and record stderr, then lets EOF through.
void HoldStdoutPastExit() {
  const pid_t pid = fork();
  if (pid != 0) return;  // the parent exits with its status; a failed fork changes nothing
  close(STDIN_FILENO);
  close(STDERR_FILENO);  // containerd's Wait returns only once every stderr writer is gone
  for (int fd = 3; fd < 1024; ++fd) close(fd);
  pollfd p{.fd = STDOUT_FILENO, .events = 0, .revents = 0};
  (void)poll(&p, 1, /*timeout_ms=*/300);  // returns early if containerd closes the pipe
  _exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  cocoon::cdh::StreamDecoderOptions opts;
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    if (arg == "--decryption-keys-path" || arg == "-decryption-keys-path") {
      if (i + 1 >= argc) return Fail("--decryption-keys-path needs a directory");
      opts.keys_path = argv[++i];
    } else if (absl::StartsWith(arg, "--decryption-keys-path=")) {
      opts.keys_path = std::string(arg.substr(strlen("--decryption-keys-path=")));
    } else if (arg == "--verify-before-release") {
      opts.verify_before_release = true;
    } else if (arg == "--help" || arg == "-h") {
      fputs(kUsage, stdout);
      return 0;
    } else {
      return Fail(absl::StrCat("unknown argument \"", arg.substr(0, 64), "\"; ",
                               "usage: ctd-decoder [--decryption-keys-path DIR] "
                               "[--verify-before-release]"));
    }
  }
  if (const char* mt = std::getenv("STREAM_PROCESSOR_MEDIATYPE")) opts.stream_media_type = mt;
  // containerd closes our stdout when it no longer wants data; report that as an error status
  // instead of dying from SIGPIPE without a message.
  signal(SIGPIPE, SIG_IGN);
  absl::Status s =
      cocoon::cdh::RunStreamDecoder(opts, cocoon::cdh::kPayloadFd, STDIN_FILENO, STDOUT_FILENO);
  if (!s.ok()) {
    const int rc = Fail(s.message());
    HoldStdoutPastExit();
    return rc;
  }
  return 0;
}
