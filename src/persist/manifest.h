// The manifest: which snapshot and which WAL segments make up the data directory.
//
// The shape of Redis 7's multi-part AOF manifest: a small text file, replaced atomically (temp
// file, fsync, rename, directory fsync), so it always names a consistent set of files.
//
//   kv-manifest 1
//   snapshot snap-00000000000000001234.kvs lsn 1234
//   segment wal-00000000000000001235.log
//
// The snapshot line is absent until the first snapshot. Segments are listed oldest first.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kv::persist {

inline constexpr const char* kManifestName = "kv.manifest";

struct Manifest {
  std::string snapshot;  // file name, empty = none
  uint64_t snapshot_lsn = 0;
  std::vector<std::string> segments;

  std::string Serialize() const;
  // Returns "" or what is wrong (with the line number).
  static std::string Parse(const std::string& text, Manifest* out);
};

// Reads dir/kv.manifest. *exists is false (and "" returned) when there is none.
std::string LoadManifest(const std::string& dir, Manifest* out, bool* exists);
// Replaces dir/kv.manifest atomically. Returns "" or an error.
std::string StoreManifest(const std::string& dir, const Manifest& m);

}  // namespace kv::persist
