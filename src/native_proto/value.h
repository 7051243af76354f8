// Value: the typed value of the native protocol (DESIGN.md section 5).
//
// A Value is one of Null, Int (i64), Float (f64), Decimal (kv::Decimal), String (UTF-8 text),
// Bytes (raw octets), List (ordered values) or Map (ordered key/value pairs, UTF-8 keys, order
// preserved as sent). Lists and maps nest. It is a plain value type: copyable, movable, owning
// all of its data. The wire form lives in value_codec.h; this header knows nothing of bytes.
//
// Equality is structural and exact: Float compares by its IEEE 754 bits (so NaN == NaN of the
// same bits, and 0.0 != -0.0), Decimal by its 16-byte representation (1.0 != 1.00: the canonical
// strings differ), String never equals Bytes, maps compare in order.
//
// Thread contract: none (a value type); const access from many threads is safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/decimal.h"
#include "core/value_encoding.h"

namespace kv::native {

// The wire type bytes (DESIGN.md section 5): the engine's value encoding (core/value_encoding.h)
// is the same format, so the enumeration is shared.
using ValueType = kv::EncodedType;

// "null", "int", "float", "decimal", "string", "bytes", "list", "map".
std::string_view ValueTypeName(ValueType t);

class Value {
 public:
  using List = std::vector<Value>;
  using Map = std::vector<std::pair<std::string, Value>>;

  Value() = default;  // Null

  static Value Null() { return Value(); }
  static Value Int(int64_t v) { return Value(Rep(std::in_place_index<1>, v)); }
  static Value Float(double v) { return Value(Rep(std::in_place_index<2>, v)); }
  static Value Dec(const Decimal& v) { return Value(Rep(std::in_place_index<3>, v)); }
  // The text is not validated here; the codec refuses invalid UTF-8 on decode and the caller is
  // responsible for passing valid text on encode.
  static Value String(std::string v) { return Value(Rep(std::in_place_index<4>, Text{std::move(v)})); }
  static Value Bytes(std::string v) { return Value(Rep(std::in_place_index<5>, Blob{std::move(v)})); }
  static Value MakeList(List v = {}) { return Value(Rep(std::in_place_index<6>, std::move(v))); }
  static Value MakeMap(Map v = {}) { return Value(Rep(std::in_place_index<7>, std::move(v))); }

  ValueType type() const { return static_cast<ValueType>(rep_.index()); }
  bool is_null() const { return type() == ValueType::kNull; }

  // Accessors: the caller checks type() first (a wrong type throws std::bad_variant_access).
  int64_t as_int() const { return std::get<1>(rep_); }
  double as_float() const { return std::get<2>(rep_); }
  const Decimal& as_decimal() const { return std::get<3>(rep_); }
  // The bytes of a String or a Bytes value.
  const std::string& as_string() const {
    return type() == ValueType::kString ? std::get<4>(rep_).s : std::get<5>(rep_).s;
  }
  const List& as_list() const { return std::get<6>(rep_); }
  List& as_list() { return std::get<6>(rep_); }
  const Map& as_map() const { return std::get<7>(rep_); }
  Map& as_map() { return std::get<7>(rep_); }

  friend bool operator==(const Value& a, const Value& b);
  friend bool operator!=(const Value& a, const Value& b) { return !(a == b); }

 private:
  struct Text {
    std::string s;
  };
  struct Blob {
    std::string s;
  };
  // Alternative index == ValueType.
  using Rep = std::variant<std::monostate, int64_t, double, Decimal, Text, Blob, List, Map>;
  explicit Value(Rep r) : rep_(std::move(r)) {}

  Rep rep_;
};

// The form kv-cli prints: `null`, `42`, `1.5` (shortest round-trip form, always with a '.' or an
// exponent so it never reads as an Int; `nan`, `inf`, `-inf`), `19.99d` (canonical decimal + d),
// `"text"` (\" \\ \n \r \t escaped, other control bytes as \xNN, UTF-8 kept), `b"\x00\x01"`
// (printable ASCII kept, everything else \xNN), `[1, "a"]`, `{"k": 1}`.
std::string ToDebugString(const Value& v);

}  // namespace kv::native
