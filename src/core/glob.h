// Glob matching with Redis's rules (KEYS, SCAN MATCH, CONFIG GET): `*`, `?`, `[abc]`, `[^a-z]`,
// `\x` escapes. Works on binary strings.
#pragma once

#include <string_view>

namespace kv {

bool GlobMatch(std::string_view pattern, std::string_view str, bool nocase = false);

}  // namespace kv
