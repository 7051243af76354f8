// LATENCY LATEST / HISTORY / RESET / DOCTOR / HELP over the process's latency monitor
// (core/latency_monitor.h), with Redis 7's replies and texts.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "commands/args.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/families.h"
#include "core/latency_monitor.h"

namespace kv {

namespace {

std::string Doctor(const LatencyMonitor& m) {
  if (m.threshold_ms() == 0)
    return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis "
           "instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in "
           "order to enable it. If we weren't in a deep space mission I'd suggest to take a look "
           "at https://redis.io/topics/latency-monitor.\n";
  const auto events = m.All();
  if (events.empty())
    return "Dave, no latency spike was observed during the lifetime of this Redis instance, not "
           "in the slightest bit. I honestly think you ought to sit down calmly, take a stress "
           "pill, and think things over.\n";
  std::string out =
      "Dave, I have observed latency spikes in this Redis instance. You don't mind talking "
      "about it, do you Dave?\n\n";
  bool commands = false, fsync = false, fork = false, expire = false, evict = false;
  int n = 0;
  for (const auto& [name, s] : events) {
    std::vector<LatencyMonitor::Sample> samples;
    for (const LatencyMonitor::Sample& x : s.samples)
      if (x.time_s != 0) samples.push_back(x);
    if (samples.empty()) continue;
    double sum = 0;
    int64_t first = samples[0].time_s, last = samples[0].time_s;
    for (const auto& x : samples) {
      sum += static_cast<double>(x.latency_ms);
      first = std::min(first, x.time_s);
      last = std::max(last, x.time_s);
    }
    const double avg = sum / static_cast<double>(samples.size());
    double mad = 0;
    for (const auto& x : samples) mad += std::fabs(static_cast<double>(x.latency_ms) - avg);
    mad /= static_cast<double>(samples.size());
    const double period =
        samples.size() > 1 ? static_cast<double>(last - first) / static_cast<double>(samples.size())
                           : 1.0;
    out += fmt::format(
        "{}. {}: {} latency spikes (average {:.0f}ms, mean deviation {:.0f}ms, period {:.2f} "
        "sec). Worst all time event {}ms.\n",
        ++n, name, samples.size(), avg, mad, period, s.max_ms);
    commands |= name == "command" || name == "fast-command";
    fsync |= name == "aof-fsync-always";
    fork |= name == "fork";
    expire |= name == "expire-cycle";
    evict |= name == "eviction-cycle";
  }
  out += "\nI have a few advices for you:\n\n";
  if (commands)
    out += "- Check your Slow Log to understand what are the commands you are running which are "
           "too slow to execute. Please check https://redis.io/commands/slowlog for more "
           "information.\n- Deleting, expiring or evicting (because of maxmemory policy) large "
           "objects is a blocking operation. If you have very large objects that are often "
           "deleted, expired, or evicted, try to fragment those objects into multiple smaller "
           "objects.\n";
  if (fsync)
    out += "- The WAL fsyncs every write with appendfsync always, and this disk is slow to "
           "sync: consider appendfsync batch (fsync every appendfsync-interval-ms) or a faster "
           "disk.\n";
  if (fork)
    out += "- Snapshots pause writes while every shard is locked and the process forks: a "
           "large resident set makes fork slower. Consider fewer snapshots "
           "(snapshot-interval, snapshot-ops) or less memory per server.\n";
  if (expire)
    out += "- The active expiry cycle met many keys expiring at the same time: spread the "
           "expiry times of keys set together.\n";
  if (evict)
    out += "- Eviction under maxmemory took long: raise maxmemory, or keep big values out of "
           "eviction's reach.\n";
  return out;
}

void CmdLatency(CommandContext& ctx) {
  const std::string_view sub = ctx.args[1];
  const size_t argc = ctx.args.size();
  LatencyMonitor& m = GlobalLatencyMonitor();
  if (EqualsIgnoreCase(sub, "LATEST") && argc == 2) {
    const std::vector<LatencyMonitor::Latest> latest = m.LatestAll();
    ctx.rb->StartArray(static_cast<uint32_t>(latest.size()));
    for (const auto& l : latest) {
      ctx.rb->StartArray(4);
      ctx.rb->SendBulk(l.event);
      ctx.rb->SendLong(l.last.time_s);
      ctx.rb->SendLong(static_cast<int64_t>(l.last.latency_ms));
      ctx.rb->SendLong(static_cast<int64_t>(l.max_ms));
    }
  } else if (EqualsIgnoreCase(sub, "HISTORY") && argc == 3) {
    const std::vector<LatencyMonitor::Sample> h = m.History(ctx.args[2]);
    ctx.rb->StartArray(static_cast<uint32_t>(h.size()));
    for (const auto& x : h) {
      ctx.rb->StartArray(2);
      ctx.rb->SendLong(x.time_s);
      ctx.rb->SendLong(static_cast<int64_t>(x.latency_ms));
    }
  } else if (EqualsIgnoreCase(sub, "RESET")) {
    std::vector<std::string> events(ctx.args.begin() + 2, ctx.args.end());
    ctx.rb->SendLong(static_cast<int64_t>(m.Reset(events)));
  } else if (EqualsIgnoreCase(sub, "DOCTOR") && argc == 2) {
    ctx.rb->SendVerbatim(Doctor(m));
  } else if (EqualsIgnoreCase(sub, "HELP") && argc == 2) {
    static constexpr const char* kHelp[] = {
        "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DOCTOR",
        "    Return a human readable latency analysis report.",
        "HISTORY <event>",
        "    Return time-latency samples for the <event> class.",
        "LATEST",
        "    Return the latest latency samples for all events.",
        "RESET [<event> ...]",
        "    Reset latency data of one or more <event> classes.",
        "    (default: reset all data for all event classes)",
        "HELP",
        "    Prints this help."};
    ctx.rb->StartArray(static_cast<uint32_t>(std::size(kHelp)));
    for (const char* line : kHelp) ctx.rb->SendSimple(line);
  } else if (EqualsIgnoreCase(sub, "LATEST") || EqualsIgnoreCase(sub, "HISTORY") ||
             EqualsIgnoreCase(sub, "DOCTOR") || EqualsIgnoreCase(sub, "HELP")) {
    ctx.rb->SendError(errors::WrongArity("latency|" + AsciiLower(sub)));
  } else {
    ctx.rb->SendError(errors::UnknownSubcommand("latency", sub));
  }
}

}  // namespace

void RegisterLatencyFamily(CommandTable& t) {
  t.Register(WithSubcommands(
      MakeSpec("latency", -2, kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale, kNoKeys,
               CmdLatency, "server", "2.8.13", "A container for latency diagnostics commands.",
               "LATEST|HISTORY|RESET|DOCTOR|HELP [arg ...]"),
      {{"latest", 2, "", "Return the latest latency samples for all events."},
       {"history", 3, "", "Return timestamp-latency samples for the event."},
       {"reset", -2, "", "Reset latency data for one or more events."},
       {"doctor", 2, "", "Return a human readable latency analysis report."},
       HelpSubcommand()}));
}

}  // namespace kv
