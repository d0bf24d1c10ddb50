// kbs_load: full key-release flows (auth + attest + resource, sample TEE, EC P-256 TEE key)
// from N concurrent clients against a kbs process on 127.0.0.1, plus slow clients that trickle
// bytes. Reports flows/s, latency percentiles, CPU per flow and the server's resident size over
// time.
//
//   kbs_load [--clients 32] [--duration 30] [--slow 0] [--rate 0] [--curl] [--no-batch]
//            [--kbs PATH | --url http(s)://host:port [--cert-file CA.pem]]
//
// --rate 0 (closed loop): each client starts its next flow as soon as the last one ends, which
// measures the most the machine can do; the mean latency is then clients / throughput by
// construction (Little's law). --rate R (open loop): the clients together start R flows per
// second on a fixed schedule, and a flow's latency counts from its scheduled start, so time a
// client spent behind schedule is included (no coordinated omission). That measures the latency
// a fleet asking for R flows/s sees.
//
// The flows run through KbsClient (the library kbs-client and the CDH use) with a minimal
// keep-alive HTTP transport; --curl uses the library's default libcurl transport instead, which
// costs about 0.24 ms more client CPU per flow on this machine. https:// URLs always use libcurl.
//
// The client threads run under SCHED_BATCH (no privilege needed): the scheduler then lets a
// woken client wait for the end of the running thread's slice instead of preempting the server,
// as it would if the clients were on other machines. Their own work still counts in the
// latency. --no-batch leaves them in the normal policy; with 32 busy client threads on two
// cores the closed-loop tail then mostly measures the scheduler's rotation among them.
//
// Slow clients send a partial request and then one byte a second; when the server cuts one off
// (its header deadline), it reconnects at once, so the pressure stays on for the whole run.
// Without --url it starts the kbs binary with a throw-away config (admin open, memory storage)
// and stops it at the end.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/file_util.h"
#include "crypto/keys.h"
#include "kbs/client.h"
#include "kbs/policy_engine.h"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;

long RssKib(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      long v = 0;
      (void)absl::SimpleAtoi(absl::StripAsciiWhitespace(line.substr(6, line.size() - 9)), &v);
      return v;
    }
  }
  return -1;
}

// utime + stime of `pid`, in clock ticks.
long CpuTicks(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t paren = text.rfind(')');
  if (paren == std::string::npos) return -1;
  std::vector<std::string> fields = absl::StrSplit(text.substr(paren + 2), ' ');
  long utime = 0, stime = 0;
  if (fields.size() < 13 || !absl::SimpleAtoi(fields[11], &utime) ||
      !absl::SimpleAtoi(fields[12], &stime)) {
    return -1;
  }
  return utime + stime;
}

double CpuSeconds(const rusage& r) {
  return r.ru_utime.tv_sec + r.ru_stime.tv_sec + (r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

int Connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// A keep-alive HTTP/1.1 client on one socket, plain HTTP only: all the load generator needs, at
// a fraction of libcurl's CPU per request. With the client and the server on the same two cores,
// every microsecond the client spends is one the server does not get (--curl measures that).
class RawHttp {
 public:
  RawHttp(int port, size_t base_len) : port_(port), base_len_(base_len) {}
  RawHttp(const RawHttp&) = delete;
  RawHttp& operator=(const RawHttp&) = delete;
  ~RawHttp() { Drop(); }

  absl::StatusOr<cocoon::kbs::KbsHttpReply> Exchange(const cocoon::kbs::KbsHttpExchange& x) {
    std::string req =
        absl::StrCat(x.method, " ", x.url.substr(base_len_), " HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    for (const auto& [name, value] : x.headers) absl::StrAppend(&req, name, ": ", value, "\r\n");
    if (x.method != "GET") absl::StrAppend(&req, "Content-Length: ", x.body.size(), "\r\n");
    req += "\r\n";
    req.append(x.body.data(), x.body.size());
    // A second try only when a kept-alive connection turns out to be closed before any answer.
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (fd_ < 0) {
        if ((fd_ = Connect(port_)) < 0) return absl::UnavailableError("connect failed");
        const int one = 1;
        setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      }
      bool answered = false;
      absl::StatusOr<cocoon::kbs::KbsHttpReply> reply =
          WriteAll(req) ? Read(&answered) : absl::UnavailableError("write failed");
      if (reply.ok() || answered) return reply;
      Drop();
    }
    return absl::UnavailableError("connection closed before an answer");
  }

 private:
  void Drop() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

  bool WriteAll(absl::string_view data) {
    while (!data.empty()) {
      const ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  absl::StatusOr<cocoon::kbs::KbsHttpReply> Read(bool* answered) {
    std::string in;
    char buf[16384];
    size_t head_end;
    while ((head_end = in.find("\r\n\r\n")) == std::string::npos) {
      const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) return absl::UnavailableError("connection closed");
      *answered = true;
      in.append(buf, static_cast<size_t>(n));
    }
    cocoon::kbs::KbsHttpReply reply;
    size_t length = 0;
    bool close_after = false;
    std::vector<absl::string_view> lines =
        absl::StrSplit(absl::string_view(in).substr(0, head_end), "\r\n");
    if (lines.empty() || lines[0].size() < 12 ||
        !absl::SimpleAtoi(lines[0].substr(9, 3), &reply.status)) {
      Drop();
      return absl::DataLossError("bad status line");
    }
    for (size_t i = 1; i < lines.size(); ++i) {
      const size_t colon = lines[i].find(':');
      if (colon == absl::string_view::npos) continue;
      const absl::string_view name = lines[i].substr(0, colon);
      const absl::string_view value = absl::StripAsciiWhitespace(lines[i].substr(colon + 1));
      if (absl::EqualsIgnoreCase(name, "content-length")) {
        (void)absl::SimpleAtoi(value, &length);
      } else if (absl::EqualsIgnoreCase(name, "set-cookie")) {
        reply.set_cookies.emplace_back(value);
      } else if (absl::EqualsIgnoreCase(name, "connection") &&
                 absl::EqualsIgnoreCase(value, "close")) {
        close_after = true;
      }
    }
    reply.body = in.substr(head_end + 4);
    while (reply.body.size() < length) {
      const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) {
        Drop();
        return absl::DataLossError("connection closed inside the body");
      }
      reply.body.append(buf, static_cast<size_t>(n));
    }
    if (close_after) Drop();
    return reply;
  }

  int port_;
  size_t base_len_;
  int fd_ = -1;
};

}  // namespace

int main(int argc, char** argv) {
  int clients = 32, duration = 30, slow = 0;
  bool use_curl = false;
  bool batch = true;
  std::string cert_file;
  double rate = 0;
  std::string kbs_bin = KBS_BIN_PATH, url;
  for (int i = 1; i < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--curl" || flag == "--no-batch") {  // the flags without a value
      if (flag == "--curl") use_curl = true;
      if (flag == "--no-batch") batch = false;
      --i;
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "flag %s needs a value\n", flag.c_str());
      return 2;
    }
    const std::string value = argv[i + 1];
    if (flag == "--clients") {
      clients = std::stoi(value);
    } else if (flag == "--duration") {
      duration = std::stoi(value);
    } else if (flag == "--slow") {
      slow = std::stoi(value);
    } else if (flag == "--rate") {
      rate = std::stod(value);
    } else if (flag == "--kbs") {
      kbs_bin = value;
    } else if (flag == "--url") {
      url = value;
    } else if (flag == "--cert-file") {
      cert_file = value;
    } else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  signal(SIGPIPE, SIG_IGN);

  pid_t kbs_pid = -1;
  std::string work;
  if (url.empty()) {
    auto dir = cocoon::MakeTempDir("/tmp/kbs_load_");
    if (!dir.ok()) return 1;
    work = *dir;
    const std::string config = absl::StrCat(work, "/kbs.toml");
    (void)cocoon::WriteFileAtomic(config, R"([http_server]
sockets = ["127.0.0.1:0"]
insecure_http = true
[admin]
authorization_mode = "InsecureAllowAll"
[[plugins]]
name = "resource"
)");
    const std::string listen = absl::StrCat(work, "/addr");
    std::vector<std::string> args = {kbs_bin, "--config-file", config, "--listen-file",
                                     listen,  "--log-level",   "warn"};
    std::vector<char*> cargv;
    for (std::string& a : args) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    if (posix_spawn(&kbs_pid, kbs_bin.c_str(), nullptr, nullptr, cargv.data(), environ) != 0) {
      std::fprintf(stderr, "cannot start %s\n", kbs_bin.c_str());
      return 1;
    }
    for (int i = 0; i < 100 && url.empty(); ++i) {
      auto text = cocoon::ReadFile(listen);
      if (text.ok() && !text->empty()) {
        url = absl::StrCat("http://", absl::StripTrailingAsciiWhitespace(*text));
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
    if (url.empty()) {
      std::fprintf(stderr, "kbs did not start\n");
      return 1;
    }
  }
  const int port = std::stoi(url.substr(url.rfind(':') + 1));

  cocoon::kbs::KbsClientOptions options;
  options.url = url;
  options.cert_file = cert_file;
  // The raw transport speaks plain HTTP only.
  if (absl::StartsWith(url, "https://")) use_curl = true;
  {
    auto admin = cocoon::kbs::KbsClient::Create(options);
    if (!admin.ok() ||
        !(*admin)->SetResource("default/image_key/bench", "0123456789abcdef", "").ok() ||
        !(*admin)->SetResourcePolicy(cocoon::kbs::AllowAllResourcePolicy(), "").ok()) {
      std::fprintf(stderr, "setup failed (is the admin API open?)\n");
      return 1;
    }
  }

  // Slow clients: connect, send part of a request, then one byte every second.
  std::atomic<bool> stop{false};
  std::atomic<long> slow_cut{0};
  std::vector<int> slow_fds;
  auto slow_connect = [&] {
    int fd = Connect(port);
    if (fd >= 0 && write(fd, "POST /kbs/v0/auth HTTP/1.1\r\nHost: x\r\n", 37) <= 0) {
      close(fd);
      fd = -1;
    }
    return fd;
  };
  for (int i = 0; i < slow; ++i) {
    const int fd = slow_connect();
    if (fd >= 0) slow_fds.push_back(fd);
  }
  std::thread trickle([&] {
    while (!stop) {
      for (int& fd : slow_fds) {
        char c;
        if (send(fd, "X", 1, MSG_NOSIGNAL) <= 0 || recv(fd, &c, 1, MSG_DONTWAIT) == 0) {
          ++slow_cut;
          close(fd);
          fd = slow_connect();
        }
      }
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  });

  std::atomic<long> flows{0}, errors{0};
  std::mutex mu;
  std::vector<double> latencies_ms;
  rusage self_before{};
  getrusage(RUSAGE_SELF, &self_before);
  const long server_ticks_before = kbs_pid > 0 ? CpuTicks(kbs_pid) : -1;
  const auto start = Clock::now();
  const auto end = start + std::chrono::seconds(duration);
  // Open loop: client c starts flows at start + (c + k * clients) / rate.
  const auto interval = rate > 0 ? std::chrono::duration_cast<Clock::duration>(
                                       std::chrono::duration<double>(clients / rate))
                                 : Clock::duration::zero();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      if (batch) {
        // SCHED_BATCH: a woken client does not preempt the server (see the header comment).
        sched_param param{};
        param.sched_priority = 0;
        pthread_setschedparam(pthread_self(), SCHED_BATCH, &param);
      }
      RawHttp raw(port, url.size());
      cocoon::kbs::KbsClientOptions client_options = options;
      if (!use_curl) {
        client_options.transport = [&raw](const cocoon::kbs::KbsHttpExchange& x) {
          return raw.Exchange(x);
        };
      }
      auto client = cocoon::kbs::KbsClient::Create(client_options);
      auto key = cocoon::crypto::PrivateKey::Generate(cocoon::crypto::KeyType::kEcP256);
      if (!client.ok() || !key.ok()) return;
      const cocoon::kbs::Attester attester = cocoon::kbs::SampleAttester();
      std::vector<double> local;
      local.reserve(1 << 16);
      auto next = start + (rate > 0 ? interval * c / clients : Clock::duration::zero());
      while (Clock::now() < end) {
        if (rate > 0) {
          std::this_thread::sleep_until(next);
          if (next >= end) break;
        }
        const auto t0 = rate > 0 ? next : Clock::now();
        next += interval;
        (*client)->ResetSession();
        auto secret = (*client)->GetResource("default/image_key/bench", attester, *key);
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        if (secret.ok() && secret->size() == 16) {
          ++flows;
          local.push_back(ms);
        } else {
          if (errors++ < 3) {
            std::fprintf(
                stderr, "flow failed: %s\n",
                secret.ok() ? "wrong size" : std::string(secret.status().message()).c_str());
          }
        }
      }
      std::lock_guard<std::mutex> lock(mu);
      latencies_ms.insert(latencies_ms.end(), local.begin(), local.end());
    });
  }

  std::vector<long> rss;
  while (Clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    if (kbs_pid > 0) {
      rss.push_back(RssKib(kbs_pid));
      std::fprintf(stderr, "t=%2zus flows=%ld rss=%ld KiB\n", rss.size(), flows.load(), rss.back());
    }
  }
  for (auto& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  rusage self_after{};
  getrusage(RUSAGE_SELF, &self_after);
  const long server_ticks = kbs_pid > 0 ? CpuTicks(kbs_pid) - server_ticks_before : -1;

  // One more flow while the slow clients are still connected.
  bool served_during_slow = true;
  if (!slow_fds.empty()) {
    auto client = cocoon::kbs::KbsClient::Create(options);
    auto key = cocoon::crypto::PrivateKey::Generate(cocoon::crypto::KeyType::kEcP256);
    const auto t0 = Clock::now();
    served_during_slow =
        client.ok() && key.ok() &&
        (*client)
            ->GetResource("default/image_key/bench", cocoon::kbs::SampleAttester(), *key)
            .ok() &&
        Clock::now() - t0 < std::chrono::seconds(2);
  }
  stop = true;
  trickle.join();
  for (int fd : slow_fds) close(fd);

  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto pct = [&](double p) {
    if (latencies_ms.empty()) return 0.0;
    return latencies_ms[std::min(latencies_ms.size() - 1,
                                 static_cast<size_t>(p * latencies_ms.size()))];
  };
  std::printf("clients=%d duration=%.1fs slow_clients=%zu mode=%s client_http=%s client_sched=%s\n",
              clients, seconds, slow_fds.size(),
              rate > 0 ? absl::StrCat("open loop at ", rate, " flows/s").c_str() : "closed loop",
              use_curl ? "libcurl" : "raw keep-alive", batch ? "SCHED_BATCH" : "normal");
  std::printf("flows=%ld errors=%ld throughput=%.0f flows/s\n", flows.load(), errors.load(),
              flows / seconds);
  std::printf("latency ms: p50=%.2f p90=%.2f p99=%.2f max=%.2f\n", pct(0.50), pct(0.90), pct(0.99),
              latencies_ms.empty() ? 0.0 : latencies_ms.back());
  const double client_cpu = CpuSeconds(self_after) - CpuSeconds(self_before);
  if (flows > 0) {
    std::printf("cpu per flow ms: client=%.3f", 1000 * client_cpu / flows);
    if (server_ticks >= 0) {
      std::printf(" server=%.3f", 1000.0 * server_ticks / sysconf(_SC_CLK_TCK) / flows);
    }
    std::printf("\n");
  }
  if (!rss.empty()) {
    const size_t tenth = rss.size() / 10;
    std::printf("server RSS KiB: at 10%%=%ld max=%ld end=%ld\n", rss[tenth],
                *std::max_element(rss.begin(), rss.end()), rss.back());
    if (rss.size() >= 120) {
      std::printf("server RSS KiB each minute:");
      for (size_t i = 59; i < rss.size(); i += 60) std::printf(" %ld", rss[i]);
      std::printf("\n");
    }
  }
  if (!slow_fds.empty()) {
    std::printf(
        "flow with %zu slow clients connected: %s; slow connections cut by the server: %ld\n",
        slow_fds.size(), served_during_slow ? "served" : "FAILED", slow_cut.load());
  }
  if (kbs_pid > 0) {
    kill(kbs_pid, SIGTERM);
    int status;
    waitpid(kbs_pid, &status, 0);
    (void)cocoon::RemoveAll(work);
  }
  return errors == 0 && served_during_slow ? 0 : 1;
}
