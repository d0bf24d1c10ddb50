#include "policy/builtins.h"

#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/encoding.h"
#include "base/json.h"
#include "re2/re2.h"

namespace cocoon::policy {
namespace {

constexpr size_t kMaxRegexPattern = 4096;
constexpr size_t kMaxRegexCache = 1024;

absl::Status TypeError(absl::string_view fn, int arg, absl::string_view want, const Value& got) {
  return absl::InvalidArgumentError(absl::StrCat(fn, ": operand ", arg, " must be ", want,
                                                 " but got ", Value::KindName(got.kind())));
}

#define REQUIRE_KIND(fn, idx, pred, want) \
  if (!(args[idx].pred())) return TypeError(fn, (idx) + 1, want, args[idx])

// ---- numbers -----------------------------------------------------------------------------

absl::StatusOr<Value> FiniteNumber(double d, absl::string_view fn) {
  if (!std::isfinite(d)) return absl::OutOfRangeError(absl::StrCat(fn, ": number out of range"));
  return Value::Number(d);
}

// An int64 from an integral number, refusing values outside the range.
absl::StatusOr<int64_t> ToInt(const Value& v, absl::string_view fn, int arg) {
  if (!v.is_number()) return TypeError(fn, arg, "number", v);
  if (v.is_int()) return v.as_int();
  return absl::InvalidArgumentError(absl::StrCat(fn, ": operand ", arg, " must be an integer"));
}

absl::StatusOr<Value> Arith(char op, const Value& a, const Value& b) {
  const char name[2] = {op, 0};
  if (!a.is_number()) return TypeError(name, 1, "number", a);
  if (!b.is_number()) return TypeError(name, 2, "number", b);
  if (a.is_int() && b.is_int()) {
    const int64_t x = a.as_int(), y = b.as_int();
    int64_t r;
    switch (op) {
      case '+':
        if (!__builtin_add_overflow(x, y, &r)) return Value::Int(r);
        break;
      case '-':
        if (!__builtin_sub_overflow(x, y, &r)) return Value::Int(r);
        break;
      case '*':
        if (!__builtin_mul_overflow(x, y, &r)) return Value::Int(r);
        break;
      case '/':
        if (y == 0) return absl::InvalidArgumentError("div: divide by zero");
        if (y != -1 && x % y == 0) return Value::Int(x / y);
        break;
      case '%':
        if (y == 0) return absl::InvalidArgumentError("rem: modulo by zero");
        if (y == -1) return Value::Int(0);
        return Value::Int(x % y);
    }
  }
  const double x = a.as_double(), y = b.as_double();
  switch (op) {
    case '+':
      return FiniteNumber(x + y, "plus");
    case '-':
      return FiniteNumber(x - y, "minus");
    case '*':
      return FiniteNumber(x * y, "mul");
    case '/':
      if (y == 0) return absl::InvalidArgumentError("div: divide by zero");
      return FiniteNumber(x / y, "div");
    default:
      return absl::InvalidArgumentError("rem: modulo on floating-point number");
  }
}

absl::StatusOr<Value> SetOp(char op, const Value& a, const Value& b) {
  std::vector<Value> out;
  const auto& x = a.elems();
  const auto& y = b.elems();
  if (op == '|') {
    std::set_union(x.begin(), x.end(), y.begin(), y.end(), std::back_inserter(out));
  } else if (op == '&') {
    std::set_intersection(x.begin(), x.end(), y.begin(), y.end(), std::back_inserter(out));
  } else {
    std::set_difference(x.begin(), x.end(), y.begin(), y.end(), std::back_inserter(out));
  }
  return Value::Set(std::move(out));
}

absl::StatusOr<Value> BPlus(BuiltinContext&, absl::Span<const Value> args) {
  return Arith('+', args[0], args[1]);
}
absl::StatusOr<Value> BMinus(BuiltinContext&, absl::Span<const Value> args) {
  if (args[0].is_set() && args[1].is_set()) return SetOp('-', args[0], args[1]);
  return Arith('-', args[0], args[1]);
}
absl::StatusOr<Value> BMul(BuiltinContext&, absl::Span<const Value> args) {
  return Arith('*', args[0], args[1]);
}
absl::StatusOr<Value> BDiv(BuiltinContext&, absl::Span<const Value> args) {
  return Arith('/', args[0], args[1]);
}
absl::StatusOr<Value> BRem(BuiltinContext&, absl::Span<const Value> args) {
  return Arith('%', args[0], args[1]);
}
absl::StatusOr<Value> BAnd(BuiltinContext&, absl::Span<const Value> args) {
  REQUIRE_KIND("and", 0, is_set, "set");
  REQUIRE_KIND("and", 1, is_set, "set");
  return SetOp('&', args[0], args[1]);
}
absl::StatusOr<Value> BOr(BuiltinContext&, absl::Span<const Value> args) {
  REQUIRE_KIND("or", 0, is_set, "set");
  REQUIRE_KIND("or", 1, is_set, "set");
  return SetOp('|', args[0], args[1]);
}

absl::StatusOr<Value> BEqual(BuiltinContext&, absl::Span<const Value> args) {
  return Value::Bool(args[0] == args[1]);
}
absl::StatusOr<Value> BNeq(BuiltinContext&, absl::Span<const Value> args) {
  return Value::Bool(args[0] != args[1]);
}
absl::StatusOr<Value> BLt(BuiltinContext&, absl::Span<const Value> args) {
  return Value::Bool(Value::Compare(args[0], args[1]) < 0);
}
absl::StatusOr<Value> BLte(BuiltinContext&, absl::Span<const Value> args) {
  return Value::Bool(Value::Compare(args[0], args[1]) <= 0);
}
absl::StatusOr<Value> BGt(BuiltinContext&, absl::Span<const Value> args) {
  return Value::Bool(Value::Compare(args[0], args[1]) > 0);
}
absl::StatusOr<Value> BGte(BuiltinContext&, absl::Span<const Value> args) {
  return Value::Bool(Value::Compare(args[0], args[1]) >= 0);
}

absl::StatusOr<Value> BAbs(BuiltinContext&, absl::Span<const Value> args) {
  REQUIRE_KIND("abs", 0, is_number, "number");
  if (args[0].is_int()) {
    if (args[0].as_int() == INT64_MIN) return Value::Number(9223372036854775808.0);
    return Value::Int(std::llabs(args[0].as_int()));
  }
  return Value::Number(std::fabs(args[0].as_double()));
}

template <double (*F)(double)>
absl::StatusOr<Value> Rounding(BuiltinContext&, absl::Span<const Value> args) {
  REQUIRE_KIND("round", 0, is_number, "number");
  if (args[0].is_int()) return args[0];
  return Value::Number(F(args[0].as_double()));
}

absl::StatusOr<Value> BCount(BuiltinContext&, absl::Span<const Value> args) {
  const Value& v = args[0];
  if (v.is_string()) {
    int64_t n = 0;
    for (char c : v.str()) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return Value::Int(n);
  }
  if (v.is_array() || v.is_set() || v.is_object())
    return Value::Int(static_cast<int64_t>(v.size()));
  return TypeError("count", 1, "a collection or string", v);
}

absl::StatusOr<Value> Fold(absl::string_view fn, const Value& coll, bool product) {
  if (!coll.is_array() && !coll.is_set()) return TypeError(fn, 1, "array or set", coll);
  Value acc = Value::Int(product ? 1 : 0);
  for (const Value& e : coll.elems()) {
    if (!e.is_number()) return TypeError(fn, 1, "a collection of numbers", e);
    auto r = Arith(product ? '*' : '+', acc, e);
    if (!r.ok()) return r;
    acc = *r;
  }
  return acc;
}
absl::StatusOr<Value> BSum(BuiltinContext&, absl::Span<const Value> args) {
  return Fold("sum", args[0], false);
}
absl::StatusOr<Value> BProduct(BuiltinContext&, absl::Span<const Value> args) {
  return Fold("product", args[0], true);
}

absl::StatusOr<Value> Extreme(absl::string_view fn, const Value& coll, bool want_max) {
  if (!coll.is_array() && !coll.is_set()) return TypeError(fn, 1, "array or set", coll);
  const auto& e = coll.elems();
  if (e.empty()) return Value();
  const Value* best = &e[0];
  for (const Value& x : e) {
    if (want_max ? *best < x : x < *best) best = &x;
  }
  return *best;
}
absl::StatusOr<Value> BMax(BuiltinContext&, absl::Span<const Value> args) {
  return Extreme("max", args[0], true);
}
absl::StatusOr<Value> BMin(BuiltinContext&, absl::Span<const Value> args) {
  return Extreme("min", args[0], false);
}

absl::StatusOr<Value> BSort(BuiltinContext&, absl::Span<const Value> args) {
  if (args[0].is_set()) return Value::Array(args[0].elems());
  REQUIRE_KIND("sort", 0, is_array, "array or set");
  std::vector<Value> v = args[0].elems();
  std::sort(v.begin(), v.end());
  return Value::Array(std::move(v));
}

absl::StatusOr<Value> BRange(BuiltinContext& ctx, absl::Span<const Value> args) {
  auto a = ToInt(args[0], "numbers.range", 1);
  if (!a.ok()) return a.status();
  auto b = ToInt(args[1], "numbers.range", 2);
  if (!b.ok()) return b.status();
  const long double span = std::fabs(static_cast<long double>(*b) - static_cast<long double>(*a));
  if (span > 1e9) return absl::ResourceExhaustedError("numbers.range: range too large");
  const size_t n = static_cast<size_t>(span) + 1;
  if (auto st = ctx.Charge(n * sizeof(Value)); !st.ok()) return st;
  std::vector<Value> out;
  out.reserve(n);
  const int64_t step = *a <= *b ? 1 : -1;
  for (int64_t i = *a;; i += step) {
    out.push_back(Value::Int(i));
    if (i == *b) break;
  }
  return Value::Array(std::move(out));
}

// ---- strings -----------------------------------------------------------------------------

std::vector<size_t> RuneOffsets(const std::string& s) {
  std::vector<size_t> offs;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) offs.push_back(i);
  }
  return offs;
}

size_t RuneLen(const std::string& s, size_t i) {
  size_t j = i + 1;
  while (j < s.size() && (static_cast<unsigned char>(s[j]) & 0xC0) == 0x80) ++j;
  return j - i;
}

absl::StatusOr<Value> BStartsWith(BuiltinContext&, absl::Span<const Value> args) {
  REQUIRE_KIND("startswith", 0, is_string, "string");
  REQUIRE_KIND("startswith", 1, is_string, "string");
  return Value::Bool(absl::StartsWith(args[0].str(), args[1].str()));
}
absl::StatusOr<Value> BEndsWith(BuiltinContext&, absl::Span<const Value> args) {
  REQUIRE_KIND("endswith", 0, is_string, "string");
  REQUIRE_KIND("endswith", 1, is_string, "string");
  return Value::Bool(absl::EndsWith(args[0].str(), args[1].str()));
}
absl::StatusOr<Value> BContains(BuiltinContext&, absl::Span<const Value> args) {
  REQUIRE_KIND("contains", 0, is_string, "string");
  REQUIRE_KIND("contains", 1, is_string, "string");
  return Value::Bool(absl::StrContains(args[0].str(), args[1].str()));
}

absl::StatusOr<Value> BConcat(BuiltinContext& ctx, absl::Span<const Value> args) {
  REQUIRE_KIND("concat", 0, is_string, "string");
  if (!args[1].is_array() && !args[1].is_set())
    return TypeError("concat", 2, "array or set", args[1]);
  std::string out;
  bool first = true;
  for (const Value& e : args[1].elems()) {
    if (!e.is_string()) return TypeError("concat", 2, "a collection of strings", e);
    if (!first) out.append(args[0].str());
    first = false;
    out.append(e.str());
    if (out.size() > ctx.max_string_bytes) break;
  }
  if (auto st = ctx.ChargeString(out.size()); !st.ok()) return st;
  return Value::String(std::move(out));
}

absl::StatusOr<Value> BSplit(BuiltinContext& ctx, absl::Span<const Value> args) {
  REQUIRE_KIND("split", 0, is_string, "string");
  REQUIRE_KIND("split", 1, is_string, "string");
  const std::string& s = args[0].str();
  const std::string& d = args[1].str();
  std::vector<Value> out;
  if (d.empty()) {
    for (size_t i = 0; i < s.size();) {
      const size_t n = RuneLen(s, i);
      out.push_back(Value::String(s.substr(i, n)));
      i += n;
    }
  } else {
    for (absl::string_view part : absl::StrSplit(s, d))
      out.push_back(Value::String(std::string(part)));
  }
  if (auto st = ctx.Charge(out.size() * sizeof(Value) + s.size()); !st.ok()) return st;
  return Value::Array(std::move(out));
}

absl::StatusOr<Value> BReplace(BuiltinContext& ctx, absl::Span<const Value> args) {
  for (int i = 0; i < 3; ++i) REQUIRE_KIND("replace", i, is_string, "string");
  const std::string& s = args[0].str();
  const std::string& from = args[1].str();
  const std::string& to = args[2].str();
  std::string out;
  if (from.empty()) {
    // Like Go's strings.ReplaceAll: `to` goes before every rune and at the end.
    for (size_t i = 0; i < s.size();) {
      const size_t n = RuneLen(s, i);
      out.append(to);
      out.append(s, i, n);
      i += n;
      if (out.size() > ctx.max_string_bytes) break;
    }
    out.append(to);
  } else {
    size_t pos = 0;
    while (true) {
      const size_t hit = s.find(from, pos);
      if (hit == std::string::npos) break;
      out.append(s, pos, hit - pos);
      out.append(to);
      pos = hit + from.size();
      if (out.size() > ctx.max_string_bytes) break;
    }
    if (pos <= s.size()) out.append(s, pos, std::string::npos);
  }
  if (auto st = ctx.ChargeString(out.size()); !st.ok()) return st;
  return Value::String(std::move(out));
}

absl::StatusOr<Value> BLower(BuiltinContext&, absl::Span<const Value> args) {
  REQUIRE_KIND("lower", 0, is_string, "string");
  return Value::String(absl::AsciiStrToLower(args[0].str()));
}
absl::StatusOr<Value> BUpper(BuiltinContext&, absl::Span<const Value> args) {
  REQUIRE_KIND("upper", 0, is_string, "string");
  return Value::String(absl::AsciiStrToUpper(args[0].str()));
}

// Go's strings.Trim family: `cutset` is a set of runes.
bool InCutset(absl::string_view rune, const std::string& cutset) {
  for (size_t i = 0; i < cutset.size();) {
    const size_t n = RuneLen(cutset, i);
    if (absl::string_view(cutset).substr(i, n) == rune) return true;
    i += n;
  }
  return false;
}

std::string TrimRunes(const std::string& s, const std::string& cutset, bool left, bool right) {
  size_t b = 0, e = s.size();
  if (left) {
    while (b < e) {
      const size_t n = RuneLen(s, b);
      if (!InCutset(absl::string_view(s).substr(b, n), cutset)) break;
      b += n;
    }
  }
  if (right) {
    while (e > b) {
      size_t st = e - 1;
      while (st > b && (static_cast<unsigned char>(s[st]) & 0xC0) == 0x80) --st;
      if (!InCutset(absl::string_view(s).substr(st, e - st), cutset)) break;
      e = st;
    }
  }
  return s.substr(b, e - b);
}

template <bool kLeft, bool kRight>
absl::StatusOr<Value> BTrim(BuiltinContext&, absl::Span<const Value> args) {
  REQUIRE_KIND("trim", 0, is_string, "string");
  REQUIRE_KIND("trim", 1, is_string, "string");
  return Value::String(TrimRunes(args[0].str(), args[1].str(), kLeft, kRight));
}

absl::StatusOr<Value> BTrimPrefix(BuiltinContext&, absl::Span<const Value> args) {
  REQUIRE_KIND("trim_prefix", 0, is_string, "string");
  REQUIRE_KIND("trim_prefix", 1, is_string, "string");
  absl::string_view s = args[0].str();
  absl::ConsumePrefix(&s, args[1].str());
  return Value::String(std::string(s));
}
absl::StatusOr<Value> BTrimSuffix(BuiltinContext&, absl::Span<const Value> args) {
  REQUIRE_KIND("trim_suffix", 0, is_string, "string");
  REQUIRE_KIND("trim_suffix", 1, is_string, "string");
  absl::string_view s = args[0].str();
  absl::ConsumeSuffix(&s, args[1].str());
  return Value::String(std::string(s));
}
absl::StatusOr<Value> BTrimSpace(BuiltinContext&, absl::Span<const Value> args) {
  REQUIRE_KIND("trim_space", 0, is_string, "string");
  return Value::String(std::string(absl::StripAsciiWhitespace(args[0].str())));
}

absl::StatusOr<Value> BSubstring(BuiltinContext&, absl::Span<const Value> args) {
  REQUIRE_KIND("substring", 0, is_string, "string");
  auto start = ToInt(args[1], "substring", 2);
  if (!start.ok()) return start.status();
  auto len = ToInt(args[2], "substring", 3);
  if (!len.ok()) return len.status();
  if (*start < 0) return absl::InvalidArgumentError("substring: negative offset");
  const std::string& s = args[0].str();
  const std::vector<size_t> offs = RuneOffsets(s);
  if (static_cast<uint64_t>(*start) >= offs.size()) return Value::String("");
  const size_t b = offs[static_cast<size_t>(*start)];
  size_t e = s.size();
  if (*len >= 0 && static_cast<uint64_t>(*start) + static_cast<uint64_t>(*len) < offs.size()) {
    e = offs[static_cast<size_t>(*start + *len)];
  }
  return Value::String(s.substr(b, e - b));
}

absl::StatusOr<Value> BIndexOf(BuiltinContext&, absl::Span<const Value> args) {
  REQUIRE_KIND("indexof", 0, is_string, "string");
  REQUIRE_KIND("indexof", 1, is_string, "string");
  const std::string& s = args[0].str();
  const size_t pos = s.find(args[1].str());
  if (pos == std::string::npos) return Value::Int(-1);
  int64_t runes = 0;
  for (size_t i = 0; i < pos; ++i) runes += (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80;
  return Value::Int(runes);
}

absl::StatusOr<Value> BReverse(BuiltinContext&, absl::Span<const Value> args) {
  REQUIRE_KIND("strings.reverse", 0, is_string, "string");
  const std::string& s = args[0].str();
  std::string out;
  out.reserve(s.size());
  for (size_t e = s.size(); e > 0;) {
    size_t b = e - 1;
    while (b > 0 && (static_cast<unsigned char>(s[b]) & 0xC0) == 0x80) --b;
    out.append(s, b, e - b);
    e = b;
  }
  return Value::String(std::move(out));
}

absl::StatusOr<Value> BFormatInt(BuiltinContext&, absl::Span<const Value> args) {
  REQUIRE_KIND("format_int", 0, is_number, "number");
  auto base = ToInt(args[1], "format_int", 2);
  if (!base.ok()) return base.status();
  if (*base != 2 && *base != 8 && *base != 10 && *base != 16) {
    return absl::InvalidArgumentError("format_int: base must be one of 2, 8, 10, 16");
  }
  double d = args[0].as_double();
  int64_t i;
  if (args[0].is_int()) {
    i = args[0].as_int();
  } else {
    d = std::trunc(d);
    if (!(d > -9223372036854775808.0 && d < 9223372036854775808.0)) {
      return absl::OutOfRangeError("format_int: number out of range");
    }
    i = static_cast<int64_t>(d);
  }
  const bool neg = i < 0;
  uint64_t u = neg ? 0 - static_cast<uint64_t>(i) : static_cast<uint64_t>(i);
  char buf[80];
  auto r = std::to_chars(buf, buf + sizeof(buf), u, static_cast<int>(*base));
  return Value::String(absl::StrCat(neg ? "-" : "", absl::string_view(buf, r.ptr - buf)));
}

absl::StatusOr<Value> ParseNumberText(absl::string_view text, absl::string_view fn) {
  // JSON number syntax only.
  size_t i = 0;
  if (i < text.size() && text[i] == '-') ++i;
  const size_t digits = i;
  while (i < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) ++i;
  bool is_int = true;
  if (i == digits) return absl::InvalidArgumentError(absl::StrCat(fn, ": invalid number"));
  if (i < text.size() && text[i] == '.') {
    is_int = false;
    ++i;
    const size_t f = i;
    while (i < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) ++i;
    if (i == f) return absl::InvalidArgumentError(absl::StrCat(fn, ": invalid number"));
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    is_int = false;
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    const size_t f = i;
    while (i < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) ++i;
    if (i == f) return absl::InvalidArgumentError(absl::StrCat(fn, ": invalid number"));
  }
  if (i != text.size()) return absl::InvalidArgumentError(absl::StrCat(fn, ": invalid number"));
  if (is_int) {
    int64_t v;
    auto r = std::from_chars(text.data(), text.data() + text.size(), v);
    if (r.ec == std::errc() && r.ptr == text.data() + text.size()) return Value::Int(v);
  }
  const std::string copy(text);
  const double d = std::strtod(copy.c_str(), nullptr);
  return FiniteNumber(d, fn);
}

absl::StatusOr<Value> BToNumber(BuiltinContext&, absl::Span<const Value> args) {
  const Value& v = args[0];
  switch (v.kind()) {
    case Value::Kind::kNull:
      return Value::Int(0);
    case Value::Kind::kBool:
      return Value::Int(v.as_bool() ? 1 : 0);
    case Value::Kind::kNumber:
      return v;
    case Value::Kind::kString:
      return ParseNumberText(v.str(), "to_number");
    default:
      return TypeError("to_number", 1, "null, boolean, number or string", v);
  }
}

// ---- sprintf -----------------------------------------------------------------------------

void Pad(std::string* out, const std::string& s, int width, bool left, bool zero) {
  const int n = static_cast<int>(s.size());
  if (width <= n) {
    out->append(s);
    return;
  }
  if (left) {
    out->append(s);
    out->append(static_cast<size_t>(width - n), ' ');
  } else if (zero) {
    size_t sign = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
    out->append(s, 0, sign);
    out->append(static_cast<size_t>(width - n), '0');
    out->append(s, sign, std::string::npos);
  } else {
    out->append(static_cast<size_t>(width - n), ' ');
    out->append(s);
  }
}

std::string QuoteGo(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\x%02x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out += "\"";
  return out;
}

absl::StatusOr<Value> BSprintf(BuiltinContext& ctx, absl::Span<const Value> args) {
  REQUIRE_KIND("sprintf", 0, is_string, "string");
  REQUIRE_KIND("sprintf", 1, is_array, "array");
  const std::string& f = args[0].str();
  const auto& vals = args[1].elems();
  size_t next = 0;
  std::string out;
  for (size_t i = 0; i < f.size(); ++i) {
    if (out.size() > ctx.max_string_bytes) break;
    if (f[i] != '%') {
      out.push_back(f[i]);
      continue;
    }
    ++i;
    bool left = false, plus = false, zero = false, space = false, sharp = false;
    for (; i < f.size(); ++i) {
      if (f[i] == '-') {
        left = true;
      } else if (f[i] == '+') {
        plus = true;
      } else if (f[i] == '0') {
        zero = true;
      } else if (f[i] == ' ') {
        space = true;
      } else if (f[i] == '#') {
        sharp = true;
      } else {
        break;
      }
    }
    int width = -1, prec = -1;
    while (i < f.size() && absl::ascii_isdigit(static_cast<unsigned char>(f[i]))) {
      width = (width < 0 ? 0 : width) * 10 + (f[i] - '0');
      if (width > 10000) return absl::InvalidArgumentError("sprintf: width too large");
      ++i;
    }
    if (i < f.size() && f[i] == '.') {
      ++i;
      prec = 0;
      while (i < f.size() && absl::ascii_isdigit(static_cast<unsigned char>(f[i]))) {
        prec = prec * 10 + (f[i] - '0');
        if (prec > 1000) return absl::InvalidArgumentError("sprintf: precision too large");
        ++i;
      }
    }
    if (i >= f.size()) {
      out.append("%!(NOVERB)");
      break;
    }
    const char verb = f[i];
    if (verb == '%') {
      out.push_back('%');
      continue;
    }
    if (next >= vals.size()) {
      absl::StrAppend(&out, "%!", std::string(1, verb), "(MISSING)");
      continue;
    }
    const Value& v = vals[next++];
    std::string s;
    switch (verb) {
      case 'v':
      case 's':
        s = FormatForPrint(v);
        if (verb == 's' && prec >= 0 && v.is_string() && static_cast<size_t>(prec) < s.size()) {
          s.resize(static_cast<size_t>(prec));
        }
        break;
      case 'q':
        s = v.is_string() ? QuoteGo(v.str()) : FormatForPrint(v);
        break;
      case 't':
        s = v.is_bool() ? (v.as_bool() ? "true" : "false") : FormatForPrint(v);
        break;
      case 'd':
      case 'x':
      case 'X':
      case 'o':
      case 'b': {
        if (v.is_int()) {
          const int64_t n = v.as_int();
          const bool neg = n < 0;
          const uint64_t u = neg ? 0 - static_cast<uint64_t>(n) : static_cast<uint64_t>(n);
          const int base = verb == 'd' ? 10 : (verb == 'o' ? 8 : (verb == 'b' ? 2 : 16));
          char buf[80];
          auto r = std::to_chars(buf, buf + sizeof(buf), u, base);
          std::string digits(buf, r.ptr);
          if (verb == 'X') digits = absl::AsciiStrToUpper(digits);
          if (sharp && base == 16) digits = (verb == 'X' ? "0X" : "0x") + digits;
          if (sharp && base == 8) digits = "0" + digits;
          s = absl::StrCat(neg ? "-" : (plus ? "+" : (space ? " " : "")), digits);
        } else if (v.is_string() && (verb == 'x' || verb == 'X')) {
          s = HexEncode(v.str());
          if (verb == 'X') s = absl::AsciiStrToUpper(s);
        } else if (v.is_number()) {
          // Go prints a non-integral number given to %d in its %v form with a marker.
          s = absl::StrCat("%!", std::string(1, verb), "(float64=", FormatForPrint(v), ")");
        } else {
          s = FormatForPrint(v);
        }
        break;
      }
      case 'f':
      case 'F':
      case 'e':
      case 'E':
      case 'g':
      case 'G': {
        if (!v.is_number()) {
          s = FormatForPrint(v);
          break;
        }
        std::string spec = "%";
        if (plus) spec += '+';
        if (space) spec += ' ';
        if (sharp) spec += '#';
        if (prec >= 0) absl::StrAppend(&spec, ".", prec);
        spec.push_back(verb == 'F' ? 'f' : verb);
        const double d = v.as_double();
        const int n = std::snprintf(nullptr, 0, spec.c_str(), d);
        if (n < 0) return absl::InvalidArgumentError("sprintf: bad format");
        s.resize(static_cast<size_t>(n) + 1);
        std::snprintf(s.data(), s.size(), spec.c_str(), d);
        s.resize(static_cast<size_t>(n));
        break;
      }
      default:
        s = absl::StrCat("%!", std::string(1, verb), "(", FormatForPrint(v), ")");
    }
    Pad(&out, s, width, left, zero && !left);
  }
  if (next < vals.size()) {
    out.append("%!(EXTRA ");
    for (size_t i = next; i < vals.size(); ++i) {
      if (i > next) out.append(", ");
      out.append(FormatForPrint(vals[i]));
    }
    out.append(")");
  }
  if (auto st = ctx.ChargeString(out.size()); !st.ok()) return st;
  return Value::String(std::move(out));
}

// ---- types -------------------------------------------------------------------------------

template <Value::Kind K>
absl::StatusOr<Value> BIsKind(BuiltinContext&, absl::Span<const Value> args) {
  return Value::Bool(args[0].kind() == K);
}

absl::StatusOr<Value> BTypeName(BuiltinContext&, absl::Span<const Value> args) {
  return Value::String(Value::KindName(args[0].kind()));
}

// ---- objects, arrays, sets ---------------------------------------------------------------

absl::StatusOr<Value> BObjectGet(BuiltinContext&, absl::Span<const Value> args) {
  REQUIRE_KIND("object.get", 0, is_object, "object");
  if (args[1].is_array()) {
    const Value* cur = &args[0];
    for (const Value& k : args[1].elems()) {
      cur = cur->Find(k);
      if (!cur) return args[2];
    }
    return *cur;
  }
  const Value* v = args[0].Find(args[1]);
  return v ? *v : args[2];
}

absl::StatusOr<Value> BObjectKeys(BuiltinContext&, absl::Span<const Value> args) {
  REQUIRE_KIND("object.keys", 0, is_object, "object");
  std::vector<Value> keys;
  keys.reserve(args[0].size());
  for (const auto& it : args[0].items()) keys.push_back(it.first);
  return Value::Set(std::move(keys));
}

// Recursive merge: members of `b` win, except that two objects are merged.
Value UnionObjects(const Value& a, const Value& b, int depth) {
  if (!a.is_object() || !b.is_object() || depth > 256) return b;
  std::vector<Value::Item> out;
  const auto& x = a.items();
  const auto& y = b.items();
  size_t i = 0, j = 0;
  while (i < x.size() || j < y.size()) {
    if (j >= y.size() || (i < x.size() && x[i].first < y[j].first)) {
      out.push_back(x[i++]);
    } else if (i >= x.size() || y[j].first < x[i].first) {
      out.push_back(y[j++]);
    } else {
      out.emplace_back(x[i].first, UnionObjects(x[i].second, y[j].second, depth + 1));
      ++i;
      ++j;
    }
  }
  return Value::ObjectFromSorted(std::move(out));
}

absl::StatusOr<Value> BObjectUnion(BuiltinContext&, absl::Span<const Value> args) {
  REQUIRE_KIND("object.union", 0, is_object, "object");
  REQUIRE_KIND("object.union", 1, is_object, "object");
  return UnionObjects(args[0], args[1], 0);
}

absl::StatusOr<Value> BObjectUnionN(BuiltinContext&, absl::Span<const Value> args) {
  REQUIRE_KIND("object.union_n", 0, is_array, "array");
  Value acc = Value::EmptyObject();
  for (const Value& o : args[0].elems()) {
    if (!o.is_object()) return TypeError("object.union_n", 1, "an array of objects", o);
    acc = UnionObjects(acc, o, 0);
  }
  return acc;
}

absl::StatusOr<std::vector<Value>> KeyList(const Value& keys, absl::string_view fn) {
  if (keys.is_array() || keys.is_set()) return keys.elems();
  if (keys.is_object()) {
    std::vector<Value> out;
    for (const auto& it : keys.items()) out.push_back(it.first);
    return out;
  }
  return TypeError(fn, 2, "array, set or object", keys);
}

absl::StatusOr<Value> BObjectRemoveOrFilter(absl::Span<const Value> args, bool keep,
                                            absl::string_view fn) {
  REQUIRE_KIND(fn, 0, is_object, "object");
  auto keys = KeyList(args[1], fn);
  if (!keys.ok()) return keys.status();
  const Value set = Value::Set(std::move(*keys));
  std::vector<Value::Item> out;
  for (const auto& it : args[0].items()) {
    if ((set.Find(it.first) != nullptr) == keep) out.push_back(it);
  }
  return Value::ObjectFromSorted(std::move(out));
}
absl::StatusOr<Value> BObjectRemove(BuiltinContext&, absl::Span<const Value> args) {
  return BObjectRemoveOrFilter(args, false, "object.remove");
}
absl::StatusOr<Value> BObjectFilter(BuiltinContext&, absl::Span<const Value> args) {
  return BObjectRemoveOrFilter(args, true, "object.filter");
}

bool IsSubset(const Value& super, const Value& sub, int depth) {
  if (depth > 256) return false;
  if (super.is_object() && sub.is_object()) {
    for (const auto& [k, v] : sub.items()) {
      const Value* s = super.Find(k);
      if (!s || !IsSubset(*s, v, depth + 1)) return false;
    }
    return true;
  }
  if (super.is_set() && sub.is_set()) {
    for (const Value& e : sub.elems()) {
      if (!super.Find(e)) return false;
    }
    return true;
  }
  if (super.is_array() && sub.is_array()) {
    // A contiguous run of `super` equal to `sub`.
    const auto& a = super.elems();
    const auto& b = sub.elems();
    if (b.empty()) return true;
    for (size_t i = 0; i + b.size() <= a.size(); ++i) {
      if (std::equal(b.begin(), b.end(), a.begin() + static_cast<ptrdiff_t>(i))) return true;
    }
    return false;
  }
  return super == sub;
}
absl::StatusOr<Value> BObjectSubset(BuiltinContext&, absl::Span<const Value> args) {
  return Value::Bool(IsSubset(args[0], args[1], 0));
}

absl::StatusOr<Value> BArrayConcat(BuiltinContext& ctx, absl::Span<const Value> args) {
  REQUIRE_KIND("array.concat", 0, is_array, "array");
  REQUIRE_KIND("array.concat", 1, is_array, "array");
  std::vector<Value> out = args[0].elems();
  out.insert(out.end(), args[1].elems().begin(), args[1].elems().end());
  if (auto st = ctx.Charge(out.size() * sizeof(Value)); !st.ok()) return st;
  return Value::Array(std::move(out));
}

absl::StatusOr<Value> BArraySlice(BuiltinContext&, absl::Span<const Value> args) {
  REQUIRE_KIND("array.slice", 0, is_array, "array");
  auto a = ToInt(args[1], "array.slice", 2);
  if (!a.ok()) return a.status();
  auto b = ToInt(args[2], "array.slice", 3);
  if (!b.ok()) return b.status();
  const auto& e = args[0].elems();
  const int64_t n = static_cast<int64_t>(e.size());
  const int64_t start = std::clamp<int64_t>(*a, 0, n);
  const int64_t stop = std::clamp<int64_t>(*b, start, n);
  return Value::Array(std::vector<Value>(e.begin() + start, e.begin() + stop));
}

absl::StatusOr<Value> BArrayReverse(BuiltinContext&, absl::Span<const Value> args) {
  REQUIRE_KIND("array.reverse", 0, is_array, "array");
  std::vector<Value> out(args[0].elems().rbegin(), args[0].elems().rend());
  return Value::Array(std::move(out));
}

absl::StatusOr<Value> BUnion(BuiltinContext&, absl::Span<const Value> args) {
  REQUIRE_KIND("union", 0, is_set, "set");
  std::vector<Value> out;
  for (const Value& s : args[0].elems()) {
    if (!s.is_set()) return TypeError("union", 1, "a set of sets", s);
    out.insert(out.end(), s.elems().begin(), s.elems().end());
  }
  return Value::Set(std::move(out));
}

absl::StatusOr<Value> BIntersection(BuiltinContext&, absl::Span<const Value> args) {
  REQUIRE_KIND("intersection", 0, is_set, "set");
  const auto& sets = args[0].elems();
  if (sets.empty()) return Value::Set({});
  Value acc = sets[0];
  for (const Value& s : sets) {
    if (!s.is_set()) return TypeError("intersection", 1, "a set of sets", s);
    auto r = SetOp('&', acc, s);
    if (!r.ok()) return r;
    acc = *r;
  }
  return acc;
}

// ---- regex -------------------------------------------------------------------------------

absl::StatusOr<Value> BRegexMatch(BuiltinContext& ctx, absl::Span<const Value> args) {
  REQUIRE_KIND("regex.match", 0, is_string, "string");
  REQUIRE_KIND("regex.match", 1, is_string, "string");
  auto re = ctx.regex->Get(args[0].str());
  if (!re.ok()) return re.status();
  return Value::Bool(re2::RE2::PartialMatch(args[1].str(), **re));
}

absl::StatusOr<Value> BRegexIsValid(BuiltinContext& ctx, absl::Span<const Value> args) {
  if (!args[0].is_string()) return Value::Bool(false);
  return Value::Bool(ctx.regex->Get(args[0].str()).ok());
}

// ---- encodings ---------------------------------------------------------------------------

absl::StatusOr<Value> EncodeResult(BuiltinContext& ctx, std::string s) {
  if (auto st = ctx.ChargeString(s.size()); !st.ok()) return st;
  return Value::String(std::move(s));
}

absl::StatusOr<Value> BB64Encode(BuiltinContext& ctx, absl::Span<const Value> args) {
  REQUIRE_KIND("base64.encode", 0, is_string, "string");
  return EncodeResult(ctx, Base64Encode(args[0].str()));
}
absl::StatusOr<Value> BB64Decode(BuiltinContext& ctx, absl::Span<const Value> args) {
  REQUIRE_KIND("base64.decode", 0, is_string, "string");
  auto d = Base64Decode(args[0].str());
  if (!d.ok())
    return absl::InvalidArgumentError(absl::StrCat("base64.decode: ", d.status().message()));
  return EncodeResult(ctx, std::move(*d));
}
absl::StatusOr<Value> BB64IsValid(BuiltinContext&, absl::Span<const Value> args) {
  REQUIRE_KIND("base64.is_valid", 0, is_string, "string");
  return Value::Bool(Base64Decode(args[0].str()).ok());
}
absl::StatusOr<Value> BB64UrlEncode(BuiltinContext& ctx, absl::Span<const Value> args) {
  REQUIRE_KIND("base64url.encode", 0, is_string, "string");
  return EncodeResult(ctx, Base64Encode(args[0].str(), Base64Alphabet::kUrl, true));
}
absl::StatusOr<Value> BB64UrlEncodeNoPad(BuiltinContext& ctx, absl::Span<const Value> args) {
  REQUIRE_KIND("base64url.encode_no_pad", 0, is_string, "string");
  return EncodeResult(ctx, Base64Encode(args[0].str(), Base64Alphabet::kUrl, false));
}
absl::StatusOr<Value> BB64UrlDecode(BuiltinContext& ctx, absl::Span<const Value> args) {
  REQUIRE_KIND("base64url.decode", 0, is_string, "string");
  auto d = Base64Decode(args[0].str(), Base64Alphabet::kUrl, Base64Padding::kOptional);
  if (!d.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("base64url.decode: ", d.status().message()));
  }
  return EncodeResult(ctx, std::move(*d));
}
absl::StatusOr<Value> BHexEncode(BuiltinContext& ctx, absl::Span<const Value> args) {
  REQUIRE_KIND("hex.encode", 0, is_string, "string");
  return EncodeResult(ctx, HexEncode(args[0].str()));
}
absl::StatusOr<Value> BHexDecode(BuiltinContext& ctx, absl::Span<const Value> args) {
  REQUIRE_KIND("hex.decode", 0, is_string, "string");
  auto d = HexDecode(args[0].str());
  if (!d.ok())
    return absl::InvalidArgumentError(absl::StrCat("hex.decode: ", d.status().message()));
  return EncodeResult(ctx, std::move(*d));
}

// JSON as Go's encoding/json writes it (OPA's json.marshal): sorted keys, HTML-safe escapes.
void MarshalGo(std::string* out, const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kString:
      AppendGoJsonString(out, v.str());
      return;
    case Value::Kind::kArray:
    case Value::Kind::kSet: {
      out->push_back('[');
      bool first = true;
      for (const Value& e : v.elems()) {
        if (!first) out->push_back(',');
        first = false;
        MarshalGo(out, e);
      }
      out->push_back(']');
      return;
    }
    case Value::Kind::kObject: {
      out->push_back('{');
      bool first = true;
      for (const auto& [k, val] : v.items()) {
        if (!first) out->push_back(',');
        first = false;
        AppendGoJsonString(out, k.is_string() ? k.str() : k.ToJson());
        out->push_back(':');
        MarshalGo(out, val);
      }
      out->push_back('}');
      return;
    }
    default:
      v.AppendJson(out);
  }
}

absl::StatusOr<Value> BJsonMarshal(BuiltinContext& ctx, absl::Span<const Value> args) {
  std::string out;
  MarshalGo(&out, args[0]);
  return EncodeResult(ctx, std::move(out));
}
absl::StatusOr<Value> BJsonUnmarshal(BuiltinContext& ctx, absl::Span<const Value> args) {
  REQUIRE_KIND("json.unmarshal", 0, is_string, "string");
  if (auto st = ctx.Charge(args[0].str().size() * 4); !st.ok()) return st;
  return Value::FromJson(args[0].str(), "json.unmarshal", ctx.max_json_depth);
}
absl::StatusOr<Value> BJsonIsValid(BuiltinContext& ctx, absl::Span<const Value> args) {
  if (!args[0].is_string()) return Value::Bool(false);
  return Value::Bool(Value::FromJson(args[0].str(), "json", ctx.max_json_depth).ok());
}

absl::StatusOr<Value> Digest(BuiltinContext& ctx, const Value& v, const EVP_MD* md,
                             absl::string_view fn) {
  if (!v.is_string()) return TypeError(fn, 1, "string", v);
  unsigned char buf[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(v.str().data(), v.str().size(), buf, &n, md, nullptr) != 1) {
    return absl::InternalError(absl::StrCat(fn, ": digest failed"));
  }
  return EncodeResult(ctx, HexEncode(absl::string_view(reinterpret_cast<char*>(buf), n)));
}
absl::StatusOr<Value> BSha256(BuiltinContext& ctx, absl::Span<const Value> args) {
  return Digest(ctx, args[0], EVP_sha256(), "crypto.sha256");
}
absl::StatusOr<Value> BSha384(BuiltinContext& ctx, absl::Span<const Value> args) {
  return Digest(ctx, args[0], EVP_sha384(), "crypto.sha384");
}
absl::StatusOr<Value> BSha512(BuiltinContext& ctx, absl::Span<const Value> args) {
  return Digest(ctx, args[0], EVP_sha512(), "crypto.sha512");
}

// ---- time --------------------------------------------------------------------------------

absl::StatusOr<Value> BNowNs(BuiltinContext& ctx, absl::Span<const Value>) {
  // One value per evaluation, as OPA does, so a policy sees a consistent "now".
  if (!ctx.now_ns) {
    if (ctx.clock) {
      ctx.now_ns = ctx.clock();
    } else {
      ctx.now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
    }
  }
  return Value::Int(*ctx.now_ns);
}

// Days since 1970-01-01 of a proleptic Gregorian date.
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

absl::StatusOr<Value> BParseRfc3339(BuiltinContext&, absl::Span<const Value> args) {
  REQUIRE_KIND("time.parse_rfc3339_ns", 0, is_string, "string");
  const std::string& s = args[0].str();
  const auto bad = absl::InvalidArgumentError("time.parse_rfc3339_ns: invalid RFC 3339 time");
  auto num = [&](size_t pos, size_t len, int64_t* out) {
    if (pos + len > s.size()) return false;
    int64_t v = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(s[i]))) return false;
      v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
  };
  int64_t y, mo, d, h, mi, se;
  if (s.size() < 20 || !num(0, 4, &y) || s[4] != '-' || !num(5, 2, &mo) || s[7] != '-' ||
      !num(8, 2, &d) || (s[10] != 'T' && s[10] != 't') || !num(11, 2, &h) || s[13] != ':' ||
      !num(14, 2, &mi) || s[16] != ':' || !num(17, 2, &se)) {
    return bad;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return bad;
  size_t i = 19;
  int64_t frac = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int digits = 0;
    while (i < s.size() && absl::ascii_isdigit(static_cast<unsigned char>(s[i]))) {
      if (digits < 9) {
        frac = frac * 10 + (s[i] - '0');
        ++digits;
      }
      ++i;
    }
    if (digits == 0) return bad;
    while (digits++ < 9) frac *= 10;
  }
  int64_t offset = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int64_t oh, om;
    if (!num(i + 1, 2, &oh) || i + 3 >= s.size() || s[i + 3] != ':' || !num(i + 4, 2, &om)) {
      return bad;
    }
    offset = (oh * 60 + om) * 60 * (s[i] == '+' ? 1 : -1);
    i += 6;
  } else {
    return bad;
  }
  if (i != s.size()) return bad;
  const int64_t secs = DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - offset;
  int64_t ns;
  if (__builtin_mul_overflow(secs, int64_t{1000000000}, &ns) ||
      __builtin_add_overflow(ns, frac, &ns)) {
    return absl::OutOfRangeError("time.parse_rfc3339_ns: time out of range");
  }
  return Value::Int(ns);
}

// ---- semver ------------------------------------------------------------------------------

struct SemVer {
  std::string major, minor, patch;  // digits without leading zeros
  std::vector<std::string> pre;
};

bool ValidNumeric(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return s.size() == 1 || s[0] != '0';
}

bool ValidIdent(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
  }
  return true;
}

std::optional<SemVer> ParseSemVer(absl::string_view s) {
  if (const size_t plus = s.find('+'); plus != absl::string_view::npos) {
    for (absl::string_view id : absl::StrSplit(s.substr(plus + 1), '.')) {
      if (!ValidIdent(id)) return std::nullopt;
    }
    s = s.substr(0, plus);
  }
  SemVer v;
  if (const size_t dash = s.find('-'); dash != absl::string_view::npos) {
    for (absl::string_view id : absl::StrSplit(s.substr(dash + 1), '.')) {
      if (!ValidIdent(id)) return std::nullopt;
      const bool numeric = std::all_of(id.begin(), id.end(), [](char c) {
        return absl::ascii_isdigit(static_cast<unsigned char>(c));
      });
      if (numeric && !ValidNumeric(id)) return std::nullopt;
      v.pre.emplace_back(id);
    }
    s = s.substr(0, dash);
  }
  std::vector<absl::string_view> parts = absl::StrSplit(s, '.');
  if (parts.size() != 3) return std::nullopt;
  for (auto p : parts) {
    if (!ValidNumeric(p)) return std::nullopt;
  }
  v.major = std::string(parts[0]);
  v.minor = std::string(parts[1]);
  v.patch = std::string(parts[2]);
  return v;
}

int CompareNumeric(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  const int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

int CompareSemVer(const SemVer& a, const SemVer& b) {
  if (int c = CompareNumeric(a.major, b.major)) return c;
  if (int c = CompareNumeric(a.minor, b.minor)) return c;
  if (int c = CompareNumeric(a.patch, b.patch)) return c;
  if (a.pre.empty() || b.pre.empty()) {
    if (a.pre.empty() && b.pre.empty()) return 0;
    return a.pre.empty() ? 1 : -1;
  }
  for (size_t i = 0; i < a.pre.size() && i < b.pre.size(); ++i) {
    const bool an = ValidNumeric(a.pre[i]), bn = ValidNumeric(b.pre[i]);
    int c;
    if (an && bn) {
      c = CompareNumeric(a.pre[i], b.pre[i]);
    } else if (an != bn) {
      c = an ? -1 : 1;
    } else {
      c = a.pre[i].compare(b.pre[i]);
      c = c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    if (c) return c;
  }
  if (a.pre.size() == b.pre.size()) return 0;
  return a.pre.size() < b.pre.size() ? -1 : 1;
}

absl::StatusOr<Value> BSemverCompare(BuiltinContext&, absl::Span<const Value> args) {
  REQUIRE_KIND("semver.compare", 0, is_string, "string");
  REQUIRE_KIND("semver.compare", 1, is_string, "string");
  auto a = ParseSemVer(args[0].str());
  auto b = ParseSemVer(args[1].str());
  if (!a || !b) {
    return absl::InvalidArgumentError(absl::StrCat("semver.compare: invalid semantic version: ",
                                                   !a ? args[0].str() : args[1].str()));
  }
  return Value::Int(CompareSemVer(*a, *b));
}

absl::StatusOr<Value> BSemverIsValid(BuiltinContext&, absl::Span<const Value> args) {
  return Value::Bool(args[0].is_string() && ParseSemVer(args[0].str()).has_value());
}

// print is handled by the evaluator (it sees undefined arguments); this entry only registers
// the name and arity.
absl::StatusOr<Value> BPrint(BuiltinContext&, absl::Span<const Value>) { return Value::Bool(true); }

const BuiltinInfo kBuiltins[] = {
    {"equal", 2, 2, BEqual},
    {"neq", 2, 2, BNeq},
    {"lt", 2, 2, BLt},
    {"lte", 2, 2, BLte},
    {"gt", 2, 2, BGt},
    {"gte", 2, 2, BGte},
    {"plus", 2, 2, BPlus},
    {"minus", 2, 2, BMinus},
    {"mul", 2, 2, BMul},
    {"div", 2, 2, BDiv},
    {"rem", 2, 2, BRem},
    {"and", 2, 2, BAnd},
    {"or", 2, 2, BOr},
    {"abs", 1, 1, BAbs},
    {"round", 1, 1, Rounding<std::round>},
    {"ceil", 1, 1, Rounding<std::ceil>},
    {"floor", 1, 1, Rounding<std::floor>},
    {"count", 1, 1, BCount},
    {"sum", 1, 1, BSum},
    {"product", 1, 1, BProduct},
    {"max", 1, 1, BMax},
    {"min", 1, 1, BMin},
    {"sort", 1, 1, BSort},
    {"numbers.range", 2, 2, BRange},
    {"startswith", 2, 2, BStartsWith},
    {"endswith", 2, 2, BEndsWith},
    {"contains", 2, 2, BContains},
    {"concat", 2, 2, BConcat},
    {"split", 2, 2, BSplit},
    {"sprintf", 2, 2, BSprintf},
    {"lower", 1, 1, BLower},
    {"upper", 1, 1, BUpper},
    {"trim", 2, 2, BTrim<true, true>},
    {"trim_left", 2, 2, BTrim<true, false>},
    {"trim_right", 2, 2, BTrim<false, true>},
    {"trim_prefix", 2, 2, BTrimPrefix},
    {"trim_suffix", 2, 2, BTrimSuffix},
    {"trim_space", 1, 1, BTrimSpace},
    {"replace", 3, 3, BReplace},
    {"substring", 3, 3, BSubstring},
    {"indexof", 2, 2, BIndexOf},
    {"strings.reverse", 1, 1, BReverse},
    {"format_int", 2, 2, BFormatInt},
    {"to_number", 1, 1, BToNumber},
    {"is_number", 1, 1, BIsKind<Value::Kind::kNumber>},
    {"is_string", 1, 1, BIsKind<Value::Kind::kString>},
    {"is_boolean", 1, 1, BIsKind<Value::Kind::kBool>},
    {"is_array", 1, 1, BIsKind<Value::Kind::kArray>},
    {"is_set", 1, 1, BIsKind<Value::Kind::kSet>},
    {"is_object", 1, 1, BIsKind<Value::Kind::kObject>},
    {"is_null", 1, 1, BIsKind<Value::Kind::kNull>},
    {"type_name", 1, 1, BTypeName},
    {"object.get", 3, 3, BObjectGet},
    {"object.keys", 1, 1, BObjectKeys},
    {"object.union", 2, 2, BObjectUnion},
    {"object.union_n", 1, 1, BObjectUnionN},
    {"object.remove", 2, 2, BObjectRemove},
    {"object.filter", 2, 2, BObjectFilter},
    {"object.subset", 2, 2, BObjectSubset},
    {"array.concat", 2, 2, BArrayConcat},
    {"array.slice", 3, 3, BArraySlice},
    {"array.reverse", 1, 1, BArrayReverse},
    {"union", 1, 1, BUnion},
    {"intersection", 1, 1, BIntersection},
    {"regex.match", 2, 2, BRegexMatch},
    {"re_match", 2, 2, BRegexMatch},
    {"regex.is_valid", 1, 1, BRegexIsValid},
    {"base64.encode", 1, 1, BB64Encode},
    {"base64.decode", 1, 1, BB64Decode},
    {"base64.is_valid", 1, 1, BB64IsValid},
    {"base64url.encode", 1, 1, BB64UrlEncode},
    {"base64url.encode_no_pad", 1, 1, BB64UrlEncodeNoPad},
    {"base64url.decode", 1, 1, BB64UrlDecode},
    {"hex.encode", 1, 1, BHexEncode},
    {"hex.decode", 1, 1, BHexDecode},
    {"json.marshal", 1, 1, BJsonMarshal},
    {"json.unmarshal", 1, 1, BJsonUnmarshal},
    {"json.is_valid", 1, 1, BJsonIsValid},
    {"crypto.sha256", 1, 1, BSha256},
    {"crypto.sha384", 1, 1, BSha384},
    {"crypto.sha512", 1, 1, BSha512},
    {"time.now_ns", 0, 0, BNowNs},
    {"time.parse_rfc3339_ns", 1, 1, BParseRfc3339},
    {"semver.compare", 2, 2, BSemverCompare},
    {"semver.is_valid", 1, 1, BSemverIsValid},
    {"print", 0, -1, BPrint},
};

}  // namespace

RegexCache::RegexCache() = default;
RegexCache::~RegexCache() = default;

absl::StatusOr<std::shared_ptr<const re2::RE2>> RegexCache::Get(absl::string_view pattern) {
  if (pattern.size() > kMaxRegexPattern) {
    return absl::ResourceExhaustedError("regex: pattern too long");
  }
  std::string key(pattern);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = map_.find(key); it != map_.end()) return it->second;
  }
  re2::RE2::Options opts;
  opts.set_log_errors(false);
  opts.set_max_mem(8 << 20);
  auto re = std::make_shared<const re2::RE2>(re2::StringPiece(key.data(), key.size()), opts);
  if (!re->ok()) {
    return absl::InvalidArgumentError(absl::StrCat("regex: invalid pattern: ", re->error()));
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (map_.size() >= kMaxRegexCache) map_.clear();
  map_.emplace(std::move(key), re);
  return re;
}

absl::Status BuiltinContext::Charge(size_t bytes) {
  memory_used += bytes;
  if (memory_used > max_memory_bytes) {
    return absl::ResourceExhaustedError("evaluation exceeded its memory limit");
  }
  return absl::OkStatus();
}

absl::Status BuiltinContext::ChargeString(size_t bytes) {
  if (bytes > max_string_bytes) {
    return absl::ResourceExhaustedError("string result exceeds the maximum string length");
  }
  return Charge(bytes);
}

int FindBuiltin(absl::string_view name) {
  static const auto* index = [] {
    auto* m = new std::unordered_map<std::string, int>();
    for (size_t i = 0; i < sizeof(kBuiltins) / sizeof(kBuiltins[0]); ++i) {
      m->emplace(kBuiltins[i].name, static_cast<int>(i));
    }
    return m;
  }();
  auto it = index->find(std::string(name));
  return it == index->end() ? -1 : it->second;
}

const BuiltinInfo& GetBuiltin(int index) { return kBuiltins[index]; }

bool IsLimitError(const absl::Status& st) {
  return st.code() == absl::StatusCode::kResourceExhausted ||
         st.code() == absl::StatusCode::kDeadlineExceeded;
}

bool IsMember(const Value& x, const Value& coll) {
  switch (coll.kind()) {
    case Value::Kind::kSet:
      return coll.Find(x) != nullptr;
    case Value::Kind::kArray:
      for (const Value& e : coll.elems()) {
        if (e == x) return true;
      }
      return false;
    case Value::Kind::kObject:
      for (const auto& it : coll.items()) {
        if (it.second == x) return true;
      }
      return false;
    default:
      return false;
  }
}

std::string FormatForPrint(const Value& v) {
  if (v.is_string()) return v.str();
  return v.ToRego();
}

}  // namespace cocoon::policy
