// kv-server entry point: options (a config file, first as redis-server takes it or with
// --config, then the command line, which wins), logging, daemonizing, the pidfile, and the
// Server.
#include <fcntl.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
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

// Forks into the background. The parent stays until the child serves (its data loaded: a byte
// on the pipe) or has exited, and exits with that outcome, so `kv-server --daemonize yes` in a
// script fails when the server cannot start (busy port, locked directory) rather than later in
// silence. Returns in the child only, with the pipe end to write to.
int Daemonize() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    fprintf(stderr, "kv-server: daemonize: pipe: %s\n", strerror(errno));
    exit(1);
  }
  const pid_t pid = fork();
  if (pid < 0) {
    fprintf(stderr, "kv-server: daemonize: fork: %s\n", strerror(errno));
    exit(1);
  }
  if (pid > 0) {
    close(fds[1]);
    char byte = 0;
    ssize_t n;
    while ((n = read(fds[0], &byte, 1)) < 0 && errno == EINTR) {
    }
    if (n == 1) _exit(0);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    _exit(WIFEXITED(status) && WEXITSTATUS(status) != 0 ? WEXITSTATUS(status) : 1);
  }
  close(fds[0]);
  setsid();
  // As Redis: the daemon keeps no terminal; without a logfile its log goes nowhere.
  const int null = open("/dev/null", O_RDWR);
  if (null >= 0) {
    dup2(null, STDIN_FILENO);
    dup2(null, STDOUT_FILENO);
    dup2(null, STDERR_FILENO);
    if (null > STDERR_FILENO) close(null);
  }
  return fds[1];
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
  // Absolute, as Redis keeps it: INFO shows it and CONFIG REWRITE writes exactly this file.
  if (!config_file.empty()) config_file = std::filesystem::absolute(config_file).string();
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
  // Two listeners on one port: a usage error named here, before bind's "in use" at start.
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

  // Opened before daemonizing, so a log file that cannot be written is reported on the terminal.
  std::shared_ptr<spdlog::logger> logger;
  const std::string logfile = config.logfile();
  if (logfile.empty()) {
    logger = spdlog::stderr_color_mt("kv");
  } else {
    try {
      logger = spdlog::basic_logger_mt("kv", logfile);
    } catch (const spdlog::spdlog_ex& e) {
      fprintf(stderr, "kv-server: logfile %s: %s\n", logfile.c_str(), e.what());
      return 1;
    }
    // A crash or kill -9 must not lose the last lines of a log file.
    logger->flush_on(spdlog::level::info);
  }
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%L%$ %v");
  spdlog::set_level(LevelFor(config.log_level()));

  // Before any thread exists: fork() keeps only the calling thread.
  const int ready_fd = config.daemonize() ? Daemonize() : -1;

  spdlog::info("kv-server {} starting (pid {}{})", KV_VERSION, getpid(),
               config_file.empty() ? std::string() : ", config file " + config_file);
  const std::string pidfile = config.pidfile();
  bool wrote_pidfile = false;
  int rc;
  {
    kv::Server server(config);
    server.state().executable = argv[0];
    server.state().config_file = config_file;
    // Once the data directory and the ports are ours: a second server that fails to start must
    // neither overwrite the running one's pidfile nor remove it on its way out.
    server.OnListening([&] {
      if (!pidfile.empty()) {
        if (FILE* f = fopen(pidfile.c_str(), "w")) {
          fprintf(f, "%d\n", static_cast<int>(getpid()));
          fclose(f);
          wrote_pidfile = true;
        } else {
          // As Redis: the pidfile is a convenience, not a reason to refuse to serve.
          spdlog::warn("cannot write pidfile {}: {}", pidfile, strerror(errno));
        }
      }
    });
    if (ready_fd >= 0) {
      server.OnReady([ready_fd] {
        const char byte = 1;
        (void)!write(ready_fd, &byte, 1);
        close(ready_fd);
      });
    }
    rc = server.Run();
  }
  if (wrote_pidfile) unlink(pidfile.c_str());
  return rc;
}
