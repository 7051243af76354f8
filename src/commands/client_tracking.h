// CLIENT TRACKING, CACHING, GETREDIR and TRACKINGINFO: client-side caching's commands, with
// Redis 7.0's options, checks and error texts. CLIENT's handler (server_family.cc) hands them
// here; the table and the invalidations are commands/tracking.h's.
#pragma once

#include <cstdint>
#include <string>

#include "commands/command.h"

namespace kv {

// Runs CLIENT <sub> when `sub` is one of these subcommands; false for any other.
bool RunClientTrackingCommand(CommandContext& ctx);

// CLIENT LIST: the flags tracking adds, in Redis's order (t, R, B), and redir= (-1 when off).
void AppendClientTrackingFlags(const ClientState& c, std::string* flags);
int64_t ClientTrackingRedirect(const ClientState& c);

}  // namespace kv
