#include "attestation/eventlog/ccel.h"

#include <openssl/evp.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "attestation/dcap/byte_reader.h"
#include "attestation/eventlog/eventlog_json.h"
#include "base/encoding.h"
#include "base/status.h"
#include "crypto/stream_cipher.h"

namespace cocoon::attestation::eventlog {
namespace {

constexpr size_t kMaxEvents = 1 << 16;
constexpr uint32_t kMaxEventSize = 16 << 20;

struct TypeName {
  uint32_t type;
  absl::string_view name;
};
constexpr TypeName kTypeNames[] = {
    {0x0, "EV_PREBOOT_CERT"},
    {0x1, "EV_POST_CODE"},
    {0x2, "EV_UNUSED"},
    {0x3, "EV_NO_ACTION"},
    {0x4, "EV_SEPARATOR"},
    {0x5, "EV_ACTION"},
    {0x6, "EV_EVENT_TAG"},
    {0x7, "EV_S_CRTM_CONTENTS"},
    {0x8, "EV_S_CRTM_VERSION"},
    {0x9, "EV_CPU_MICROCODE"},
    {0xa, "EV_PLATFORM_CONFIG_FLAGS"},
    {0xb, "EV_TABLE_OF_DEVICES"},
    {0xc, "EV_COMPACT_HASH"},
    {0xd, "EV_IPL"},
    {0xe, "EV_IPL_PARTITION_DATA"},
    {0xf, "EV_NONHOST_CODE"},
    {0x10, "EV_NONHOST_CONFIG"},
    {0x11, "EV_NONHOST_INFO"},
    {0x12, "EV_OMIT_BOOT_DEVICE_EVENTS"},
    {0x80000000, "EV_EFI_EVENT_BASE"},
    {0x80000001, "EV_EFI_VARIABLE_DRIVER_CONFIG"},
    {0x80000002, "EV_EFI_VARIABLE_BOOT"},
    {0x80000003, "EV_EFI_BOOT_SERVICES_APPLICATION"},
    {0x80000004, "EV_EFI_BOOT_SERVICES_DRIVER"},
    {0x80000005, "EV_EFI_RUNTIME_SERVICES_DRIVER"},
    {0x80000006, "EV_EFI_GPT_EVENT"},
    {0x80000007, "EV_EFI_ACTION"},
    {0x80000008, "EV_EFI_PLATFORM_FIRMWARE_BLOB"},
    {0x80000009, "EV_EFI_HANDOFF_TABLES"},
    {0x8000000a, "EV_EFI_PLATFORM_FIRMWARE_BLOB2"},
    {0x8000000b, "EV_EFI_HANDOFF_TABLES2"},
    {0x8000000c, "EV_EFI_VARIABLE_BOOT2"},
    {0x80000010, "EV_EFI_HCRTM_EVENT"},
    {0x800000e0, "EV_EFI_VARIABLE_AUTHORITY"},
    {0x800000e1, "EV_EFI_SPDM_FIRMWARE_BLOB"},
    {0x800000e2, "EV_EFI_SPDM_FIRMWARE_CONFIG"},
};

size_t DigestSize(const EventLog& log, uint16_t alg) {
  for (const auto& [id, size] : log.algorithms) {
    if (id == alg) return size;
  }
  switch (alg) {
    case 0x0004:
      return 20;
    case 0x000b:
      return 32;
    case 0x000c:
      return 48;
    case 0x000d:
      return 64;
    case 0x0012:
      return 32;
    default:
      return 0;
  }
}

bool ValidUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const uint8_t c = static_cast<uint8_t>(s[i]);
    size_t n = 0;
    if (c < 0x80) {
      n = 0;
    } else if ((c >> 5) == 6) {
      n = 1;
    } else if ((c >> 4) == 14) {
      n = 2;
    } else if ((c >> 3) == 30) {
      n = 3;
    } else {
      return false;
    }
    if (n > 0 && i + n >= s.size()) return false;
    for (size_t k = 1; k <= n; ++k) {
      if ((static_cast<uint8_t>(s[i + k]) >> 6) != 2) return false;
    }
    i += n + 1;
  }
  return true;
}

absl::string_view TrimNuls(absl::string_view s) {
  while (!s.empty() && s.back() == '\0') s.remove_suffix(1);
  return s;
}

// Text if the bytes (trailing NULs removed) are UTF-8 without interior NULs, else "".
std::string Text(absl::string_view s) {
  s = TrimNuls(s);
  if (s.find('\0') != absl::string_view::npos || !ValidUtf8(s)) return "";
  return std::string(s);
}

std::string Utf16ToUtf8(absl::string_view b) {
  std::string out;
  for (size_t i = 0; i + 1 < b.size(); i += 2) {
    uint32_t cp = static_cast<uint8_t>(b[i]) | static_cast<uint8_t>(b[i + 1]) << 8;
    if (cp == 0) break;
    if (cp >= 0xd800 && cp < 0xdc00 && i + 3 < b.size()) {
      const uint32_t lo = static_cast<uint8_t>(b[i + 2]) | static_cast<uint8_t>(b[i + 3]) << 8;
      if (lo >= 0xdc00 && lo < 0xe000) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        i += 2;
      }
    }
    if (cp >= 0xd800 && cp < 0xe000) cp = 0xfffd;  // a lone surrogate
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else {
      out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    }
  }
  return out;
}

// A C string (up to the first NUL), or UTF-16LE text (UKI section names such as ".linux", shown
// without the leading dots) when every second byte is zero.
std::string CString(absl::string_view s) {
  if (s.size() >= 4 && s.size() % 2 == 0 && s[1] == '\0' && s[3] == '\0' && s[0] != '\0') {
    std::string text = Utf16ToUtf8(s);
    size_t start = text.find_first_not_of('.');
    return start == std::string::npos ? std::string() : text.substr(start);
  }
  const size_t nul = s.find('\0');
  if (nul != absl::string_view::npos) s = s.substr(0, nul);
  return ValidUtf8(s) ? std::string(s) : std::string();
}

uint64_t LoadLe(absl::string_view b, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(b[i])) << (8 * i);
  return v;
}

// EFI_GUID in its registry form (first three fields little-endian), upper case.
std::string Guid(absl::string_view g) {
  return absl::StrFormat("%08X-%04X-%04X-%s-%s", LoadLe(g, 4), LoadLe(g.substr(4), 2),
                         LoadLe(g.substr(6), 2), absl::AsciiStrToUpper(HexEncode(g.substr(8, 2))),
                         absl::AsciiStrToUpper(HexEncode(g.substr(10, 6))));
}

// Raw GUID bytes grouped 4-2-2-2-6 (how the variable name is rendered upstream).
std::string RawGuid(absl::string_view g) {
  const std::string h = HexEncode(g);
  return absl::StrCat(h.substr(0, 8), "-", h.substr(8, 4), "-", h.substr(12, 4), "-",
                      h.substr(16, 4), "-", h.substr(20, 12));
}

std::string EisaId(uint32_t id) {
  const uint16_t vendor = id & 0xffff;
  std::string s;
  s.push_back(static_cast<char>('@' + ((vendor >> 10) & 0x1f)));
  s.push_back(static_cast<char>('@' + ((vendor >> 5) & 0x1f)));
  s.push_back(static_cast<char>('@' + (vendor & 0x1f)));
  return absl::StrCat(s, absl::StrFormat("%04X", id >> 16));
}

std::vector<std::string> DevicePaths(absl::string_view p) {
  std::vector<std::string> out;
  while (p.size() >= 4) {
    const uint8_t type = static_cast<uint8_t>(p[0]);
    const uint8_t sub = static_cast<uint8_t>(p[1]);
    const size_t len = LoadLe(p.substr(2), 2);
    if (len < 4 || len > p.size()) break;
    const absl::string_view d = p.substr(4, len - 4);
    p.remove_prefix(len);
    if (type == 0x7f) break;  // end of path
    if (type == 2 && sub == 1 && d.size() >= 8) {
      out.push_back(absl::StrCat("ACPI(", EisaId(static_cast<uint32_t>(LoadLe(d, 4))), ",",
                                 LoadLe(d.substr(4), 4), ")"));
    } else if (type == 1 && sub == 1 && d.size() >= 2) {
      out.push_back(
          absl::StrCat("Pci(", static_cast<uint8_t>(d[0]), ",", static_cast<uint8_t>(d[1]), ")"));
    } else if (type == 4 && sub == 1 && d.size() >= 38) {
      const uint8_t sig_type = static_cast<uint8_t>(d[37]);
      const std::string sig = sig_type == 2 ? Guid(d.substr(20, 16))
                                            : absl::StrFormat("0x%08X", LoadLe(d.substr(20), 4));
      out.push_back(absl::StrFormat("HD(%d,%s,%s,0x%x,0x%x)", LoadLe(d, 4),
                                    sig_type == 2 ? "GPT" : "MBR", sig, LoadLe(d.substr(4), 8),
                                    LoadLe(d.substr(12), 8)));
    } else if (type == 4 && sub == 4) {
      out.push_back(absl::StrCat("File(", Utf16ToUtf8(d), ")"));
    } else if (type == 4 && sub == 3 && d.size() >= 16) {
      out.push_back(
          absl::StrCat("VenMedia(", Guid(d.substr(0, 16)), ",", HexEncode(d.substr(16)), ")"));
    } else {
      out.push_back(absl::StrCat("Path(", type, ",", sub, ",", HexEncode(d), ")"));
    }
  }
  return out;
}

Json Details(const Event& e) {
  Json d = Json::object();
  const absl::string_view data = e.data;
  switch (e.type) {
    case 0x1:           // EV_POST_CODE
    case 0xd:           // EV_IPL
    case 0x80000007: {  // EV_EFI_ACTION
      d["string"] = CString(data);
      break;
    }
    case 0xa: {  // EV_PLATFORM_CONFIG_FLAGS, plain or td-shim {descriptor[16], u32 len, info}
      const absl::string_view trimmed = TrimNuls(data);
      if (trimmed.find('\0') == absl::string_view::npos && ValidUtf8(trimmed)) {
        d["string"] = std::string(trimmed);
      } else if (data.size() >= 20) {
        const std::string desc = Text(data.substr(0, 16));
        const size_t len = std::min<size_t>(LoadLe(data.substr(16), 4), data.size() - 20);
        const absl::string_view info = TrimNuls(data.substr(20, len));
        const bool text = !desc.empty() && info.find('\0') == absl::string_view::npos &&
                          ValidUtf8(info) && !info.empty();
        d["string"] = text ? absl::StrCat(desc, " ", info) : std::string();
      } else {
        d["string"] = "";
      }
      break;
    }
    case 0x6: {  // EV_EVENT_TAG: u32 id, u32 size, data
      if (data.size() < 8) break;
      const absl::string_view id = data.substr(0, 4);
      const size_t size = std::min<size_t>(LoadLe(data.substr(4), 4), data.size() - 8);
      const absl::string_view payload = data.substr(8, size);
      if (id == "LEAA") {  // AA event log entry: "domain operation content"
        d["unicode_name"] = "AAEL";
        const std::string text = Text(payload);
        d["string"] = text;
        const size_t a = text.find(' ');
        const size_t b = a == std::string::npos ? a : text.find(' ', a + 1);
        if (b != std::string::npos) {
          Json entry;
          entry["domain"] = text.substr(0, a);
          entry["operation"] = text.substr(a + 1, b - a - 1);
          const std::string content = text.substr(b + 1);
          Json parsed = Json::parse(content, nullptr, false);
          entry["content"] =
              (!parsed.is_discarded() && parsed.is_structured()) ? parsed : Json(content);
          d["data"] = entry;
        }
      } else {
        d["string"] = Text(payload);
      }
      break;
    }
    case 0x8000000a:    // EV_EFI_PLATFORM_FIRMWARE_BLOB2
    case 0x8000000b: {  // EV_EFI_HANDOFF_TABLES2
      if (data.empty()) break;
      const size_t n = std::min<size_t>(static_cast<uint8_t>(data[0]), data.size() - 1);
      d["string"] = Text(data.substr(1, n));
      break;
    }
    case 0x80000001:    // EV_EFI_VARIABLE_DRIVER_CONFIG
    case 0x80000002:    // EV_EFI_VARIABLE_BOOT
    case 0x8000000c:    // EV_EFI_VARIABLE_BOOT2
    case 0x800000e0: {  // EV_EFI_VARIABLE_AUTHORITY
      if (data.size() < 32) break;
      const uint64_t name_len = LoadLe(data.substr(16), 8);
      const uint64_t data_len = LoadLe(data.substr(24), 8);
      if (name_len > (data.size() - 32) / 2 || data_len > data.size() - 32 - 2 * name_len) break;
      d["variable_name"] = RawGuid(data.substr(0, 16));
      d["unicode_name_length"] = name_len;
      d["variable_data_length"] = data_len;
      d["unicode_name"] = Utf16ToUtf8(data.substr(32, 2 * name_len));
      d["variable_data"] = Base64Encode(data.substr(32 + 2 * name_len, data_len));
      break;
    }
    case 0x80000003:    // EV_EFI_BOOT_SERVICES_APPLICATION
    case 0x80000004:    // EV_EFI_BOOT_SERVICES_DRIVER
    case 0x80000005: {  // EV_EFI_RUNTIME_SERVICES_DRIVER
      if (data.size() < 32) break;
      const uint64_t len = LoadLe(data.substr(24), 8);
      if (len == 0 || len > data.size() - 32) break;
      d["device_paths"] = DevicePaths(data.substr(32, len));
      break;
    }
    default:
      break;
  }
  return d;
}

// Digest of `data` with a TCG algorithm id; empty for unknown algorithms.
std::string Digest(uint16_t alg, absl::string_view data) {
  const char* name = alg == 0x0004   ? "SHA1"
                     : alg == 0x000b ? "SHA256"
                     : alg == 0x000c ? "SHA384"
                     : alg == 0x000d ? "SHA512"
                     : alg == 0x0012 ? "SM3"
                                     : nullptr;
  if (name == nullptr) return "";
  EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  if (md == nullptr) return "";
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const bool ok = EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) == 1;
  EVP_MD_free(md);
  return ok ? std::string(reinterpret_cast<char*>(out), len) : "";
}

}  // namespace

absl::string_view EventTypeName(uint32_t type) {
  for (const auto& t : kTypeNames) {
    if (t.type == type) return t.name;
  }
  return "EV_UNKNOWN";
}

absl::string_view AlgName(uint16_t alg) {
  switch (alg) {
    case 0x0004:
      return "SHA-1";
    case 0x000b:
      return "SHA-256";
    case 0x000c:
      return "SHA-384";
    case 0x000d:
      return "SHA-512";
    case 0x0012:
      return "SM3";
    default:
      return "UNKNOWN";
  }
}

absl::StatusOr<EventLog> ParseCcel(absl::string_view bytes) {
  ByteReader r(bytes, "CC event log");
  EventLog log;
  // TCG_PCR_EVENT header: index, type (EV_NO_ACTION), SHA-1 digest, size, Spec ID event.
  COCOON_RETURN_IF_ERROR(r.U32Le("header.index").status());
  COCOON_ASSIGN_OR_RETURN(uint32_t type, r.U32Le("header.type"));
  if (type != kEvNoAction) return r.ErrorAt("header.type", 4, "is not EV_NO_ACTION");
  COCOON_RETURN_IF_ERROR(r.Skip(20, "header.digest"));
  const size_t spec_size_off = r.offset();
  COCOON_ASSIGN_OR_RETURN(uint32_t spec_size, r.U32Le("header.event_size"));
  if (spec_size > r.remaining()) {
    return r.ErrorAt("header.event_size", spec_size_off, "exceeds the log");
  }
  COCOON_ASSIGN_OR_RETURN(absl::string_view spec, r.Bytes(spec_size, "header.event"));
  {
    ByteReader s(spec, "CC event log", spec_size_off + 4);
    COCOON_ASSIGN_OR_RETURN(absl::string_view sig, s.Bytes(16, "spec_id.signature"));
    if (sig != absl::string_view("Spec ID Event03\0", 16)) {
      return s.ErrorAt("spec_id.signature", spec_size_off + 4, "is not \"Spec ID Event03\"");
    }
    COCOON_RETURN_IF_ERROR(s.Skip(8, "spec_id.platform_class_and_version"));
    const size_t n_off = s.offset();
    COCOON_ASSIGN_OR_RETURN(uint32_t n, s.U32Le("spec_id.number_of_algorithms"));
    if (n == 0 || n > 8) return s.ErrorAt("spec_id.number_of_algorithms", n_off, "must be 1..8");
    for (uint32_t i = 0; i < n; ++i) {
      COCOON_ASSIGN_OR_RETURN(uint16_t alg, s.U16Le("spec_id.algorithm_id"));
      COCOON_ASSIGN_OR_RETURN(uint16_t size, s.U16Le("spec_id.digest_size"));
      log.algorithms.emplace_back(alg, size);
    }
  }
  while (r.remaining() >= 8) {
    const size_t off = r.offset();
    COCOON_ASSIGN_OR_RETURN(absl::string_view head, r.Bytes(8, "event.header"));
    const uint32_t index = LoadU32Le(head);
    const uint32_t ev_type = LoadU32Le(head.substr(4));
    // The unused tail of the CCEL area is 0xFF (or zero) filled.
    if (index == 0xffffffff || (index == 0 && ev_type == 0)) break;
    Event e;
    e.index = index;
    e.type = ev_type;
    e.offset = off;
    const size_t count_off = r.offset();
    COCOON_ASSIGN_OR_RETURN(uint32_t count, r.U32Le("event.digest_count"));
    if (count == 0 || count > 8) return r.ErrorAt("event.digest_count", count_off, "must be 1..8");
    for (uint32_t i = 0; i < count; ++i) {
      const size_t alg_off = r.offset();
      COCOON_ASSIGN_OR_RETURN(uint16_t alg, r.U16Le("event.digest.alg"));
      const size_t size = DigestSize(log, alg);
      if (size == 0) {
        return r.ErrorAt("event.digest.alg", alg_off,
                         absl::StrCat("unknown algorithm 0x", absl::Hex(alg)));
      }
      COCOON_ASSIGN_OR_RETURN(absl::string_view dg, r.Bytes(size, "event.digest"));
      e.digests.push_back({alg, std::string(dg)});
    }
    const size_t size_off = r.offset();
    COCOON_ASSIGN_OR_RETURN(uint32_t size, r.U32Le("event.size"));
    if (size > kMaxEventSize) return r.ErrorAt("event.size", size_off, "is implausibly large");
    COCOON_ASSIGN_OR_RETURN(absl::string_view data, r.Bytes(size, "event.data"));
    e.data = std::string(data);
    log.events.push_back(std::move(e));
    if (log.events.size() > kMaxEvents) return r.Error("event", "too many events");
  }
  return log;
}

absl::StatusOr<std::array<std::string, 4>> ReplayRtmrs(const EventLog& log) {
  std::array<std::string, 4> rtmr;
  rtmr.fill(std::string(48, '\0'));
  for (const Event& e : log.events) {
    if (e.type == kEvNoAction || e.index < 1 || e.index > 4) continue;
    for (const auto& d : e.digests) {
      if (d.alg == kAlgSha384) {
        rtmr[e.index - 1] = crypto::Sha384(absl::StrCat(rtmr[e.index - 1], d.digest));
      }
    }
  }
  return rtmr;
}

absl::Status CheckRtmrs(const EventLog& log, const std::array<std::string, 4>& rtmrs) {
  COCOON_ASSIGN_OR_RETURN(auto replayed, ReplayRtmrs(log));
  for (int i = 0; i < 4; ++i) {
    if (replayed[i] != rtmrs[i]) {
      return absl::PermissionDeniedError(absl::StrCat(
          "Eventlog does not pass measurement replay: RTMR", i,
          " Calculated value: ", HexEncode(replayed[i]), ", Given value: ", HexEncode(rtmrs[i])));
    }
  }
  return absl::OkStatus();
}

Json EventLogToJson(const EventLog& log) {
  Json arr = Json::array();
  for (const Event& e : log.events) {
    Json j;
    j["index"] = e.index;
    j["type_name"] = std::string(EventTypeName(e.type));
    Json digests = Json::array();
    bool matches = false;
    for (const auto& d : e.digests) {
      digests.push_back({{"alg", std::string(AlgName(d.alg))}, {"digest", HexEncode(d.digest)}});
      if (Digest(d.alg, e.data) == d.digest) matches = true;
    }
    if (!matches && e.type == 0x6 && e.data.size() >= 8) {
      const absl::string_view payload = absl::string_view(e.data).substr(8);
      for (const auto& d : e.digests) {
        if (Digest(d.alg, payload) == d.digest) matches = true;
      }
    }
    j["digests"] = digests;
    j["event"] = Base64Encode(e.data);
    j["details"] = Details(e);
    j["digest_matches_event"] = matches;
    arr.push_back(std::move(j));
  }
  return arr;
}

std::string EventLogJson(const EventLog& log) {
  return EventLogToJson(log).dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace cocoon::attestation::eventlog
