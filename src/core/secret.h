// Comparisons of secrets (passwords) whose time does not depend on where the inputs differ, so
// a client timing AUTH replies learns nothing about the password byte by byte.
#pragma once

#include <string_view>

namespace kv {

// True when a and b are equal. Reads every byte of `given` whatever the lengths, and never
// returns early on the first difference.
bool ConstantTimeEquals(std::string_view secret, std::string_view given);

}  // namespace kv
