// In-process harness for command-family tests: a real command table, store and dispatcher with
// no sockets. Run({"SET", "k", "v"}) returns the exact RESP reply bytes, so tests read like a
// redis-cli session.
#pragma once

#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "commands/acl_commands.h"
#include "commands/command_table.h"
#include "commands/dispatch.h"
#include "commands/families.h"
#include "commands/server_state.h"
#include "core/config.h"
#include "core/keyspace.h"
#include "resp/resp_writer.h"

namespace kv::test {

class Harness {
 public:
  explicit Harness(uint32_t shards = 4)
      : store_(shards), server_(config_, store_, table_), dispatcher_(server_) {
    RegisterBuiltinFamilies(table_);
    InitAcl(server_);
    client_.user = server_.acl.Default();
    client_.id = server_.clients.NextId();
    client_.ns = store_.Get("0");
  }

  // Runs one command and returns its RESP reply bytes (RESP2 unless Resp3(true)).
  std::string Run(std::initializer_list<std::string_view> args) {
    return Run(std::vector<std::string_view>(args));
  }
  // `typed`: what a native client's typed values for some positions would be.
  std::string Run(const std::vector<std::string_view>& args,
                  std::span<const TypedArg> typed = {}) {
    std::string out;
    resp::RespWriter writer(&out);
    writer.set_resp3(client_.resp == 3);
    dispatcher_.Execute(client_, args, writer, typed);
    return out;
  }

  Config& config() { return config_; }
  CommandTable& table() { return table_; }
  Store& store() { return store_; }
  ServerState& server() { return server_; }
  ClientState& client() { return client_; }
  Dispatcher& dispatcher() { return dispatcher_; }

 private:
  Config config_;
  Store store_;
  CommandTable table_;
  ServerState server_;
  Dispatcher dispatcher_;
  ClientState client_;
};

// Reply byte helpers.
inline std::string Cat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view p : parts) out.append(p);
  return out;
}
inline std::string Key(std::string_view prefix, int i) {
  return Cat({prefix, std::to_string(i)});
}
inline std::string Err(std::string_view msg) { return Cat({"-", msg, "\r\n"}); }
inline std::string Bulk(std::string_view s) {
  return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
}
inline std::string Int(long long v) { return ":" + std::to_string(v) + "\r\n"; }
inline const std::string kOk = "+OK\r\n";
inline const std::string kNil = "$-1\r\n";

}  // namespace kv::test
