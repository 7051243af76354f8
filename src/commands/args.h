// Argument helpers for handlers: typed parsing with Redis's error texts. Functions named
// ...OrReply send the error themselves and return false, so a handler can just return.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "commands/command.h"

namespace kv {

bool EqualsIgnoreCase(std::string_view a, std::string_view b);
// ASCII lower case (command and subcommand names, INFO sections).
std::string AsciiLower(std::string_view s);
// Redis integer rules; on failure replies "ERR value is not an integer or out of range".
bool ParseIntOrReply(CommandContext& ctx, std::string_view s, int64_t* out);
// Redis float rules; on failure replies "ERR value is not a valid float".
bool ParseDoubleOrReply(CommandContext& ctx, std::string_view s, long double* out);

}  // namespace kv
