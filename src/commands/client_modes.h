// CLIENT subcommands that change how the server treats the calling connection: REPLY
// (ON|OFF|SKIP), NO-EVICT and NO-TOUCH. CLIENT's handler (server_family.cc) hands them here; the
// session honours REPLY (resp_session.cc) and the dispatcher NO-TOUCH (core/shard.h t_no_touch).
#pragma once

#include <string>

#include "commands/command.h"

namespace kv {

// Runs CLIENT <sub> when `sub` is one of these subcommands; false for any other.
bool RunClientModeCommand(CommandContext& ctx);

// The CLIENT LIST flags these modes add, in Redis's order (e, T).
void AppendClientModeFlags(const ClientState& c, std::string* flags);

}  // namespace kv
