// ScriptCache: the server-wide set of script bodies, keyed by the SHA1 of the body as Redis
// keys them (EVALSHA, SCRIPT LOAD/EXISTS/FLUSH).
//
// One cache is shared by every I/O thread; each thread's LuaEngine compiles a body the first
// time it runs it and drops its compiled functions when it sees the cache's epoch change
// (SCRIPT FLUSH). Bodies are immutable once stored, so readers get a shared pointer and never
// hold the mutex while compiling or running.
//
// Thread contract: every method may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace kv::scripting {

// Lowercase hex SHA1 of `data` (40 characters): redis.sha1hex and the script names.
std::string Sha1Hex(std::string_view data);

// Lowercases a client-given SHA1 in place; Redis matches SHA1s case-insensitively.
void LowercaseSha(std::string& sha);

class ScriptCache {
 public:
  // Stores `body` under its SHA1 (idempotent) and returns the SHA1.
  std::string Add(std::string_view body);
  // The body stored under `sha` (any case), or null.
  std::shared_ptr<const std::string> Find(std::string_view sha) const;
  // SCRIPT EXISTS: one answer per SHA1, in order.
  std::vector<bool> Exists(std::span<const std::string_view> shas) const;
  // SCRIPT FLUSH: forgets every body and moves to a new epoch, so engines drop their compiled
  // functions before their next run.
  void Flush();

  uint64_t epoch() const;
  // Whether some body in the cache starts with a shebang (`#!`): until one does, EVALSHA's
  // flags need no lookup.
  bool any_shebang() const { return any_shebang_.load(std::memory_order_relaxed); }
  size_t size() const;
  // Bytes held by the bodies (INFO used_memory_scripts).
  size_t body_bytes() const;

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const std::string>> bodies_;
  size_t body_bytes_ = 0;
  // Read by every run without the mutex; Flush bumps it after the bodies are gone.
  std::atomic<uint64_t> epoch_{0};
  std::atomic<bool> any_shebang_{false};
};

}  // namespace kv::scripting
