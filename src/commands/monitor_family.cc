// MONITOR (monitor.h): the registry of monitoring clients, the line format and the command.
#include <fmt/format.h>
#include <sys/time.h>

#include <algorithm>
#include <mutex>
#include <string>
#include <vector>

#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/families.h"
#include "commands/monitor.h"
#include "commands/server_state.h"
#include "commands/slowlog.h"
#include "core/repr.h"

namespace kv::monitor {

namespace {

struct Target {
  uint64_t id;
  int loop;
};

std::mutex& Mu() {
  static std::mutex mu;
  return mu;
}
std::vector<Target>& Targets() {
  static std::vector<Target> targets;
  return targets;
}
std::atomic<Deliverer> g_deliverer{nullptr};
thread_local int t_script_depth = 0;

}  // namespace

void SetDeliverer(Deliverer d) { g_deliverer.store(d); }

void Add(ClientState& c) {
  std::lock_guard lock(Mu());
  if (c.monitor.exchange(true)) return;
  Targets().push_back({c.id, c.io_thread});
  g_monitors.fetch_add(1, std::memory_order_relaxed);
}

void Remove(ClientState& c) {
  std::lock_guard lock(Mu());
  if (!c.monitor.exchange(false)) return;
  std::erase_if(Targets(), [&](const Target& t) { return t.id == c.id; });
  g_monitors.fetch_sub(1, std::memory_order_relaxed);
}

std::string FormatLine(int64_t now_us, std::string_view db, std::string_view addr, bool lua,
                       std::span<const std::string_view> args) {
  std::string out = fmt::format("+{}.{:06} [{} {}] ", now_us / 1000000, now_us % 1000000, db,
                                lua ? std::string_view("lua") : addr);
  std::vector<std::string> shown(args.begin(), args.end());
  RedactSecrets(shown);
  for (size_t i = 0; i < shown.size(); ++i) {
    if (i) out += ' ';
    AppendRepr(out, shown[i]);
  }
  out += "\r\n";
  return out;
}

void Feed(const ClientState& c, std::span<const std::string_view> args) {
  const Deliverer deliver = g_deliverer.load();
  if (!deliver) return;
  timeval tv;
  gettimeofday(&tv, nullptr);
  auto line = std::make_shared<const std::string>(
      FormatLine(int64_t{tv.tv_sec} * 1000000 + tv.tv_usec, c.ns_name, c.addr,
                 t_script_depth > 0, args));
  std::vector<Target> targets;
  {
    std::lock_guard lock(Mu());
    targets = Targets();
  }
  for (const Target& t : targets) deliver(t.loop, t.id, line);
}

ScriptScope::ScriptScope() { ++t_script_depth; }
ScriptScope::~ScriptScope() { --t_script_depth; }

}  // namespace kv::monitor

namespace kv {

namespace {

void CmdMonitor(CommandContext& ctx) {
  // As Redis: a client already monitoring gets no second reply.
  if (ctx.client->monitor.load()) return;
  monitor::Add(*ctx.client);
  ctx.rb->SendOk();
}

}  // namespace

void RegisterMonitorFamily(CommandTable& t) {
  t.Register(MakeSpec("monitor", 1, kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale, kNoKeys,
                      CmdMonitor, "server", "1.0.0",
                      "Listens for all requests received by the server in real-time.", ""));
}

}  // namespace kv
