// What the consumer-group commands (stream_group_family.cc) and the stream reads
// (stream_read_family.cc) share: finding a stream, replying with entries, and the commands a
// group change is logged as.
//
// A change to a group is logged as its effects, as Redis propagates it: each pending entry a
// command created, moved or counted as the XCLAIM that sets exactly that state
// (XCLAIM key group consumer 0 id TIME <ms> RETRYCOUNT <n> FORCE JUSTID LASTID <group last ID>),
// a pending entry dropped because its stream entry is gone as an XCLAIM of it (which drops it
// again on replay), and a group's new position as XGROUP SETID ... ENTRIESREAD (docs/streams.md).
#pragma once

#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "commands/command.h"
#include "commands/stream_family.h"
#include "core/stream.h"

namespace kv {

class CommandTable;

namespace stream_cmd {

// The stream at `key`, or nullptr when the key is missing; *wrong when it holds another type
// (nothing is replied: a blocked XREAD rerun keeps waiting then).
Stream* Find(CommandContext& ctx, std::string_view key, bool* wrong);
// As Find, with WRONGTYPE replied for another type (FindTypedOrReply).
Stream* FindOrReply(CommandContext& ctx, std::string_view key, bool* wrong);
// The group `group` of the stream at `key` (*s: the stream, or nullptr); nullptr when WRONGTYPE
// or NOGROUP was replied.
StreamGroup* FindGroupOrReply(CommandContext& ctx, std::string_view key, std::string_view group,
                              Stream** s);
// The entry `id` as ReplyEntry; false (nothing sent) when it is not a live entry.
bool ReplyEntryById(ReplyBuilder& rb, const Stream& s, StreamID id);

// Logs the pending entry `id` of `group` (at key) as the XCLAIM that recreates it; a null
// `p` for an entry dropped from the PEL.
void LogClaim(CommandContext& ctx, std::string_view key, std::string_view group,
              const StreamGroup& g, StreamID id, const StreamPending* p);
// Logs the group's position: XGROUP SETID key group <last ID> ENTRIESREAD <n>.
void LogGroupPosition(CommandContext& ctx, std::string_view key, std::string_view group,
                      const StreamGroup& g);
// "NOGROUP No such key '<key>' or consumer group '<group>'".
std::string NoGroupError(std::string_view key, std::string_view group);
// Redis's addReplySubcommandSyntaxError (cmd in upper case).
std::string SubcommandSyntaxError(std::string_view sub, std::string_view cmd);

// A subcommand of XGROUP / XINFO with Redis's arity for <cmd>|<name>.
using Subcommand = SubcommandDecl;
// The subcommand args[1] names, its arity checked as Redis's containers do; nullptr when
// replied (unknown, wrong arity).
const Subcommand* FindSubcommandOrReply(CommandContext& ctx, std::string_view cmd,
                                        std::span<const Subcommand> subs);
// A container's HELP reply: the usage line, `lines`, then HELP's own two.
void ReplyHelp(CommandContext& ctx, std::string_view cmd,
               std::initializer_list<std::string_view> lines);

// Registered by RegisterStreamGroupFamily: XCLAIM XAUTOCLAIM (stream_claim_family.cc), XINFO
// (stream_info_family.cc).
void RegisterXClaim(CommandTable& t);
void RegisterXInfo(CommandTable& t);

}  // namespace stream_cmd
}  // namespace kv
