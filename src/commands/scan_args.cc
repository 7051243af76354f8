#include "commands/scan_args.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <string>

#include "commands/args.h"
#include "commands/errors.h"

namespace kv {

bool ParseScanCursorOrReply(CommandContext& ctx, std::string_view text, uint64_t* cursor) {
  const std::string s(text);
  errno = 0;
  char* end = nullptr;
  *cursor = std::strtoull(s.c_str(), &end, 10);
  const bool space = !s.empty() && std::isspace(static_cast<unsigned char>(s[0]));
  if (space || *end != '\0' || errno == ERANGE) {
    ctx.rb->SendError(errors::kInvalidCursor);
    return false;
  }
  return true;
}

bool ParseScanOptionsOrReply(CommandContext& ctx, size_t first, bool allow_type, ScanArgs* out) {
  for (size_t i = first; i < ctx.args.size(); i += 2) {
    const std::string_view opt = ctx.args[i];
    const bool has_value = i + 1 < ctx.args.size();
    if (EqualsIgnoreCase(opt, "COUNT") && has_value) {
      if (!ParseIntOrReply(ctx, ctx.args[i + 1], &out->count)) return false;
      if (out->count < 1) {
        ctx.rb->SendError(errors::kSyntax);
        return false;
      }
    } else if (EqualsIgnoreCase(opt, "MATCH") && has_value) {
      out->pattern = ctx.args[i + 1];
      out->use_pattern = out->pattern != "*";
    } else if (allow_type && EqualsIgnoreCase(opt, "TYPE") && has_value) {
      out->type = ctx.args[i + 1];
      out->use_type = true;
    } else {
      ctx.rb->SendError(errors::kSyntax);
      return false;
    }
  }
  return true;
}

}  // namespace kv
