#include "base/json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace cocoon {
namespace {

// Depth check that skips over string literals; runs before nlohmann's parser sees the input.
absl::Status CheckDepth(absl::string_view text, absl::string_view what, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) {
        return absl::InvalidArgumentError(
            absl::StrCat(what, ": JSON nested deeper than ", max_depth, " levels at byte ", i));
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return absl::OkStatus();
}

// Decodes UTF-8 into UTF-16 code units; false on invalid UTF-8.
bool ToUtf16(absl::string_view s, std::u16string* out) {
  out->clear();
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<uint8_t>(s[i]);
    uint32_t cp;
    size_t len;
    if (c < 0x80) {
      cp = c;
      len = 1;
    } else if ((c & 0xe0) == 0xc0) {
      cp = c & 0x1f;
      len = 2;
    } else if ((c & 0xf0) == 0xe0) {
      cp = c & 0x0f;
      len = 3;
    } else if ((c & 0xf8) == 0xf0) {
      cp = c & 0x07;
      len = 4;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<uint8_t>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out->push_back(static_cast<char16_t>(0xd800 + (cp >> 10)));
      out->push_back(static_cast<char16_t>(0xdc00 + (cp & 0x3ff)));
    } else {
      out->push_back(static_cast<char16_t>(cp));
    }
    i += len;
  }
  return true;
}

void AppendJcsString(std::string* out, absl::string_view s) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20) {
          absl::StrAppendFormat(out, "\\u%04x", c);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

// ECMAScript Number::toString (ECMA-262 7.1.12.1) on the shortest round-trip digits, as RFC 8785
// section 3.2.2.3 requires.
absl::Status AppendJcsNumber(std::string* out, double v) {
  if (!std::isfinite(v)) return absl::InvalidArgumentError("JCS: number is not finite");
  if (v == 0) {
    out->push_back('0');
    return absl::OkStatus();
  }
  if (v < 0) {
    out->push_back('-');
    v = -v;
  }
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  absl::string_view sci(buf, res.ptr - buf);  // d[.ddd]e[+-]xx
  const size_t e_pos = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e_pos)) {
    if (c != '.') digits.push_back(c);
  }
  int exp10 = 0;
  std::from_chars(sci.data() + e_pos + 1 + (sci[e_pos + 1] == '+' ? 1 : 0), sci.data() + sci.size(),
                  exp10);
  const int k = static_cast<int>(digits.size());
  const int n = exp10 + 1;  // value = 0.digits * 10^n
  if (k <= n && n <= 21) {
    out->append(digits);
    out->append(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out->append(digits, 0, static_cast<size_t>(n));
    out->push_back('.');
    out->append(digits, static_cast<size_t>(n));
  } else if (-6 < n && n <= 0) {
    out->append("0.");
    out->append(static_cast<size_t>(-n), '0');
    out->append(digits);
  } else {
    out->push_back(digits[0]);
    if (k > 1) {
      out->push_back('.');
      out->append(digits, 1);
    }
    out->push_back('e');
    out->push_back(n - 1 >= 0 ? '+' : '-');
    out->append(std::to_string(std::abs(n - 1)));
  }
  return absl::OkStatus();
}

absl::Status AppendCanonical(std::string* out, const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
      out->append("null");
      return absl::OkStatus();
    case Json::value_t::boolean:
      out->append(v.get<bool>() ? "true" : "false");
      return absl::OkStatus();
    case Json::value_t::number_integer:
      return AppendJcsNumber(out, static_cast<double>(v.get<int64_t>()));
    case Json::value_t::number_unsigned:
      return AppendJcsNumber(out, static_cast<double>(v.get<uint64_t>()));
    case Json::value_t::number_float:
      return AppendJcsNumber(out, v.get<double>());
    case Json::value_t::string: {
      const auto& s = v.get_ref<const std::string&>();
      std::u16string unused;
      if (!ToUtf16(s, &unused)) return absl::InvalidArgumentError("JCS: invalid UTF-8 in string");
      AppendJcsString(out, s);
      return absl::OkStatus();
    }
    case Json::value_t::array: {
      out->push_back('[');
      bool first = true;
      for (const auto& e : v) {
        if (!first) out->push_back(',');
        first = false;
        if (auto st = AppendCanonical(out, e); !st.ok()) return st;
      }
      out->push_back(']');
      return absl::OkStatus();
    }
    case Json::value_t::object: {
      struct Member {
        std::u16string key16;
        const std::string* key;
        const Json* value;
      };
      std::vector<Member> members;
      members.reserve(v.size());
      for (auto it = v.begin(); it != v.end(); ++it) {
        Member m{{}, &it.key(), &it.value()};
        if (!ToUtf16(it.key(), &m.key16)) {
          return absl::InvalidArgumentError("JCS: invalid UTF-8 in object key");
        }
        members.push_back(std::move(m));
      }
      std::sort(members.begin(), members.end(),
                [](const Member& a, const Member& b) { return a.key16 < b.key16; });
      out->push_back('{');
      bool first = true;
      for (const auto& m : members) {
        if (!first) out->push_back(',');
        first = false;
        AppendJcsString(out, *m.key);
        out->push_back(':');
        if (auto st = AppendCanonical(out, *m.value); !st.ok()) return st;
      }
      out->push_back('}');
      return absl::OkStatus();
    }
    case Json::value_t::binary:
    case Json::value_t::discarded:
      break;
  }
  return absl::InvalidArgumentError("JCS: value has no JSON representation");
}

}  // namespace

absl::StatusOr<Json> ParseJson(absl::string_view text, absl::string_view what, int max_depth) {
  if (auto st = CheckDepth(text, what, max_depth); !st.ok()) return st;
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    // nlohmann's message ends with the byte position; keep only the explanation after it.
    absl::string_view msg = e.what();
    if (auto pos = msg.find(": syntax error"); pos != absl::string_view::npos) {
      msg.remove_prefix(pos + 2);
    } else if (auto p2 = msg.rfind("] "); p2 != absl::string_view::npos) {
      msg.remove_prefix(p2 + 2);
    }
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": invalid JSON at byte ", e.byte, ": ", msg));
  }
}

absl::StatusOr<std::string> CanonicalJson(const Json& value) {
  std::string out;
  if (auto st = AppendCanonical(&out, value); !st.ok()) return st;
  return out;
}

void AppendGoJsonString(std::string* out, absl::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<uint8_t>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out->append("\\\"");
          break;
        case '\\':
          out->append("\\\\");
          break;
        case '\n':
          out->append("\\n");
          break;
        case '\r':
          out->append("\\r");
          break;
        case '\t':
          out->append("\\t");
          break;
        case '<':
        case '>':
        case '&':
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 15]);
          break;
        default:
          if (c < 0x20) {
            out->append("\\u00");
            out->push_back(kHex[c >> 4]);
            out->push_back(kHex[c & 15]);
          } else {
            out->push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    // Validate one multi-byte sequence; Go writes U+FFFD for each invalid byte.
    std::u16string unit;
    size_t len = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
    if (len == 0 || i + len > s.size() || !ToUtf16(s.substr(i, len), &unit)) {
      out->append("\\ufffd");
      ++i;
      continue;
    }
    if (unit.size() == 1 && (unit[0] == 0x2028 || unit[0] == 0x2029)) {
      out->append(unit[0] == 0x2028 ? "\\u2028" : "\\u2029");
    } else {
      out->append(s.data() + i, len);
    }
    i += len;
  }
  out->push_back('"');
}

absl::StatusOr<std::string> GetString(const Json& object, absl::string_view key,
                                      absl::string_view where) {
  if (!object.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": expected a JSON object"));
  }
  auto it = object.find(key);
  if (it == object.end()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": missing field \"", key, "\""));
  }
  if (!it->is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": field \"", key, "\" must be a string, got ", it->type_name()));
  }
  return it->get<std::string>();
}

}  // namespace cocoon
