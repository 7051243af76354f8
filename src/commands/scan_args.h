// The arguments SCAN, SSCAN, HSCAN and ZSCAN share (Redis's parseScanCursorOrReply and
// scanGenericCommand): the cursor, COUNT (at least 1, 10 by default), MATCH, and TYPE for SCAN
// only. One parser so the four answer the same errors in the same order.
#pragma once

#include <cstdint>
#include <string_view>

#include "commands/command.h"
#include "core/glob.h"

namespace kv {

struct ScanArgs {
  uint64_t cursor = 0;
  int64_t count = 10;
  std::string_view pattern;  // empty with use_pattern false: every element
  bool use_pattern = false;
  std::string_view type;     // SCAN's TYPE filter, when use_type
  bool use_type = false;

  bool Matches(std::string_view text) const { return !use_pattern || GlobMatch(pattern, text); }
};

// strtoul's rules (so "-1" wraps, as in Redis), no leading space; else "ERR invalid cursor".
bool ParseScanCursorOrReply(CommandContext& ctx, std::string_view text, uint64_t* cursor);
// The options from ctx.args[first] on. Redis reads them after the key's lookup: a scan of a
// missing key answers the empty scan whatever its options.
bool ParseScanOptionsOrReply(CommandContext& ctx, size_t first, bool allow_type, ScanArgs* out);

}  // namespace kv
