#include "literal.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <limits>
#include <system_error>
#include <utility>

#include "core/decimal.h"
#include "core/utf8.h"

namespace kv::cli {

using client::Error;
using client::ErrorCode;
using client::Result;
using native::Value;

namespace {

Error Syntax(size_t column, std::string_view what) {
  std::string m = "syntax error at column " + std::to_string(column) + ": ";
  m += what;
  return Error{ErrorCode::kUsage, std::move(m)};
}

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Characters that end a bare word inside a list or map (at the top level only blanks do, so
// `job:1` and `a,b` stay one word there).
bool EndsNestedWord(char c) {
  return IsBlank(c) || c == ',' || c == ':' || c == ']' || c == '}' || c == '[' || c == '{' ||
         c == '"' || c == '\'';
}

bool StartsLiteral(std::string_view s) {
  if (s.empty()) return false;
  char c = s[0];
  if (c == '"' || c == '\'' || c == '[' || c == '{') return true;
  return c == 'b' && s.size() > 1 && (s[1] == '"' || s[1] == '\'');
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// [+-]?digits
bool IsIntForm(std::string_view s) {
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.remove_prefix(1);
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

// [+-]? (digits [. digits*] | . digits) [(e|E) [+-]? digits], with a '.' or an exponent (else it
// is an Int form).
bool IsFloatForm(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  size_t int_digits = 0;
  while (i < s.size() && IsDigit(s[i])) ++i, ++int_digits;
  size_t frac_digits = 0;
  bool dot = false;
  if (i < s.size() && s[i] == '.') {
    dot = true;
    ++i;
    while (i < s.size() && IsDigit(s[i])) ++i, ++frac_digits;
  }
  if (int_digits + frac_digits == 0) return false;
  bool exponent = false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t exp_digits = 0;
    while (i < s.size() && IsDigit(s[i])) ++i, ++exp_digits;
    if (exp_digits == 0) return false;
    exponent = true;
  }
  return i == s.size() && (dot || exponent);
}

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  size_t pos() const { return pos_; }
  bool AtEnd() const { return pos_ >= s_.size(); }
  char Peek() const { return s_[pos_]; }
  void SkipBlanks() {
    while (!AtEnd() && IsBlank(Peek())) ++pos_;
  }
  size_t Column() const { return pos_ + 1; }

  // One top-level argument starting at pos_ (not a blank).
  Result<Arg> TopArg() {
    Arg a;
    a.column = Column();
    if (StartsLiteral(s_.substr(pos_))) {
      Result<Value> v = Literal(&a.kind);
      if (!v) return v.error();
      a.value = std::move(v).value();
      return a;
    }
    size_t start = pos_;
    while (!AtEnd() && !IsBlank(Peek())) ++pos_;
    a.text = std::string(s_.substr(start, pos_ - start));
    return a;
  }

  // A literal that begins with a quote, b-quote, '[' or '{'.
  Result<Value> Literal(Arg::Kind* kind) {
    char c = Peek();
    if (c == '[') {
      *kind = Arg::Kind::kList;
      return List();
    }
    if (c == '{') {
      *kind = Arg::Kind::kMap;
      return Map();
    }
    bool bytes = c == 'b';
    *kind = bytes ? Arg::Kind::kBytes : Arg::Kind::kString;
    if (bytes) ++pos_;
    return Quoted(bytes);
  }

 private:
  // A value inside a list or map.
  Result<Value> NestedValue() {
    SkipBlanks();
    if (AtEnd()) return Syntax(Column(), "expected a value, found the end of the line");
    if (StartsLiteral(s_.substr(pos_))) {
      Arg::Kind kind;
      return Literal(&kind);
    }
    size_t start = pos_;
    while (!AtEnd() && !EndsNestedWord(Peek())) ++pos_;
    if (pos_ == start) {
      return Syntax(Column(), std::string("expected a value, found '") + Peek() + "'");
    }
    Result<Value> v = BareValue(s_.substr(start, pos_ - start));
    if (!v) return Syntax(start + 1, v.error().message);
    return v;
  }

  Result<Value> List() {
    size_t open = Column();
    if (++depth_ > kMaxNesting) {
      return Syntax(open, "lists and maps nest at most " + std::to_string(kMaxNesting) + " deep");
    }
    ++pos_;  // '['
    Value::List items;
    SkipBlanks();
    if (!AtEnd() && Peek() == ']') {
      ++pos_;
      --depth_;
      return Value::MakeList(std::move(items));
    }
    for (;;) {
      Result<Value> v = NestedValue();
      if (!v) return v;
      items.push_back(std::move(v).value());
      SkipBlanks();
      if (AtEnd()) {
        return Syntax(open, "unterminated list (missing ']')");
      }
      if (Peek() == ',') {
        ++pos_;
        continue;
      }
      if (Peek() == ']') {
        ++pos_;
        --depth_;
        return Value::MakeList(std::move(items));
      }
      return Syntax(Column(), std::string("expected ',' or ']' in the list opened at column ") +
                                  std::to_string(open) + ", found '" + Peek() + "'");
    }
  }

  Result<Value> Map() {
    size_t open = Column();
    if (++depth_ > kMaxNesting) {
      return Syntax(open, "lists and maps nest at most " + std::to_string(kMaxNesting) + " deep");
    }
    ++pos_;  // '{'
    Value::Map entries;
    SkipBlanks();
    if (!AtEnd() && Peek() == '}') {
      ++pos_;
      --depth_;
      return Value::MakeMap(std::move(entries));
    }
    for (;;) {
      SkipBlanks();
      if (AtEnd()) return Syntax(open, "unterminated map (missing '}')");
      std::string key;
      size_t key_col = Column();
      if (Peek() == '"' || Peek() == '\'') {
        Result<Value> k = Quoted(false);
        if (!k) return k;
        key = k->as_string();
      } else {
        size_t start = pos_;
        while (!AtEnd() && !EndsNestedWord(Peek())) ++pos_;
        if (pos_ == start) {
          return Syntax(key_col, std::string("expected a map key, found '") + Peek() + "'");
        }
        key = std::string(s_.substr(start, pos_ - start));
        if (Utf8Length(key) < 0) return Syntax(key_col, "a map key must be valid UTF-8");
      }
      SkipBlanks();
      if (AtEnd()) return Syntax(open, "unterminated map (missing '}')");
      if (Peek() != ':') {
        return Syntax(Column(), std::string("expected ':' after the map key, found '") + Peek() + "'");
      }
      ++pos_;
      Result<Value> v = NestedValue();
      if (!v) return v;
      entries.emplace_back(std::move(key), std::move(v).value());
      SkipBlanks();
      if (AtEnd()) return Syntax(open, "unterminated map (missing '}')");
      if (Peek() == ',') {
        ++pos_;
        continue;
      }
      if (Peek() == '}') {
        ++pos_;
        --depth_;
        return Value::MakeMap(std::move(entries));
      }
      return Syntax(Column(), std::string("expected ',' or '}' in the map opened at column ") +
                                  std::to_string(open) + ", found '" + Peek() + "'");
    }
  }

  // "..." or '...' at pos_ (after a 'b' for bytes). Escapes: \" \' \\ \n \r \t \0 \xHH.
  Result<Value> Quoted(bool bytes) {
    size_t open = Column() - (bytes ? 1 : 0);
    char quote = Peek();
    ++pos_;
    std::string out;
    for (;;) {
      if (AtEnd()) {
        return Syntax(open, std::string("unterminated ") + (bytes ? "bytes" : "string") +
                                " (missing closing " + quote + ")");
      }
      char c = Peek();
      ++pos_;
      if (c == quote) break;
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (AtEnd()) return Syntax(Column(), "a backslash at the end of the line");
      char e = Peek();
      size_t esc_col = Column() - 1;
      ++pos_;
      switch (e) {
        case '"': case '\'': case '\\': out.push_back(e); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case '0': out.push_back('\0'); break;
        case 'x': {
          int hi = pos_ < s_.size() ? HexDigit(s_[pos_]) : -1;
          int lo = pos_ + 1 < s_.size() ? HexDigit(s_[pos_ + 1]) : -1;
          if (hi < 0 || lo < 0) return Syntax(esc_col, "\\x needs two hex digits (\\x00-\\xff)");
          out.push_back(static_cast<char>(hi * 16 + lo));
          pos_ += 2;
          break;
        }
        default:
          return Syntax(esc_col, std::string("unknown escape \\") + e +
                                     " (known: \\\" \\' \\\\ \\n \\r \\t \\0 \\xHH)");
      }
    }
    if (bytes) return Value::Bytes(std::move(out));
    if (Utf8Length(out) < 0) {
      return Syntax(open, "the string is not valid UTF-8 (write bytes as b\"...\")");
    }
    return Value::String(std::move(out));
  }

  std::string_view s_;
  size_t pos_ = 0;
  int depth_ = 0;
};

Error Trailing(size_t column, char c) {
  return Syntax(column, std::string("unexpected '") + c +
                            "' right after a literal (separate arguments with a blank)");
}

}  // namespace

Result<std::vector<Arg>> ParseLine(std::string_view line) {
  Parser p(line);
  std::vector<Arg> out;
  for (;;) {
    p.SkipBlanks();
    if (p.AtEnd()) return out;
    Result<Arg> a = p.TopArg();
    if (!a) return a.error();
    if (!p.AtEnd() && !IsBlank(p.Peek())) return Trailing(p.Column(), p.Peek());
    out.push_back(std::move(a).value());
  }
}

Result<Arg> ParseWord(std::string_view word) {
  if (!StartsLiteral(word)) {
    Arg a;
    a.text = std::string(word);
    return a;
  }
  Parser p(word);
  Result<Arg> a = p.TopArg();
  if (!a) return a.error();
  if (!p.AtEnd()) return Trailing(p.Column(), p.Peek());
  a->column = 0;
  return a;
}

Result<std::string> ArgText(const Arg& arg) {
  switch (arg.kind) {
    case Arg::Kind::kBare: return arg.text;
    case Arg::Kind::kString:
    case Arg::Kind::kBytes: return arg.value.as_string();
    case Arg::Kind::kList:
    case Arg::Kind::kMap: break;
  }
  std::string m = "a ";
  m += arg.kind == Arg::Kind::kList ? "list" : "map";
  if (arg.column > 0) m += " (column " + std::to_string(arg.column) + ")";
  m += " is not allowed here: keys, names and the arguments of commands sent through CALL are "
       "text; only SET, SETNX, CAS and MSET values take lists and maps";
  return Error{ErrorCode::kUsage, std::move(m)};
}

Result<Value> ArgValue(const Arg& arg) {
  if (arg.kind != Arg::Kind::kBare) return arg.value;
  Result<Value> v = BareValue(arg.text);
  if (!v && arg.column > 0) return Syntax(arg.column, v.error().message);
  return v;
}

Result<Value> BareValue(std::string_view word) {
  if (word == "null") return Value::Null();
  if (word == "inf" || word == "+inf") return Value::Float(std::numeric_limits<double>::infinity());
  if (word == "-inf") return Value::Float(-std::numeric_limits<double>::infinity());
  if (word == "nan") return Value::Float(std::numeric_limits<double>::quiet_NaN());
  if (IsIntForm(word)) {
    std::string_view digits = word[0] == '+' ? word.substr(1) : word;
    int64_t v = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (ec != std::errc() || end != digits.data() + digits.size()) {
      return Error{ErrorCode::kUsage,
                   "integer " + std::string(word) + " is out of range (-2^63 .. 2^63-1); write " +
                       std::string(word) + "d for a decimal or \"" + std::string(word) +
                       "\" for a string"};
    }
    return Value::Int(v);
  }
  if (IsFloatForm(word)) {
    std::string_view digits = word[0] == '+' ? word.substr(1) : word;
    double d = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), d);
    if (ec != std::errc() || end != digits.data() + digits.size() || !std::isfinite(d)) {
      return Error{ErrorCode::kUsage, "float " + std::string(word) +
                                          " is out of binary64's range; write " +
                                          std::string(word) + "d for a decimal"};
    }
    return Value::Float(d);
  }
  if (word.size() > 1 && word.back() == 'd') {
    std::string_view num = word.substr(0, word.size() - 1);
    if (IsIntForm(num) || IsFloatForm(num)) {
      DecimalStatus why = DecimalStatus::kOk;
      std::optional<Decimal> dec = Decimal::Parse(num, &why);
      if (!dec) {
        return Error{ErrorCode::kUsage, "invalid decimal " + std::string(word) + ": " +
                                            std::string(DecimalStatusText(why))};
      }
      return Value::Dec(*dec);
    }
    // Made of number characters but no number (1.2.3d, 1e2e3d, --5d): a mistyped decimal, not
    // a string someone meant; storing it as text would hide the typo.
    const bool numberish = std::all_of(num.begin(), num.end(), [](char c) {
      return (c >= '0' && c <= '9') || c == '.' || c == '+' || c == '-' || c == 'e' || c == 'E';
    });
    const bool has_digit =
        std::any_of(num.begin(), num.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (numberish && has_digit) {
      return Error{ErrorCode::kUsage, "invalid decimal " + std::string(word) +
                                          ": not a valid decimal; quote it (\"" +
                                          std::string(word) + "\") for a string"};
    }
  }
  if (Utf8Length(word) < 0) return Value::Bytes(std::string(word));
  return Value::String(std::string(word));
}

}  // namespace kv::cli
