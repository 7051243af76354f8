// kv-cli: redis-cli for the native protocol (docs/kv-cli.md).
//
//   kv-cli [-h host] [-p port] [--user name] [-a password] [-n namespace] [-u kv://[pw@]host:port[/ns]]
//          [--raw | --no-raw] [command [arg ...]]
//
// With a command: runs it, prints the reply, exits 0 (1 on an error reply or no connection).
// Without: a prompt with line editing and history (libedit) when stdin is a terminal, else one
// command per line from stdin (exit 1 if any of them failed). Arguments are typed literals
// (tools/kv_cli/literal.h), commands map to native opcodes or CALL (tools/kv_cli/command.h),
// replies print as redis-cli prints them (tools/kv_cli/printer.h). Requests go through
// kv::client, which owns the socket and the codec.
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <editline/readline.h>

#include "client/kv_client.h"
#include "kv_cli/command.h"
#include "kv_cli/literal.h"
#include "kv_cli/printer.h"

namespace {

using kv::cli::Arg;
using kv::cli::OutputMode;
using kv::client::Client;
using kv::client::ErrorCode;

constexpr int kHistoryLimit = 1000;

void Print(FILE* f, const std::string& s) {
  std::fwrite(s.data(), 1, s.size(), f);
  std::fflush(f);
}

std::string HostPort(const kv::client::Url& url) {
  bool v6 = url.host.find(':') != std::string::npos;
  return (v6 ? "[" + url.host + "]" : url.host) + ":" + std::to_string(url.port);
}

// One connection, reopened on demand: after a lost connection the next command reconnects
// (with AUTH and SELECT as they were last accepted); the failed command is not retried.
class Session {
 public:
  Session(kv::client::Url url, OutputMode mode) : url_(std::move(url)), mode_(mode) {}

  bool EnsureConnected() {
    if (client_ && !client_->broken()) return true;
    client_.reset();
    auto c = Client::Connect(url_);
    if (c) {
      client_.emplace(std::move(c).value());
      return true;
    }
    const auto& e = c.error();
    if (e.code == ErrorCode::kConnection || e.code == ErrorCode::kTimeout) {
      // The client's text repeats the address ("connect to H:P: reason"); keep the reason.
      std::string why = e.message;
      std::string prefix = "connect to " + url_.host + ":" + std::to_string(url_.port) + ": ";
      if (why.rfind(prefix, 0) == 0) why.erase(0, prefix.size());
      Print(stderr, "Could not connect to kv-server at " + HostPort(url_) + ": " + why + "\n");
    } else {
      Print(stderr, kv::cli::FormatError(e.message, mode_));
    }
    return false;
  }

  // Runs one command; false when it failed (locally, on the server, or on the way).
  bool Run(const std::vector<Arg>& args) {
    auto plan = kv::cli::PlanCommand(args);
    if (!plan) {
      Print(stderr, kv::cli::FormatError(plan.error().message, mode_));
      return false;
    }
    if (!EnsureConnected()) return false;
    auto reply = client_->Execute(plan->req);
    kv::cli::Output o = kv::cli::Render(*plan, reply, mode_);
    Print(stdout, o.out);
    Print(stderr, o.err);
    if (reply.ok() && plan->name == "select") url_.ns = std::string(plan->req.key);
    if (reply.ok() && plan->name == "auth") {  // a reconnection authenticates the same way
      url_.password = std::string(plan->req.owner);
      url_.user = std::string(plan->req.key);
    }
    if (client_->broken()) client_.reset();
    return !o.failed;
  }

  OutputMode mode() const { return mode_; }

  std::string Prompt() const {
    std::string p = "kv";
    if (!url_.ns.empty() && url_.ns != "0") p += "/" + url_.ns;
    if (!client_) p += " (not connected)";
    return p + "> ";
  }

 private:
  kv::client::Url url_;
  OutputMode mode_;
  std::optional<Client> client_;
};

std::string FirstWordLower(const std::string& line) {
  size_t b = line.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  size_t e = line.find_first_of(" \t", b);
  std::string w = line.substr(b, e == std::string::npos ? std::string::npos : e - b);
  for (char& c : w) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return w;
}

// KV_CLI_HISTFILE, else ~/.kv_cli_history; empty (or /dev/null, or no HOME) keeps no history.
std::string HistoryPath() {
  if (const char* env = std::getenv("KV_CLI_HISTFILE")) {
    std::string p = env;
    return p == "/dev/null" ? std::string() : p;
  }
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') return {};
  return std::string(home) + "/.kv_cli_history";
}

int Repl(Session& session, bool tty) {
  std::string history;
  if (tty) {
    rl_readline_name = "kv-cli";  // the application name ~/.editrc sections match
    using_history();
    stifle_history(kHistoryLimit);
    history = HistoryPath();
    if (!history.empty()) read_history(history.c_str());
  }
  session.EnsureConnected();
  bool failed = false;
  for (;;) {
    std::string line;
    if (tty) {
      char* l = readline(session.Prompt().c_str());
      if (l == nullptr) {
        Print(stdout, "\n");
        break;
      }
      line = l;
      std::free(l);
    } else if (!std::getline(std::cin, line)) {
      break;
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string first = FirstWordLower(line);
    if (first.empty()) continue;
    // Passwords stay out of the history file, as in redis-cli.
    if (tty && first != "auth") {
      add_history(line.c_str());
      if (!history.empty() && write_history(history.c_str()) == 0) {
        ::chmod(history.c_str(), 0600);
      }
    }
    if (first == "quit" || first == "exit") break;
    auto args = kv::cli::ParseLine(line);
    if (!args) {
      Print(stderr, kv::cli::FormatError(args.error().message, session.mode()));
      failed = true;
      continue;
    }
    if (!session.Run(*args)) failed = true;
  }
  return !tty && failed ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"kv-cli: the command-line client of kv-server's native protocol (docs/kv-cli.md).\n"
               "  kv-cli [OPTIONS] [command [arg ...]]\n"
               "With a command: run it and exit (0, or 1 on an error). Without: a prompt when\n"
               "stdin is a terminal, else one command per line of stdin.",
               "kv-cli"};
  app.set_help_flag("--help", "Print this help and exit (-h is the host, as in redis-cli)");
  std::string host = "127.0.0.1";
  int port = 6380;
  std::string password;
  std::string url_text;
  std::string ns;
  auto* host_opt = app.add_option("-h,--host", host, "Server host")->capture_default_str();
  auto* port_opt = app.add_option("-p,--port", port, "Server native-protocol port")
                       ->check(CLI::Range(1, 65535))
                       ->capture_default_str();
  auto* pass_opt = app.add_option("-a,--pass", password, "Password (AUTH as --user, or default)");
  std::string user;
  auto* user_opt = app.add_option("--user", user, "ACL user to AUTH as (with -a)");
  app.add_option("-u,--url", url_text,
                 "kv://[password@]host:port[/namespace]; -h -p -a -n given too override its parts");
  auto* ns_opt = app.add_option("-n,--namespace", ns, "Namespace to SELECT after connecting");
  // redis-cli's TLS options, for kv-server's tls-native-port.
  kv::client::Url::Tls tls;
  app.add_flag("--tls", tls.enabled, "Connect over TLS (kv-server's tls-native-port)");
  app.add_option("--cacert", tls.ca_file,
                 "CA certificate file to verify the server with (default: the system's CAs)");
  app.add_option("--cacertdir", tls.ca_dir, "Directory of trusted CA certificates");
  app.add_option("--cert", tls.cert_file, "Client certificate to authenticate with");
  app.add_option("--key", tls.key_file, "Private key of --cert");
  bool insecure = false;
  app.add_flag("--insecure", insecure, "Do not verify the server's certificate");
  bool raw_flag = false;
  bool no_raw_flag = false;
  auto* raw = app.add_flag("--raw", raw_flag,
                           "Raw output (the default when stdout is not a terminal)");
  auto* no_raw = app.add_flag("--no-raw", no_raw_flag,
                              "Formatted output even when stdout is not a terminal");
  raw->excludes(no_raw);
  app.prefix_command();  // the first word that is not an option starts the command
  app.footer("Examples:\n  kv-cli -p 6380 get price\n  kv-cli -u kv://127.0.0.1:6380/my_app "
             "set price 19.99d\n  echo 'get price' | kv-cli\n"
             "  kv-cli --tls --cacert ca.crt --cert client.crt --key client.key -p 6390 ping\n");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  std::vector<std::string> words = app.remaining();
  if (!words.empty() && words[0].size() > 1 && words[0][0] == '-') {
    std::fprintf(stderr, "kv-cli: unknown option %s (see --help)\n", words[0].c_str());
    return 2;
  }

  kv::client::Url url;
  if (!url_text.empty()) {
    auto u = kv::client::ParseUrl(url_text);
    if (!u) {
      std::fprintf(stderr, "kv-cli: %s\n", u.error().message.c_str());
      return 2;
    }
    url = *u;
  } else {
    url.host = host;
    url.port = static_cast<uint16_t>(port);
  }
  if (host_opt->count() > 0) url.host = host;
  if (port_opt->count() > 0) url.port = static_cast<uint16_t>(port);
  if (pass_opt->count() > 0) url.password = password;
  if (user_opt->count() > 0) url.user = user;
  if (ns_opt->count() > 0) url.ns = ns;
  const bool tls_options = !tls.ca_file.empty() || !tls.ca_dir.empty() || !tls.cert_file.empty() ||
                           !tls.key_file.empty() || insecure;
  if (tls_options && !tls.enabled) {
    std::fprintf(stderr, "kv-cli: --cacert, --cacertdir, --cert, --key and --insecure need --tls\n");
    return 2;
  }
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    std::fprintf(stderr, "kv-cli: --cert and --key go together\n");
    return 2;
  }
  tls.verify = !insecure;
  url.tls = tls;

  OutputMode mode = ::isatty(STDOUT_FILENO) ? OutputMode::kFormatted : OutputMode::kRaw;
  if (raw_flag) mode = OutputMode::kRaw;
  if (no_raw_flag) mode = OutputMode::kFormatted;

  Session session(url, mode);
  if (words.empty()) return Repl(session, ::isatty(STDIN_FILENO) != 0);

  // One shot: every argument is checked (and the command planned, in Run) before connecting,
  // so a bad literal sends nothing.
  std::vector<Arg> args;
  for (const std::string& w : words) {
    auto a = kv::cli::ParseWord(w);
    if (!a) {
      Print(stderr, kv::cli::FormatError(a.error().message, mode));
      return 1;
    }
    args.push_back(std::move(a).value());
  }
  return session.Run(args) ? 0 : 1;
}
