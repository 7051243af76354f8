// Snapshots: a point-in-time image of every namespace, in one checksummed file.
//
// Layout (docs/persistence.md): the magic "KVSNAP01", then frames (persist/format.h):
//   'H' header   [version u32][lsn u64][created_ms i64]
//   'F' functions [count u32] then count x [code len u32][code]   -- the function libraries,
//                                                   each as FUNCTION LOAD took it (version 4 on)
//   'R' replication [replid len u8][replid][offset u64][ns len u8][ns]   -- optional, version 6
//                                                   on: a replica's history and stream offset
//                                                   (written only at a clean shutdown)
//   'N' namespace [name len u8][name][keys u64]   -- the entries that follow belong to it;
//                                                   keys: how many at most (a sizing hint)
//   'E' entries  [count u32] then count x
//                ([type u8][flags u8][expire_at i64 if flags&1][key len u32][key]
//                 [value len u32][raw value])
//   'T' trailer  [keys u64][namespaces u32]        -- a file without it is incomplete
// `lsn` is the last WAL record the image contains; recovery replays the records after it.
//
// The writer reads shards without locking them: it runs in a forked child (or at shutdown, with
// every loop stopped), where nothing else touches the memory. The libraries are not shared
// memory it may read: the caller copies their code under their lock, with every shard frozen,
// and passes the copy.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/scalar.h"

namespace kv {
class Keyspace;
class Store;
}  // namespace kv

namespace kv::persist {

inline constexpr std::string_view kSnapshotMagic = "KVSNAP01";
// Version 2 added type bytes past the ScalarType ones (0-5) for the collections no native value
// describes; each one's value is an encoded List. Version 3 added kSnapshotHashTtl. Version 4
// added the 'F' frame (the function libraries). Version 5 added kSnapshotStream. Versions 1 to
// 4 still load (with no library before 4). Version 6 added the optional 'R' frame.
inline constexpr uint32_t kSnapshotVersion = 6;
inline constexpr uint8_t kSnapshotSet = 6;   // its members
inline constexpr uint8_t kSnapshotZSet = 7;  // [member Bytes, score Float] pairs in order
inline constexpr uint8_t kSnapshotHash = 8;  // alternating field (Bytes), value
// A hash with field TTLs: field (Bytes), value, deadline (Int: absolute ms, -1 for none)
// triples. A hash without any field TTL is still written as kSnapshotHash.
inline constexpr uint8_t kSnapshotHashTtl = 9;
// A stream: Bytes in Stream::Serialize's form (core/stream.h; docs/persistence.md), entries,
// metadata and consumer groups.
inline constexpr uint8_t kSnapshotStream = 10;
std::string SnapshotName(uint64_t lsn);

// Where a replica's data stands in its primary's replication stream (Redis keeps the same in
// its RDB's repl-id / repl-offset / repl-stream-db aux fields): a restarted replica asks to
// continue from there (PSYNC replid offset+1) instead of syncing in full. Exact only for an
// image taken with the stream stopped and no WAL record after it (docs/replication.md).
struct ReplicationMark {
  std::string replid;  // the primary's replication ID (40 hex digits)
  uint64_t offset = 0; // stream bytes applied
  std::string ns;      // the namespace the stream had selected
};

struct SnapshotInfo {
  uint64_t lsn = 0;
  int64_t created_ms = 0;
  uint64_t keys = 0;
  uint32_t namespaces = 0;
  uint32_t libraries = 0;
  std::optional<ReplicationMark> replication;  // the 'R' frame, when the image has one
};

// Writes the live entries of `spaces` (as of now_ms), the code of the function `libraries` and
// the replication mark (when given) to `path` and fsyncs it. Returns "" or an error; `info`
// gets what was written.
std::string WriteSnapshot(const std::vector<Keyspace*>& spaces, const std::string& path,
                          uint64_t lsn, int64_t now_ms, SnapshotInfo* info,
                          const std::vector<std::string>& libraries = {},
                          const ReplicationMark* replication = nullptr);

// What a reader hands each namespace and entry to.
struct SnapshotSink {
  std::function<void(std::string_view ns, uint64_t keys_hint)> on_namespace;
  std::function<void(std::string_view key, const ScalarView& value, int64_t expire_at)> on_entry;
  // A collection entry (type kSnapshotSet, kSnapshotHash...): its encoded value, already
  // verified to have that type's shape.
  std::function<void(std::string_view key, uint8_t type, std::string_view encoded,
                     int64_t expire_at)>
      on_collection;
  std::function<void(size_t done, size_t total)> on_progress;  // bytes, every few MB
  // One function library's code (the 'F' frame, before any namespace).
  std::function<void(std::string_view code)> on_library;
};

// Reads and verifies a whole snapshot image. Returns "" or an error with its byte offset;
// *bad_offset gets that offset (or stays SIZE_MAX).
std::string ReadSnapshot(std::string_view data, const SnapshotSink& sink, SnapshotInfo* info,
                         size_t* bad_offset);

// Loads a snapshot file into `store` (shard by shard, under each shard's lock). The libraries'
// code goes to *libraries (when given): installing them is the caller's.
std::string LoadSnapshot(const std::string& path, Store& store,
                         const std::function<void(size_t, size_t)>& progress,
                         SnapshotInfo* info, std::vector<std::string>* libraries = nullptr);

// Empties `spaces`, whose every shard the caller already holds locked (DEBUG RELOAD, under a
// StoreFreeze), and loads a whole snapshot image into them. The image is checked in full first
// (every namespace it names must be one of `spaces`): on an error nothing has changed. The
// libraries' code goes to *libraries (when given).
std::string ReplaceWithSnapshotLocked(std::string_view data,
                                      const std::vector<Keyspace*>& spaces, SnapshotInfo* info,
                                      std::vector<std::string>* libraries = nullptr);

}  // namespace kv::persist
