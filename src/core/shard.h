// Shard: one slice of a namespace's keys with its own table, expiry index, lock and counters.
//
// Keys map to shards by XXH3 (Keyspace). Every method except the lock accessor requires the
// caller to hold mu(): the dispatcher locks the shards of a command's keys in ascending order
// before the handler runs, so handlers call these directly. Expired keys are removed lazily by
// Find (and actively by ActiveExpire), so a handler never sees one.
//
// Entry pointers returned here stay valid until the next mutating call on this shard.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/entry.h"
#include "core/shard_mutex.h"
#include "core/table.h"

namespace kv {

// GCC's and clang's 128-bit integer (ISO C++ has none; __extension__ keeps -Wpedantic quiet).
__extension__ typedef __int128 Int128;

// Process-wide memory and clock figures shared by every shard.
struct EngineStats {
  std::atomic<int64_t> tracked_bytes{0};  // entries + slot arrays + expiry indexes
  std::atomic<uint64_t> expired_keys{0};
  std::atomic<uint64_t> expired_subkeys{0};  // hash fields reclaimed by their TTL
  std::atomic<uint64_t> evicted_keys{0};
  std::atomic<uint64_t> keyspace_hits{0};
  std::atomic<uint64_t> keyspace_misses{0};
};
EngineStats& GlobalEngineStats();

// LRU clock in seconds (24 bits would do, as in Redis; we keep 32). Refreshed by the server cron.
uint32_t LruClock();
void UpdateLruClock(int64_t now_ms);

// Data changes made by this thread (Redis's server.dirty, kept per thread so it needs no
// atomics). The dispatcher reads it around a write command: one that changed nothing (SET NX on
// an existing key, a refused LOCK) is not logged. Shard mutators count themselves; a handler that
// changes an entry in place calls NoteWrite(). Lazy and active expiry do not count: replaying the
// log with each record's own clock expires the same keys.
inline thread_local uint64_t t_data_changes = 0;
// The writes counted without naming their key (NoteWrite), which the shard could not tell
// WATCH about: the dispatcher then marks every key the command wrote as modified.
inline thread_local uint64_t t_unkeyed_writes = 0;
inline void NoteWrite() {
  ++t_data_changes;
  ++t_unkeyed_writes;
}

// WATCH: one per client (commands/multi_family.cc), set by whoever modifies, deletes or expires a
// key the client watches, under that key's shard lock, on any thread. EXEC reads it with the
// watched keys' shards locked, so a write either lands before EXEC (and is seen) or after it.
struct WatchFlag {
  std::atomic<bool> dirty{false};
  // Also told, under the key's shard lock, when a watched key changes: a plugin's blocked
  // command waits on its keys this way (commands/blocking.h). Must not block.
  void (*on_change)(void* owner) = nullptr;
  void* owner = nullptr;

  void Mark() {
    dirty.store(true, std::memory_order_relaxed);
    if (on_change) on_change(owner);
  }
};

// CLIENT NO-TOUCH: set by the dispatcher while it runs a command (other than TOUCH) for a client
// that asked for it, so reads leave the keys' LRU clock (OBJECT IDLETIME) as it was.
inline thread_local bool t_no_touch = false;

// CLIENT PAUSE (WRITE or ALL) stops expiry and eviction until this time (ms; 0 = not paused):
// a key past its TTL reads as missing but stays, so the dataset does not change while writes are
// held, as in Redis.
inline std::atomic<int64_t> g_expiry_paused_until_ms{0};
inline bool ExpiryPaused(int64_t now_ms) {
  return now_ms < g_expiry_paused_until_ms.load(std::memory_order_relaxed);
}

class Shard;

// The hook for blocking pops (BLPOP, BLMOVE, BZPOPMIN...: the transactions issue). A client
// only ever waits on a key that holds no list or sorted set (otherwise it would have been
// served), and no collection is ever empty, so a key becomes "ready" exactly when an entry of
// list or zset type is inserted or replaces another (LPUSH on a missing key, ZADD, RENAME,
// RESTORE, SORT ... STORE, a native SET of a List): the shard calls the listener then, with its
// lock held, before the command replies. Pushes onto an existing list do not call it. One
// listener per process; none by default (the check is one load).
enum class ObjType : uint8_t;
using KeyReadyListener = void (*)(Shard& shard, std::string_view key, ObjType type);
void SetKeyReadyListener(KeyReadyListener listener);

// The hook for client-side caching (CLIENT TRACKING, commands/tracking.h): the shard reports
// every key whose watchers it marks (a change, an expiry, an eviction; `expired` for an expiry),
// with its lock held, while g_keys_tracked says the tracking table holds a key or a prefix. With
// nothing tracked a write pays one relaxed load. One listener per process.
using KeyModifiedListener = void (*)(std::string_view key, bool expired);
void SetKeyModifiedListener(KeyModifiedListener listener);
inline std::atomic<bool> g_keys_tracked{false};

class Shard {
 public:
  Shard() = default;
  ~Shard();
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  ShardMutex& mu() { return mu_; }
  // The name of the namespace holding this shard, for keyspace notifications of what the shard
  // does on its own (expiry, a new key, an emptied collection). Set by the Keyspace; "0" alone.
  std::string_view db() const { return db_ ? std::string_view(*db_) : std::string_view("0"); }
  void set_db(const std::string* name) { db_ = name; }

  size_t size() const { return table_.size(); }
  size_t volatile_size() const { return volatile_.size(); }
  // Sum of the volatile keys' expire_at (ms), for INFO keyspace's avg_ttl.
  Int128 expire_sum() const { return expire_sum_; }
  int64_t memory_bytes() const { return bytes_; }

  // Live entry for `key` or nullptr. Lazily deletes it when expired, and a hash's expired fields
  // (the hash too when none is left); refreshes its LRU clock.
  Entry* Find(std::string_view key, int64_t now_ms);
  // Like Find without the LRU refresh and without counting hits (TOUCH-free reads: TTL, TYPE).
  Entry* Peek(std::string_view key, int64_t now_ms);

  // Stores `v` under `key`, replacing any previous entry. expire_at: absolute ms or kNoExpire.
  // A nested List value becomes the key's list and a nested Map its hash (an empty one deletes
  // the key: no collection is ever empty; nullptr then).
  Entry* Set(std::string_view key, const ScalarView& v, int64_t expire_at);
  // Stores a new container (core/object.h's encoding byte and pointer, owned from now on) under
  // `key`, replacing any previous entry.
  Entry* SetContainer(std::string_view key, uint8_t encoding, void* container, int64_t expire_at);
  // A command changed the container of `key` in place: accounts `delta` bytes (ListRef::Commit)
  // and counts the write; an emptied collection deletes its key, as in Redis, with a "del"
  // keyspace event (so a handler emits its own event before calling this).
  void ContainerChanged(std::string_view key, int64_t delta, bool empty, int64_t now_ms);
  // New entries were appended to the stream `e` (XADD): calls the key-ready listener, as a
  // key that becomes a list does, so readers blocked on it can be served.
  void NoteStreamAppend(const Entry& e) { NoteReady(e); }
  // A command re-encoded a container without changing its contents (SORT making a sorted set a
  // tree): accounts `delta` bytes; no write is counted, so nothing is logged.
  void ContainerReencoded(int64_t delta) { Account(delta); }
  // Removes `key` without freeing its container, whose pointer the caller has taken over
  // (RENAME / MOVE hand it to the new entry).
  void Detach(std::string_view key);
  // Makes room for a Bytes value of `len` bytes (contents unspecified) and returns the entry;
  // keeps the key's expiry. Used by APPEND/SETRANGE, which then fill the bytes in place.
  Entry* ResizeBytes(std::string_view key, uint32_t len, int64_t now_ms);
  // Sets or clears (kNoExpire) the expiry of an existing key; returns the (maybe moved) entry or
  // nullptr if the key does not exist.
  Entry* SetExpire(std::string_view key, int64_t expire_at, int64_t now_ms);
  // Removes `key`; false when it did not exist (or had expired).
  bool Erase(std::string_view key, int64_t now_ms);
  void Clear();
  // Exchanges every key, index and figure with `other` (SWAPDB); both locks held.
  void SwapContents(Shard& other);
  // WATCH registrations of this shard's keys. The shard marks a key's watchers when any mutator
  // above changes or removes it (expiry and eviction included), Clear empties a key that exists,
  // or SwapContents brings or takes it away.
  // Returns false when `flag` already watched `key`.
  bool Watch(std::string_view key, WatchFlag* flag);
  void Unwatch(std::string_view key, WatchFlag* flag);
  // Marks the watchers of `key` and invalidates clients' caches of it: for writers whose change
  // the shard cannot see (an entry changed in place, counted by NoteWrite).
  void TouchWatched(std::string_view key) {
    if (!watchers_.empty()) TouchWatchedSlow(key);
    if (g_keys_tracked.load(std::memory_order_relaxed)) NoteModified(key, false);
  }
  bool watched() const { return !watchers_.empty(); }

  // Makes room for `n` keys in the table at once (bulk loading).
  void Reserve(size_t n);

  // Visits live entries (expired ones are skipped, not deleted).
  template <typename Fn>
  void ForEachLive(int64_t now_ms, Fn&& fn) const {
    table_.ForEach([&](Entry* e) {
      if (!e->expired(now_ms)) fn(e);
    });
  }
  template <typename Fn>
  uint64_t Scan(uint64_t cursor, Fn&& fn) const {
    return table_.Scan(cursor, std::forward<Fn>(fn));
  }
  Entry* RandomEntry(uint64_t rnd) const { return table_.RandomEntry(rnd); }
  Entry* RandomVolatile(uint64_t rnd) const {
    return volatile_.empty() ? nullptr : volatile_[rnd % volatile_.size()];
  }

  // One active-expiry step: samples up to `samples` keys with a TTL and deletes the expired
  // ones. Returns how many were sampled and deleted.
  std::pair<int, int> ActiveExpire(int64_t now_ms, int samples, uint64_t rnd);

  // Hashes with field TTLs (core/hash.h), for the active cycle: a hash that gets one is
  // registered here (Insert and Swap do it for a hash arriving with TTLs, by RENAME or a
  // load), and a key that is deleted or replaced leaves. A hash whose fields lost their TTLs
  // (HPERSIST, HDEL, HSET) stays named until the cycle meets it, so the set never holds more
  // names than the shard has hashes. Its memory is accounted.
  void TrackFieldTtl(std::string_view key);
  size_t field_ttl_hashes() const { return field_ttl_keys_.size(); }
  // One step over them, round-robin from where the last one stopped: visits up to `hashes`
  // and reclaims up to `fields` expired fields. Returns {hashes visited, fields reclaimed}.
  std::pair<int, size_t> ActiveExpireFields(int64_t now_ms, int hashes, size_t fields);

 private:
  void Account(int64_t delta);
  void AddVolatile(Entry* e);
  void RemoveVolatile(Entry* e);
  // Frees the entry at `slot` (and its container unless `keep_container`) and drops it from
  // every index.
  void EraseSlot(size_t slot, bool keep_container = false);
  // EraseSlot for a key past its TTL: freed as an expiry (lazyfree-lazy-expire) and counted.
  void ExpireSlot(size_t slot);
  void Insert(Entry* fresh, uint64_t hash);
  // Replaces the entry at `slot` with `fresh` (same key), keeping indexes right; frees `old`.
  void Swap(size_t slot, Entry* old, Entry* fresh);
  // Erases up to `max` expired fields of the hash `e` at `slot` and returns how many, deleting
  // the key when none is left (*gone). Expiry, not a write: no NoteWrite.
  size_t ReclaimFields(size_t slot, Entry* e, int64_t now_ms, size_t max, bool* gone);
  void NoteFieldTtl(const Entry* e);
  void ForgetFieldTtl(const Entry* e);
  using NameSet = std::set<std::string, std::less<>>;
  NameSet::iterator EraseFieldTtlName(NameSet::iterator it);
  // Calls the key-ready listener when `e` is a list, a sorted set or a stream.
  void NoteReady(const Entry& e);
  // A change to `key`: counted for the log and seen by its watchers.
  void Wrote(std::string_view key) {
    ++t_data_changes;
    TouchWatched(key);
  }
  void TouchWatchedSlow(std::string_view key);
  static void NoteModified(std::string_view key, bool expired);
  // Marks watchers of keys present in this shard's table or in `other`'s (nullptr: none).
  void TouchPresentWatched(const Shard* other);

  ShardMutex mu_;
  const std::string* db_ = nullptr;
  // Watched key -> its watchers' flags. Small (what clients WATCH), so an ordered map.
  std::map<std::string, std::vector<WatchFlag*>, std::less<>> watchers_;
  Table table_;
  std::vector<Entry*> volatile_;  // keys with a TTL; Entry::volatile_index() is the position
  Int128 expire_sum_ = 0;  // of volatile_'s expire_at: 64 bits could overflow
  int64_t bytes_ = 0;
  NameSet field_ttl_keys_;
  std::string field_ttl_cursor_;  // the next key ActiveExpireFields visits (or the one after)
};

}  // namespace kv
