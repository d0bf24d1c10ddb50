#include "policy/value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <exception>

#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "policy/json_value.h"

namespace cocoon::policy {
namespace {

using Elems = std::vector<Value>;
using Items = std::vector<Value::Item>;

const std::string& EmptyString() {
  static const std::string* s = new std::string();
  return *s;
}
const Elems& EmptyElems() {
  static const Elems* e = new Elems();
  return *e;
}
const Items& EmptyItems() {
  static const Items* e = new Items();
  return *e;
}

int CompareNumbers(const Value& a, const Value& b) {
  if (a.is_int() && b.is_int()) {
    return a.as_int() < b.as_int() ? -1 : (a.as_int() > b.as_int() ? 1 : 0);
  }
  const double x = a.as_double(), y = b.as_double();
  return x < y ? -1 : (x > y ? 1 : 0);
}

void AppendJsonString(std::string* out, absl::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
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
      default:
        if (c < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 15]);
        } else {
          out->push_back(ch);
        }
    }
  }
  out->push_back('"');
}

}  // namespace

void AppendNumber(std::string* out, const Value& v) {
  char buf[64];
  if (v.is_int()) {
    auto r = std::to_chars(buf, buf + sizeof(buf), v.as_int());
    out->append(buf, r.ptr);
    return;
  }
  const double d = v.as_double();
  if (!std::isfinite(d)) {
    out->append("null");
    return;
  }
  auto r = std::to_chars(buf, buf + sizeof(buf), d);
  out->append(buf, r.ptr);
}

Value Value::Null() {
  Value v;
  v.kind_ = Kind::kNull;
  return v;
}

Value Value::Bool(bool b) {
  Value v;
  v.kind_ = Kind::kBool;
  v.b_ = b;
  return v;
}

Value Value::Int(int64_t i) {
  Value v;
  v.kind_ = Kind::kNumber;
  v.i_ = i;
  return v;
}

Value Value::Number(double d) {
  // 2^63 is the first double above the int64 range.
  if (d >= -9223372036854775808.0 && d < 9223372036854775808.0 && std::trunc(d) == d) {
    return Int(static_cast<int64_t>(d));
  }
  Value v;
  v.kind_ = Kind::kNumber;
  v.is_int_ = false;
  v.d_ = d;
  return v;
}

Value Value::String(std::string s) {
  Value v;
  v.kind_ = Kind::kString;
  v.rep_ = std::make_shared<const std::string>(std::move(s));
  return v;
}

Value Value::Array(std::vector<Value> elems) {
  Value v;
  v.kind_ = Kind::kArray;
  if (!elems.empty()) v.rep_ = std::make_shared<const Elems>(std::move(elems));
  return v;
}

Value Value::Set(std::vector<Value> elems) {
  std::sort(elems.begin(), elems.end());
  elems.erase(std::unique(elems.begin(), elems.end()), elems.end());
  Value v;
  v.kind_ = Kind::kSet;
  if (!elems.empty()) v.rep_ = std::make_shared<const Elems>(std::move(elems));
  return v;
}

Value Value::Object(std::vector<Item> items) {
  std::stable_sort(items.begin(), items.end(),
                   [](const Item& a, const Item& b) { return a.first < b.first; });
  // Keep the last of equal keys.
  std::vector<Item> out;
  out.reserve(items.size());
  for (auto& it : items) {
    if (!out.empty() && out.back().first == it.first) {
      out.back().second = std::move(it.second);
    } else {
      out.push_back(std::move(it));
    }
  }
  Value v;
  v.kind_ = Kind::kObject;
  if (!out.empty()) v.rep_ = std::make_shared<const Items>(std::move(out));
  return v;
}

Value Value::ObjectFromSorted(std::vector<Item> items) {
  Value v;
  v.kind_ = Kind::kObject;
  if (!items.empty()) v.rep_ = std::make_shared<const Items>(std::move(items));
  return v;
}

Value Value::EmptyObject() {
  Value v;
  v.kind_ = Kind::kObject;
  return v;
}

const std::string& Value::str() const {
  return rep_ ? *static_cast<const std::string*>(rep_.get()) : EmptyString();
}

const std::vector<Value>& Value::elems() const {
  return rep_ ? *static_cast<const Elems*>(rep_.get()) : EmptyElems();
}

const std::vector<Value::Item>& Value::items() const {
  return rep_ ? *static_cast<const Items*>(rep_.get()) : EmptyItems();
}

size_t Value::size() const {
  switch (kind_) {
    case Kind::kString:
      return str().size();
    case Kind::kArray:
    case Kind::kSet:
      return elems().size();
    case Kind::kObject:
      return items().size();
    default:
      return 0;
  }
}

const Value* Value::Find(const Value& key) const {
  switch (kind_) {
    case Kind::kObject: {
      const Items& it = items();
      auto pos = std::lower_bound(it.begin(), it.end(), key,
                                  [](const Item& a, const Value& k) { return a.first < k; });
      if (pos != it.end() && pos->first == key) return &pos->second;
      return nullptr;
    }
    case Kind::kSet: {
      const Elems& e = elems();
      auto pos = std::lower_bound(e.begin(), e.end(), key);
      if (pos != e.end() && *pos == key) return &*pos;
      return nullptr;
    }
    case Kind::kArray: {
      if (!key.is_int()) return nullptr;
      const Elems& e = elems();
      if (key.as_int() < 0 || static_cast<uint64_t>(key.as_int()) >= e.size()) return nullptr;
      return &e[static_cast<size_t>(key.as_int())];
    }
    default:
      return nullptr;
  }
}

const Value* Value::FindKey(absl::string_view key) const {
  if (kind_ != Kind::kObject) return nullptr;
  const Items& it = items();
  auto pos = std::lower_bound(it.begin(), it.end(), key, [](const Item& a, absl::string_view k) {
    if (a.first.kind() != Kind::kString) return a.first.kind() < Kind::kString;
    return absl::string_view(a.first.str()) < k;
  });
  if (pos != it.end() && pos->first.is_string() && pos->first.str() == key) return &pos->second;
  return nullptr;
}

int Value::Compare(const Value& a, const Value& b) {
  if (a.kind_ != b.kind_) return a.kind_ < b.kind_ ? -1 : 1;
  switch (a.kind_) {
    case Kind::kUndefined:
    case Kind::kNull:
      return 0;
    case Kind::kBool:
      return a.b_ == b.b_ ? 0 : (a.b_ ? 1 : -1);
    case Kind::kNumber:
      return CompareNumbers(a, b);
    case Kind::kString: {
      if (a.rep_ == b.rep_) return 0;
      const int c = a.str().compare(b.str());
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    case Kind::kArray:
    case Kind::kSet: {
      if (a.rep_ == b.rep_) return 0;
      const Elems& x = a.elems();
      const Elems& y = b.elems();
      for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
        if (int c = Compare(x[i], y[i]); c != 0) return c;
      }
      return x.size() == y.size() ? 0 : (x.size() < y.size() ? -1 : 1);
    }
    case Kind::kObject: {
      if (a.rep_ == b.rep_) return 0;
      const Items& x = a.items();
      const Items& y = b.items();
      for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
        if (int c = Compare(x[i].first, y[i].first); c != 0) return c;
        if (int c = Compare(x[i].second, y[i].second); c != 0) return c;
      }
      return x.size() == y.size() ? 0 : (x.size() < y.size() ? -1 : 1);
    }
  }
  return 0;
}

void Value::AppendJson(std::string* out) const {
  switch (kind_) {
    case Kind::kUndefined:
      out->append("undefined");
      return;
    case Kind::kNull:
      out->append("null");
      return;
    case Kind::kBool:
      out->append(b_ ? "true" : "false");
      return;
    case Kind::kNumber:
      AppendNumber(out, *this);
      return;
    case Kind::kString:
      AppendJsonString(out, str());
      return;
    case Kind::kArray:
    case Kind::kSet: {
      out->push_back('[');
      bool first = true;
      for (const Value& e : elems()) {
        if (!first) out->push_back(',');
        first = false;
        e.AppendJson(out);
      }
      out->push_back(']');
      return;
    }
    case Kind::kObject: {
      out->push_back('{');
      bool first = true;
      for (const Item& it : items()) {
        if (!first) out->push_back(',');
        first = false;
        if (it.first.is_string()) {
          AppendJsonString(out, it.first.str());
        } else {
          AppendJsonString(out, it.first.ToJson());
        }
        out->push_back(':');
        it.second.AppendJson(out);
      }
      out->push_back('}');
      return;
    }
  }
}

std::string Value::ToJson() const {
  std::string out;
  AppendJson(&out);
  return out;
}

void Value::AppendRego(std::string* out) const {
  switch (kind_) {
    case Kind::kArray:
    case Kind::kSet: {
      if (kind_ == Kind::kSet && elems().empty()) {
        out->append("set()");
        return;
      }
      out->push_back(kind_ == Kind::kArray ? '[' : '{');
      bool first = true;
      for (const Value& e : elems()) {
        if (!first) out->append(", ");
        first = false;
        e.AppendRego(out);
      }
      out->push_back(kind_ == Kind::kArray ? ']' : '}');
      return;
    }
    case Kind::kObject: {
      out->push_back('{');
      bool first = true;
      for (const Item& it : items()) {
        if (!first) out->append(", ");
        first = false;
        it.first.AppendRego(out);
        out->append(": ");
        it.second.AppendRego(out);
      }
      out->push_back('}');
      return;
    }
    default:
      AppendJson(out);
  }
}

std::string Value::ToRego() const {
  std::string out;
  AppendRego(&out);
  return out;
}

const char* Value::KindName(Kind k) {
  switch (k) {
    case Kind::kUndefined:
      return "undefined";
    case Kind::kNull:
      return "null";
    case Kind::kBool:
      return "boolean";
    case Kind::kNumber:
      return "number";
    case Kind::kString:
      return "string";
    case Kind::kArray:
      return "array";
    case Kind::kObject:
      return "object";
    case Kind::kSet:
      return "set";
  }
  return "unknown";
}

Value FromNlohmann(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null:
      return Value::Null();
    case Json::value_t::boolean:
      return Value::Bool(j.get<bool>());
    case Json::value_t::number_integer:
      return Value::Int(j.get<int64_t>());
    case Json::value_t::number_unsigned: {
      const uint64_t u = j.get<uint64_t>();
      if (u <= static_cast<uint64_t>(INT64_MAX)) return Value::Int(static_cast<int64_t>(u));
      return Value::Number(static_cast<double>(u));
    }
    case Json::value_t::number_float:
      return Value::Number(j.get<double>());
    case Json::value_t::string:
      return Value::String(j.get<std::string>());
    case Json::value_t::array: {
      std::vector<Value> elems;
      elems.reserve(j.size());
      for (const auto& e : j) elems.push_back(FromNlohmann(e));
      return Value::Array(std::move(elems));
    }
    case Json::value_t::object: {
      // nlohmann keeps members in std::map order, which is the bytewise order Value uses.
      std::vector<Value::Item> items;
      items.reserve(j.size());
      for (auto it = j.begin(); it != j.end(); ++it) {
        items.emplace_back(Value::String(it.key()), FromNlohmann(it.value()));
      }
      return Value::ObjectFromSorted(std::move(items));
    }
    default:
      return Value::Null();
  }
}

Json ToNlohmann(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kUndefined:
    case Value::Kind::kNull:
      return nullptr;
    case Value::Kind::kBool:
      return v.as_bool();
    case Value::Kind::kNumber:
      if (v.is_int()) return v.as_int();
      return v.as_double();
    case Value::Kind::kString:
      return v.str();
    case Value::Kind::kArray:
    case Value::Kind::kSet: {
      Json a = Json::array();
      for (const Value& e : v.elems()) a.push_back(ToNlohmann(e));
      return a;
    }
    case Value::Kind::kObject: {
      Json o = Json::object();
      for (const auto& [k, val] : v.items()) {
        o[k.is_string() ? k.str() : k.ToJson()] = ToNlohmann(val);
      }
      return o;
    }
  }
  return nullptr;
}

absl::StatusOr<Value> Value::FromJson(absl::string_view text, absl::string_view what,
                                      int max_depth) {
  // nlohmann reports some errors (number overflow) with exceptions ParseJson does not map.
  try {
    auto j = ParseJson(text, what, max_depth);
    if (!j.ok()) return j.status();
    return FromNlohmann(*j);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": invalid JSON: ", e.what()));
  }
}

}  // namespace cocoon::policy
