#include "base/encoding.h"

#include <array>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace cocoon {
namespace {

constexpr absl::string_view kStdChars =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr absl::string_view kUrlChars =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

using DecodeTable = std::array<int8_t, 256>;

constexpr DecodeTable MakeTable(absl::string_view chars) {
  DecodeTable t{};
  for (auto& v : t) v = -1;
  for (size_t i = 0; i < chars.size(); ++i)
    t[static_cast<uint8_t>(chars[i])] = static_cast<int8_t>(i);
  return t;
}

constexpr DecodeTable kStdTable = MakeTable(kStdChars);
constexpr DecodeTable kUrlTable = MakeTable(kUrlChars);

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string Base64Encode(absl::string_view data, Base64Alphabet alphabet, bool pad) {
  const char* chars = (alphabet == Base64Alphabet::kStandard ? kStdChars : kUrlChars).data();
  const size_t full = data.size() / 3;
  const size_t rest = data.size() - full * 3;
  const size_t tail = rest == 0 ? 0 : (pad ? 4 : rest + 1);
  std::string out(full * 4 + tail, '\0');
  const auto* in = reinterpret_cast<const uint8_t*>(data.data());
  char* o = out.data();
  for (size_t i = 0; i < full; ++i, in += 3, o += 4) {
    const uint32_t v = (uint32_t{in[0]} << 16) | (uint32_t{in[1]} << 8) | uint32_t{in[2]};
    o[0] = chars[v >> 18];
    o[1] = chars[(v >> 12) & 63];
    o[2] = chars[(v >> 6) & 63];
    o[3] = chars[v & 63];
  }
  if (rest > 0) {
    uint32_t v = uint32_t{in[0]} << 16;
    if (rest == 2) v |= uint32_t{in[1]} << 8;
    o[0] = chars[v >> 18];
    o[1] = chars[(v >> 12) & 63];
    if (rest == 2) o[2] = chars[(v >> 6) & 63];
    if (pad) {
      if (rest == 1) o[2] = '=';
      o[3] = '=';
    }
  }
  return out;
}

absl::StatusOr<std::string> Base64Decode(absl::string_view text, Base64Alphabet alphabet,
                                         Base64Padding padding) {
  // Go's decoders skip CR and LF anywhere (PEM-style line breaks); so do we.
  std::string filtered;
  if (text.find_first_of("\r\n") != absl::string_view::npos) {
    filtered.reserve(text.size());
    for (char c : text) {
      if (c != '\r' && c != '\n') filtered.push_back(c);
    }
    text = filtered;
  }
  const DecodeTable& table = alphabet == Base64Alphabet::kStandard ? kStdTable : kUrlTable;
  size_t len = text.size();
  size_t pad_count = 0;
  while (len > 0 && text[len - 1] == '=' && pad_count < 2) {
    --len;
    ++pad_count;
  }
  if (pad_count > 0 && padding == Base64Padding::kNone) {
    return absl::InvalidArgumentError(absl::StrCat("base64: padding not allowed, at byte ", len));
  }
  if (padding == Base64Padding::kRequired && text.size() % 4 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("base64: length ", text.size(), " is not a multiple of 4 (padding required)"));
  }
  if (pad_count > 0 && (len + pad_count) % 4 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("base64: wrong amount of padding at byte ", len));
  }
  if (len % 4 == 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("base64: truncated input, dangling character at byte ", len - 1));
  }
  std::string out(len / 4 * 3 + (len % 4 == 0 ? 0 : len % 4 - 1), '\0');
  char* o = out.data();
  // Four symbols make three bytes; the tail (2 or 3 symbols) goes bit by bit below.
  const size_t quads = len / 4;
  for (size_t q = 0; q < quads; ++q, o += 3) {
    const size_t i = q * 4;
    const int8_t a = table[static_cast<uint8_t>(text[i])];
    const int8_t b = table[static_cast<uint8_t>(text[i + 1])];
    const int8_t c = table[static_cast<uint8_t>(text[i + 2])];
    const int8_t d = table[static_cast<uint8_t>(text[i + 3])];
    if ((a | b | c | d) < 0) {
      const size_t bad = a < 0 ? i : b < 0 ? i + 1 : c < 0 ? i + 2 : i + 3;
      return absl::InvalidArgumentError(absl::StrCat("base64: illegal character at byte ", bad));
    }
    const uint32_t v = (static_cast<uint32_t>(a) << 18) | (static_cast<uint32_t>(b) << 12) |
                       (static_cast<uint32_t>(c) << 6) | static_cast<uint32_t>(d);
    o[0] = static_cast<char>(v >> 16);
    o[1] = static_cast<char>((v >> 8) & 0xff);
    o[2] = static_cast<char>(v & 0xff);
  }
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = quads * 4; i < len; ++i) {
    const int8_t v = table[static_cast<uint8_t>(text[i])];
    if (v < 0) {
      return absl::InvalidArgumentError(absl::StrCat("base64: illegal character at byte ", i));
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      *o++ = static_cast<char>((acc >> bits) & 0xff);
    }
  }
  // Non-canonical encodings (non-zero bits in the last symbol) are rejected, as Go's strict
  // decoding and RFC 4648 section 3.5 recommend, so that one byte string has one encoding.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("base64: non-zero trailing bits at byte ", len - 1));
  }
  return out;
}

std::string HexEncode(absl::string_view data) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(data.size() * 2);
  for (unsigned char c : data) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

absl::StatusOr<std::string> HexDecode(absl::string_view text) {
  if (text.size() % 2 != 0) {
    return absl::InvalidArgumentError(absl::StrCat("hex: odd length ", text.size()));
  }
  std::string out;
  out.reserve(text.size() / 2);
  for (size_t i = 0; i < text.size(); i += 2) {
    const int hi = HexValue(text[i]);
    const int lo = HexValue(text[i + 1]);
    if (hi < 0 || lo < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("hex: illegal character at byte ", hi < 0 ? i : i + 1));
    }
    out.push_back(static_cast<char>((hi << 4) | lo));
  }
  return out;
}

}  // namespace cocoon
