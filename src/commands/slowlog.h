// SlowLog: SLOWLOG's entries (commands that ran longer than slowlog-log-slower-than), one log for
// every I/O thread, as Redis 7 keeps and shows them.
//
// The dispatcher checks a command's time against the threshold after it ran (one relaxed load
// and one comparison per command); only a slow command takes the log's mutex, after copying and
// truncating its arguments outside it.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kv {

struct ClientState;

// Redis's redactions for what SLOWLOG and MONITOR show: AUTH's arguments, HELLO's AUTH username
// and password, MIGRATE's AUTH password and AUTH2 username and password become "(redacted)".
void RedactSecrets(std::vector<std::string>& argv);

struct SlowLogEntry {
  uint64_t id = 0;
  int64_t time_s = 0;
  uint64_t duration_us = 0;
  std::vector<std::string> argv;  // truncated as Redis does (kMaxArgs, kMaxArgBytes)
  std::string peer;               // "ip:port"
  std::string name;               // CLIENT SETNAME's
};

class SlowLog {
 public:
  static constexpr size_t kMaxArgs = 32;
  static constexpr size_t kMaxArgBytes = 128;

  // Builds the entry Redis would record for `args` (argument count and length cut, secrets
  // redacted).
  static std::vector<std::string> EntryArgs(std::span<const std::string_view> args);

  void Push(const ClientState& client, std::span<const std::string_view> args,
            uint64_t duration_us, int64_t now_ms, size_t max_len);
  // Newest first; count < 0: all.
  std::vector<SlowLogEntry> Get(int64_t count) const;
  size_t Len() const;
  void Reset();

 private:
  mutable std::mutex mu_;
  std::deque<SlowLogEntry> entries_;  // front = newest
  uint64_t next_id_ = 0;
};

}  // namespace kv
