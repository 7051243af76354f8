#include "commands/client_tracking.h"

#include <vector>

#include "commands/args.h"
#include "commands/errors.h"
#include "commands/server_state.h"
#include "commands/tracking.h"

namespace kv {

namespace {

using tracking::kBcast;
using tracking::kBrokenRedir;
using tracking::kCaching;
using tracking::kNoLoop;
using tracking::kOn;
using tracking::kOptIn;
using tracking::kOptOut;

uint32_t FlagsOf(const ClientState& c) { return c.tracking.load(std::memory_order_relaxed); }

// CLIENT TRACKING ON|OFF [REDIRECT id] [BCAST] [PREFIX p ...] [OPTIN] [OPTOUT] [NOLOOP], with
// Redis's checks in Redis's order: the options first (a REDIRECT target must exist now), then
// ON's compatibility rules.
void ClientTracking(CommandContext& ctx) {
  ClientState& c = *ctx.client;
  uint64_t redirect = 0;
  uint32_t options = 0;
  std::vector<std::string_view> prefixes;
  for (size_t j = 3; j < ctx.args.size(); ++j) {
    const std::string_view opt = ctx.args[j];
    const bool more = j + 1 < ctx.args.size();
    if (EqualsIgnoreCase(opt, "redirect") && more) {
      ++j;
      if (redirect != 0) {
        ctx.rb->SendError("ERR A client can only redirect to a single other client");
        return;
      }
      const auto id = ParseInt64(ctx.args[j]);
      if (!id) {
        ctx.rb->SendError(errors::kNotInteger);
        return;
      }
      redirect = static_cast<uint64_t>(*id);
      if (*id <= 0 || ctx.server->clients.LoopOf(redirect) < 0) {
        ctx.rb->SendError("ERR The client ID you want redirect to does not exist");
        return;
      }
    } else if (EqualsIgnoreCase(opt, "bcast")) {
      options |= kBcast;
    } else if (EqualsIgnoreCase(opt, "optin")) {
      options |= kOptIn;
    } else if (EqualsIgnoreCase(opt, "optout")) {
      options |= kOptOut;
    } else if (EqualsIgnoreCase(opt, "noloop")) {
      options |= kNoLoop;
    } else if (EqualsIgnoreCase(opt, "prefix") && more) {
      prefixes.push_back(ctx.args[++j]);
    } else {
      ctx.rb->SendError(errors::kSyntax);
      return;
    }
  }
  const std::string_view mode = ctx.args[2];
  if (EqualsIgnoreCase(mode, "off")) {
    tracking::Disable(c);
    ctx.rb->SendOk();
    return;
  }
  if (!EqualsIgnoreCase(mode, "on")) {
    ctx.rb->SendError(errors::kSyntax);
    return;
  }
  const uint32_t now = FlagsOf(c);
  if (!(options & kBcast) && !prefixes.empty()) {
    ctx.rb->SendError("ERR PREFIX option requires BCAST mode to be enabled");
    return;
  }
  if ((now & kOn) && ((now & kBcast) != 0) != ((options & kBcast) != 0)) {
    ctx.rb->SendError(
        "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and "
        "then re-enabling it with a different mode.");
    return;
  }
  if ((options & kBcast) && (options & (kOptIn | kOptOut))) {
    ctx.rb->SendError("ERR OPTIN and OPTOUT are not compatible with BCAST");
    return;
  }
  if ((options & kOptIn) && (options & kOptOut)) {
    ctx.rb->SendError("ERR You can't specify both OPTIN mode and OPTOUT mode");
    return;
  }
  if (((options & kOptIn) && (now & kOptOut)) || ((options & kOptOut) && (now & kOptIn))) {
    ctx.rb->SendError(
        "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and "
        "then re-enabling it with a different mode.");
    return;
  }
  if (options & kBcast) {
    const std::string collision = tracking::PrefixCollision(c, prefixes);
    if (!collision.empty()) {
      ctx.rb->SendError(collision);
      return;
    }
  }
  tracking::Enable(c, redirect, options, prefixes);
  ctx.rb->SendOk();
}

// CLIENT CACHING YES|NO: the next command's keys are remembered (OPTIN) or not (OPTOUT).
void ClientCaching(CommandContext& ctx) {
  ClientState& c = *ctx.client;
  const uint32_t f = FlagsOf(c);
  if (!(f & kOn)) {
    ctx.rb->SendError(
        "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN "
        "or OPTOUT mode enabled");
    return;
  }
  const std::string_view v = ctx.args[2];
  if (EqualsIgnoreCase(v, "yes")) {
    if (!(f & kOptIn)) {
      ctx.rb->SendError(
          "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.");
      return;
    }
  } else if (EqualsIgnoreCase(v, "no")) {
    if (!(f & kOptOut)) {
      ctx.rb->SendError(
          "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.");
      return;
    }
  } else {
    ctx.rb->SendError(errors::kSyntax);
    return;
  }
  c.tracking.fetch_or(kCaching, std::memory_order_relaxed);
  ctx.rb->SendOk();
}

void ClientGetRedir(CommandContext& ctx) { ctx.rb->SendLong(ClientTrackingRedirect(*ctx.client)); }

void ClientTrackingInfo(CommandContext& ctx) {
  const ClientState& c = *ctx.client;
  const uint32_t f = FlagsOf(c);
  std::vector<std::string_view> flags{(f & kOn) ? "on" : "off"};
  if (f & kBcast) flags.push_back("bcast");
  if (f & kOptIn) {
    flags.push_back("optin");
    if (f & kCaching) flags.push_back("caching-yes");
  }
  if (f & kOptOut) {
    flags.push_back("optout");
    if (f & kCaching) flags.push_back("caching-no");
  }
  if (f & kNoLoop) flags.push_back("noloop");
  if (f & kBrokenRedir) flags.push_back("broken_redirect");
  ctx.rb->StartMap(3);
  ctx.rb->SendBulk("flags");
  ctx.rb->StartSet(static_cast<uint32_t>(flags.size()));
  for (std::string_view name : flags) ctx.rb->SendBulk(name);
  ctx.rb->SendBulk("redirect");
  ctx.rb->SendLong(ClientTrackingRedirect(c));
  ctx.rb->SendBulk("prefixes");
  const std::vector<std::string> prefixes = tracking::Prefixes(c);
  ctx.rb->StartArray(static_cast<uint32_t>(prefixes.size()));
  for (const std::string& p : prefixes) ctx.rb->SendBulk(p);
}

}  // namespace

bool RunClientTrackingCommand(CommandContext& ctx) {
  const std::string_view sub = ctx.args[1];
  const size_t argc = ctx.args.size();
  if (EqualsIgnoreCase(sub, "tracking")) {
    if (argc < 3)
      ctx.rb->SendError(errors::WrongArity("client|tracking"));
    else
      ClientTracking(ctx);
  } else if (EqualsIgnoreCase(sub, "caching")) {
    if (argc != 3)
      ctx.rb->SendError(errors::WrongArity("client|caching"));
    else
      ClientCaching(ctx);
  } else if (EqualsIgnoreCase(sub, "getredir")) {
    if (argc != 2)
      ctx.rb->SendError(errors::WrongArity("client|getredir"));
    else
      ClientGetRedir(ctx);
  } else if (EqualsIgnoreCase(sub, "trackinginfo")) {
    if (argc != 2)
      ctx.rb->SendError(errors::WrongArity("client|trackinginfo"));
    else
      ClientTrackingInfo(ctx);
  } else {
    return false;
  }
  return true;
}

void AppendClientTrackingFlags(const ClientState& c, std::string* flags) {
  const uint32_t f = FlagsOf(c);
  if (f & kOn) *flags += 't';
  if (f & kBrokenRedir) *flags += 'R';
  if (f & kBcast) *flags += 'B';
}

int64_t ClientTrackingRedirect(const ClientState& c) {
  if (!(FlagsOf(c) & kOn)) return -1;
  return static_cast<int64_t>(c.tracking_redirect.load(std::memory_order_relaxed));
}

}  // namespace kv
