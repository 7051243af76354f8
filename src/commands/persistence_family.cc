// Persistence commands: SAVE, BGSAVE, BGREWRITEAOF, LASTSAVE. The work is in src/persist; these
// only translate its results into Redis's replies.
#include <fmt/format.h>

#include "commands/args.h"
#include "commands/command_table.h"
#include "commands/families.h"
#include "commands/scripting.h"
#include "commands/server_state.h"
#include "persist/persistence.h"

namespace kv {

namespace {

persist::Persistence* Data(CommandContext& ctx) { return ctx.server->persistence; }

void ReplyErr(CommandContext& ctx, const std::string& err) {
  ctx.rb->SendError(fmt::format("ERR {}", err));
}

void CmdSave(CommandContext& ctx) {
  persist::Persistence* p = Data(ctx);
  if (!p) return ReplyErr(ctx, "persistence is not available");
  // Blocks this client's loop until the file is on disk, as Redis's SAVE blocks the server;
  // other loops keep serving (the snapshot itself is written by a child process).
  const std::string err = p->Save();
  if (!err.empty()) return ReplyErr(ctx, err);
  ctx.rb->SendOk();
}

void CmdBgsave(CommandContext& ctx) {
  persist::Persistence* p = Data(ctx);
  if (!p) return ReplyErr(ctx, "persistence is not available");
  if (ctx.args.size() > 2) return ctx.rb->SendError("ERR syntax error");
  if (ctx.args.size() == 2 && !EqualsIgnoreCase(ctx.args[1], "schedule"))
    return ctx.rb->SendError("ERR syntax error");
  const std::string err = p->StartBackgroundSave(false);
  if (!err.empty()) {
    // BGSAVE SCHEDULE while one runs: the cron starts another once it is done.
    if (ctx.args.size() == 2 && p->save_in_progress()) {
      p->ScheduleBackgroundSave();
      return ctx.rb->SendSimple("Background saving scheduled");
    }
    return ReplyErr(ctx, err);
  }
  ctx.rb->SendSimple("Background saving started");
}

void CmdBgrewriteaof(CommandContext& ctx) {
  persist::Persistence* p = Data(ctx);
  if (!p) return ReplyErr(ctx, "persistence is not available");
  // The WAL is compacted by a snapshot: it replaces every segment it covers (docs/persistence.md).
  const std::string err = p->StartBackgroundSave(true);
  if (!err.empty()) {
    if (p->save_in_progress())
      return ReplyErr(ctx, "Background append only file rewriting already in progress");
    return ReplyErr(ctx, err);
  }
  ctx.rb->SendSimple("Background append only file rewriting started");
}

void CmdLastsave(CommandContext& ctx) {
  persist::Persistence* p = Data(ctx);
  ctx.rb->SendLong(p ? p->last_save_s() : ctx.server->start_ms / 1000);
}

void CmdShutdown(CommandContext& ctx) {
  bool snapshot = true;
  if (ctx.args.size() > 2) return ctx.rb->SendError("ERR syntax error");
  if (ctx.args.size() == 2) {
    if (EqualsIgnoreCase(ctx.args[1], "nosave")) {
      snapshot = false;
    } else if (!EqualsIgnoreCase(ctx.args[1], "save")) {
      return ctx.rb->SendError("ERR syntax error");
    }
  }
  if (!ctx.server->request_shutdown) return ReplyErr(ctx, "SHUTDOWN is not available here");
  // As Redis: past busy-reply-threshold only SHUTDOWN NOSAVE, and it does not wait for the
  // script (a script that wrote cannot be killed; this is the way out its error names).
  if (ScriptBusy()) {
    if (snapshot || !ctx.server->shutdown_now) return ctx.rb->SendError(BusyError());
    ctx.server->shutdown_now();
  }
  ctx.server->request_shutdown(snapshot);
  ctx.rb->SendOk();
  ctx.client->close_after_reply = true;
}

CommandSpec Spec(std::string name, int arity, uint32_t flags, CommandHandler h,
                 std::string summary, std::string syntax = "") {
  return MakeSpec(std::move(name), arity, flags, kNoKeys, h, "server", "1.0.0",
                  std::move(summary), std::move(syntax));
}

}  // namespace

void RegisterPersistenceFamily(CommandTable& t) {
  constexpr uint32_t kAdmin = kCmdAdmin | kCmdNoScript;
  t.Register(Spec("save", 1, kAdmin | kCmdNoMulti, CmdSave,
                  "Synchronously saves the database(s) to disk (a snapshot; the reply waits for "
                  "it)."));
  t.Register(Spec("bgsave", -1, kAdmin, CmdBgsave,
                  "Asynchronously saves the database(s) to disk (a snapshot by a child "
                  "process).",
                  "[SCHEDULE]"));
  t.Register(Spec("bgrewriteaof", 1, kAdmin, CmdBgrewriteaof,
                  "Compacts the write-ahead log: a snapshot replaces the segments it covers."));
  t.Register(Spec("shutdown", -1, kAdmin | kCmdLoading | kCmdStale | kCmdNoMulti, CmdShutdown,
                  "Stops the server: drains the log and writes a final snapshot (unless "
                  "NOSAVE).",
                  "[NOSAVE|SAVE]"));
  t.Register(Spec("lastsave", 1, kCmdLoading | kCmdStale | kCmdFast, CmdLastsave,
                  "Returns the Unix timestamp of the last successful save to disk."));
}

}  // namespace kv
