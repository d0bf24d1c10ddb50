#include "cli/doctor.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/file_util.h"
#include "base/json.h"
#include "base/toml_json.h"
#include "cli/node_configure.h"

namespace cocoon::cli {
namespace {

constexpr absl::string_view kDefaultContainerdSocket = "/run/containerd/containerd.sock";
constexpr absl::string_view kAltAaSocketPath = "/run/attestation-agent/attestation-agent.sock";
constexpr absl::string_view kOfflineResources = "/etc/aa-offline_fs_kbc-resources.json";
constexpr absl::string_view kOfflineKeys = "/etc/aa-offline_fs_kbc-keys.json";
constexpr absl::string_view kDefaultPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::string_view Std(absl::string_view s) { return std::string_view(s.data(), s.size()); }

std::string Rooted(const std::string& root, absl::string_view path) {
  std::string r = root;
  while (!r.empty() && r.back() == '/') r.pop_back();
  return absl::StrCat(r, path);
}

std::string ErrnoText(int err) { return std::strerror(err); }

CheckResult Make(absl::string_view name, CheckStatus status, std::string reason,
                 std::string fix = "") {
  return CheckResult{std::string(name), status, std::move(reason), std::move(fix)};
}

// ---- sockets ---------------------------------------------------------------------------------

// Connects to a unix socket; "" on success, else the reason.
std::string ConnectUnix(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return absl::StrCat(path, ": ", ErrnoText(errno));
  if (!S_ISSOCK(st.st_mode)) return absl::StrCat(path, " exists but is not a socket");
  sockaddr_un addr{};
  if (path.size() >= sizeof(addr.sun_path)) return absl::StrCat(path, ": path too long");
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::StrCat("socket: ", ErrnoText(errno));
  int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  int err = errno;
  ::close(fd);
  if (rc != 0) return absl::StrCat("connect ", path, ": ", ErrnoText(err));
  return "";
}

// Connects to host:port within `timeout_ms`; "" on success, else the reason.
std::string ConnectTcp(absl::string_view hostport, int timeout_ms) {
  std::string host;
  std::string port;
  if (absl::StartsWith(hostport, "[")) {
    const size_t close = hostport.find("]:");
    if (close == absl::string_view::npos) return absl::StrCat("bad address ", hostport);
    host = std::string(hostport.substr(1, close - 1));
    port = std::string(hostport.substr(close + 2));
  } else {
    const size_t colon = hostport.rfind(':');
    if (colon == absl::string_view::npos) return absl::StrCat("no port in ", hostport);
    host = std::string(hostport.substr(0, colon));
    port = std::string(hostport.substr(colon + 1));
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    return absl::StrCat("resolve ", hostport, ": ", gai_strerror(rc));
  }
  std::string last = absl::StrCat("no address for ", hostport);
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) continue;
    int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd pfd{fd, POLLOUT, 0};
      rc = ::poll(&pfd, 1, timeout_ms);
      if (rc == 0) {
        last = absl::StrCat("connect ", hostport, ": timed out after ", timeout_ms, " ms");
        ::close(fd);
        continue;
      }
      int soerr = 0;
      socklen_t len = sizeof(soerr);
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
      rc = soerr == 0 ? 0 : -1;
      errno = soerr;
    }
    const int err = errno;
    ::close(fd);
    if (rc == 0) {
      ::freeaddrinfo(res);
      return "";
    }
    last = absl::StrCat("connect ", hostport, ": ", ErrnoText(err));
  }
  ::freeaddrinfo(res);
  return last;
}

// A keyprovider/CDH address: "unix:///path", "/path" or "host:port".
std::string ConnectAddress(const std::string& root, absl::string_view address, int timeout_ms) {
  absl::string_view a = address;
  if (absl::ConsumePrefix(&a, "unix://") || absl::StartsWith(a, "/")) {
    return ConnectUnix(Rooted(root, a));
  }
  return ConnectTcp(a, timeout_ms);
}

// ---- files -----------------------------------------------------------------------------------

struct GroupEntry {
  gid_t gid = 0;
  std::vector<std::string> members;
};

std::optional<GroupEntry> FindGroup(const std::string& root, absl::string_view name) {
  auto text = ReadFile(Rooted(root, "/etc/group"), 4 << 20);
  if (!text.ok()) return std::nullopt;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    std::vector<absl::string_view> f = absl::StrSplit(line, ':');
    if (f.size() < 3 || f[0] != name) continue;
    GroupEntry g;
    uint32_t gid = 0;
    if (!absl::SimpleAtoi(f[2], &gid)) return std::nullopt;
    g.gid = gid;
    if (f.size() > 3 && !f[3].empty()) {
      for (absl::string_view m : absl::StrSplit(f[3], ',')) g.members.emplace_back(m);
    }
    return g;
  }
  return std::nullopt;
}

bool IsExecutable(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// Finds the first of `names` in the search path; returns the rooted path or "".
std::string FindBinary(const DoctorOptions& o, const std::vector<std::string>& names) {
  std::string path = o.path_env;
  if (path.empty()) {
    const char* env = std::getenv("PATH");
    path = env != nullptr && *env != '\0' ? env : std::string(kDefaultPath);
  }
  std::vector<std::string> dirs = absl::StrSplit(path, ':', absl::SkipEmpty());
  dirs.push_back("/usr/local/bin");
  for (const std::string& name : names) {
    for (const std::string& d : dirs) {
      const std::string candidate = Rooted(o.root, absl::StrCat(d, "/", name));
      if (IsExecutable(candidate)) return candidate;
    }
  }
  return "";
}

// ---- HTTP ------------------------------------------------------------------------------------

size_t CollectBody(char* data, size_t size, size_t n, void* user) {
  auto* out = static_cast<std::string*>(user);
  const size_t len = size * n;
  if (out->size() + len > (64u << 10)) return 0;  // a challenge is tiny; refuse anything huge
  out->append(data, len);
  return len;
}

struct HttpResult {
  std::string error;  // transport failure; empty when a response arrived
  long status = 0;
  std::string body;
};

// `ca_pem`: extra trust anchors for an https URL (the CDH's kbc.kbs_cert), or "".
HttpResult PostJson(const std::string& url, const std::string& body, int timeout_ms,
                    const std::string& ca_pem) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  HttpResult r;
  CURL* curl = curl_easy_init();
  if (curl == nullptr) {
    r.error = "curl_easy_init failed";
    return r;
  }
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout_ms));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, CollectBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  if (!ca_pem.empty()) {
    curl_blob blob{const_cast<char*>(ca_pem.data()), ca_pem.size(), CURL_BLOB_COPY};
    curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &blob);
  }
  CURLcode rc = curl_easy_perform(curl);
  if (rc != CURLE_OK) {
    r.error = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
  } else {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.status);
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return r;
}

// ---- state shared between checks -------------------------------------------------------------

struct Context {
  const DoctorOptions& o;
  // containerd
  std::optional<toml::table> containerd;
  std::string containerd_path;
  std::string processor_keyprovider;  // OCICRYPT_KEYPROVIDER_CONFIG from a processor env
  std::string decoder_path;           // the gzip processor's path
  // CDH
  bool cdh_loaded = false;
  std::string cdh_error;
  std::string cdh_path;
  std::string kbc_name;
  std::string kbc_url;
  std::string kbc_cert;  // kbc.kbs_cert (PEM), "" when absent
  std::string offline_resources_file = std::string(kOfflineResources);
  std::string offline_keys_file = std::string(kOfflineKeys);
  std::string cdh_socket;
  std::string cdh_aa_socket;
  // AA
  std::string aa_kbs_url;
  // keyprovider
  std::string keyprovider_grpc;

  explicit Context(const DoctorOptions& options) : o(options) {}
};

void LoadCdh(Context& c) {
  c.cdh_path = c.o.cdh_config.empty() ? Rooted(c.o.root, kCdhConfigPath) : c.o.cdh_config;
  auto text = ReadFile(c.cdh_path, 1 << 20);
  if (!text.ok()) {
    c.cdh_error = std::string(text.status().message());
    return;
  }
  // The data hub picks JSON or TOML by extension; so does this check.
  absl::StatusOr<Json> j = ParseConfigTree(*text, absl::EndsWithIgnoreCase(c.cdh_path, ".toml"),
                                           c.cdh_path, kMaxJsonDepth);
  if (!j.ok()) {
    c.cdh_error = std::string(j.status().message());
    return;
  }
  if (!j->is_object()) {
    c.cdh_error = "CDH config: not a JSON object";
    return;
  }
  c.cdh_loaded = true;
  const Json& v = *j;
  if (v.contains("socket") && v["socket"].is_string()) c.cdh_socket = v["socket"];
  if (v.contains("kbc") && v["kbc"].is_object()) {
    const Json& k = v["kbc"];
    if (k.contains("name") && k["name"].is_string()) c.kbc_name = k["name"];
    if (k.contains("url") && k["url"].is_string()) c.kbc_url = k["url"];
    if (k.contains("kbs_cert") && k["kbs_cert"].is_string()) c.kbc_cert = k["kbs_cert"];
    if (k.contains("offline_fs_resources_file") && k["offline_fs_resources_file"].is_string()) {
      c.offline_resources_file = k["offline_fs_resources_file"];
    }
    if (k.contains("offline_fs_keys_file") && k["offline_fs_keys_file"].is_string()) {
      c.offline_keys_file = k["offline_fs_keys_file"];
    }
  }
  if (v.contains("aa") && v["aa"].is_object() && v["aa"].contains("aa_socket") &&
      v["aa"]["aa_socket"].is_string()) {
    c.cdh_aa_socket = v["aa"]["aa_socket"];
  }
}

// ---- checks ----------------------------------------------------------------------------------

CheckResult CheckTdx(Context& c) {
  constexpr absl::string_view kName = "tdx-guest";
  if (c.o.tee == "sample") return Make(kName, CheckStatus::kSkip, "--tee sample: no TEE needed");
  std::vector<std::string> found;
  struct stat st;
  if (::stat(Rooted(c.o.root, "/sys/kernel/config/tsm/report").c_str(), &st) == 0) {
    found.push_back("configfs-tsm report interface");
  }
  if (::stat(Rooted(c.o.root, "/dev/tdx_guest").c_str(), &st) == 0) {
    found.push_back("/dev/tdx_guest");
  }
  if (auto cpuinfo = ReadFile(Rooted(c.o.root, "/proc/cpuinfo"), 16 << 20); cpuinfo.ok()) {
    for (absl::string_view line : absl::StrSplit(*cpuinfo, '\n')) {
      if (!absl::StartsWith(line, "flags")) continue;
      std::vector<absl::string_view> words = absl::StrSplit(line, ' ', absl::SkipEmpty());
      if (std::find(words.begin(), words.end(), "tdx_guest") != words.end()) {
        found.push_back("cpuinfo flag tdx_guest");
      }
      break;
    }
  }
  if (!found.empty()) {
    return Make(kName, CheckStatus::kOk, absl::StrCat("TDX guest: ", absl::StrJoin(found, ", ")));
  }
  if (c.o.tee == "az-tdx-vtpm") {
    return Make(kName, CheckStatus::kWarn,
                "no TDX indicator (configfs-tsm, /dev/tdx_guest, cpuinfo tdx_guest); on Azure the "
                "paravisor can hide them, the vTPM and a test attestation are what count",
                "check that `dmesg | grep 'Memory Encryption Features active'` names Intel TDX and "
                "that the VM is a DCesv5/DCedsv5 confidential VM; run `cocoon doctor --attest`");
  }
  return Make(
      kName, CheckStatus::kFail,
      "no TDX guest interface: neither configfs-tsm (/sys/kernel/config/tsm/report), "
      "/dev/tdx_guest nor the cpuinfo flag tdx_guest",
      "boot a TDX guest with a kernel that has CONFIG_TDX_GUEST_DRIVER and CONFIG_TSM_REPORTS "
      "and mount configfs (`mount -t configfs none /sys/kernel/config`)");
}

CheckResult CheckVtpm(Context& c) {
  constexpr absl::string_view kName = "vtpm-devices";
  if (c.o.tee != "az-tdx-vtpm") {
    return Make(kName, CheckStatus::kSkip, absl::StrCat("--tee ", c.o.tee, " does not use a vTPM"));
  }
  const std::string rm = Rooted(c.o.root, "/dev/tpmrm0");
  const std::string raw = Rooted(c.o.root, "/dev/tpm0");
  struct stat st;
  if (::stat(rm.c_str(), &st) != 0) {
    return Make(kName, CheckStatus::kFail, absl::StrCat(rm, " missing: no vTPM resource manager"),
                "use an Azure confidential VM (DCesv5/DCedsv5) with vTPM enabled "
                "(--enable-vtpm true) and a kernel with the tpm_crb driver");
  }
  if (!S_ISCHR(st.st_mode)) {
    return Make(kName, CheckStatus::kFail, absl::StrCat(rm, " is not a character device"),
                "remove the stray file and reboot so udev recreates the device node");
  }
  std::string reason = absl::StrFormat("%s (mode %04o, gid %d)", rm, st.st_mode & 07777, st.st_gid);
  const bool rw = ::access(rm.c_str(), R_OK | W_OK) == 0;
  absl::StrAppend(&reason, rw ? ", read-write for this user" : ", not accessible to this user");
  if (::stat(raw.c_str(), &st) != 0 || !S_ISCHR(st.st_mode)) {
    return Make(
        kName, CheckStatus::kWarn, absl::StrCat(reason, "; ", raw, " missing"),
        "the attester uses tpmrm0; a missing tpm0 points at an unusual kernel or udev set-up");
  }
  return Make(kName, CheckStatus::kOk, absl::StrCat(reason, "; ", raw, " present"));
}

CheckResult CheckTss(Context& c) {
  constexpr absl::string_view kName = "tss-group";
  if (c.o.tee != "az-tdx-vtpm") {
    return Make(kName, CheckStatus::kSkip, absl::StrCat("--tee ", c.o.tee, " does not use a vTPM"));
  }
  auto tss = FindGroup(c.o.root, "tss");
  if (!tss) {
    return Make(kName, CheckStatus::kFail, "no group tss in /etc/group",
                "install tpm2-tools or tpm-udev (creates group tss and the udev rule giving it "
                "/dev/tpmrm0)");
  }
  std::vector<std::string> notes;
  CheckStatus status = CheckStatus::kOk;
  std::string fix;
  struct stat st;
  const std::string rm = Rooted(c.o.root, "/dev/tpmrm0");
  if (::stat(rm.c_str(), &st) == 0) {
    if (st.st_gid != tss->gid || (st.st_mode & 060) != 060) {
      status = CheckStatus::kWarn;
      notes.push_back(absl::StrFormat("/dev/tpmrm0 is not group-tss read-write (gid %d, mode %04o)",
                                      st.st_gid, st.st_mode & 07777));
      fix = "install the tpm-udev rule (KERNEL==\"tpmrm[0-9]*\", GROUP=\"tss\", MODE=\"0660\")";
    }
  }
  std::string unit_text;
  std::string unit_name;
  for (absl::string_view u : {absl::string_view("attestation-agent.service"),
                              absl::string_view("ttrpc-attestation-agent.service")}) {
    auto t = ReadFile(Rooted(c.o.root, absl::StrCat("/etc/systemd/system/", u)), 1 << 20);
    if (t.ok()) {
      unit_text = *t;
      unit_name = std::string(u);
      break;
    }
  }
  if (unit_name.empty()) {
    if (status == CheckStatus::kOk) status = CheckStatus::kWarn;
    notes.push_back("no attestation-agent unit in /etc/systemd/system to check");
    if (fix.empty()) fix = "cocoon node configure --write installs attestation-agent.service";
  } else {
    bool has_user = false;
    bool has_tss = false;
    for (absl::string_view line : absl::StrSplit(unit_text, '\n')) {
      line = absl::StripAsciiWhitespace(line);
      if (absl::StartsWith(line, "User=") && line != "User=root") has_user = true;
      if (absl::StartsWith(line, "SupplementaryGroups=") && absl::StrContains(line, "tss")) {
        has_tss = true;
      }
    }
    if (has_user && !has_tss) {
      status = CheckStatus::kFail;
      notes.push_back(absl::StrCat(unit_name, " runs as a non-root User= without the tss group"));
      fix = absl::StrCat("add SupplementaryGroups=tss to ", unit_name);
    } else {
      notes.push_back(
          absl::StrCat(unit_name, has_tss ? " has SupplementaryGroups=tss" : " runs as root"));
    }
  }
  // The invoking user only matters for manual tpm2-tools tests.
  bool member = false;
  if (passwd* pw = ::getpwuid(::getuid()); pw != nullptr) {
    member = std::find(tss->members.begin(), tss->members.end(), pw->pw_name) != tss->members.end();
  }
  std::vector<gid_t> groups(static_cast<size_t>(std::max(0, ::getgroups(0, nullptr))));
  if (!groups.empty())
    groups.resize(static_cast<size_t>(::getgroups(groups.size(), groups.data())));
  member = member || ::getgid() == tss->gid ||
           std::find(groups.begin(), groups.end(), tss->gid) != groups.end();
  notes.push_back(member ? "this user is in tss"
                         : "this user is not in tss (only manual tests need it)");
  return Make(kName, status,
              absl::StrCat("group tss (gid ", tss->gid, "): ", absl::StrJoin(notes, "; ")), fix);
}

CheckResult CheckContainerdSocket(Context& c) {
  constexpr absl::string_view kName = "containerd-running";
  const std::string path = c.o.containerd_socket.empty()
                               ? Rooted(c.o.root, kDefaultContainerdSocket)
                               : c.o.containerd_socket;
  const std::string err = ConnectUnix(path);
  if (err.empty()) return Make(kName, CheckStatus::kOk, absl::StrCat(path, " accepts connections"));
  return Make(kName, CheckStatus::kFail, absl::StrCat("containerd socket: ", err),
              "systemctl start containerd; journalctl -u containerd -n 50 shows why it stopped");
}

CheckResult CheckContainerdConfig(Context& c) {
  constexpr absl::string_view kName = "containerd-config";
  c.containerd_path = c.o.containerd_config.empty() ? Rooted(c.o.root, kContainerdConfigPath)
                                                    : c.o.containerd_config;
  auto text = ReadFile(c.containerd_path, 16 << 20);
  if (!text.ok()) {
    return Make(kName, CheckStatus::kFail, std::string(text.status().message()),
                "cocoon node configure --kbs-url URL --tee TEE --write");
  }
  try {
    c.containerd = toml::parse(Std(*text));
  } catch (const toml::parse_error& e) {
    return Make(kName, CheckStatus::kFail,
                absl::StrCat(c.containerd_path, ": invalid TOML at line ", e.source().begin.line,
                             ": ", std::string(e.description())),
                "fix the syntax (containerd refuses to start with it), or restore a backup");
  }
  const auto version = (*c.containerd)["version"].value<int64_t>();
  if (!version) {
    return Make(kName, CheckStatus::kFail,
                absl::StrCat(c.containerd_path,
                             ": no `version`: a version 1 config, whose CRI "
                             "plugin is named \"cri\" and which cocoon does not check"),
                "containerd config migrate, or start from `containerd config default`, then "
                "cocoon node configure --write");
  }
  if (*version != 2) {
    return Make(kName, CheckStatus::kFail,
                absl::StrCat(c.containerd_path, ": version ", *version,
                             "; only version 2 (containerd 1.6/1.7) passes the decryption payload "
                             "through CRI pulls"),
                "use containerd 1.6/1.7 with a version 2 config (containerd 2.x decrypts only "
                "with use_local_image_pull)");
  }
  return Make(kName, CheckStatus::kOk, absl::StrCat(c.containerd_path, ": version 2"));
}

bool ArrayHas(const toml::array* a, absl::string_view value) {
  if (a == nullptr) return false;
  for (const auto& n : *a) {
    if (auto s = n.value<std::string>(); s && *s == value) return true;
  }
  return false;
}

CheckResult CheckStreamProcessors(Context& c) {
  constexpr absl::string_view kName = "stream-processors";
  if (!c.containerd) {
    return Make(kName, CheckStatus::kSkip,
                "containerd config not readable (see containerd-config)");
  }
  const toml::table* procs = (*c.containerd)["stream_processors"].as_table();
  std::vector<std::string> problems;
  std::vector<std::string> warnings;
  struct Want {
    absl::string_view id;
    std::vector<absl::string_view> accepts;
  };
  const Want wants[] = {
      {kGzipProcessorId, {"application/vnd.oci.image.layer.v1.tar+gzip+encrypted"}},
      {kTarProcessorId, {"application/vnd.oci.image.layer.v1.tar+encrypted"}},
  };
  for (const Want& w : wants) {
    const toml::table* p = procs ? (*procs)[Std(w.id)].as_table() : nullptr;
    if (p == nullptr) {
      problems.push_back(absl::StrCat("[stream_processors.\"", w.id, "\"] missing"));
      continue;
    }
    for (absl::string_view mt : w.accepts) {
      if (!ArrayHas((*p)["accepts"].as_array(), mt)) {
        problems.push_back(absl::StrCat(w.id, ": accepts lacks ", mt));
      }
    }
    const std::string path = (*p)["path"].value_or(std::string());
    if (path.empty()) {
      problems.push_back(absl::StrCat(w.id, ": no path"));
    } else if (path[0] != '/') {
      warnings.push_back(absl::StrCat(w.id, ": relative path \"", path,
                                      "\" is looked up in containerd's own PATH"));
    } else if (!IsExecutable(Rooted(c.o.root, path))) {
      problems.push_back(absl::StrCat(w.id, ": ", path, " is not an executable file"));
    }
    if (w.id == kGzipProcessorId) {
      c.decoder_path = path;
      if (!ArrayHas((*p)["accepts"].as_array(),
                    "application/vnd.oci.image.layer.v1.tar+zstd+encrypted")) {
        warnings.push_back(absl::StrCat(w.id,
                                        " does not accept tar+zstd+encrypted (zstd images "
                                        "cannot be decrypted)"));
      }
    }
    bool env_found = false;
    if (const toml::array* env = (*p)["env"].as_array()) {
      for (const auto& n : *env) {
        auto s = n.value<std::string>();
        absl::string_view v = s ? absl::string_view(*s) : absl::string_view();
        if (absl::ConsumePrefix(&v, "OCICRYPT_KEYPROVIDER_CONFIG=")) {
          env_found = true;
          if (c.processor_keyprovider.empty()) c.processor_keyprovider = std::string(v);
        }
      }
    }
    if (!env_found) {
      warnings.push_back(absl::StrCat(w.id,
                                      ": no OCICRYPT_KEYPROVIDER_CONFIG in env (only local "
                                      "keys in --decryption-keys-path can be used)"));
    }
  }
  if (procs != nullptr && procs->contains("io.containerd.ocicrypt.decoder.v1.tar.zstd")) {
    warnings.push_back(
        "io.containerd.ocicrypt.decoder.v1.tar.zstd never receives the fd-3 payload (\"read "
        "configFd: bad file descriptor\"); list tar+zstd+encrypted under the .tar.gzip id instead");
  }
  const std::string fix =
      "cocoon node configure --kbs-url URL --tee TEE --write (merges the "
      "processors, see deploy/containerd/config.toml.snippet)";
  if (!problems.empty()) {
    problems.insert(problems.end(), warnings.begin(), warnings.end());
    return Make(kName, CheckStatus::kFail, absl::StrJoin(problems, "; "), fix);
  }
  if (!warnings.empty()) return Make(kName, CheckStatus::kWarn, absl::StrJoin(warnings, "; "), fix);
  return Make(kName, CheckStatus::kOk,
              absl::StrCat("ocicrypt decoders for tar and tar+gzip (+zstd) via ", c.decoder_path));
}

CheckResult CheckKeyModel(Context& c) {
  constexpr absl::string_view kName = "containerd-key-model";
  if (!c.containerd) {
    return Make(kName, CheckStatus::kSkip,
                "containerd config not readable (see containerd-config)");
  }
  const toml::node_view<toml::node> node =
      (*c.containerd)["plugins"][Std(kCriPlugin)]["image_decryption"]["key_model"];
  const std::string fix = absl::StrCat("set [plugins.\"", kCriPlugin,
                                       "\".image_decryption] key_model = \"node\" (cocoon node "
                                       "configure --write), then systemctl restart containerd");
  if (!node) {
    return Make(kName, CheckStatus::kWarn,
                "key_model unset: containerd 1.6/1.7 default to \"node\", but the setting is not "
                "pinned in the config",
                fix);
  }
  const auto value = node.value<std::string>();
  if (!value) return Make(kName, CheckStatus::kFail, "key_model is not a string", fix);
  if (*value != "node") {
    return Make(
        kName, CheckStatus::kFail,
        absl::StrCat("key_model = \"", *value,
                     "\": CRI pulls give the decoder no payload, every encrypted pull fails"),
        fix);
  }
  return Make(kName, CheckStatus::kOk, "image_decryption key_model = \"node\"");
}

CheckResult CheckKeyproviderConfig(Context& c) {
  constexpr absl::string_view kName = "keyprovider-config";
  std::string path;
  std::string source;
  if (!c.o.keyprovider_config.empty()) {
    path = c.o.keyprovider_config;
    source = "--keyprovider-config";
  } else if (!c.processor_keyprovider.empty()) {
    path = Rooted(c.o.root, c.processor_keyprovider);
    source = "stream processor env";
  } else {
    path = Rooted(c.o.root, kKeyproviderConfigPath);
    source = "default path";
  }
  const std::string fix = absl::StrCat(
      "write ", kKeyproviderConfigPath,
      " = {\"key-providers\":{\"attestation-agent\":{\"grpc\":\"127.0.0.1:50000\"}}} (cocoon node "
      "configure --write)");
  auto text = ReadFile(path, 1 << 20);
  if (!text.ok()) {
    return Make(kName, CheckStatus::kFail,
                absl::StrCat(text.status().message(), " (from ", source, ")"), fix);
  }
  auto j = ParseJson(*text, path);
  if (!j.ok()) {
    return Make(kName, CheckStatus::kFail, absl::StrCat("invalid JSON: ", j.status().message()),
                fix);
  }
  if (!j->is_object() || !j->contains("key-providers") || !(*j)["key-providers"].is_object()) {
    return Make(kName, CheckStatus::kFail, absl::StrCat(path, ": no \"key-providers\" object"),
                fix);
  }
  const Json& providers = (*j)["key-providers"];
  if (!providers.contains("attestation-agent") || !providers["attestation-agent"].is_object()) {
    return Make(kName, CheckStatus::kFail,
                absl::StrCat(path,
                             ": no \"attestation-agent\" provider (images encrypted with "
                             "provider:attestation-agent cannot be decrypted)"),
                fix);
  }
  const Json& p = providers["attestation-agent"];
  if (!p.contains("grpc") && !p.contains("cmd") && p.contains("ttrpc")) {
    // ocicrypt's Go client (and so containerd's ctd-decoder) speaks gRPC and cmd only.
    return Make(kName, CheckStatus::kFail,
                absl::StrCat(path,
                             ": attestation-agent is a ttrpc provider, which ocicrypt cannot "
                             "call"),
                "use \"grpc\": \"127.0.0.1:50000\" (the CDH `socket`)");
  }
  for (const char* transport : {"grpc", "cmd"}) {
    if (p.contains(transport)) {
      if (std::string(transport) == "grpc" && p["grpc"].is_string()) {
        c.keyprovider_grpc = p["grpc"];
      }
      std::string reason =
          absl::StrCat(path, " (", source, "): attestation-agent via ", transport,
                       p[transport].is_string() ? absl::StrCat(" ", p[transport].get<std::string>())
                                                : std::string());
      if (!c.keyprovider_grpc.empty() && !c.cdh_socket.empty() &&
          c.keyprovider_grpc != c.cdh_socket && !absl::StartsWith(c.cdh_socket, "unix://")) {
        return Make(kName, CheckStatus::kWarn,
                    absl::StrCat(reason, ", but the CDH listens on ", c.cdh_socket),
                    "make the provider's grpc address and the CDH `socket` the same");
      }
      return Make(kName, CheckStatus::kOk, reason);
    }
  }
  return Make(kName, CheckStatus::kFail,
              absl::StrCat(path, ": attestation-agent has no grpc or cmd entry"), fix);
}

CheckResult CheckCdhConfig(Context& c) {
  constexpr absl::string_view kName = "cdh-config";
  const std::string fix = "cocoon node configure --kbs-url URL --tee TEE --write";
  if (!c.cdh_loaded) return Make(kName, CheckStatus::kFail, c.cdh_error, fix);
  if (c.kbc_name.empty()) {
    return Make(kName, CheckStatus::kFail, absl::StrCat(c.cdh_path, ": kbc.name missing"), fix);
  }
  if (c.kbc_name != "cc_kbc" && c.kbc_name != "offline_fs_kbc") {
    return Make(kName, CheckStatus::kFail,
                absl::StrCat(c.cdh_path, ": kbc.name \"", c.kbc_name,
                             "\" is neither cc_kbc nor offline_fs_kbc"),
                fix);
  }
  if (c.kbc_name == "cc_kbc" && c.kbc_url.empty()) {
    return Make(kName, CheckStatus::kFail, absl::StrCat(c.cdh_path, ": cc_kbc without kbc.url"),
                fix);
  }
  if (c.cdh_socket.empty()) {
    return Make(kName, CheckStatus::kWarn,
                absl::StrCat(c.cdh_path,
                             ": no `socket`: the CDH serves its default unix socket, "
                             "not the keyprovider port 127.0.0.1:50000"),
                "set \"socket\": \"127.0.0.1:50000\"");
  }
  std::string reason = absl::StrCat(c.cdh_path, ": kbc ", c.kbc_name);
  if (!c.kbc_url.empty()) absl::StrAppend(&reason, " ", c.kbc_url);
  absl::StrAppend(&reason, ", socket ", c.cdh_socket);
  if (c.kbc_name == "offline_fs_kbc") {
    return Make(kName, CheckStatus::kWarn,
                absl::StrCat(reason, "; offline_fs_kbc releases keys without attestation"),
                "use cc_kbc with a KBS outside development");
  }
  return Make(kName, CheckStatus::kOk, reason);
}

CheckResult CheckCdhListening(Context& c) {
  constexpr absl::string_view kName = "cdh-listening";
  std::string address = c.cdh_socket;
  if (address.empty()) address = c.keyprovider_grpc;
  if (address.empty()) address = std::string(kCdhKeyproviderSocket);
  const std::string err = ConnectAddress(c.o.root, address, c.o.timeout_ms);
  if (err.empty()) {
    return Make(kName, CheckStatus::kOk, absl::StrCat("CDH answers on ", address));
  }
  return Make(kName, CheckStatus::kFail, absl::StrCat("CDH not listening: ", err),
              "systemctl restart confidential-data-hub; journalctl -u confidential-data-hub "
              "(\"connection refused 127.0.0.1:50000\" and \"missing private key needed for "
              "decryption\" in containerd logs come from this)");
}

CheckResult CheckAaConfig(Context& c) {
  constexpr absl::string_view kName = "aa-config";
  const std::string path = c.o.aa_config.empty() ? Rooted(c.o.root, kAaConfigPath) : c.o.aa_config;
  auto text = ReadFile(path, 1 << 20);
  if (!text.ok()) {
    return Make(kName, CheckStatus::kWarn,
                absl::StrCat(text.status().message(),
                             ": the AA runs on defaults (evidence works; GetToken(\"kbs\") has no "
                             "KBS)"),
                "cocoon node configure --write writes /etc/attestation-agent/config.toml");
  }
  toml::table t;
  try {
    t = toml::parse(Std(*text));
  } catch (const toml::parse_error& e) {
    return Make(kName, CheckStatus::kFail,
                absl::StrCat(path, ": invalid TOML at line ", e.source().begin.line, ": ",
                             std::string(e.description())),
                "fix the syntax; the attestation-agent refuses to start");
  }
  c.aa_kbs_url = t["token_configs"]["kbs"]["url"].value_or(std::string());
  if (c.aa_kbs_url.empty()) {
    return Make(kName, CheckStatus::kWarn, absl::StrCat(path, ": no token_configs.kbs.url"),
                "add [token_configs.kbs] url = \"<KBS URL>\"");
  }
  if (!c.kbc_url.empty() &&
      absl::StripSuffix(c.kbc_url, "/") != absl::StripSuffix(c.aa_kbs_url, "/")) {
    return Make(kName, CheckStatus::kWarn,
                absl::StrCat(path, ": token_configs.kbs.url ", c.aa_kbs_url,
                             " differs from the CDH's kbc.url ", c.kbc_url),
                "point both at the same KBS");
  }
  return Make(kName, CheckStatus::kOk, absl::StrCat(path, ": KBS ", c.aa_kbs_url));
}

CheckResult CheckAaSocket(Context& c) {
  constexpr absl::string_view kName = "aa-socket";
  std::vector<std::string> candidates;
  if (!c.o.aa_socket.empty()) {
    candidates.push_back(c.o.aa_socket);
  } else if (!c.cdh_aa_socket.empty()) {
    absl::string_view s = c.cdh_aa_socket;
    absl::ConsumePrefix(&s, "unix://");
    candidates.push_back(Rooted(c.o.root, s));
  } else {
    candidates.push_back(Rooted(c.o.root, kAaSocketPath));
    candidates.push_back(Rooted(c.o.root, kAltAaSocketPath));
  }
  std::string first_err;
  for (const std::string& path : candidates) {
    const std::string err = ConnectUnix(path);
    if (err.empty()) return Make(kName, CheckStatus::kOk, absl::StrCat(path, " answers"));
    if (first_err.empty()) first_err = err;
  }
  return Make(kName, CheckStatus::kFail, absl::StrCat("attestation-agent socket: ", first_err),
              "systemctl restart attestation-agent; journalctl -u attestation-agent (a TPM "
              "permission error means the unit lacks SupplementaryGroups=tss)");
}

CheckResult CheckOfflineKeys(Context& c) {
  constexpr absl::string_view kName = "offline-keys";
  if (c.kbc_name != "offline_fs_kbc") {
    return Make(kName, CheckStatus::kSkip,
                c.kbc_name.empty() ? "KBC unknown (see cdh-config)"
                                   : absl::StrCat(c.kbc_name, ": keys come from the KBS"));
  }
  // offline_fs_kbc reads the keys file, then the resources file (the CDH config may move both);
  // the check reports the first that exists.
  std::string path = Rooted(c.o.root, c.offline_keys_file);
  auto text = ReadFile(path, 4 << 20);
  if (!text.ok()) {
    path = Rooted(c.o.root, c.offline_resources_file);
    text = ReadFile(path, 4 << 20);
  }
  if (!text.ok()) {
    return Make(kName, CheckStatus::kFail, std::string(text.status().message()),
                absl::StrCat("create ", c.offline_resources_file,
                             " ({\"<resource path>\": \"<base64 key>\"}, mode 0600) or ",
                             c.offline_keys_file));
  }
  auto j = ParseJson(*text, path);
  if (!j.ok() || !j->is_object()) {
    return Make(kName, CheckStatus::kFail,
                j.ok() ? absl::StrCat(path, ": not a JSON object")
                       : absl::StrCat("invalid JSON: ", j.status().message()),
                "fix the file: an object mapping resource paths to base64 keys");
  }
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
    return Make(kName, CheckStatus::kWarn,
                absl::StrFormat("%s holds keys but is mode %04o", path, st.st_mode & 07777),
                absl::StrCat("chmod 0600 ", path));
  }
  return Make(kName, CheckStatus::kOk, absl::StrCat(path, ": ", j->size(), " resources"));
}

CheckResult CheckBinaries(Context& c) {
  constexpr absl::string_view kName = "binaries";
  std::vector<std::string> found;
  std::vector<std::string> missing;
  // The decoder: the configured absolute path wins, else the search path.
  std::string decoder;
  if (!c.decoder_path.empty() && c.decoder_path[0] == '/') {
    if (IsExecutable(Rooted(c.o.root, c.decoder_path))) decoder = Rooted(c.o.root, c.decoder_path);
  } else {
    decoder = FindBinary(c.o, {"ctd-decoder"});
  }
  (decoder.empty() ? missing : found)
      .push_back(decoder.empty() ? "ctd-decoder" : absl::StrCat("ctd-decoder=", decoder));
  const std::pair<const char*, std::vector<std::string>> required[] = {
      {"confidential-data-hub", {"confidential-data-hub", "grpc-cdh"}},
      {"attestation-agent", {"attestation-agent", "ttrpc-aa"}},
  };
  for (const auto& [label, names] : required) {
    const std::string p = FindBinary(c.o, names);
    (p.empty() ? missing : found).push_back(p.empty() ? label : absl::StrCat(label, "=", p));
  }
  std::vector<std::string> optional_missing;
  for (const char* opt : {"coco-keyprovider", "kbs-client"}) {
    const std::string p = FindBinary(c.o, {opt});
    if (p.empty()) {
      optional_missing.push_back(opt);
    } else {
      found.push_back(absl::StrCat(opt, "=", p));
    }
  }
  std::string reason;
  if (!missing.empty()) reason = absl::StrCat("missing: ", absl::StrJoin(missing, ", "), "; ");
  absl::StrAppend(&reason, "found: ", found.empty() ? "none" : absl::StrJoin(found, ", "));
  if (!optional_missing.empty()) {
    absl::StrAppend(&reason,
                    "; not found (optional on a node): ", absl::StrJoin(optional_missing, ", "));
  }
  if (!missing.empty()) {
    return Make(kName, CheckStatus::kFail, reason,
                "install cocoon's ctd-decoder, confidential-data-hub and attestation-agent into "
                "/usr/local/bin (install -m 0755)");
  }
  return Make(kName, CheckStatus::kOk, reason);
}

std::string KbsUrl(const Context& c, std::string* source) {
  if (!c.o.kbs_url.empty()) {
    *source = "--kbs-url";
    return c.o.kbs_url;
  }
  if (!c.kbc_url.empty()) {
    *source = "CDH kbc.url";
    return c.kbc_url;
  }
  if (!c.aa_kbs_url.empty()) {
    *source = "AA token_configs.kbs.url";
    return c.aa_kbs_url;
  }
  return "";
}

CheckResult CheckKbsAuth(Context& c) {
  constexpr absl::string_view kName = "kbs-auth";
  std::string source;
  const std::string url = KbsUrl(c, &source);
  if (url.empty()) {
    if (c.kbc_name == "offline_fs_kbc") {
      return Make(kName, CheckStatus::kSkip, "offline_fs_kbc and no --kbs-url: no KBS in use");
    }
    return Make(kName, CheckStatus::kFail, "no KBS URL (--kbs-url, CDH kbc.url or AA config)",
                "pass --kbs-url or configure the node with cocoon node configure");
  }
  // The RCAR Request as guest-components sends it (protocol 0.4.0).
  OrderedJson req;
  req["version"] = "0.4.0";
  req["tee"] = c.o.tee;
  req["extra-params"]["supported-hash-algorithms"] = {"sha256", "sha384", "sha512"};
  const std::string endpoint = absl::StrCat(absl::StripSuffix(url, "/"), "/kbs/v0/auth");
  HttpResult r = PostJson(endpoint, req.dump(), c.o.timeout_ms, c.kbc_cert);
  if (!r.error.empty()) {
    return Make(kName, CheckStatus::kFail,
                absl::StrCat("KBS unreachable at ", endpoint, " (", source, "): ", r.error),
                "check the URL, that the KBS runs (GET /healthz) and that the network/NSG allows "
                "the node to reach its port");
  }
  if (r.status != 200) {
    std::string detail;
    if (auto j = ParseJson(r.body, "KBS error");
        j.ok() && j->is_object() && j->contains("detail") && (*j)["detail"].is_string()) {
      detail = absl::StrCat(": ", (*j)["detail"].get<std::string>());
    }
    return Make(kName, CheckStatus::kFail,
                absl::StrCat(endpoint, " answered HTTP ", r.status, detail),
                "a KBS speaking another protocol version (0.4.0 expected), or a proxy in between; "
                "check the KBS version and logs");
  }
  auto j = ParseJson(r.body, "KBS challenge");
  if (!j.ok() || !j->is_object() || !j->contains("nonce") || !(*j)["nonce"].is_string() ||
      (*j)["nonce"].get<std::string>().empty()) {
    return Make(kName, CheckStatus::kWarn,
                absl::StrCat(endpoint, " answered 200 without a challenge nonce"),
                "is this URL a KBS? check for a proxy or a different service on that port");
  }
  return Make(kName, CheckStatus::kOk,
              absl::StrCat(endpoint, " (", source, "): challenge received (tee ", c.o.tee, ")"));
}

CheckResult CheckAttest(Context& c) {
  constexpr absl::string_view kName = "attestation";
  if (!c.o.attest) return Make(kName, CheckStatus::kSkip, "not requested (--attest)");
  const std::string client = FindBinary(c.o, {"kbs-client"});
  if (client.empty()) {
    return Make(kName, CheckStatus::kSkip, "kbs-client not found: test attestation skipped",
                "install kbs-client to run a test attestation");
  }
  std::string source;
  const std::string url = KbsUrl(c, &source);
  if (url.empty()) return Make(kName, CheckStatus::kSkip, "no KBS URL");
  int errpipe[2];
  if (::pipe2(errpipe, O_CLOEXEC) != 0) {
    return Make(kName, CheckStatus::kFail, absl::StrCat("pipe: ", ErrnoText(errno)));
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(errpipe[0]);
    ::close(errpipe[1]);
    return Make(kName, CheckStatus::kFail, absl::StrCat("fork: ", ErrnoText(errno)));
  }
  if (pid == 0) {
    // The token goes to /dev/null: the doctor reports success, it does not collect tokens.
    int devnull = ::open("/dev/null", O_WRONLY);
    if (devnull >= 0) ::dup2(devnull, 1);
    ::dup2(errpipe[1], 2);
    const char* argv[] = {client.c_str(), "--url", url.c_str(), "attest", nullptr};
    ::execv(client.c_str(), const_cast<char* const*>(argv));
    _exit(127);
  }
  ::close(errpipe[1]);
  std::string err_text;
  char buf[512];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  int status = 0;
  bool done = false;
  while (!done) {
    pollfd pfd{errpipe[0], POLLIN, 0};
    if (::poll(&pfd, 1, 100) > 0) {
      ssize_t n = ::read(errpipe[0], buf, sizeof(buf));
      if (n > 0 && err_text.size() < 2048) err_text.append(buf, static_cast<size_t>(n));
    }
    if (::waitpid(pid, &status, WNOHANG) == pid) done = true;
    if (!done && std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      ::close(errpipe[0]);
      return Make(kName, CheckStatus::kFail, "kbs-client attest did not finish within 30 s",
                  "check the KBS logs for a stalled attestation");
    }
  }
  ::close(errpipe[0]);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    return Make(kName, CheckStatus::kOk,
                absl::StrCat("kbs-client attest against ", url, " succeeded"));
  }
  std::string last_line(absl::StripAsciiWhitespace(err_text));
  if (const size_t nl = last_line.rfind('\n'); nl != std::string::npos) last_line.erase(0, nl + 1);
  return Make(kName, CheckStatus::kFail,
              absl::StrCat("kbs-client attest failed",
                           last_line.empty() ? std::string() : absl::StrCat(": ", last_line)),
              "a policy denial or an unverifiable quote: read the KBS log line "
              "`attestation tee=... status=...` and the attestation policy");
}

}  // namespace

const char* CheckStatusName(CheckStatus status) {
  switch (status) {
    case CheckStatus::kOk:
      return "ok";
    case CheckStatus::kSkip:
      return "skip";
    case CheckStatus::kWarn:
      return "warn";
    case CheckStatus::kFail:
      return "fail";
  }
  return "?";
}

std::vector<CheckResult> RunDoctorChecks(const DoctorOptions& options) {
  Context c(options);
  LoadCdh(c);
  std::vector<CheckResult> out;
  out.push_back(CheckTdx(c));
  out.push_back(CheckVtpm(c));
  out.push_back(CheckTss(c));
  out.push_back(CheckContainerdSocket(c));
  out.push_back(CheckContainerdConfig(c));
  out.push_back(CheckStreamProcessors(c));
  out.push_back(CheckKeyModel(c));
  out.push_back(CheckKeyproviderConfig(c));
  out.push_back(CheckCdhConfig(c));
  out.push_back(CheckCdhListening(c));
  out.push_back(CheckAaConfig(c));
  out.push_back(CheckAaSocket(c));
  out.push_back(CheckOfflineKeys(c));
  out.push_back(CheckBinaries(c));
  out.push_back(CheckKbsAuth(c));
  out.push_back(CheckAttest(c));
  return out;
}

int DoctorExitCode(const std::vector<CheckResult>& results) {
  int code = 0;
  for (const auto& r : results) {
    if (r.status == CheckStatus::kFail) return 2;
    if (r.status == CheckStatus::kWarn) code = 1;
  }
  return code;
}

void PrintDoctorTable(const std::vector<CheckResult>& results, std::ostream& out) {
  size_t width = 5;
  for (const auto& r : results) width = std::max(width, r.name.size());
  out << absl::StrFormat("%-*s  %-6s %s\n", width, "CHECK", "STATUS", "REASON");
  int counts[4] = {0, 0, 0, 0};
  for (const auto& r : results) {
    ++counts[static_cast<int>(r.status)];
    out << absl::StrFormat("%-*s  %-6s %s\n", width, r.name, CheckStatusName(r.status), r.reason);
    if (!r.fix.empty() && (r.status == CheckStatus::kWarn || r.status == CheckStatus::kFail)) {
      out << absl::StrFormat("%-*s  %-6s fix: %s\n", width, "", "", r.fix);
    }
  }
  out << absl::StrFormat("\n%d ok, %d warn, %d fail, %d skip\n", counts[0], counts[2], counts[3],
                         counts[1]);
}

void PrintDoctorJson(const std::vector<CheckResult>& results, std::ostream& out) {
  OrderedJson j;
  j["checks"] = OrderedJson::array();
  for (const auto& r : results) {
    OrderedJson e;
    e["name"] = r.name;
    e["status"] = CheckStatusName(r.status);
    e["reason"] = r.reason;
    e["fix"] = r.fix;
    j["checks"].push_back(std::move(e));
  }
  j["exit_code"] = DoctorExitCode(results);
  out << j.dump(2) << "\n";
}

void RegisterDoctorCommands(CLI::App& app, int* exit_code) {
  auto opts = std::make_shared<DoctorOptions>();
  auto json = std::make_shared<bool>(false);
  auto* doc = app.add_subcommand(
      "doctor",
      "Check a node for encrypted-image pulls (exit 0: all ok/skip, 1: warnings, 2: failures)");
  doc->add_option("--root", opts->root, "Prefix for /sys, /dev, /proc, /etc, /run lookups")
      ->capture_default_str();
  doc->add_option("--tee", opts->tee, "az-tdx-vtpm | tdx | sample")
      ->capture_default_str()
      ->check(CLI::IsMember({"az-tdx-vtpm", "tdx", "sample"}));
  doc->add_option("--containerd-config", opts->containerd_config,
                  "containerd config (default /etc/containerd/config.toml)");
  doc->add_option("--containerd-socket", opts->containerd_socket,
                  "containerd socket (default /run/containerd/containerd.sock)");
  doc->add_option("--keyprovider-config", opts->keyprovider_config,
                  "ocicrypt keyprovider config (default: from the stream processor env)");
  doc->add_option("--cdh-config", opts->cdh_config,
                  "CDH config (default /etc/confidential-data-hub.json)");
  doc->add_option("--aa-config", opts->aa_config,
                  "attestation-agent config (default /etc/attestation-agent/config.toml)");
  doc->add_option("--aa-socket", opts->aa_socket, "attestation-agent ttrpc socket path");
  doc->add_option("--kbs-url", opts->kbs_url, "KBS URL (default: the CDH's kbc.url)");
  doc->add_option("--path", opts->path_env, "Binary search path (default $PATH)");
  doc->add_option("--timeout-ms", opts->timeout_ms, "Per network check")->capture_default_str();
  doc->add_flag("--attest", opts->attest, "Also run a test attestation with kbs-client");
  doc->add_flag("--json", *json, "JSON output");
  doc->callback([opts, json, exit_code] {
    const auto results = RunDoctorChecks(*opts);
    if (*json) {
      PrintDoctorJson(results, std::cout);
    } else {
      PrintDoctorTable(results, std::cout);
    }
    *exit_code = DoctorExitCode(results);
  });
}

}  // namespace cocoon::cli
