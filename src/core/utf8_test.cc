#include "core/utf8.h"

#include <doctest/doctest.h>

#include <string>

namespace kv {

TEST_CASE("Utf8Length counts code points of valid UTF-8") {
  CHECK(Utf8Length("") == 0);
  CHECK(Utf8Length("abc") == 3);
  CHECK(Utf8Length("h\xC3\xA9llo") == 5);            // é
  CHECK(Utf8Length("\xE2\x82\xAC") == 1);            // €
  CHECK(Utf8Length("\xF0\x9F\x98\x80") == 1);        // emoji
}

TEST_CASE("Utf8Length rejects invalid sequences") {
  CHECK(Utf8Length("\xFF") == -1);
  CHECK(Utf8Length("\xC3") == -1);                   // truncated
  CHECK(Utf8Length("\xC0\xAF") == -1);               // overlong '/'
  CHECK(Utf8Length("\xED\xA0\x80") == -1);           // surrogate
  CHECK(Utf8Length("\xF4\x90\x80\x80") == -1);       // above U+10FFFF
  CHECK(Utf8Length("a\x80") == -1);                  // stray continuation
}

}  // namespace kv
