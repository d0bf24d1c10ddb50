#include "ocicrypt/keyprovider_cmd.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "ocicrypt/keyprovider_protocol.h"

extern char** environ;

namespace cocoon::ocicrypt {
namespace {

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Close(); }
  int get() const { return fd_; }
  int* out() { return &fd_; }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

absl::Status SpawnError(int err, absl::string_view path) {
  const std::string msg =
      absl::StrCat("Error while running command: ", path, ": ", std::strerror(err));
  if (err == ENOENT) return absl::NotFoundError(msg);
  if (err == EACCES) return absl::PermissionDeniedError(msg);
  return absl::InternalError(msg);
}

void SetNonBlocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// Kills the child's process group and reaps the child.
void KillAndReap(pid_t pid) {
  ::kill(-pid, SIGKILL);
  ::kill(pid, SIGKILL);
  int status;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

std::string ExitText(int status) {
  if (WIFEXITED(status)) return absl::StrCat("exit status ", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const char* name = ::strsignal(WTERMSIG(status));
    return absl::StrCat("signal: ",
                        name != nullptr ? absl::AsciiStrToLower(name) : std::string("unknown"));
  }
  return absl::StrCat("wait status ", status);
}

}  // namespace

absl::StatusOr<std::string> RunKeyProviderCommand(const KeyProviderCmd& cmd,
                                                  absl::string_view input,
                                                  const CommandLimits& limits,
                                                  absl::Span<const absl::string_view> redact) {
  if (cmd.path.empty()) {
    return absl::InvalidArgumentError("Error while running command: the cmd path is empty");
  }
  const absl::Time deadline = absl::Now() + limits.timeout;

  // stdin is a socket so that writing to a child that has gone away gives EPIPE without SIGPIPE.
  int in_pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in_pair) != 0) {
    return SpawnError(errno, cmd.path);
  }
  Fd in_parent(in_pair[0]), in_child(in_pair[1]);
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return SpawnError(errno, cmd.path);
  Fd out_parent(out_pipe[0]), out_child(out_pipe[1]);
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) return SpawnError(errno, cmd.path);
  Fd err_parent(err_pipe[0]), err_child(err_pipe[1]);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_child.get(), 0);
  posix_spawn_file_actions_adddup2(&actions, out_child.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err_child.get(), 2);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t empty_mask, default_signals;
  sigemptyset(&empty_mask);
  sigemptyset(&default_signals);
  sigaddset(&default_signals, SIGPIPE);
  posix_spawnattr_setsigmask(&attr, &empty_mask);
  posix_spawnattr_setsigdefault(&attr, &default_signals);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(cmd.path.c_str()));
  for (const std::string& a : cmd.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, cmd.path.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return SpawnError(rc, cmd.path);
  in_child.Close();
  out_child.Close();
  err_child.Close();
  SetNonBlocking(in_parent.get());
  SetNonBlocking(out_parent.get());
  SetNonBlocking(err_parent.get());

  std::string out, err;
  bool err_truncated = false;
  size_t written = 0;
  if (input.empty()) in_parent.Close();
  char buf[65536];
  absl::Status failure;
  while (out_parent.get() >= 0 || err_parent.get() >= 0) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      failure = absl::DeadlineExceededError(
          absl::StrCat("Error while running command: ", cmd.path, ": no reply within ",
                       absl::FormatDuration(limits.timeout), "; the process was killed"));
      break;
    }
    pollfd fds[3];
    nfds_t n = 0;
    int in_idx = -1, out_idx = -1, err_idx = -1;
    if (in_parent.get() >= 0) {
      in_idx = static_cast<int>(n);
      fds[n++] = {in_parent.get(), POLLOUT, 0};
    }
    if (out_parent.get() >= 0) {
      out_idx = static_cast<int>(n);
      fds[n++] = {out_parent.get(), POLLIN, 0};
    }
    if (err_parent.get() >= 0) {
      err_idx = static_cast<int>(n);
      fds[n++] = {err_parent.get(), POLLIN, 0};
    }
    const int64_t wait_ms = absl::ToInt64Milliseconds(left) + 1;
    const int pr = ::poll(fds, n, static_cast<int>(std::min<int64_t>(wait_ms, 1000)));
    if (pr < 0) {
      if (errno == EINTR) continue;
      failure = SpawnError(errno, cmd.path);
      break;
    }
    if (in_idx >= 0 && fds[in_idx].revents != 0) {
      const ssize_t w = ::send(in_parent.get(), input.data() + written, input.size() - written,
                               MSG_NOSIGNAL | MSG_DONTWAIT);
      if (w > 0) written += static_cast<size_t>(w);
      // A child that exits without reading its input is not an error by itself (as in Go).
      if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == input.size()) {
        in_parent.Close();
      }
    }
    if (out_idx >= 0 && fds[out_idx].revents != 0) {
      const ssize_t r = ::read(out_parent.get(), buf, sizeof(buf));
      if (r > 0) {
        if (out.size() + static_cast<size_t>(r) > limits.max_stdout) {
          SecureZero(buf, sizeof(buf));
          failure = absl::ResourceExhaustedError(
              absl::StrCat("Error while running command: ", cmd.path, ": output exceeds ",
                           limits.max_stdout, " bytes; the process was killed"));
          break;
        }
        if (out.capacity() < out.size() + static_cast<size_t>(r)) {
          // Grow by hand so that no freed buffer keeps a copy of the reply.
          std::string bigger;
          bigger.reserve(std::max(out.capacity() * 2, out.size() + static_cast<size_t>(r)));
          bigger.append(out);
          WipeString(&out);
          out.swap(bigger);
        }
        out.append(buf, static_cast<size_t>(r));
      } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
        out_parent.Close();
      }
    }
    if (err_idx >= 0 && fds[err_idx].revents != 0) {
      const ssize_t r = ::read(err_parent.get(), buf, sizeof(buf));
      if (r > 0) {
        const size_t room = limits.max_stderr_kept - std::min(err.size(), limits.max_stderr_kept);
        err.append(buf, std::min(room, static_cast<size_t>(r)));
        if (static_cast<size_t>(r) > room) err_truncated = true;
      } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
        err_parent.Close();
      }
    }
  }
  SecureZero(buf, sizeof(buf));
  in_parent.Close();
  out_parent.Close();
  err_parent.Close();

  if (!failure.ok()) {
    KillAndReap(pid);
    WipeString(&out);
    return failure;
  }

  // Both output streams are closed; wait for the exit, still within the deadline.
  int status = 0;
  for (;;) {
    const pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) {
      WipeString(&out);
      return SpawnError(errno, cmd.path);
    }
    if (absl::Now() >= deadline) {
      KillAndReap(pid);
      WipeString(&out);
      return absl::DeadlineExceededError(
          absl::StrCat("Error while running command: ", cmd.path, ": did not exit within ",
                       absl::FormatDuration(limits.timeout), "; the process was killed"));
    }
    absl::SleepFor(absl::Milliseconds(2));
  }

  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    WipeString(&out);
    for (absl::string_view secret : redact) {
      if (!secret.empty()) absl::StrReplaceAll({{secret, "[redacted]"}}, &err);
    }
    if (err_truncated) err.append("...");
    return absl::UnavailableError(absl::StrCat("Error while running command: ", cmd.path,
                                               ". stderr: ", err, ": ", ExitText(status)));
  }
  return out;
}

}  // namespace cocoon::ocicrypt
