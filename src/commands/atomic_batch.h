// AtomicBatch: several commands run as one atomic unit. MULTI/EXEC runs its queue through it, and
// Lua scripts are to run their redis.call()s through it.
//
// A batch
//   1. locks a shard set (a LockPlan) in the one global order: every shard of every namespace
//      (namespaces in creation order, shards ascending), or the shards of some keys in one
//      namespace, ascending; or holds one whole namespace by closing its gate
//      (core/shard_mutex.h NamespaceGate), after which its commands lock the shards they touch
//      as usual, alone in the namespace;
//   2. marks this thread as running it, which makes the lock calls its commands make on those
//      shards no-ops (core/shard_mutex.h), so each command runs through the dispatcher's usual
//      path (handler, statistics, WATCH notification) unchanged, with the batch's locks held;
//   3. collects the commands that changed data into ONE WAL record, appended while every lock is
//      still held (persist/wal_record.h: a record is applied whole or not at all on recovery);
//   4. releases the locks.
// No client on any thread can observe a state between two of the batch's commands, and the log
// orders the batch against conflicting writes as it was applied.
//
// The plan must cover every shard a command of the batch locks: LockPlan::AddCommand knows how
// each kind of command locks (declared keys, whole namespace, other namespaces) and widens the
// plan accordingly; a script whose keys are not declared plans its whole namespace.
#pragma once

#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "commands/command.h"
#include "core/keyspace.h"

namespace kv {

class Dispatcher;
class Store;
class AtomicBatch;

// The batch this thread is running, or nullptr (AtomicBatch::Current()).
inline thread_local AtomicBatch* t_atomic_batch = nullptr;

class LockPlan {
 public:
  explicit LockPlan(Store& store) : store_(store) {}

  void AddKey(Keyspace* ns, std::string_view key);
  void AddNamespace(Keyspace* ns);
  // Every shard of every namespace, under CrossNamespaceMutex.
  void AddEverything() { everything_ = true; }
  // What `spec` run with `args` in namespace `ns` locks. Namespaces a command names (SELECT,
  // MOVE, COPY ... DB, SWAPDB) are created now, so that the batch locks them too.
  void AddCommand(const CommandSpec& spec, std::span<const std::string_view> args, Keyspace* ns);
  // Whether what AddCommand plans for `spec` stays within the client's namespace (then a batch
  // holding that whole namespace covers it), without creating any namespace.
  static bool StaysInNamespace(const CommandSpec& spec, std::span<const std::string_view> args);
  // The same, for a caller that has the command's key positions already.
  static bool StaysInNamespace(const CommandSpec& spec, std::span<const std::string_view> args,
                               std::span<const size_t> positions);

  bool everything() const { return everything_; }
  bool whole_namespace() const { return whole_ns_; }

 private:
  friend class AtomicBatch;
  // Plans within one namespace become plans of everything when a second namespace appears.
  bool Within(Keyspace* ns);

  Store& store_;
  bool everything_ = false;
  Keyspace* ns_ = nullptr;
  bool whole_ns_ = false;
  std::vector<uint32_t> shards_;
};

class AtomicBatch {
 public:
  // Locks the plan's shards. now_ms: the one clock every command of the batch runs with (and
  // that its WAL record carries, so replay computes the same deadlines).
  AtomicBatch(Dispatcher& dispatcher, ClientState& client, const LockPlan& plan, int64_t now_ms);
  // Commits, then releases the locks.
  ~AtomicBatch();
  AtomicBatch(const AtomicBatch&) = delete;
  AtomicBatch& operator=(const AtomicBatch&) = delete;

  // Runs one command inside the batch, replying through rb. ACL rules are checked again (they
  // may have changed since the command was queued), as Redis's EXEC does; a blocking command
  // does not block: it answers as if its timeout had passed.
  void Run(std::span<const std::string_view> args, std::span<const TypedArg> typed,
           ReplyBuilder& rb);
  // Run, for a caller that already looked the command up.
  void Run(const CommandSpec& spec, std::span<const std::string_view> args,
           std::span<const TypedArg> typed, ReplyBuilder& rb);
  // Run, for a caller that has the key positions too (spec.KeyPositions of args): a script's
  // redis.call computes them once for its namespace check and for the run.
  void Run(const CommandSpec& spec, std::span<const std::string_view> args,
           std::span<const TypedArg> typed, ReplyBuilder& rb, std::span<const size_t> positions);
  // Appends the record of the commands that changed data so far (if any) to the WAL.
  void Commit();

  int64_t now_ms() const { return now_ms_; }
  // The batch this thread is running, or nullptr.
  static AtomicBatch* Current() { return t_atomic_batch; }
  // While alive, this thread runs no batch: requests of other clients answered from inside a
  // busy script (scripting.h ServeLoopWhileBusy) must not pass as part of its batch, nor
  // through its shard locks.
  class Suspended {
   public:
    Suspended() : batch_(t_atomic_batch), lock_owner_(t_current_batch) {
      t_atomic_batch = nullptr;
      t_current_batch = nullptr;
    }
    ~Suspended() {
      t_atomic_batch = batch_;
      t_current_batch = lock_owner_;
    }
    Suspended(const Suspended&) = delete;
    Suspended& operator=(const Suspended&) = delete;

   private:
    AtomicBatch* const batch_;
    const void* const lock_owner_;
  };
  // Called by the dispatcher for a command of the batch that changed data and answered no error.
  void Add(const CommandContext& ctx);

 private:
  Dispatcher& dispatcher_;
  ClientState& client_;
  const int64_t now_ms_;
  std::unique_lock<std::mutex> cross_namespace_;
  std::vector<Shard*> locked_;
  Keyspace* gated_ = nullptr;  // a whole namespace, held by its gate rather than shard by shard
  std::string body_;
  uint32_t logged_ = 0;
};

}  // namespace kv
