#include "printer.h"

#include <string>

namespace kv::cli {

using native::Value;
using native::ValueType;

namespace {

// redis-cli's cliFormatReplyTTY: the first line of an element follows its "N) " on the same
// line; the element's later lines are indented by `prefix` (the parent's indentation plus the
// width of the largest index and ") ").
void Tty(std::string* out, const Value& v, const std::string& prefix) {
  switch (v.type()) {
    case ValueType::kNull: out->append("(nil)\n"); return;
    case ValueType::kInt:
      out->append("(integer) ").append(std::to_string(v.as_int())).append("\n");
      return;
    case ValueType::kFloat:
      out->append("(float) ").append(native::ToDebugString(v)).append("\n");
      return;
    case ValueType::kDecimal:
      out->append("(decimal) ").append(v.as_decimal().ToString()).append("\n");
      return;
    case ValueType::kString:
    case ValueType::kBytes: out->append(native::ToDebugString(v)).append("\n"); return;
    case ValueType::kList:
    case ValueType::kMap: break;
  }
  bool is_map = v.type() == ValueType::kMap;
  size_t n = is_map ? v.as_map().size() : v.as_list().size();
  if (n == 0) {
    out->append(is_map ? "(empty hash)\n" : "(empty array)\n");
    return;
  }
  size_t width = std::to_string(n).size();
  std::string child_prefix = prefix + std::string(width + 2, ' ');
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) out->append(prefix);
    std::string index = std::to_string(i + 1);
    out->append(width - index.size(), ' ').append(index).append(is_map ? "# " : ") ");
    if (is_map) {
      const auto& [key, value] = v.as_map()[i];
      out->append(native::ToDebugString(Value::String(key))).append(" => ");
      Tty(out, value, child_prefix);
    } else {
      Tty(out, v.as_list()[i], child_prefix);
    }
  }
}

void Raw(std::string* out, const Value& v) {
  switch (v.type()) {
    case ValueType::kNull: out->append("\n"); return;
    case ValueType::kInt: out->append(std::to_string(v.as_int())).append("\n"); return;
    case ValueType::kFloat: out->append(native::ToDebugString(v)).append("\n"); return;
    case ValueType::kDecimal: out->append(v.as_decimal().ToString()).append("\n"); return;
    case ValueType::kString:
    case ValueType::kBytes: out->append(v.as_string()).append("\n"); return;
    case ValueType::kList:
      for (const Value& e : v.as_list()) Raw(out, e);
      return;
    case ValueType::kMap:
      for (const auto& [key, value] : v.as_map()) {
        out->append(key).append("\n");
        Raw(out, value);
      }
      return;
  }
}

}  // namespace

std::string FormatValue(const Value& v, OutputMode mode) {
  std::string out;
  if (mode == OutputMode::kRaw) {
    Raw(&out, v);
  } else {
    Tty(&out, v, "");
  }
  return out;
}

std::string FormatError(std::string_view message, OutputMode mode) {
  std::string out = mode == OutputMode::kFormatted ? "(error) " : "";
  out.append(message).append("\n");
  return out;
}

}  // namespace kv::cli
