// kv-cli's argument syntax (docs/kv-cli.md, "Literals"): splits a command line into arguments
// and reads typed literals, so `set price 19.99d` stores a Decimal and `set tags ["a", 3]` a List.
//
// An argument keeps the form it was typed in (Arg::Kind), because its meaning depends on its
// position, which only the command knows (command.h):
//   - text positions (the command name, keys, owners, namespaces, every CALL argument) take the
//     text: a bare word exactly as typed (`42` is the key "42"), a quoted string's contents;
//   - value positions (SET/SETNX/CAS/MSET values) take the typed value: a bare word that reads as
//     a number is an Int, Float or (with a `d` suffix) Decimal, `null` is Null, anything else a
//     String.
// Nothing here knows commands or sockets; errors name the 1-based column of the problem.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "client/kv_client.h"
#include "native_proto/value.h"

namespace kv::cli {

// Lists and maps nest at most this deep, the native protocol's limit (deeper is refused here,
// before anything is sent).
inline constexpr int kMaxNesting = 64;

struct Arg {
  enum class Kind : uint8_t {
    kBare,    // a bare word: `text` holds it as typed
    kString,  // "..." or '...': `value` is a String
    kBytes,   // b"..." or b'...': `value` is Bytes
    kList,    // [...]: `value` is a List
    kMap,     // {...}: `value` is a Map
  };
  Kind kind = Kind::kBare;
  std::string text;
  native::Value value;
  size_t column = 0;  // 1-based start in the line; 0 for a one-shot argument (no line)
};

// Splits an interactive or piped line into arguments separated by blanks (space, tab). Errors
// (kUsage): an unterminated string, list or map; an unknown escape; a string that is not UTF-8;
// a literal followed by something other than a blank; nesting deeper than kMaxNesting.
client::Result<std::vector<Arg>> ParseLine(std::string_view line);

// One one-shot argument (argv: the shell already split the words). A word that begins with `"`,
// `'`, `[`, `{`, `b"` or `b'` is a literal and must be exactly one complete literal; any other
// word is a bare word as a whole, blanks included.
client::Result<Arg> ParseWord(std::string_view word);

// The argument in a text position. A list or map is an error (kUsage).
client::Result<std::string> ArgText(const Arg& arg);
// The argument in a value position.
client::Result<native::Value> ArgValue(const Arg& arg);
// How a bare word reads in a value position: `null`; Int (`42`, `-7`, `+3`; outside i64 is an
// error); Float (`1.5`, `.5`, `2.`, `1e3`, `-2.5E-3`, `inf`, `-inf`, `nan`; beyond binary64's
// range is an error); Decimal (an Int or Float form followed by `d`: `19.99d`, `1e3d`; refused as
// Decimal::Parse refuses); otherwise a String (Bytes if the word is not valid UTF-8).
client::Result<native::Value> BareValue(std::string_view word);

}  // namespace kv::cli
