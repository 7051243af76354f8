// What the rest of the server asks of the scripting family (scripting_family.cc): whether a
// script has run past busy-reply-threshold (the dispatcher then answers other clients -BUSY).
#pragma once

#include <string_view>

namespace kv {

// True while some thread's script runs past busy-reply-threshold.
bool ScriptBusy();
// Whether `name` (lower case) with `sub` may run while a script is busy: SCRIPT KILL,
// FUNCTION KILL / STATS, SHUTDOWN, and the commands Redis flags allow-busy.
bool AllowedWhileScriptBusy(std::string_view name, std::string_view sub);

inline constexpr std::string_view kErrBusy =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";

}  // namespace kv
