// Value equality and the kv-cli printer.
#include "native_proto/value.h"

#include <charconv>
#include <cstring>

namespace kv::native {

std::string_view ValueTypeName(ValueType t) {
  switch (t) {
    case ValueType::kNull: return "null";
    case ValueType::kInt: return "int";
    case ValueType::kFloat: return "float";
    case ValueType::kDecimal: return "decimal";
    case ValueType::kString: return "string";
    case ValueType::kBytes: return "bytes";
    case ValueType::kList: return "list";
    case ValueType::kMap: return "map";
  }
  return "unknown";
}

bool operator==(const Value& a, const Value& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case ValueType::kNull: return true;
    case ValueType::kInt: return a.as_int() == b.as_int();
    case ValueType::kFloat: {
      // Bitwise: the wire carries bits, and a decoded NaN must equal the NaN that was encoded.
      const double x = a.as_float(), y = b.as_float();
      return std::memcmp(&x, &y, sizeof x) == 0;
    }
    case ValueType::kDecimal: return a.as_decimal().SameRepresentation(b.as_decimal());
    case ValueType::kString:
    case ValueType::kBytes: return a.as_string() == b.as_string();
    case ValueType::kList: return a.as_list() == b.as_list();
    case ValueType::kMap: return a.as_map() == b.as_map();
  }
  return false;
}

namespace {

constexpr char kHex[] = "0123456789abcdef";

void AppendHexEscape(std::string* out, unsigned char c) {
  out->append("\\x");
  out->push_back(kHex[c >> 4]);
  out->push_back(kHex[c & 15]);
}

void AppendQuoted(std::string* out, std::string_view s, bool bytes) {
  if (bytes) out->push_back('b');
  out->push_back('"');
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out->append("\\\""); continue;
      case '\\': out->append("\\\\"); continue;
      case '\n': out->append("\\n"); continue;
      case '\r': out->append("\\r"); continue;
      case '\t': out->append("\\t"); continue;
      default: break;
    }
    // Text keeps its UTF-8 (bytes >= 0x80); Bytes shows only printable ASCII as is.
    if (c < 0x20 || c == 0x7f || (bytes && c >= 0x80)) {
      AppendHexEscape(out, c);
    } else {
      out->push_back(ch);
    }
  }
  out->push_back('"');
}

void AppendFloat(std::string* out, double d) {
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, d);
  const std::string_view s(buf, static_cast<size_t>(res.ptr - buf));
  out->append(s);
  if (s.find_first_of(".enai") == std::string_view::npos) out->append(".0");
}

void Print(std::string* out, const Value& v) {
  switch (v.type()) {
    case ValueType::kNull: out->append("null"); return;
    case ValueType::kInt: out->append(std::to_string(v.as_int())); return;
    case ValueType::kFloat: AppendFloat(out, v.as_float()); return;
    case ValueType::kDecimal:
      out->append(v.as_decimal().ToString());
      out->push_back('d');
      return;
    case ValueType::kString: AppendQuoted(out, v.as_string(), false); return;
    case ValueType::kBytes: AppendQuoted(out, v.as_string(), true); return;
    case ValueType::kList: {
      out->push_back('[');
      bool first = true;
      for (const Value& e : v.as_list()) {
        if (!first) out->append(", ");
        first = false;
        Print(out, e);
      }
      out->push_back(']');
      return;
    }
    case ValueType::kMap: {
      out->push_back('{');
      bool first = true;
      for (const auto& [k, e] : v.as_map()) {
        if (!first) out->append(", ");
        first = false;
        AppendQuoted(out, k, false);
        out->append(": ");
        Print(out, e);
      }
      out->push_back('}');
      return;
    }
  }
}

}  // namespace

std::string ToDebugString(const Value& v) {
  std::string out;
  Print(&out, v);
  return out;
}

}  // namespace kv::native
