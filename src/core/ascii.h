// ASCII case folding for protocol words (command names, options, config keys). Redis compares
// these bytewise without a locale; std::tolower is a locale lookup per character, measurable
// on the per-request path, and would fold bytes above 127 under some locales.
#pragma once

#include <string>
#include <string_view>

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

}  // namespace kv
