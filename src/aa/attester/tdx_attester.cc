#include "aa/attester/tdx_attester.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/encoding.h"
#include "base/file_util.h"
#include "base/status.h"
#include "crypto/stream_cipher.h"

namespace cocoon::aa {
namespace {

uint32_t Le32(absl::string_view b, size_t at) {
  return uint32_t{static_cast<uint8_t>(b[at])} | (uint32_t{static_cast<uint8_t>(b[at + 1])} << 8) |
         (uint32_t{static_cast<uint8_t>(b[at + 2])} << 16) |
         (uint32_t{static_cast<uint8_t>(b[at + 3])} << 24);
}
uint16_t Le16(absl::string_view b, size_t at) {
  return static_cast<uint16_t>(static_cast<uint8_t>(b[at]) |
                               (static_cast<uint8_t>(b[at + 1]) << 8));
}

size_t DigestSize(uint16_t alg) {
  switch (alg) {
    case 0x0004:
      return 20;  // SHA-1
    case 0x000B:
      return 32;  // SHA-256
    case 0x000C:
      return 48;  // SHA-384
    case 0x000D:
      return 64;  // SHA-512
    case 0x0012:
      return 32;  // SM3-256
    default:
      return 0;
  }
}

absl::Status WriteAttribute(const std::string& path, absl::string_view data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_CREAT, 0600);
  if (fd < 0) return ErrnoStatus(errno, "opening", path);
  ssize_t n = ::write(fd, data.data(), data.size());
  int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(data.size())) return ErrnoStatus(err, "writing", path);
  return absl::OkStatus();
}

// A configfs-tsm report entry, removed when it goes out of scope.
class TsmEntry {
 public:
  explicit TsmEntry(std::string path) : path_(std::move(path)) {}
  ~TsmEntry() {
    if (created_) ::rmdir(path_.c_str());  // configfs drops the attributes with the directory
  }
  absl::Status Create() {
    if (::mkdir(path_.c_str(), 0700) != 0)
      return ErrnoStatus(errno, "creating report entry", path_);
    created_ = true;
    return absl::OkStatus();
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool created_ = false;
};

}  // namespace

std::optional<std::string> TrimCcelEventLog(absl::string_view ccel, absl::string_view aael) {
  if (ccel.empty()) return std::nullopt;
  size_t end = ccel.size();
  // First record: TCG_PCR_EVENT (pcr, type, sha1[20], size, data).
  size_t at = 0;
  bool ok = ccel.size() >= 32;
  if (ok) {
    uint32_t size = Le32(ccel, 28);
    ok = size <= ccel.size() - 32;
    at = ok ? 32 + size : ccel.size();
  }
  // Then TCG_PCR_EVENT2 records until an unused slot.
  while (ok && at < ccel.size()) {
    if (ccel.size() - at >= 8) {
      absl::string_view head = ccel.substr(at, 8);
      if (head == std::string(8, '\0') || head == std::string(8, '\xff')) {
        end = at;
        break;
      }
    }
    if (ccel.size() - at < 12) break;
    uint32_t count = Le32(ccel, at + 8);
    size_t p = at + 12;
    for (uint32_t i = 0; i < count && ok; ++i) {
      if (ccel.size() - p < 2) {
        ok = false;
        break;
      }
      size_t n = DigestSize(Le16(ccel, p));
      if (n == 0 || ccel.size() - p - 2 < n) ok = false;
      p += 2 + n;
    }
    if (!ok || ccel.size() - p < 4) break;
    uint32_t size = Le32(ccel, p);
    if (size > ccel.size() - p - 4) break;
    at = p + 4 + size;
  }
  std::string out(ccel.substr(0, end));
  out.append(aael.data(), aael.size());
  out.append(8, '\xff');
  return out;
}

TdxAttester::TdxAttester(AttesterConfig config) : config_(std::move(config)) {}

absl::StatusOr<std::string> TdxAttester::GetQuote(absl::string_view report_data) {
  if (report_data.size() > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("tdx: report data must be at most 64 bytes, got ", report_data.size()));
  }
  std::string inblob(report_data);
  inblob.resize(64, '\0');
  TsmEntry entry(
      absl::StrCat(config_.tsm_report_root, "/cocoon-", HexEncode(crypto::RandomBytes(8))));
  COCOON_RETURN_IF_ERROR_CTX(entry.Create(), "tdx: configfs-tsm");
  if (config_.tsm_entry_created_hook) config_.tsm_entry_created_hook(entry.path());
  COCOON_ASSIGN_OR_RETURN_CTX(std::string provider, ReadFile(entry.path() + "/provider", 4096),
                              "tdx: configfs-tsm");
  if (absl::StripTrailingAsciiWhitespace(provider) != "tdx_guest") {
    return absl::FailedPreconditionError(absl::StrCat("tdx: configfs-tsm provider is \"",
                                                      absl::StripTrailingAsciiWhitespace(provider),
                                                      "\", not tdx_guest"));
  }
  COCOON_RETURN_IF_ERROR_CTX(WriteAttribute(entry.path() + "/inblob", inblob), "tdx: configfs-tsm");
  COCOON_ASSIGN_OR_RETURN_CTX(std::string quote, ReadFile(entry.path() + "/outblob", 1 << 20),
                              "tdx: configfs-tsm");
  COCOON_ASSIGN_OR_RETURN_CTX(std::string generation, ReadFile(entry.path() + "/generation", 4096),
                              "tdx: configfs-tsm");
  uint64_t gen = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(generation), &gen)) {
    return absl::DataLossError("tdx: configfs-tsm generation is not a number");
  }
  if (gen > 1) {
    return absl::AbortedError(absl::StrCat("tdx: configfs-tsm inblob write conflict (generation ",
                                           gen, "); another writer used ", entry.path()));
  }
  if (quote.empty()) return absl::DataLossError("tdx: configfs-tsm returned an empty quote");
  return quote;
}

absl::StatusOr<std::string> TdxAttester::GetEvidence(absl::string_view report_data) {
  COCOON_ASSIGN_OR_RETURN(std::string quote, GetQuote(report_data));
  std::string ccel, aael;
  if (!config_.ccel_path.empty() && ::access(config_.ccel_path.c_str(), R_OK) == 0) {
    COCOON_ASSIGN_OR_RETURN_CTX(ccel, ReadFile(config_.ccel_path), "tdx: CCEL event log");
  }
  if (!config_.aael_path.empty() && ::access(config_.aael_path.c_str(), R_OK) == 0) {
    COCOON_ASSIGN_OR_RETURN_CTX(aael, ReadFile(config_.aael_path), "tdx: AA event log");
  }
  std::optional<std::string> log = TrimCcelEventLog(ccel, aael);
  std::string log_json = log ? absl::StrCat("\"", Base64Encode(*log), "\"") : "null";
  return absl::StrCat("{\"cc_eventlog\":", log_json, ",\"quote\":\"", Base64Encode(quote), "\"}");
}

bool IsTdxGuest(const AttesterConfig& config) {
  struct stat st;
  if (!config.tdx_guest_device.empty() && ::stat(config.tdx_guest_device.c_str(), &st) == 0) {
    return true;
  }
  if (config.tsm_report_root.empty() || ::stat(config.tsm_report_root.c_str(), &st) != 0 ||
      !S_ISDIR(st.st_mode)) {
    return false;
  }
  TsmEntry probe(
      absl::StrCat(config.tsm_report_root, "/cocoon-probe-", HexEncode(crypto::RandomBytes(8))));
  if (!probe.Create().ok()) return false;
  auto provider = ReadFile(probe.path() + "/provider", 4096);
  return provider.ok() && absl::StripTrailingAsciiWhitespace(*provider) == "tdx_guest";
}

}  // namespace cocoon::aa
