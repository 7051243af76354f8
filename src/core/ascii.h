// ASCII case folding for protocol words (command names, options, config keys). Redis compares
// these bytewise without a locale; std::tolower is a locale lookup per character, measurable
// on the per-request path, and would fold bytes above 127 under some locales.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kv {

constexpr char AsciiLowerChar(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr bool AsciiEqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (AsciiLowerChar(a[i]) != AsciiLowerChar(b[i])) return false;
  return true;
}

inline void AsciiLowerInPlace(std::string& s) {
  for (char& c : s) c = AsciiLowerChar(c);
}

inline std::string AsciiLower(std::string_view s) {
  std::string out(s);
  AsciiLowerInPlace(out);
  return out;
}

inline std::string AsciiUpper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

// The words of `s` between ASCII whitespace (sdssplitargs without its quoting): shebang lines,
// client-output-buffer-limit's value.
inline std::vector<std::string_view> SplitWhitespace(std::string_view s) {
  auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
  };
  std::vector<std::string_view> words;
  for (size_t i = 0; i < s.size();) {
    while (i < s.size() && space(s[i])) ++i;
    size_t j = i;
    while (j < s.size() && !space(s[j])) ++j;
    if (j > i) words.push_back(s.substr(i, j - i));
    i = j;
  }
  return words;
}

}  // namespace kv
