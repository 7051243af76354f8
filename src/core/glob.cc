#include "core/glob.h"

#include <cctype>

namespace kv {

namespace {
char Fold(char c, bool nocase) {
  return nocase ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : c;
}

// Matches one bracket class starting after '['; advances `p` past the closing ']'.
bool MatchClass(std::string_view pat, size_t& p, char c, bool nocase) {
  bool negate = false, match = false;
  if (p < pat.size() && pat[p] == '^') {
    negate = true;
    ++p;
  }
  for (; p < pat.size() && pat[p] != ']'; ++p) {
    if (pat[p] == '\\' && p + 1 < pat.size()) {
      ++p;
      if (Fold(pat[p], nocase) == Fold(c, nocase)) match = true;
    } else if (p + 2 < pat.size() && pat[p + 1] == '-') {
      char lo = Fold(pat[p], nocase), hi = Fold(pat[p + 2], nocase);
      if (lo > hi) std::swap(lo, hi);
      const char fc = Fold(c, nocase);
      if (fc >= lo && fc <= hi) match = true;
      p += 2;
    } else if (Fold(pat[p], nocase) == Fold(c, nocase)) {
      match = true;
    }
  }
  if (p < pat.size()) ++p;  // the ']'
  return negate ? !match : match;
}
}  // namespace

bool GlobMatch(std::string_view pat, std::string_view str, bool nocase) {
  // Iterative matcher with single-star backtracking: linear for typical patterns, no recursion
  // depth to exhaust on hostile input.
  size_t p = 0, s = 0, star_p = std::string_view::npos, star_s = 0;
  while (s < str.size()) {
    if (p < pat.size()) {
      const char pc = pat[p];
      if (pc == '*') {
        while (p < pat.size() && pat[p] == '*') ++p;
        if (p == pat.size()) return true;
        star_p = p;
        star_s = s;
        continue;
      }
      if (pc == '?') {
        ++p;
        ++s;
        continue;
      }
      if (pc == '[') {
        size_t q = p + 1;
        if (MatchClass(pat, q, str[s], nocase)) {
          p = q;
          ++s;
          continue;
        }
      } else {
        size_t q = p;
        char lit = pc;
        if (pc == '\\' && p + 1 < pat.size()) lit = pat[++q];
        if (Fold(lit, nocase) == Fold(str[s], nocase)) {
          p = q + 1;
          ++s;
          continue;
        }
      }
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p;
    s = ++star_s;
  }
  while (p < pat.size() && pat[p] == '*') ++p;
  return p == pat.size();
}

}  // namespace kv
