// CONFIG: GET, SET, RESETSTAT, REWRITE, HELP over the one directive table (core/config.h);
// REWRITE writes the file the server was started with (core/config_rewrite.h), never a path a
// client names.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "commands/args.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/families.h"
#include "commands/server_state.h"
#include "core/config.h"
#include "core/config_rewrite.h"
#include "core/glob.h"
#include "core/memory.h"

namespace kv {

namespace {

void CmdConfigRewrite(CommandContext& ctx) {
  const std::string& path = ctx.server->config_file;
  if (path.empty()) {
    ctx.rb->SendError("ERR The server is running without a config file");
    return;
  }
  // One rewrite at a time: two would share the temporary file beside the config file.
  static std::mutex mu;
  std::string err;
  {
    std::lock_guard lock(mu);
    err = RewriteConfigFile(ctx.server->config, path);
  }
  if (!err.empty()) {
    spdlog::warn("CONFIG REWRITE failed: {}", err);
    ctx.rb->SendError(fmt::format("ERR Rewriting config file: {}", err));
    return;
  }
  spdlog::info("CONFIG REWRITE executed with success.");
  ctx.rb->SendOk();
}

void CmdConfig(CommandContext& ctx) {
  const std::string_view sub = ctx.args[1];
  Config& cfg = ctx.server->config;
  if (EqualsIgnoreCase(sub, "GET") && ctx.args.size() >= 3) {
    std::vector<std::pair<std::string, std::string>> found;
    for (const auto& d : cfg.directives()) {
      for (size_t i = 2; i < ctx.args.size(); ++i) {
        if (GlobMatch(ctx.args[i], d.name, true)) {
          found.emplace_back(d.name, d.get());
          break;
        }
      }
    }
    ctx.rb->StartMap(static_cast<uint32_t>(found.size()));
    for (const auto& [k, v] : found) {
      ctx.rb->SendBulk(k);
      ctx.rb->SendBulk(v);
    }
  } else if (EqualsIgnoreCase(sub, "SET") && ctx.args.size() >= 4 && ctx.args.size() % 2 == 0) {
    // All or nothing, as in Redis: on a bad pair, the pairs already applied are restored.
    std::vector<std::pair<const Config::Directive*, std::string>> applied;
    for (size_t i = 2; i < ctx.args.size(); i += 2) {
      const Config::Directive* d = cfg.Find(ctx.args[i]);
      const std::string old = d ? d->get() : std::string();
      std::string err =
          d && d->is_protected &&
                  !EnableAllows(cfg.enable_protected_configs.load(), IsLocalClient(*ctx.client))
              ? fmt::format("CONFIG SET failed (possibly related to argument '{}') - can't set "
                            "protected config",
                            d->name)
              : cfg.Set(ctx.args[i], ctx.args[i + 1], false);
      if (!err.empty()) {
        for (auto it = applied.rbegin(); it != applied.rend(); ++it) it->first->set(it->second);
        ctx.rb->SendError(fmt::format("ERR {}", err));
        return;
      }
      applied.emplace_back(d, old);
    }
    // Settings applied together (a certificate and its key) are checked once, after all pairs.
    std::vector<std::string> names;
    for (const auto& [d, old] : applied) names.push_back(d->name);
    if (std::string err = cfg.ApplyRuntime(names); !err.empty()) {
      for (auto it = applied.rbegin(); it != applied.rend(); ++it) it->first->set(it->second);
      ctx.rb->SendError(fmt::format("ERR {}", err));
      return;
    }
    const std::string l = cfg.log_level();
    spdlog::set_level(l == "debug"     ? spdlog::level::debug
                      : l == "warning" ? spdlog::level::warn
                      : l == "error"   ? spdlog::level::err
                                       : spdlog::level::info);
    ctx.rb->SendOk();
  } else if (EqualsIgnoreCase(sub, "RESETSTAT") && ctx.args.size() == 2) {
    ServerStats& st = ctx.server->stats;
    st.total_connections = 0;
    st.rejected_connections = 0;
    ctx.server->thread_stats.Reset();
    EngineStats& es = GlobalEngineStats();
    es.expired_keys = 0;
    es.expired_subkeys = 0;
    es.evicted_keys = 0;
    es.keyspace_hits = 0;
    es.keyspace_misses = 0;
    ctx.rb->SendOk();
  } else if (EqualsIgnoreCase(sub, "REWRITE") && ctx.args.size() == 2) {
    CmdConfigRewrite(ctx);
  } else if (EqualsIgnoreCase(sub, "HELP") && ctx.args.size() == 2) {
    SendHelpReply(ctx, "CONFIG",
                  {"GET <pattern>", "    Return parameters matching the glob-like <pattern> and "
                                    "their values.",
                   "SET <directive> <value>", "    Set the configuration <directive> to <value>.",
                   "RESETSTAT", "    Reset statistics reported by the INFO command.", "REWRITE",
                   "    Rewrite the configuration file."});
  } else if (IsOneOf(sub, {"GET", "SET", "RESETSTAT", "REWRITE", "HELP"})) {
    ctx.rb->SendError(errors::WrongArity(fmt::format("config|{}", AsciiLower(sub))));
  } else {
    ctx.rb->SendError(errors::UnknownSubcommand("config", sub));
  }
}

}  // namespace

void RegisterConfigFamily(CommandTable& t) {
  t.Register(WithSubcommands(
      MakeSpec("config", -2, kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale, kNoKeys,
               CmdConfig, "server", "2.0.0", "A container for server configuration commands.",
               "GET|SET|RESETSTAT|REWRITE|HELP [arg ...]"),
      {{"get", -3, "", "Get the values of configuration parameters"},
       {"set", -4, "", "Set configuration parameters to the given values"},
       {"resetstat", 2, "", "Reset the stats returned by INFO"},
       {"rewrite", 2, "2.8.0", "Rewrite the configuration file with the in memory configuration"},
       HelpSubcommand("5.0.0")}));
}

}  // namespace kv
