// What the stream command files share (stream_family.cc; the group and blocking read
// commands build on it): the argument parsers (stream_args.h), the entry replies, the
// typed lookup that creates a stream, and reporting a change to the shard.
#pragma once

#include <cstdint>
#include <string_view>

#include "commands/command.h"
#include "commands/stream_args.h"
#include "core/entry.h"
#include "core/stream.h"

namespace kv::stream_cmd {

inline Stream* StreamOf(Entry* e) { return static_cast<Stream*>(e->container()); }
// A new empty stream under `key` (the caller checked it is missing).
Entry* CreateStream(Shard& shard, std::string_view key);

// One entry as Redis replies it: [id, [field, value, ...]].
void ReplyEntry(ReplyBuilder& rb, const StreamIterator& it);
// The live entries of [start, end] (at most `count`, 0 for all) as an array of entries,
// forward or reverse.
void ReplyRange(ReplyBuilder& rb, const Stream& s, StreamID start, StreamID end, uint64_t count,
                bool rev);
// The entries `it` walks (at most `count`, 0 for all) as an array of entries, in one walk;
// `positioned`: it.Next() already returned true and its entry is the first to send.
void ReplyEntries(ReplyBuilder& rb, StreamIterator& it, uint64_t count, bool positioned);

// A command changed the stream of `key` in place: accounts memory_before -> now and counts
// the write (a stream is never deleted for being empty).
void Changed(CommandContext& ctx, std::string_view key, const Stream& s, size_t memory_before);

}  // namespace kv::stream_cmd
