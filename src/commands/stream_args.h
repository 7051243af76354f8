// The argument parsers of the stream commands, apart from the commands themselves: stream IDs
// and range bounds, XADD's and XTRIM's trimming options, XRANGE's bounds and COUNT, XREAD's and
// XREADGROUP's options, XCLAIM's and XAUTOCLAIM's, XSETID's. Each checks arguments in Redis
// 7.0's order and replies its error texts (t_stream.c); none looks at a key, so the handlers
// decide where a parse runs relative to the key lookup (which decides the error a client sees),
// and test/fuzz/fuzz_stream_args.cc runs them on arguments from outside.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "commands/command.h"
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

// XADD's and XTRIM's options (Redis's streamAddTrimArgs).
struct AddTrimArgs {
  StreamTrim trim;
  bool limit_given = false;
  bool no_mkstream = false;
  bool id_given = false;
  bool seq_given = true;
  StreamID id;
};
// Parses options from args[2] as streamParseAddOrTrimArgsOrReply; for XADD returns the ID's
// position (args.size() when the options ran to the end), -1 after replying an error. A
// replayed trim (ctx.client->replaying) is exact, without LIMIT.
int ParseAddTrimOrReply(CommandContext& ctx, bool xadd, AddTrimArgs* a);

// XRANGE's / XREVRANGE's bounds, exclusive ones already moved in, and COUNT.
struct RangeArgs {
  StreamID start, end;
  int64_t count = -1;  // -1: no COUNT; a negative COUNT reads as 0
};
bool ParseRangeArgsOrReply(CommandContext& ctx, bool rev, RangeArgs* a);

// XREAD's and XREADGROUP's options, up to STREAMS and its keys.
struct ReadArgs {
  bool group_read = false;  // XREADGROUP
  int64_t timeout_ms = -1;  // -1: no BLOCK
  int64_t count = 0;        // 0: no limit
  bool noack = false;
  std::string_view group, consumer;
  size_t streams_arg = 0;  // the first key
  size_t n = 0;            // keys
};
// XREADGROUP when ctx.spec names it; `in_script`: a script's call, which may not BLOCK. The
// IDs after the keys are the handler's ("$" and ">" depend on the stream and the group).
bool ParseReadArgsOrReply(CommandContext& ctx, bool in_script, ReadArgs* a);

// XCLAIM's arguments from min-idle-time on: the IDs run up to the first argument that is no
// ID, options follow.
struct ClaimArgs {
  int64_t min_idle = 0;
  std::vector<StreamID> ids;
  int64_t retry_count = -1;    // -1: not given
  int64_t delivery_time = -1;  // TIME, or now - IDLE; -1: not given
  bool force = false;
  bool justid = false;
  StreamID last_id;
};
bool ParseClaimArgsOrReply(CommandContext& ctx, ClaimArgs* a);

// XAUTOCLAIM's arguments from min-idle-time on.
struct AutoClaimArgs {
  int64_t min_idle = 0;
  StreamID start;
  int64_t count = 100;
  bool justid = false;
};
bool ParseAutoClaimArgsOrReply(CommandContext& ctx, AutoClaimArgs* a);

// XSETID's ID and options.
struct SetIdArgs {
  StreamID id;
  StreamID max_deleted_id;    // 0-0: not given
  int64_t entries_added = -1;  // -1: not given
};
bool ParseSetIdArgsOrReply(CommandContext& ctx, SetIdArgs* a);

}  // namespace kv::stream_cmd
