// kv-check: verifies, dumps and repairs a kv-server data directory, the way redis-check-aof
// does for Redis: every snapshot and WAL segment the manifest names, their checksums and the
// continuity of the log sequence numbers.
//
//   kv-check DIR             verify; exit 0 when clean, 1 when damage was found
//   kv-check --dump DIR      also print every record and snapshot entry
//   kv-check --repair DIR    cut the log at the first damage (asks first; --yes skips)
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/entry.h"
#include "core/stream.h"
#include "core/value_encoding.h"
#include "persist/files.h"
#include "persist/manifest.h"
#include "persist/recovery.h"
#include "persist/snapshot.h"
#include "persist/wal.h"

using namespace kv::persist;

namespace {

// Where the log must be cut so that what remains is a clean prefix.
struct Cut {
  size_t segment = SIZE_MAX;  // index in the manifest
  size_t offset = 0;          // keep [0, offset) of that segment; SIZE_MAX = drop the file
  std::string reason;
};

struct Report {
  bool damaged = false;
  bool fatal = false;  // damage a cut cannot fix (snapshot, manifest)
  Cut cut;
};

void CheckSnapshot(const std::string& dir, const Manifest& m, bool dump, Report* r,
                   uint64_t* expected) {
  if (m.snapshot.empty()) {
    std::printf("snapshot: none\n");
    return;
  }
  const std::string path = dir + "/" + m.snapshot;
  MappedFile file;
  if (std::string err = file.Open(path); !err.empty()) {
    std::printf("snapshot %s: MISSING (%s)\n", m.snapshot.c_str(), err.c_str());
    r->damaged = r->fatal = true;
    return;
  }
  SnapshotSink sink;
  std::string ns;
  if (dump) {
    sink.on_namespace = [&](std::string_view n, uint64_t) { ns = n; };
    sink.on_entry = [&](std::string_view key, const kv::ScalarView& v, int64_t expire) {
      char buf[kv::kScalarBufSize];
      std::string value;
      if (kv::IsNested(v.type)) {
        // A list (a List value: what a list is written as), a native Map or a Null.
        const kv::EncodedType t = kv::EncodedTypeOf(v.bytes);
        const char* tag = t == kv::EncodedType::kList  ? "list="
                          : t == kv::EncodedType::kMap ? "hash="
                                                       : "";
        value = tag + kv::EncodedValueText(v.bytes);
      } else {
        const char* tag = v.type == kv::ScalarType::kInt       ? "int"
                          : v.type == kv::ScalarType::kFloat   ? "float"
                          : v.type == kv::ScalarType::kDecimal ? "decimal"
                          : v.type == kv::ScalarType::kString  ? "string"
                                                               : "bytes";
        value = fmt::format("{}={}", tag, kv::QuoteBytes(kv::CanonicalString(v, buf)));
      }
      std::printf("  ns=%s key=%s %s%s\n", ns.c_str(), kv::QuoteBytes(key).c_str(), value.c_str(),
                  expire == kv::kNoExpire ? "" : fmt::format(" expire_at_ms={}", expire).c_str());
    };
    // A collection (type 6 and up): its encoded List, named by its type. A hash with field
    // TTLs shows as hash= with each field's deadline: field => value @expire_at_ms (or no @).
    sink.on_collection = [&](std::string_view key, uint8_t type, std::string_view encoded,
                             int64_t expire) {
      std::string body;
      if (type == kv::persist::kSnapshotHashTtl) {
        int pos = 0;
        std::string field, value;
        kv::ForEachListElement(encoded, [&](const kv::ScalarView& v) {
          char buf[kv::kScalarBufSize];
          if (pos == 0) {
            field = kv::QuoteBytes(v.bytes);
          } else if (pos == 1) {
            value = kv::IsNested(v.type) ? kv::EncodedValueText(v.bytes)
                                         : kv::QuoteBytes(kv::CanonicalString(v, buf));
          } else {
            body += body.empty() ? "{" : ", ";
            body += field + " => " + value;
            if (v.i != kv::kNoExpire) body += fmt::format(" @{}", v.i);
          }
          pos = (pos + 1) % 3;
        });
        body += "}";
      } else if (type == kv::persist::kSnapshotStream) {
        // The reader checked it: it parses.
        body = kv::Stream::Deserialize(encoded)->Describe();
      } else {
        body = kv::EncodedValueText(encoded);
      }
      const char* tag = type == kv::persist::kSnapshotSet      ? "set"
                        : type == kv::persist::kSnapshotZSet   ? "zset"
                        : type == kv::persist::kSnapshotStream ? "stream"
                                                               : "hash";
      std::printf("  ns=%s key=%s %s=%s%s\n", ns.c_str(), kv::QuoteBytes(key).c_str(), tag,
                  body.c_str(),
                  expire == kv::kNoExpire ? "" : fmt::format(" expire_at_ms={}", expire).c_str());
    };
  }
  if (dump) {
    // A library's name is in its first line (#!lua name=...); the code follows whole.
    sink.on_library = [&](std::string_view code) {
      std::printf("  function library %s code=%s\n",
                  kv::QuoteBytes(code.substr(0, code.find('\n'))).c_str(),
                  kv::QuoteBytes(code).c_str());
    };
  }
  SnapshotInfo info;
  size_t bad = SIZE_MAX;
  const std::string err = ReadSnapshot(file.data(), sink, &info, &bad);
  if (!err.empty()) {
    std::printf("snapshot %s: DAMAGED at %s\n", m.snapshot.c_str(), err.c_str());
    r->damaged = r->fatal = true;
    return;
  }
  std::printf("snapshot %s: ok, LSN %llu, %llu keys in %u namespaces, %zu bytes\n",
              m.snapshot.c_str(), static_cast<unsigned long long>(info.lsn),
              static_cast<unsigned long long>(info.keys), info.namespaces, file.data().size());
  if (info.libraries > 0) std::printf("  %u function libraries\n", info.libraries);
  if (info.replication)
    std::printf("  replica of history %s at offset %llu (namespace %s)\n",
                info.replication->replid.c_str(),
                static_cast<unsigned long long>(info.replication->offset),
                info.replication->ns.c_str());
  if (info.lsn != m.snapshot_lsn) {
    std::printf("  manifest says LSN %llu\n", static_cast<unsigned long long>(m.snapshot_lsn));
    r->damaged = r->fatal = true;
  }
  *expected = info.lsn + 1;
}

void CheckSegments(const std::string& dir, const Manifest& m, bool dump, Report* r,
                   uint64_t expected) {
  for (size_t i = 0; i < m.segments.size(); ++i) {
    const std::string& name = m.segments[i];
    const bool last = i + 1 == m.segments.size();
    MappedFile file;
    if (std::string err = file.Open(dir + "/" + name); !err.empty()) {
      std::printf("segment %s: MISSING (%s)\n", name.c_str(), err.c_str());
      if (!r->damaged) r->cut = {i, SIZE_MAX, "missing segment"};
      r->damaged = true;
      continue;
    }
    SegmentScan scan;
    ScanSegment(
        file.data(), last,
        [&](const WalRecord& rec, size_t off) -> std::string {
          if (dump) std::printf("  @%zu %s\n", off, DescribeRecord(rec).c_str());
          return "";
        },
        &scan);
    std::string state = "ok";
    if (scan.problem != SegmentScan::Problem::kNone) {
      state = fmt::format("{} at offset {} ({})",
                          scan.problem == SegmentScan::Problem::kTornTail ? "TORN TAIL"
                                                                          : "CORRUPT",
                          scan.bad_offset, scan.message);
    }
    std::printf("segment %s: %s, %llu records", name.c_str(), state.c_str(),
                static_cast<unsigned long long>(scan.records));
    if (scan.records)
      std::printf(", LSN %llu-%llu", static_cast<unsigned long long>(scan.first_lsn),
                  static_cast<unsigned long long>(scan.last_lsn));
    std::printf(", %zu bytes\n", file.data().size());
    const bool gap = scan.first_lsn > expected && scan.problem == SegmentScan::Problem::kNone;
    if (gap)
      std::printf("  GAP: records %llu to %llu are missing before this segment\n",
                  static_cast<unsigned long long>(expected),
                  static_cast<unsigned long long>(scan.first_lsn - 1));
    if (!r->damaged) {
      if (gap) {
        r->cut = {i, SIZE_MAX, "sequence gap"};
      } else if (scan.problem != SegmentScan::Problem::kNone) {
        r->cut = {i, scan.valid_end, state};
      }
    }
    if (gap || scan.problem != SegmentScan::Problem::kNone) r->damaged = true;
    if (scan.records) expected = scan.last_lsn + 1;
  }
}

int Repair(const std::string& dir, Manifest m, const Report& r, bool yes) {
  const Cut& c = r.cut;
  std::vector<std::string> dropped(m.segments.begin() + static_cast<long>(c.segment) +
                                       (c.offset == SIZE_MAX ? 0 : 1),
                                   m.segments.end());
  std::printf("\nrepair: %s in %s.\n", c.reason.c_str(), m.segments[c.segment].c_str());
  if (c.offset != SIZE_MAX)
    std::printf("  cut %s at offset %zu (the records after it are lost)\n",
                m.segments[c.segment].c_str(), c.offset);
  for (const std::string& d : dropped)
    std::printf("  drop %s from the manifest (renamed to %s.damaged)\n", d.c_str(), d.c_str());
  if (!yes) {
    std::printf("Continue? [y/N]: ");
    std::fflush(stdout);
    std::string answer;
    if (!std::getline(std::cin, answer) || (answer != "y" && answer != "Y")) {
      std::printf("nothing changed\n");
      return 1;
    }
  }
  if (c.offset != SIZE_MAX) {
    const std::string path = dir + "/" + m.segments[c.segment];
    if (truncate(path.c_str(), static_cast<off_t>(c.offset)) != 0) {
      std::perror(path.c_str());
      return 1;
    }
  }
  m.segments.resize(m.segments.size() - dropped.size());
  if (std::string err = StoreManifest(dir, m); !err.empty()) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return 1;
  }
  for (const std::string& d : dropped)
    (void)!rename((dir + "/" + d).c_str(), (dir + "/" + d + ".damaged").c_str());
  std::printf("repaired: kv-server will start from the records before the damage\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"kv-check: verify, dump or repair a kv-server data directory (manifest, "
               "snapshot, WAL segments)"};
  std::string dir;
  bool dump = false, repair = false, yes = false;
  app.add_option("dir", dir, "data directory (kv-server --dir)")->required();
  app.add_flag("--dump", dump, "print every WAL record and snapshot entry");
  app.add_flag("--repair", repair,
               "cut the log at the first damage: truncate that segment, drop later ones (asks)");
  app.add_flag("-y,--yes", yes, "with --repair: do not ask");
  CLI11_PARSE(app, argc, argv);

  // A mistyped path must not read as "an empty or unused data directory" with exit 0.
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    std::fprintf(stderr, "kv-check: %s is not a directory%s\n", dir.c_str(),
                 std::filesystem::exists(dir, ec) ? "" : " (it does not exist)");
    return 2;
  }

  Manifest m;
  bool exists = false;
  if (std::string err = LoadManifest(dir, &m, &exists); !err.empty()) {
    std::printf("manifest: DAMAGED (%s)\n", err.c_str());
    return 1;
  }
  if (!exists) {
    std::printf("%s: no %s (an empty or unused data directory)\n", dir.c_str(), kManifestName);
    return 0;
  }
  std::printf("manifest %s/%s: %s, %zu segment(s)\n", dir.c_str(), kManifestName,
              m.snapshot.empty() ? "no snapshot" : m.snapshot.c_str(), m.segments.size());
  Report r;
  uint64_t expected = 1;
  CheckSnapshot(dir, m, dump, &r, &expected);
  CheckSegments(dir, m, dump, &r, expected);
  if (!r.damaged) {
    std::printf("clean\n");
    return 0;
  }
  if (r.fatal) {
    std::printf("damage outside the log: kv-check cannot repair it (move the directory aside to "
                "start empty, or restore a backup)\n");
    return 1;
  }
  if (!repair) {
    std::printf("damaged: run `kv-check --repair %s` to cut the log at the first damage\n",
                dir.c_str());
    return 1;
  }
  // Cutting files a running server writes would destroy what it acknowledges next.
  if (const long pid = DirLock::HolderPid(dir); pid != 0) {
    std::printf("not repairing: kv-server (pid %ld) holds %s/%s; stop it first\n", pid,
                dir.c_str(), DirLock::kFileName);
    return 1;
  }
  return Repair(dir, m, r, yes);
}
