#include "persist/snapshot.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <utility>

#include <fmt/format.h>

#include "core/copy_value.h"
#include "core/keyspace.h"
#include "core/object.h"
#include "core/stream.h"
#include "core/value_encoding.h"
#include "persist/files.h"
#include "persist/format.h"

namespace kv::persist {

namespace {

// Checks a sorted set's value: a List of [Bytes, Float] pairs.
class ZSetShape : public EncodedValueVisitor {
 public:
  bool ok = true;
  void Null() override { ok = false; }
  void Int(int64_t) override { ok = false; }
  void Float(double) override { Scalar(true); }
  void Dec(const Decimal&) override { ok = false; }
  void String(std::string_view) override { ok = false; }
  void Bytes(std::string_view) override { Scalar(false); }
  void BeginList(uint32_t count) override {
    ok = ok && (depth_ == 0 || (depth_ == 1 && count == 2));
    ++depth_;
    pos_ = 0;
  }
  void BeginMap(uint32_t) override { ok = false; }
  void MapKey(std::string_view) override { ok = false; }
  void EndContainer() override { --depth_; }

 private:
  void Scalar(bool is_float) {
    ok = ok && depth_ == 2 && (pos_ == 1) == is_float;
    ++pos_;
  }
  int depth_ = 0;
  int pos_ = 0;
};

bool IsZSetValue(std::string_view raw) {
  ZSetShape shape;
  size_t consumed = 0;
  DecodeLimits limits;  // a sorted set may be far larger than one native frame
  limits.max_size = raw.size();
  return WalkEncodedValue(raw, limits, shape, &consumed) == DecodeError::kOk &&
         consumed == raw.size() && shape.ok;
}

// A kSnapshotHashTtl value: its count a multiple of 3, every third element an Int (the
// others are any value: Bytes fields were written, a value may be nested).
bool IsHashTtlValue(std::string_view encoded) {
  if (wire::GetU32(encoded.data() + 1) % 3 != 0) return false;
  bool ok = true;
  uint32_t pos = 0;
  ForEachListElement(encoded, [&](const ScalarView& v) {
    if (pos == 0 && v.type != ScalarType::kBytes) ok = false;
    if (pos == 2 && (v.type != ScalarType::kInt || v.i < kNoExpire)) ok = false;
    pos = (pos + 1) % 3;
  });
  return ok;
}

// The collection type bytes and the forms they carry (core/copy_value.h).
constexpr std::pair<uint8_t, TransferForm> kCollectionTypes[] = {
    {kSnapshotSet, TransferForm::kSet},
    {kSnapshotZSet, TransferForm::kZSet},
    {kSnapshotHash, TransferForm::kHashPairs},
    {kSnapshotHashTtl, TransferForm::kHashTriples},
    {kSnapshotStream, TransferForm::kStream},
};

bool IsCollectionType(uint8_t type) {
  for (const auto& [byte, form] : kCollectionTypes)
    if (byte == type) return true;
  return false;
}

uint8_t SnapshotTypeOf(TransferForm form) {
  for (const auto& [byte, f] : kCollectionTypes)
    if (f == form) return byte;
  return static_cast<uint8_t>(ScalarType::kNested);  // kValue: not reached (its own type byte)
}

// Only for a type IsCollectionType accepted.
TransferForm FormOfSnapshotType(uint8_t type) {
  for (const auto& [byte, form] : kCollectionTypes)
    if (byte == type) return form;
  return TransferForm::kValue;
}

// nullptr when `raw` has the shape its collection type byte promises, else what is wrong. The
// whole encoding is walked first, as for a type-5 value: a frame's checksum can be right over
// bytes that were never a value (a bug, or a file made by hand), and the element readers below
// trust the counts they read. Never empty: an emptied collection has no key.
const char* CheckCollection(uint8_t type, std::string_view raw) {
  if (type == kSnapshotStream)
    return Stream::Deserialize(raw) ? nullptr : "a stream's value is malformed";
  ScalarView v;
  if (!ReadRawChecked(static_cast<uint8_t>(ScalarType::kNested), raw, &v) ||
      v.bytes.size() < 5 || EncodedTypeOf(v.bytes) != EncodedType::kList ||
      !IsWholeEncodedValue(v.bytes))
    return "a collection's value is not an encoded List";
  const uint32_t count = wire::GetU32(v.bytes.data() + 1);
  if (count == 0) return "an empty collection";
  if (type == kSnapshotHash && count % 2 != 0)
    return "hash value is not a List of field, value pairs";
  if (type == kSnapshotZSet && !IsZSetValue(v.bytes)) return "bad sorted set value";
  if (type == kSnapshotHashTtl && !IsHashTtlValue(v.bytes))
    return "hash value is not a List of field, value, deadline triples";
  return nullptr;
}

constexpr size_t kEntriesFrameTarget = 256 * 1024;
constexpr size_t kFlushAt = 4 * 1024 * 1024;
constexpr uint8_t kEntryHasExpire = 1;

class FileSink {
 public:
  explicit FileSink(int fd) : fd_(fd) {}
  bool Flush() {
    size_t done = 0;
    while (done < buf_.size()) {
      const ssize_t n = write(fd_, buf_.data() + done, buf_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return false;
      done += static_cast<size_t>(n);
    }
    buf_.clear();
    return true;
  }
  std::string& buf() { return buf_; }

 private:
  int fd_;
  std::string buf_;
};
}  // namespace

std::string SnapshotName(uint64_t lsn) { return fmt::format("snap-{:020}.kvs", lsn); }

std::string WriteSnapshot(const std::vector<Keyspace*>& spaces, const std::string& path,
                          uint64_t lsn, int64_t now_ms, SnapshotInfo* info,
                          const std::vector<std::string>& libraries,
                          const ReplicationMark* replication) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fmt::format("cannot create {}: {}", path, std::strerror(errno));
  FileSink out(fd);
  std::string& b = out.buf();
  b.reserve(kFlushAt + kEntriesFrameTarget * 2);
  b.append(kSnapshotMagic);
  size_t frame = BeginFrame(&b);
  Encoder e(&b);
  e.U8('H');
  e.U32(kSnapshotVersion);
  e.U64(lsn);
  e.I64(now_ms);
  EndFrame(&b, frame);
  // Written before the namespaces, as Redis's RDB has its functions before the keys: a reader
  // installs them before the keys and the log that may call them.
  frame = BeginFrame(&b);
  e.U8('F');
  e.U32(static_cast<uint32_t>(libraries.size()));
  for (const std::string& code : libraries) e.Str32(code);
  if (!EndFrame(&b, frame)) {
    close(fd);
    return fmt::format("write {}: the function libraries are over {} bytes", path,
                       kMaxFramePayload);
  }
  if (replication) {
    frame = BeginFrame(&b);
    e.U8('R');
    e.Str8(replication->replid);
    e.U64(replication->offset);
    e.Str8(replication->ns);
    EndFrame(&b, frame);
  }

  bool ok = true;
  uint64_t keys = 0;
  for (Keyspace* ks : spaces) {
    uint64_t hint = 0;
    for (uint32_t i = 0; i < ks->shard_count(); ++i) hint += ks->shard(i).size();
    frame = BeginFrame(&b);
    e.U8('N');
    e.Str8(ks->name());
    e.U64(hint);
    EndFrame(&b, frame);
    size_t count_at = 0;
    uint32_t count = 0;
    frame = SIZE_MAX;
    auto close_frame = [&] {
      if (frame == SIZE_MAX) return;
      std::memcpy(b.data() + count_at, &count, 4);
      EndFrame(&b, frame);
      frame = SIZE_MAX;
      if (b.size() >= kFlushAt && !out.Flush()) ok = false;
    };
    std::string whole;
    for (uint32_t i = 0; i < ks->shard_count() && ok; ++i) {
      ks->shard(i).ForEachLive(now_ms, [&](const Entry* entry) {
        if (frame == SIZE_MAX) {
          frame = BeginFrame(&b);
          e.U8('E');
          count_at = b.size();
          e.U32(0);
          count = 0;
        }
        // A list is written as a nested List value (type 5), which loads back as a list: the
        // file holds values, never in-memory layouts.
        TransferForm form;
        const ScalarView v = EncodeForTransfer(*entry, &whole, &form);
        const uint8_t type_byte =
            form == TransferForm::kValue ? static_cast<uint8_t>(v.type) : SnapshotTypeOf(form);
        e.U8(type_byte);
        e.U8(entry->has_expire() ? kEntryHasExpire : 0);
        if (entry->has_expire()) e.I64(entry->expire_at());
        e.Str32(entry->key());
        if (IsContainer(*entry))
          e.Str32(v.bytes);
        else
          e.Str32({entry->value_data(), entry->value_len()});
        ++count;
        ++keys;
        if (b.size() - frame >= kEntriesFrameTarget) close_frame();
      });
    }
    close_frame();
  }
  frame = BeginFrame(&b);
  e.U8('T');
  e.U64(keys);
  e.U32(static_cast<uint32_t>(spaces.size()));
  EndFrame(&b, frame);
  ok = ok && out.Flush();
  const int write_errno = errno;
  if (!ok) {
    close(fd);
    return fmt::format("write {}: {}", path, std::strerror(write_errno));
  }
  if (fsync(fd) != 0) {
    const int err = errno;
    close(fd);
    return fmt::format("fsync {}: {}", path, std::strerror(err));
  }
  close(fd);
  if (info) {
    *info = SnapshotInfo{lsn, now_ms, keys, static_cast<uint32_t>(spaces.size()),
                         static_cast<uint32_t>(libraries.size()), std::nullopt};
    if (replication) info->replication = *replication;
  }
  return "";
}

std::string ReadSnapshot(std::string_view data, const SnapshotSink& sink, SnapshotInfo* info,
                         size_t* bad_offset) {
  *info = SnapshotInfo{};
  size_t off = 0;
  auto fail = [&](std::string msg) {
    *bad_offset = off;
    return fmt::format("offset {}: {}", off, msg);
  };
  if (data.substr(0, kSnapshotMagic.size()) != kSnapshotMagic)
    return fail("not a kv-server snapshot (bad magic)");
  off = kSnapshotMagic.size();
  bool have_header = false, have_ns = false, have_functions = false;
  uint32_t version = 0;
  uint32_t libraries = 0;
  uint64_t keys = 0;
  uint32_t spaces = 0;
  size_t next_progress = 0;
  while (off < data.size()) {
    const FrameView f = ReadFrame(data.substr(off));
    if (f.status != FrameStatus::kOk) return fail(FrameStatusText(f.status));
    Decoder d(f.payload);
    const uint8_t kind = d.U8();
    if (!have_header && kind != 'H') return fail("first frame is not the header");
    switch (kind) {
      case 'H': {
        if (have_header) return fail("a second header frame");
        version = d.U32();
        info->lsn = d.U64();
        info->created_ms = d.I64();
        if (!d.done()) return fail("bad header frame");
        if (version < 1 || version > kSnapshotVersion)
          return fail(fmt::format("snapshot version {} (this build reads 1 to {})", version,
                                  kSnapshotVersion));
        have_header = true;
        break;
      }
      case 'F': {
        if (version < 4)
          return fail(fmt::format("a functions frame in a version {} snapshot", version));
        if (have_functions || have_ns)
          return fail("a functions frame after the namespaces or a second one");
        const uint32_t count = d.U32();
        for (uint32_t i = 0; i < count; ++i) {
          const std::string_view code = d.Str32();
          if (!d.ok()) return fail("a library runs past its frame");
          // Every library starts with its shebang (FUNCTION LOAD refuses any other).
          if (!code.starts_with("#!")) return fail("a library without its #! line");
          if (sink.on_library) sink.on_library(code);
        }
        if (!d.done()) return fail("trailing bytes in the functions frame");
        have_functions = true;
        libraries = count;
        break;
      }
      case 'R': {
        if (version < 6)
          return fail(fmt::format("a replication frame in a version {} snapshot", version));
        if (info->replication || have_ns)
          return fail("a replication frame after the namespaces or a second one");
        ReplicationMark mark;
        mark.replid = d.Str8();
        mark.offset = d.U64();
        mark.ns = d.Str8();
        if (!d.done() || mark.replid.size() != 40 || mark.ns.empty())
          return fail("bad replication frame");
        info->replication = std::move(mark);
        break;
      }
      case 'N': {
        const std::string_view name = d.Str8();
        const uint64_t hint = d.U64();
        if (!d.done() || name.empty()) return fail("bad namespace frame");
        if (sink.on_namespace) sink.on_namespace(name, hint);
        have_ns = true;
        ++spaces;
        break;
      }
      case 'E': {
        if (!have_ns) return fail("entries before any namespace");
        const uint32_t count = d.U32();
        for (uint32_t i = 0; i < count; ++i) {
          const uint8_t type = d.U8();
          const uint8_t flags = d.U8();
          const int64_t expire = (flags & kEntryHasExpire) ? d.I64() : kNoExpire;
          const std::string_view key = d.Str32();
          const std::string_view raw = d.Str32();
          if (!d.ok()) return fail("entry runs past its frame");
          if (IsCollectionType(type)) {
            if (const char* bad_shape = CheckCollection(type, raw)) return fail(bad_shape);
            if (sink.on_collection) sink.on_collection(key, type, raw, expire);
            ++keys;
            continue;
          }
          if (!KnownScalarType(type)) return fail(fmt::format("unknown value type {}", type));
          ScalarView v;
          if (!ReadRawChecked(type, raw, &v)) return fail("value size does not match its type");
          if (v.type == ScalarType::kNested && !IsWholeEncodedValue(v.bytes))
            return fail("a nested value is not a whole encoded value");
          if (sink.on_entry) sink.on_entry(key, v, expire);
          ++keys;
        }
        if (!d.done()) return fail("trailing bytes in an entries frame");
        break;
      }
      case 'T': {
        const uint64_t want_keys = d.U64();
        const uint32_t want_spaces = d.U32();
        if (!d.done()) return fail("bad trailer frame");
        if (want_keys != keys || want_spaces != spaces)
          return fail(fmt::format("trailer says {} keys in {} namespaces, file holds {} in {}",
                                  want_keys, want_spaces, keys, spaces));
        off += f.size;
        if (off != data.size()) return fail("bytes after the trailer");
        info->keys = keys;
        info->namespaces = spaces;
        info->libraries = libraries;
        if (sink.on_progress) sink.on_progress(data.size(), data.size());
        return "";
      }
      default:
        return fail(fmt::format("unknown frame kind {}", kind));
    }
    off += f.size;
    if (sink.on_progress && off >= next_progress) {
      sink.on_progress(off, data.size());
      next_progress = off + (1u << 20);
    }
  }
  return fail("no trailer: the snapshot is incomplete");
}

namespace {
// The one way snapshot entries enter shards, for start-up and for DEBUG RELOAD. `resolve`
// gives the namespace a frame names; `lock`: take each shard's lock around its changes (off
// when the caller already holds every lock).
std::string LoadImage(std::string_view data,
                      const std::function<Keyspace*(std::string_view)>& resolve, bool lock,
                      const std::function<void(size_t, size_t)>& progress, SnapshotInfo* info,
                      std::vector<std::string>* libraries) {
  Keyspace* ks = nullptr;
  auto maybe_lock = [lock](Shard& shard) {
    return lock ? std::unique_lock(shard.mu()) : std::unique_lock<ShardMutex>();
  };
  SnapshotSink sink;
  sink.on_namespace = [&](std::string_view ns, uint64_t keys_hint) {
    ks = resolve(ns);
    // Sized up front: the entries arrive in the writer's slot order (see Table::Reserve).
    // XXH3 spreads keys evenly; 1/8 more per shard covers the variance.
    const uint64_t per_shard = keys_hint / ks->shard_count();
    for (uint32_t i = 0; i < ks->shard_count(); ++i) {
      Shard& shard = ks->shard(i);
      auto guard = maybe_lock(shard);
      shard.Reserve(static_cast<size_t>(per_shard + per_shard / 8 + 1));
    }
  };
  sink.on_entry = [&](std::string_view key, const ScalarView& v, int64_t expire_at) {
    Shard& shard = ks->ShardFor(key);
    auto guard = maybe_lock(shard);
    shard.Set(key, v, expire_at);
  };
  sink.on_collection = [&](std::string_view key, uint8_t type, std::string_view encoded,
                           int64_t expire_at) {
    Shard& shard = ks->ShardFor(key);
    auto guard = maybe_lock(shard);
    StoreTransferred(shard, key, FormOfSnapshotType(type), ScalarView::Nested(encoded), expire_at);
  };
  sink.on_progress = progress;
  if (libraries) {
    libraries->clear();
    sink.on_library = [&](std::string_view code) { libraries->emplace_back(code); };
  }
  size_t bad = SIZE_MAX;
  return ReadSnapshot(data, sink, info, &bad);
}
}  // namespace

std::string LoadSnapshot(const std::string& path, Store& store,
                         const std::function<void(size_t, size_t)>& progress,
                         SnapshotInfo* info, std::vector<std::string>* libraries) {
  MappedFile file;
  if (std::string err = file.Open(path); !err.empty()) return err;
  std::string err = LoadImage(
      file.data(), [&](std::string_view ns) { return store.Get(ns); }, true, progress, info,
      libraries);
  if (!err.empty()) return path + ": " + err;
  return "";
}

std::string ReplaceWithSnapshotLocked(std::string_view data,
                                      const std::vector<Keyspace*>& spaces, SnapshotInfo* info,
                                      std::vector<std::string>* libraries) {
  auto find = [&](std::string_view ns) -> Keyspace* {
    for (Keyspace* ks : spaces)
      if (ks->name() == ns) return ks;
    return nullptr;
  };
  // Verified whole, namespaces included, before anything is emptied: an error leaves the data
  // as it was, never half an image.
  std::string unknown;
  SnapshotSink check;
  check.on_namespace = [&](std::string_view ns, uint64_t) {
    if (!find(ns) && unknown.empty()) unknown = std::string(ns);
  };
  size_t bad = SIZE_MAX;
  if (std::string err = ReadSnapshot(data, check, info, &bad); !err.empty()) return err;
  if (!unknown.empty()) return fmt::format("namespace {} is not among the locked ones", unknown);
  for (Keyspace* ks : spaces)
    for (uint32_t i = 0; i < ks->shard_count(); ++i) ks->shard(i).Clear();
  return LoadImage(data, find, false, nullptr, info, libraries);
}

}  // namespace kv::persist
