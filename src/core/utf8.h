// UTF-8 validation for keys (--strict-keys): checked at the protocol boundary, before any
// storage operation.
#pragma once

#include <cstddef>
#include <string_view>

namespace kv {

// Number of code points in `s` if it is valid UTF-8 (no overlongs, no surrogates, at most
// U+10FFFF), or -1.
ptrdiff_t Utf8Length(std::string_view s);

}  // namespace kv
