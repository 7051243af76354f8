#include "modules/module_host.h"

#include <dlfcn.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <thread>

#include "commands/args.h"
#include "commands/errors.h"
#include "modules/builtin/builtin.h"
#include "modules/module_api.h"

namespace kv {

ModuleHost::~ModuleHost() {
  // Plugin code must stay mapped while any CommandSpec can still call into it, which is the
  // whole life of the process; the OS unmaps it at exit.
}

std::string ModuleHost::Run(std::shared_ptr<Module> m, ModuleOnLoadFn onload) {
  std::vector<KVModuleString> strs(m->args.size());
  std::vector<KVModuleString*> argv(m->args.size());
  for (size_t i = 0; i < m->args.size(); ++i) {
    strs[i].s = m->args[i];
    argv[i] = &strs[i];
  }
  KVModuleCtx ctx;
  ctx.host = this;
  ctx.module = m.get();
  const int rc = onload(&ctx, HostApi(), argv.data(), static_cast<int>(argv.size()));
  std::string err;
  if (!ctx.initialized)
    err = ctx.load_error.empty() ? "the plugin did not call Init" : ctx.load_error;
  // A failed Init leaves the name empty, so the rollback below removes nothing of others.
  else if (rc != KV_OK)
    err = ctx.load_error.empty() ? "KVModule_OnLoad failed" : ctx.load_error;
  if (err.empty()) {
    std::lock_guard lock(mu_);
    for (const auto& other : modules_)
      if (other->name == m->name) err = "a plugin named '" + m->name + "' is already loaded";
    if (err.empty()) {
      modules_.push_back(m);
      spdlog::info("loaded plugin {} (version {}) from {}: {} command(s)", m->name, m->version,
                   m->path, m->commands.size());
      return "";
    }
  }
  // Roll back whatever it registered before failing.
  if (!m->name.empty()) table_.RemoveModule(m->name);
  m->unloaded = true;
  std::lock_guard lock(mu_);
  retired_.push_back(std::move(m));
  return err;
}

std::string ModuleHost::Load(const std::string& path, const std::vector<std::string>& args) {
  struct stat st{};
  if (stat(path.c_str(), &st) != 0) return "no such file: " + path;
  // RTLD_LOCAL keeps each plugin's symbols to itself, so two plugins may both define helpers
  // of the same name.
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) return std::string("cannot load ") + path + ": " + dlerror();
  auto onload = reinterpret_cast<ModuleOnLoadFn>(dlsym(handle, "KVModule_OnLoad"));
  if (!onload) {
    dlclose(handle);
    return path + " does not export KVModule_OnLoad (is it a kv-server plugin?)";
  }
  auto m = std::make_shared<Module>();
  m->path = path;
  m->args = args;
  m->handle = handle;
  std::string err = Run(m, onload);
  if (!err.empty() && m->commands.empty()) dlclose(handle);
  return err;
}

std::string ModuleHost::LoadBuiltin(ModuleOnLoadFn onload, const std::vector<std::string>& args) {
  auto m = std::make_shared<Module>();
  m->path = "builtin";
  m->args = args;
  m->builtin = true;
  return Run(std::move(m), onload);
}

std::string ModuleHost::Unload(const std::string& name, ClientRegistry& clients) {
  std::shared_ptr<Module> m;
  {
    std::lock_guard lock(mu_);
    for (const auto& x : modules_)
      if (x->name == name) m = x;
  }
  if (!m) return "no such module with that name";
  if (m->builtin) return "built-in modules cannot be unloaded";
  bool blocked = false;
  clients.ForEach([&](const ClientState& c) {
    if (c.blocked_owner.load(std::memory_order_relaxed) == m.get()) blocked = true;
  });
  if (blocked) return "the module has clients blocked in its commands";
  m->unloaded.store(true);
  table_.RemoveModule(m->name);
  // Calls that started before the flag was set finish first (they hold no lock we need).
  while (m->inflight.load() != 0) std::this_thread::yield();
  {
    std::lock_guard lock(mu_);
    modules_.erase(std::remove(modules_.begin(), modules_.end(), m), modules_.end());
    retired_.push_back(m);
  }
  spdlog::info("unloaded plugin {}", m->name);
  // The library stays mapped: a CommandSpec of it may still be referenced by a call that raced
  // with the unload; the trampoline refuses such calls without entering plugin code.
  return "";
}

bool ModuleHost::Has(const std::string& name) {
  std::lock_guard lock(mu_);
  return std::any_of(modules_.begin(), modules_.end(),
                     [&](const auto& m) { return m->name == name; });
}

std::vector<std::shared_ptr<Module>> ModuleHost::List() {
  std::lock_guard lock(mu_);
  return modules_;
}

std::string LoadBuiltinModules(ModuleHost& host) {
  for (ModuleOnLoadFn fn : {KVBuiltinDecimal_OnLoad, KVBuiltinLock_OnLoad, KVBuiltinCas_OnLoad}) {
    std::string err = host.LoadBuiltin(fn);
    if (!err.empty()) return err;
  }
  return "";
}

// ------------------------------------------------------------------------------------------
// MODULE command
// ------------------------------------------------------------------------------------------

namespace {

// Redis answers one text whatever went wrong: a client must not learn from MODULE LOAD which
// files exist or what they contain. The reason goes to the server's log.
constexpr std::string_view kLoadFailed = "ERR Error loading the extension. Please check the server logs.";

void ReplyLoad(CommandContext& ctx, std::string_view path, const std::string& err) {
  if (err.empty()) {
    ctx.rb->SendOk();
    return;
  }
  spdlog::warn("MODULE LOAD {} from client {} ({}) failed: {}", path, ctx.client->id,
               ctx.client->addr, err);
  ctx.rb->SendError(kLoadFailed);
}

void CmdModule(CommandContext& ctx) {
  auto& host = *static_cast<ModuleHost*>(ctx.spec->data);
  // dlopen runs a library's constructors before any check of ours: loading is running code in
  // the server, so it is the operator's decision (enable-module-command), as in Redis 7.
  if (!EnableAllows(ctx.server->config.enable_module_command.load(),
                    IsLocalClient(*ctx.client))) {
    ctx.rb->SendError(
        "ERR MODULE command not allowed. If the enable-module-command option is set to "
        "\"local\", you can run it from a local connection, otherwise you need to set this "
        "option in the configuration file, and then restart the server.");
    return;
  }
  const std::string_view sub = ctx.args[1];
  const size_t argc = ctx.args.size();
  if (EqualsIgnoreCase(sub, "LIST") && argc == 2) {
    auto mods = host.List();
    ctx.rb->StartArray(static_cast<uint32_t>(mods.size()));
    for (const auto& m : mods) {
      ctx.rb->StartMap(4);
      ctx.rb->SendBulk("name");
      ctx.rb->SendBulk(m->name);
      ctx.rb->SendBulk("ver");
      ctx.rb->SendLong(m->version);
      ctx.rb->SendBulk("path");
      ctx.rb->SendBulk(m->path);
      ctx.rb->SendBulk("args");
      ctx.rb->StartArray(static_cast<uint32_t>(m->args.size()));
      for (const auto& a : m->args) ctx.rb->SendBulk(a);
    }
  } else if (EqualsIgnoreCase(sub, "LOAD") && argc >= 3) {
    std::vector<std::string> args(ctx.args.begin() + 3, ctx.args.end());
    ReplyLoad(ctx, ctx.args[2], host.Load(std::string(ctx.args[2]), args));
  } else if (EqualsIgnoreCase(sub, "LOADEX") && argc >= 3) {
    // MODULE LOADEX path [CONFIG name value ...] [ARGS arg ...]: plugins have no CONFIG
    // parameters yet, so CONFIG pairs are refused rather than silently dropped.
    std::vector<std::string> args;
    for (size_t i = 3; i < argc; ++i) {
      if (EqualsIgnoreCase(ctx.args[i], "ARGS")) {
        args.assign(ctx.args.begin() + static_cast<long>(i) + 1, ctx.args.end());
        break;
      }
      if (EqualsIgnoreCase(ctx.args[i], "CONFIG"))
        ReplyLoad(ctx, ctx.args[2], "plugins have no CONFIG parameters in this version");
      else
        ctx.rb->SendError(errors::kSyntax);
      return;
    }
    ReplyLoad(ctx, ctx.args[2], host.Load(std::string(ctx.args[2]), args));
  } else if (EqualsIgnoreCase(sub, "UNLOAD") && argc == 3) {
    std::string err = host.Unload(std::string(ctx.args[2]), ctx.server->clients);
    if (err.empty())
      ctx.rb->SendOk();
    else
      ctx.rb->SendError("ERR Error unloading module: " + err);
  } else if (EqualsIgnoreCase(sub, "HELP") && argc == 2) {
    static constexpr const char* kLines[] = {
        "MODULE <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "LIST",
        "    Return a list of loaded modules.",
        "LOAD <path> [<arg> ...]",
        "    Load a module library from <path>, passing to it any optional arguments.",
        "LOADEX <path> [ARGS <arg> ...]",
        "    Load a module library from <path>, passing to it the given arguments.",
        "UNLOAD <name>",
        "    Unload a module.",
    };
    ctx.rb->StartArray(std::size(kLines));
    for (const char* l : kLines) ctx.rb->SendSimple(l);
  } else if (EqualsIgnoreCase(sub, "LIST") || EqualsIgnoreCase(sub, "LOAD") ||
             EqualsIgnoreCase(sub, "LOADEX") || EqualsIgnoreCase(sub, "UNLOAD") ||
             EqualsIgnoreCase(sub, "HELP")) {
    ctx.rb->SendError(errors::WrongArity("module|" + AsciiLower(sub)));
  } else {
    ctx.rb->SendError(errors::UnknownSubcommand("module", sub));
  }
}

}  // namespace

void RegisterModuleFamily(CommandTable& table, ModuleHost& host) {
  CommandSpec s = MakeSpec("module", -2, kCmdAdmin | kCmdNoScript, kNoKeys, CmdModule, "server",
                           "4.0.0", "A container for module commands.",
                           "LIST|LOAD|LOADEX|UNLOAD|HELP [arg ...]");
  s.data = &host;
  table.Register(WithSubcommands(
      std::move(s), {{"list", 2, "", "List all modules loaded by the server"},
                     {"load", -3, "", "Load a module"},
                     {"loadex", -3, "7.0.0", "Load a module with extended parameters"},
                     {"unload", 3, "", "Unload a module"}, HelpSubcommand("5.0.0")}));
}

}  // namespace kv
