// MONITOR: every command any client runs, on any I/O thread, streamed to the monitoring clients
// in Redis's line format (`+<unix time.µs> [<db> <addr>] "cmd" "arg" ...`).
//
// With no monitor attached a command pays one relaxed load (Active). With monitors, the line is
// formatted once on the thread that ran the command and handed to each monitor's loop (the
// server layer's Deliverer), which appends it under the client's output buffer limit: a monitor
// that does not read is disconnected, as a slow subscriber is.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace kv {

struct ClientState;

namespace monitor {

inline std::atomic<int> g_monitors{0};
inline bool Active() { return g_monitors.load(std::memory_order_relaxed) != 0; }

// Hands `line` (a complete RESP simple string) to monitor `id` on loop `loop`.
using Deliverer = void (*)(int loop, uint64_t id, std::shared_ptr<const std::string> line);
void SetDeliverer(Deliverer d);

// `c` becomes a monitor (idempotent); Remove undoes it (RESET, disconnect).
void Add(ClientState& c);
void Remove(ClientState& c);

// The line for one command; `lua` for commands a script ran.
std::string FormatLine(int64_t now_us, std::string_view db, std::string_view addr, bool lua,
                       std::span<const std::string_view> args);
// Sends what `c` ran to every monitor.
void Feed(const ClientState& c, std::span<const std::string_view> args);

// Commands run while one is alive are a script's: shown as [db lua].
class ScriptScope {
 public:
  ScriptScope();
  ~ScriptScope();
  ScriptScope(const ScriptScope&) = delete;
  ScriptScope& operator=(const ScriptScope&) = delete;
};

}  // namespace monitor
}  // namespace kv
