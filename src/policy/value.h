// The immutable value type of the Rego evaluator: null, boolean, number, string, array, object
// and set, plus an internal "undefined" state.
//
// Composite values and strings share their storage through reference counting, so copying a
// Value is cheap and a Value may be read from several threads at once. Numbers keep int64
// exactly and fall back to double outside that range. Objects and sets are kept sorted by the
// Rego total order, which makes lookups logarithmic and output deterministic.
#ifndef COCOON_POLICY_VALUE_H_
#define COCOON_POLICY_VALUE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cocoon::policy {

class Value {
 public:
  // The order of the enumerators is the Rego sort order across types.
  enum class Kind : uint8_t { kUndefined, kNull, kBool, kNumber, kString, kArray, kObject, kSet };
  using Item = std::pair<Value, Value>;

  Value() = default;  // undefined
  static Value Null();
  static Value Bool(bool b);
  static Value Int(int64_t i);
  // Integral doubles in int64 range become Int, so 2.0 and 2 are the same value.
  static Value Number(double d);
  static Value String(std::string s);
  static Value Array(std::vector<Value> elems);
  // Sorts and removes duplicates.
  static Value Set(std::vector<Value> elems);
  // Sorts by key; for duplicate keys the last one wins.
  static Value Object(std::vector<Item> items);
  static Value EmptyObject();
  // Precondition: `items` is sorted by key without duplicates (as parsers that keep std::map
  // order produce it); skips the sort.
  static Value ObjectFromSorted(std::vector<Item> items);

  Kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == Kind::kUndefined; }
  bool is_null() const { return kind_ == Kind::kNull; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_number() const { return kind_ == Kind::kNumber; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_array() const { return kind_ == Kind::kArray; }
  bool is_object() const { return kind_ == Kind::kObject; }
  bool is_set() const { return kind_ == Kind::kSet; }
  bool is_false() const { return kind_ == Kind::kBool && !b_; }

  bool as_bool() const { return b_; }
  bool is_int() const { return kind_ == Kind::kNumber && is_int_; }
  int64_t as_int() const { return i_; }  // valid when is_int()
  double as_double() const { return is_int_ ? static_cast<double>(i_) : d_; }
  const std::string& str() const;           // string
  const std::vector<Value>& elems() const;  // array, or set in sorted order
  const std::vector<Item>& items() const;   // object, sorted by key
  size_t size() const;                      // elements, members or bytes

  // Object member, set element or array element at an integral index; nullptr when absent.
  const Value* Find(const Value& key) const;
  const Value* FindKey(absl::string_view key) const;  // object member by string key

  // Rego's total order: by kind, then numerically, bytewise, element by element.
  static int Compare(const Value& a, const Value& b);
  friend bool operator==(const Value& a, const Value& b) { return Compare(a, b) == 0; }
  friend bool operator!=(const Value& a, const Value& b) { return Compare(a, b) != 0; }
  friend bool operator<(const Value& a, const Value& b) { return Compare(a, b) < 0; }

  // Compact JSON with sorted keys; sets become arrays and non-string keys their JSON text.
  // Undefined becomes "undefined".
  std::string ToJson() const;
  void AppendJson(std::string* out) const;
  // Rego syntax, as sprintf's %v and print show composite values.
  std::string ToRego() const;
  void AppendRego(std::string* out) const;

  // Parses JSON text; nesting deeper than `max_depth` is an error.
  static absl::StatusOr<Value> FromJson(absl::string_view text, absl::string_view what = "JSON",
                                        int max_depth = 128);

  static const char* KindName(Kind k);  // Rego type_name: "null", "boolean", "number", ...

 private:
  Kind kind_ = Kind::kUndefined;
  bool is_int_ = true;
  union {
    bool b_;
    int64_t i_ = 0;
    double d_;
  };
  std::shared_ptr<const void> rep_;  // std::string, std::vector<Value> or std::vector<Item>
};

// Formats a number as Rego and JSON show it: integers exactly, other doubles in the shortest
// form that reads back to the same double.
void AppendNumber(std::string* out, const Value& number);

}  // namespace cocoon::policy

#endif  // COCOON_POLICY_VALUE_H_
