// Argument helpers for handlers: typed parsing with Redis's error texts. Functions named
// ...OrReply send the error themselves and return false, so a handler can just return.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "commands/command.h"
#include "core/ascii.h"

namespace kv {

// Option and subcommand words: ASCII, no locale.
constexpr bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return AsciiEqualsIgnoreCase(a, b);
}
// Redis integer rules; on failure replies "ERR value is not an integer or out of range".
bool ParseIntOrReply(CommandContext& ctx, std::string_view s, int64_t* out);
// Redis's getRangeLongFromObjectOrReply: an integer in [min, max]. On failure replies `msg`
// when given, else "ERR value is not an integer or out of range" / "ERR value is out of range,
// value must between <min> and <max>".
bool ParseRangeOrReply(CommandContext& ctx, std::string_view s, int64_t min, int64_t max,
                       std::string_view msg, int64_t* out);
// Redis's getPositiveLongFromObjectOrReply: an integer >= 0; failures reply `msg`, by default
// "ERR value is out of range, must be positive" (for text that is no number too, as Redis).
bool ParsePositiveOrReply(CommandContext& ctx, std::string_view s, std::string_view msg,
                          int64_t* out);
// Redis float rules; on failure replies "ERR value is not a valid float".
bool ParseDoubleOrReply(CommandContext& ctx, std::string_view s, long double* out);

// A container command's HELP reply: Redis's first line for `cmd`, then `lines`.
void SendHelpReply(CommandContext& ctx, std::string_view cmd,
                   std::initializer_list<const char*> lines);
// Whether `s` is one of `names`, ignoring ASCII case (subcommand words).
bool IsOneOf(std::string_view s, std::initializer_list<std::string_view> names);

// "numkeys key [key ...] <side_a>|<side_b> [COUNT count]" from args[numkeys_idx]: LMPOP's,
// ZMPOP's and their blocking forms' arguments, checked in Redis's order with its texts.
struct MPopArgs {
  size_t first_key = 0;
  size_t numkeys = 0;
  size_t side_idx = 0;    // where the side word is
  bool side_a = false;    // the side word is side_a
  int64_t count = 1;      // 1 without COUNT
};
bool ParseMPopOrReply(CommandContext& ctx, size_t numkeys_idx, std::string_view side_a,
                      std::string_view side_b, MPopArgs* out);

// find_keys for "numkeys key [key ...]" with numkeys at args[numkeys_idx] (SINTERCARD, ZUNION,
// LMPOP, EVAL's keys ...): none when numkeys is not a count of the arguments that follow, as
// Redis's getkeys (the handler answers the error).
void NumKeysAt(std::span<const std::string_view> args, size_t numkeys_idx,
               std::vector<size_t>* out);

}  // namespace kv
