// kv-server entry point: options (command line, then --config file, command line winning),
// logging, and the Server.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iterator>
#include <map>

#include "core/config.h"
#include "kv_version.h"
#include "server/server.h"

namespace {
spdlog::level::level_enum LevelFor(const std::string& name) {
  if (name == "debug") return spdlog::level::debug;
  if (name == "warning") return spdlog::level::warn;
  if (name == "error") return spdlog::level::err;
  return spdlog::level::info;
}
}  // namespace

int main(int argc, char** argv) {
  kv::Config config;
  CLI::App app{"kv-server: a typed, multi-threaded, Redis-compatible key-value server"};
  app.get_formatter()->column_width(40);
  std::string config_file;
  app.add_option("--config", config_file, "read options from a redis.conf-style file");
  // redis-server's form: the config file as the first argument (`kv-server kv.conf --port 7000`).
  std::string positional_config;
  app.add_option("config-file", positional_config, "the same as --config FILE, as redis-server takes it");
  std::map<std::string, std::string> given;
  static const std::map<std::string, std::string> kShort = {
      {"bind", "-b,"}, {"shards", "-s,"}, {"log-level", "-l,"}};
  // --loadmodule PATH [ARGS...], repeatable: each occurrence keeps its own argument group.
  std::vector<std::vector<std::string>> loadmodules;
  for (const auto& d : config.directives()) {
    if (d.name == "loadmodule") {
      app.add_option("--loadmodule", loadmodules, d.help)->expected(1, -1);
      continue;
    }
    auto it = kShort.find(d.name);
    const std::string flags = (it == kShort.end() ? "" : it->second) + "--" + d.name;
    app.add_option(flags, given[d.name], d.help)->default_str(d.default_value);
  }
  app.set_version_flag("-v,--version", std::string("kv-server ") + KV_VERSION +
                                           " (Redis 7.0 protocol and commands)");
  CLI11_PARSE(app, argc, argv);

  if (!positional_config.empty()) {
    if (!config_file.empty()) {
      fprintf(stderr, "kv-server: a config file given twice (%s and --config %s)\n",
              positional_config.c_str(), config_file.c_str());
      return 2;
    }
    config_file = positional_config;
  }
  if (!config_file.empty()) {
    std::string err = config.LoadFile(config_file);
    if (!err.empty()) {
      fprintf(stderr, "kv-server: %s\n", err.c_str());
      return 2;
    }
  }
  for (const auto& group : loadmodules) {
    std::string line;
    for (const auto& w : group) line += (line.empty() ? "" : " ") + w;
    config.Set("loadmodule", line, true);
  }
  for (const auto& d : config.directives()) {
    if (d.name == "loadmodule" || app.get_option("--" + d.name)->count() == 0) continue;
    std::string err = config.Set(d.name, given[d.name], true);
    if (!err.empty()) {
      fprintf(stderr, "kv-server: --%s: %s\n", d.name.c_str(), err.c_str());
      return 2;
    }
  }

  const int ports[] = {config.port.load(), config.native_port.load(), config.tls_port.load(),
                       config.tls_native_port.load()};
  if (std::all_of(std::begin(ports), std::end(ports), [](int p) { return p == 0; })) {
    fprintf(stderr, "kv-server: --port 0 and --native-port 0 (and no --tls-port or "
                    "--tls-native-port): no listener left, nobody could connect; enable at "
                    "least one port\n");
    return 2;
  }
  // The listeners share SO_REUSEPORT: two of them on one port would split its connections.
  for (size_t i = 0; i < std::size(ports); ++i) {
    for (size_t j = i + 1; j < std::size(ports); ++j) {
      if (ports[i] != 0 && ports[i] == ports[j]) {
        static const char* kNames[] = {"port", "native-port", "tls-port", "tls-native-port"};
        fprintf(stderr, "kv-server: --%s and --%s are both %d; each listener needs its own port\n",
                kNames[i], kNames[j], ports[i]);
        return 2;
      }
    }
  }

  auto logger = spdlog::stderr_color_mt("kv");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%L%$ %v");
  spdlog::set_level(LevelFor(config.log_level()));

  spdlog::info("kv-server {} starting (pid {})", KV_VERSION, getpid());
  kv::Server server(config);
  server.state().executable = argv[0];
  server.state().config_file = config_file;
  return server.Run();
}
