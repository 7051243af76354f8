// CLIENT PAUSE / UNPAUSE: the process-wide pause (ServerState::pause). While a pause is on, the
// RESP session holds the requests it covers (every one for ALL; for WRITE, writes and what may
// write or publish: EVAL, EVALSHA, FCALL, PUBLISH, SPUBLISH, PFCOUNT, and EXEC of a queue holding
// any of them) without running them, and the connection waits for an event: a timer at the
// pause's end, or the wake-up UNPAUSE posts to every held connection. Expiry and eviction stop
// meanwhile (core/shard.h ExpiryPaused). When no pause was ever set, a request costs one relaxed
// load.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

#include "commands/command.h"

namespace kv {

class ClientPause {
 public:
  enum Type : int { kNone = 0, kWrite = 1, kAll = 2 };

  bool MaybeActive() const { return type_.load(std::memory_order_relaxed) != kNone; }
  // Whether the request `args` (spec: its command, nullptr when unknown) of `client` must wait.
  // Ends a pause whose time has passed.
  bool Holds(const CommandSpec* spec, std::span<const std::string_view> args,
             const ClientState& client, int64_t now_ms);
  int64_t end_ms() const { return end_ms_.load(std::memory_order_relaxed); }

  // As Redis 7.0's pauseClients: a pause only ever grows, in kind (WRITE -> ALL) and in length.
  void Pause(int64_t end_ms, Type type);
  // Ends the pause at once and wakes every held connection.
  void Unpause();
  // Records a held connection for Unpause to wake. False when the pause ended meanwhile: the
  // caller retries the request at once.
  bool AddHeld(int io_thread, uint64_t conn_id);
  // Set by the server layer: runs the held connection's input again on its own loop.
  std::function<void(int io_thread, uint64_t conn_id)> wake;

 private:
  std::atomic<int> type_{kNone};
  std::atomic<int64_t> end_ms_{0};
  std::mutex mu_;  // orders Pause/Unpause with AddHeld
  std::vector<std::pair<int, uint64_t>> held_;
};

// CLIENT PAUSE timeout [WRITE|ALL] and CLIENT UNPAUSE; false for any other subcommand.
bool RunClientPauseCommand(CommandContext& ctx);

}  // namespace kv
