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

#include <string>
#include <string_view>
#include <vector>

#include "commands/command.h"
#include "core/stream.h"

namespace kv {

class Entry;

namespace stream_cmd {

// The stream at `key`, or nullptr when the key is missing; *wrong when it holds another type
// (nothing is replied).
Stream* Find(CommandContext& ctx, std::string_view key, bool* wrong);
// A strict ID argument (no "-" / "+"), missing seq 0; replies the invalid ID error.
bool ParseStrictIdOrReply(CommandContext& ctx, std::string_view arg, StreamID* id);
// Redis's streamParseIntervalIDOrReply: "(" makes the bound exclusive.
bool ParseIntervalIdOrReply(CommandContext& ctx, std::string_view arg, uint64_t missing_seq,
                            StreamID* id, bool* exclusive);

// [id, [field, value, ...]] of the iterator's entry.
void SendEntry(ReplyBuilder& rb, const StreamIterator& it);
// The entry `id` as SendEntry; false (nothing sent) when it is not a live entry.
bool SendEntryById(ReplyBuilder& rb, const Stream& s, StreamID id);

// Logs the pending entry `id` of `group` (at key) as the XCLAIM that recreates it; a null
// `p` for an entry dropped from the PEL.
void LogClaim(CommandContext& ctx, std::string_view key, std::string_view group,
              const StreamGroup& g, StreamID id, const StreamPending* p);
// Logs the group's position: XGROUP SETID key group <last ID> ENTRIESREAD <n>.
void LogGroupPosition(CommandContext& ctx, std::string_view key, std::string_view group,
                      const StreamGroup& g);
// Counts a change of the stream at `key` (its bytes were `before`): the dispatcher then logs
// the command, and WATCH and blocked readers see the key changed.
void NoteChanged(CommandContext& ctx, std::string_view key, Entry* e, size_t before);

}  // namespace stream_cmd
}  // namespace kv
