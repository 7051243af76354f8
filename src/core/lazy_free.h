// Freeing big collections off the command path. Freeing a container costs one free() per node,
// bucket or member (a million for a set of a million members), so a DEL, an overwrite, an
// expiry, an eviction or a FLUSHALL that drops a big one would stall every client of that
// I/O thread. Such a container goes to one background thread instead, as Redis's UNLINK and
// lazyfree do; small ones (and single-allocation packs, whatever their size) are freed inline.
// A flush hands over each shard's whole table, so FLUSHALL of a million small keys does not
// stall either.
//
// Whether a drop may go to the thread depends on why it happens (FreeCause), each cause under
// its Redis directive (lazyfree-lazy-eviction, -expire, -server-del, -user-del, -user-flush;
// all yes by default here, docs/configuration.md). UNLINK and FLUSH... ASYNC always may;
// FLUSH... SYNC never does.
//
// Memory: the shards' figure (tracked bytes) drops when the entry leaves the keyspace; the
// bytes are then "pending" (LazyFreePendingBytes) until the thread has freed them, so
// used_memory keeps counting them until the allocator has them back, and no figure counts them
// twice (core/memory.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "core/entry.h"

namespace kv {

class Table;

// Why entries are being dropped, set for a thread by FreeCauseScope around the drop.
enum class FreeCause : uint8_t {
  kServerDel,  // a side effect: overwrite, RENAME onto a key, a STORE destination (default)
  kUserDel,    // DEL
  kUserFlush,  // FLUSHDB / FLUSHALL without ASYNC or SYNC
  kExpire,     // lazy or active expiry
  kEviction,   // maxmemory
  kAsync,      // UNLINK, FLUSH... ASYNC: always in the background
  kSync,       // FLUSH... SYNC, shutdown: always inline
};

// The lazyfree-lazy-* directives (config.cc registers them).
struct LazyFreeSwitches {
  std::atomic<bool> eviction{true};
  std::atomic<bool> expire{true};
  std::atomic<bool> server_del{true};
  std::atomic<bool> user_del{true};
  std::atomic<bool> user_flush{true};
};
LazyFreeSwitches& GlobalLazyFreeSwitches();

// Sets the cause of the drops this thread makes while it lives; the innermost scope wins (an
// expired key met by DEL is dropped as an expiry).
class FreeCauseScope {
 public:
  explicit FreeCauseScope(FreeCause cause);
  ~FreeCauseScope();
  FreeCauseScope(const FreeCauseScope&) = delete;
  FreeCauseScope& operator=(const FreeCauseScope&) = delete;

 private:
  FreeCause saved_;
};

// Whether the current cause lets drops go to the thread.
bool LazyFreeAllowed();

// Frees `e` (a detached entry) and its container, on the background thread when the container
// is big enough and the current cause allows it.
void DisposeEntry(Entry* e);

// Frees every entry of `table` (already out of the keyspace) and the table on the thread.
// `bytes` is what the shard's figure counted for them.
void DisposeTable(std::unique_ptr<Table> table, int64_t bytes);

// INFO: keys queued and not yet freed; keys freed by the thread since start.
uint64_t LazyFreePendingObjects();
uint64_t LazyFreedObjects();
// Bytes queued and not yet freed (what the shards counted for them).
int64_t LazyFreePendingBytes();

// Waits until the queue is empty (tests). Must not be called while held.
void LazyFreeDrain();

// DEBUG LAZYFREE-HOLD: while held, the thread frees nothing and work waits in the queue, so a
// test can observe a free in progress without timing it.
void LazyFreeHold(bool hold);

}  // namespace kv
