#include "commands/client_modes.h"

#include "commands/args.h"
#include "commands/errors.h"

namespace kv {

namespace {

// ON / OFF as Redis's NO-EVICT and NO-TOUCH read them: any other word is a syntax error.
void SetSwitch(CommandContext& ctx, std::atomic<bool>& flag) {
  const std::string_view v = ctx.args[2];
  if (EqualsIgnoreCase(v, "on")) {
    flag.store(true, std::memory_order_relaxed);
  } else if (EqualsIgnoreCase(v, "off")) {
    flag.store(false, std::memory_order_relaxed);
  } else {
    ctx.rb->SendError(errors::kSyntax);
    return;
  }
  ctx.rb->SendOk();
}

// Redis's CLIENT REPLY: ON answers +OK; OFF and SKIP answer nothing (the session drops their
// reply, and SKIP's own reply goes with the command after it). SKIP while OFF changes nothing.
void ClientReply(CommandContext& ctx) {
  ClientState& c = *ctx.client;
  const std::string_view v = ctx.args[2];
  if (EqualsIgnoreCase(v, "on")) {
    c.reply_off = false;
    c.reply_skip = false;
    ctx.rb->SendOk();
  } else if (EqualsIgnoreCase(v, "off")) {
    c.reply_off = true;
  } else if (EqualsIgnoreCase(v, "skip")) {
    if (!c.reply_off) c.reply_skip_next = true;
  } else {
    ctx.rb->SendError(errors::kSyntax);
  }
}

}  // namespace

bool RunClientModeCommand(CommandContext& ctx) {
  const std::string_view sub = ctx.args[1];
  void (*run)(CommandContext&) = nullptr;
  std::string_view name;
  if (EqualsIgnoreCase(sub, "reply")) {
    run = ClientReply;
    name = "client|reply";
  } else if (EqualsIgnoreCase(sub, "no-evict")) {
    run = [](CommandContext& c) { SetSwitch(c, c.client->no_evict); };
    name = "client|no-evict";
  } else if (EqualsIgnoreCase(sub, "no-touch")) {
    run = [](CommandContext& c) { SetSwitch(c, c.client->no_touch); };
    name = "client|no-touch";
  } else {
    return false;
  }
  if (ctx.args.size() != 3)
    ctx.rb->SendError(errors::WrongArity(name));
  else
    run(ctx);
  return true;
}

void AppendClientModeFlags(const ClientState& c, std::string* flags) {
  if (c.no_evict.load(std::memory_order_relaxed)) *flags += 'e';
  if (c.no_touch.load(std::memory_order_relaxed)) *flags += 'T';
}

}  // namespace kv
