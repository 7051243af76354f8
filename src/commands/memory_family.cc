// MEMORY: USAGE, STATS, DOCTOR, MALLOC-STATS, PURGE, HELP. The figures are those INFO memory
// reports (core/memory.h) under Redis's MEMORY STATS names, and a key's bytes come from
// EntryMemory (core/memory_usage.h), the one place that knows what an entry costs.
#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <mutex>
#include <string>
#include <vector>

#include "commands/args.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/families.h"
#include "commands/server_state.h"
#include "core/memory.h"
#include "core/memory_usage.h"
#include "core/shard.h"

namespace kv {

namespace {

void SendMemoryHelp(CommandContext& ctx) {
  static constexpr const char* kHelp[] = {
      "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "DOCTOR",
      "    Return memory problems reports.",
      "MALLOC-STATS",
      "    Return internal statistics report from the memory allocator.",
      "PURGE",
      "    Attempt to purge dirty pages for reclamation by the allocator.",
      "STATS",
      "    Return information about the memory usage of the server.",
      "USAGE <key> [SAMPLES <count>]",
      "    Return memory in bytes used by <key> and its value. Nested values are",
      "    sampled up to <count> times (default: 5, 0 means sample all).",
      "HELP",
      "    Prints this help."};
  ctx.rb->StartArray(static_cast<uint32_t>(std::size(kHelp)));
  for (const char* line : kHelp) ctx.rb->SendSimple(line);
}

void MemoryUsage(CommandContext& ctx) {
  // SAMPLES is parsed as Redis does; values are stored whole, so every byte is counted anyway.
  for (size_t i = 3; i < ctx.args.size(); ++i) {
    if (!EqualsIgnoreCase(ctx.args[i], "SAMPLES") || i + 1 >= ctx.args.size()) {
      ctx.rb->SendError(errors::kSyntax);
      return;
    }
    int64_t samples = 0;
    if (!ParseIntOrReply(ctx, ctx.args[i + 1], &samples)) return;
    if (samples < 0) {
      ctx.rb->SendError(errors::kSyntax);
      return;
    }
    ++i;
  }
  // MEMORY USAGE's key: the dispatcher locked its shard.
  const std::string_view key = ctx.args[2];
  Shard& shard = ctx.ShardFor(key);
  const Entry* e = shard.Peek(key, ctx.now_ms);
  if (!e) {
    ctx.rb->SendNull();
    return;
  }
  ctx.rb->SendLong(static_cast<int64_t>(EntryMemory(*e)));
}

struct Figures {
  int64_t used, peak, startup, dataset, rss, allocated;
};

Figures ReadFigures(CommandContext& ctx) {
  SampledStats& sampled = ctx.server->sampled;
  Figures f;
  f.used = UsedMemory();
  sampled.NotePeak(f.used, ctx.now_ms);
  f.peak = sampled.used_memory_peak.load();
  f.startup = sampled.used_memory_startup.load();
  f.dataset = GlobalEngineStats().tracked_bytes.load();
  f.rss = static_cast<int64_t>(ProcessRss());
  f.allocated = static_cast<int64_t>(AllocatorAllocated());
  return f;
}

double Ratio(int64_t a, int64_t b) {
  return b > 0 ? static_cast<double>(a) / static_cast<double>(b) : 0.0;
}

void MemoryStats(CommandContext& ctx) {
  const Figures f = ReadFigures(ctx);
  struct Space {
    std::string name;
    size_t keys, volatile_keys;
  };
  std::vector<Space> spaces;
  size_t keys = 0;
  for (Keyspace* ks : ctx.server->store.All()) {
    const size_t n = ks->Size();
    if (n == 0) continue;  // as Redis lists only databases that hold keys
    spaces.push_back({ks->name(), n, ks->VolatileSize()});
    keys += n;
  }
  const int64_t overhead = std::max<int64_t>(0, f.used - f.dataset);
  ReplyBuilder& rb = *ctx.rb;
  rb.StartMap(static_cast<uint32_t>(18 + spaces.size()));
  auto num = [&](std::string_view name, int64_t v) {
    rb.SendBulk(name);
    rb.SendLong(v);
  };
  auto real = [&](std::string_view name, double v) {
    rb.SendBulk(name);
    rb.SendDouble(v);
  };
  num("peak.allocated", f.peak);
  num("total.allocated", f.used);
  num("startup.allocated", f.startup);
  num("replication.backlog", 0);  // no replication yet
  num("clients.slaves", 0);
  num("clients.normal", ClientBufferBytes());
  num("cluster.links", 0);
  num("lua.caches", 0);  // no scripting yet
  num("functions.caches", 0);
  for (const Space& s : spaces) {
    rb.SendBulk("db." + s.name);
    rb.StartMap(2);
    // The same per-key shares EntryMemory counts: a slot for every key, an index pointer for
    // every key with a TTL.
    num("overhead.hashtable.main", static_cast<int64_t>(s.keys * kTableSlotShare));
    num("overhead.hashtable.expires", static_cast<int64_t>(s.volatile_keys * sizeof(Entry*)));
  }
  num("overhead.total", overhead);
  num("keys.count", static_cast<int64_t>(keys));
  num("keys.bytes-per-key",
      keys ? std::max<int64_t>(0, f.used - f.startup) / static_cast<int64_t>(keys) : 0);
  num("dataset.bytes", f.dataset);
  real("dataset.percentage", 100.0 * Ratio(f.dataset, f.used - f.startup));
  real("peak.percentage", 100.0 * Ratio(f.used, f.peak));
  num("allocator.allocated", f.allocated);
  real("fragmentation", Ratio(f.rss, f.used));
  num("fragmentation.bytes", f.rss - f.used);
}

void MemoryDoctor(CommandContext& ctx) {
  const Figures f = ReadFigures(ctx);
  // Redis's thresholds and its two verdicts without issues, word for word: tools look for them.
  if (f.used < 5 * 1024 * 1024) {
    ctx.rb->SendVerbatim(
        "Hi Sam, this instance is empty or is using very little memory, my issues detector "
        "can't be used in these conditions. Please, leave for your mission on Earth and fill it "
        "with some data. The new Sam and I will be back to our programming as soon as I "
        "finished rebooting.");
    return;
  }
  std::string issues;
  if (Ratio(f.peak, f.used) > 1.5)
    issues += fmt::format(
        " * Peak memory: in the past this instance used {:.0f}% of the memory it uses now. The "
        "allocator keeps much of it after a peak; MEMORY PURGE may return some of it to the "
        "system.\n\n",
        100.0 * Ratio(f.peak, f.used));
  if (Ratio(f.rss, f.used) > 1.4 && f.rss - f.used > 10 * 1024 * 1024)
    issues += fmt::format(
        " * High fragmentation: the resident set is {:.2f} times the memory in use ({} bytes "
        "more). MEMORY PURGE may help; a restart compacts it.\n\n",
        Ratio(f.rss, f.used), f.rss - f.used);
  if (issues.empty()) {
    ctx.rb->SendVerbatim(
        "Hi Sam, I can't find any memory issue in your instance. I can only account for what "
        "occurs on this base.");
    return;
  }
  ctx.rb->SendVerbatim("Sam, I detected a few issues in this kv-server instance memory:\n\n" +
                       issues + "I'm here to keep you safe, Sam. I want to help you.\n");
}

void CmdMemory(CommandContext& ctx) {
  const std::string_view sub = ctx.args[1];
  const size_t argc = ctx.args.size();
  const bool usage = EqualsIgnoreCase(sub, "USAGE");
  const bool known = usage || EqualsIgnoreCase(sub, "STATS") ||
                     EqualsIgnoreCase(sub, "DOCTOR") || EqualsIgnoreCase(sub, "MALLOC-STATS") ||
                     EqualsIgnoreCase(sub, "PURGE") || EqualsIgnoreCase(sub, "HELP");
  if (!known) {
    ctx.rb->SendError(errors::UnknownSubcommand("memory", sub));
    return;
  }
  if (usage ? argc < 3 : argc != 2) {
    ctx.rb->SendError(errors::WrongArity("memory|" + AsciiLower(sub)));
    return;
  }
  if (usage) {
    MemoryUsage(ctx);
  } else if (EqualsIgnoreCase(sub, "STATS")) {
    MemoryStats(ctx);
  } else if (EqualsIgnoreCase(sub, "DOCTOR")) {
    MemoryDoctor(ctx);
  } else if (EqualsIgnoreCase(sub, "MALLOC-STATS")) {
    ctx.rb->SendVerbatim(AllocatorStatsText());
  } else if (EqualsIgnoreCase(sub, "PURGE")) {
    if (PurgeAllocator())
      ctx.rb->SendOk();
    else
      ctx.rb->SendError("ERR Error purging dirty pages");
  } else {
    SendMemoryHelp(ctx);
  }
}

}  // namespace

void RegisterMemoryFamily(CommandTable& t) {
  t.Register(WithSubcommands(MakeSpec("memory", -2, 0, kNoKeys, CmdMemory, "server", "4.0.0",
                                      "A container for memory diagnostics commands.",
                                      "USAGE|STATS|DOCTOR|MALLOC-STATS|PURGE|HELP [arg ...]"),
                             {{"usage", -3, "", "Estimate the memory usage of a key",
                               kCmdReadonly, kSubcommandKey},
                              {"stats", 2, "", "Show memory usage details"},
                              {"doctor", 2, "", "Outputs memory problems report"},
                              {"malloc-stats", 2, "", "Show allocator internal stats"},
                              {"purge", 2, "", "Ask the allocator to release memory"},
                              HelpSubcommand()}));
}

}  // namespace kv
