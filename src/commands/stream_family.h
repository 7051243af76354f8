// What the stream command files share (stream_family.cc; the group and blocking read
// commands build on it): ID argument parsing with Redis's error texts, the entry replies, the
// typed lookup that creates a stream, and reporting a change to the shard.
#pragma once

#include <cstdint>
#include <string_view>

#include "commands/command.h"
#include "core/entry.h"
#include "core/stream.h"

namespace kv::stream_cmd {

inline constexpr std::string_view kInvalidId =
    "ERR Invalid stream ID specified as stream command argument";

// An ID argument (core/stream.h ParseStreamID); replies kInvalidId on failure.
bool ParseIdOrReply(CommandContext& ctx, std::string_view arg, uint64_t missing_seq, bool strict,
                    bool* seq_given, StreamID* out);
// A range bound of XRANGE / XPENDING: "(" makes it exclusive (*exclusive set; the rest is then
// parsed strictly, so "(-" is invalid), else as ParseIdOrReply.
bool ParseIntervalIdOrReply(CommandContext& ctx, std::string_view arg, uint64_t missing_seq,
                            StreamID* out, bool* exclusive);

inline Stream* StreamOf(Entry* e) { return static_cast<Stream*>(e->container()); }
// A new empty stream under `key` (the caller checked it is missing).
Entry* CreateStream(Shard& shard, std::string_view key);

// One entry as Redis replies it: [id, [field, value, ...]].
void ReplyEntry(ReplyBuilder& rb, const StreamIterator& it);
// The live entries of [start, end] (at most `count`, 0 for all) as an array of entries,
// forward or reverse.
void ReplyRange(ReplyBuilder& rb, const Stream& s, StreamID start, StreamID end, uint64_t count,
                bool rev);

// A command changed the stream of `key` in place: accounts memory_before -> now and counts
// the write (a stream is never deleted for being empty).
void Changed(CommandContext& ctx, std::string_view key, const Stream& s, size_t memory_before);

}  // namespace kv::stream_cmd
