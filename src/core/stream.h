// Streams (Redis's fifth core type): an append-only log of entries, each an ID (ms-seq,
// strictly increasing) and field/value pairs, plus the consumer groups that read it.
//
// Representation (docs/streams.md): entries live in nodes, byte buffers of at most
// stream-node-max-bytes / stream-node-max-entries (core/object.h EncodingLimits), held in an
// ordered map keyed by each node's first ID (its "master" ID), as Redis's radix tree of
// listpacks. Inside a node:
//
//   [header: bytes, count, live, entries offset, last ID][master fields: n, n x (len, bytes)]
//   then count x entry:
//     [flags u8: bit 0 deleted, bit 1 same fields as the master, bit 2 seq part 0, bits 3-7
//      ms delta (31 = a varint follows)][seq part varint unless 0]
//     [if not same fields: n varint, n x (field, value)][else: one value per master field]
//
// IDs are delta-encoded against the previous entry of the node (the first entry is the
// master ID): the ms delta, then the seq part, the seq minus the previous seq minus one when
// the ms is the same, else the seq itself; the usual `*` IDs take no byte beyond the flags. A value is a tag
// byte (< 0xC0: a string of that length; 0xC0: a string, varint length; 0xC1: an integer,
// zigzag varint), so "1700000000" costs 6 bytes. An entry whose fields are the node's
// first entry's stores only its values.
//
// XDEL marks an entry deleted; a node whose entries are all deleted is dropped; a node other
// than the last one that holds more deleted entries than live ones is rewritten without them.
// Trimming follows Redis's streamTrim: whole nodes while they fit, then (exact trimming only)
// marking inside one node. Range walks cost O(log n + k) both ways.
//
// Consumer groups (StreamGroup) keep Redis's structures: a group PEL ordered by ID, each
// pending entry owned by one consumer, and each consumer's own ordered view of its entries.
// Views handed out (fields, values) die with the next change to the stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kv {

struct StreamID {
  uint64_t ms = 0;
  uint64_t seq = 0;
  auto operator<=>(const StreamID&) const = default;
  static constexpr StreamID Max() { return {UINT64_MAX, UINT64_MAX}; }
  bool IsZero() const { return ms == 0 && seq == 0; }
  bool IsMax() const { return ms == UINT64_MAX && seq == UINT64_MAX; }
  // The next / previous ID; false (and *this unchanged) at the end of the ID space.
  bool Incr();
  bool Decr();
  std::string ToString() const;
};

// Parses a stream ID argument as Redis's streamGenericParseIDOrReply: "-" and "+" (unless
// `strict`) are the smallest and largest IDs, "<ms>" takes `missing_seq`, "<ms>-<seq>", and,
// when seq_given is non-null, "<ms>-*" (then *seq_given = false). Numbers follow Redis's
// string2ull (strtoull after a strict try, so "+5" and " 7" pass). False: "Invalid stream ID
// specified as stream command argument".
bool ParseStreamID(std::string_view arg, uint64_t missing_seq, bool strict, bool* seq_given,
                   StreamID* out);

class Stream;
struct StreamConsumer;

// One entry of a group's pending entries list (Redis's streamNACK).
struct StreamPending {
  StreamConsumer* consumer = nullptr;
  int64_t delivery_time_ms = 0;
  uint64_t delivery_count = 0;
};

// A consumer of a group. Redis 7.0 keeps only the seen time (XINFO CONSUMERS "idle").
struct StreamConsumer {
  std::string name;
  int64_t seen_time_ms = 0;
  // Its own entries of the group's PEL, by ID.
  std::map<StreamID, StreamPending*> pel;
};

class StreamGroup {
 public:
  // Redis's SCG_INVALID_ENTRIES_READ: the group's read counter is not known.
  static constexpr int64_t kInvalidEntriesRead = -1;

  StreamGroup(StreamID last_id, int64_t entries_read)
      : last_id(last_id), entries_read(entries_read) {}
  StreamGroup(const StreamGroup&) = delete;
  StreamGroup& operator=(const StreamGroup&) = delete;

  StreamID last_id;      // last delivered ID
  int64_t entries_read;  // logical reads counter, or kInvalidEntriesRead

  const std::map<StreamID, StreamPending>& pel() const { return pel_; }
  const std::map<std::string, StreamConsumer, std::less<>>& consumers() const {
    return consumers_;
  }

  StreamConsumer* FindConsumer(std::string_view name);
  // The consumer `name`, created (seen now) when missing; *created says which.
  StreamConsumer& CreateConsumer(std::string_view name, int64_t now_ms, bool* created);
  // Removes a consumer and its pending entries; how many it had, nullopt when missing.
  std::optional<uint64_t> DeleteConsumer(std::string_view name);

  StreamPending* FindPending(StreamID id);
  // A delivery of a new entry (XREADGROUP ">"): pending for `c`, delivered now, once. An
  // entry already pending (a group moved back with SETID) moves to `c`, as in Redis.
  StreamPending& DeliverNew(StreamID id, StreamConsumer& c, int64_t now_ms);
  // Adds a pending entry with its figures (XCLAIM FORCE, loading); an entry already
  // pending moves to `c` and takes the figures.
  StreamPending& AddPending(StreamID id, StreamConsumer& c, int64_t delivery_time_ms,
                            uint64_t delivery_count);
  // Moves a pending entry to `c` (XCLAIM, XAUTOCLAIM); its figures stay for the caller.
  void Assign(StreamID id, StreamPending& p, StreamConsumer& c);
  // Removes a pending entry (XACK, and a claim that finds the entry deleted); false when it
  // was not pending.
  bool Ack(StreamID id);

  // Bytes the group holds beyond its own object (memory accounting estimate: map nodes and
  // names).
  size_t memory() const;

 private:
  std::map<StreamID, StreamPending> pel_;
  std::map<std::string, StreamConsumer, std::less<>> consumers_;
  size_t name_bytes_ = 0;
};

// How XADD / XTRIM trim (Redis's streamAddTrimArgs).
struct StreamTrim {
  enum Strategy : uint8_t { kNone, kMaxLen, kMinId };
  Strategy strategy = kNone;
  bool approx = false;
  uint64_t maxlen = 0;
  StreamID minid;
  // The most entries removed in whole nodes (0: no limit); `~` only.
  int64_t limit = 0;
};

// Walks the live entries of [start, end] (inclusive) in ID order or reverse. Any change to
// the stream invalidates it.
class StreamIterator {
 public:
  StreamIterator(const Stream& s, StreamID start, StreamID end, bool reverse);
  // Moves to the next live entry; false when none is left.
  bool Next();
  StreamID id() const { return id_; }
  uint32_t field_count() const;
  // fn(field, value) for each pair of the current entry, in order.
  template <typename Fn>
  void ForEachField(Fn&& fn) const {
    FieldReader r(*this);
    std::string_view f, v;
    while (r.Next(&f, &v)) fn(f, v);
  }

 private:
  friend class Stream;
  class FieldReader {
   public:
    explicit FieldReader(const StreamIterator& it);
    bool Next(std::string_view* field, std::string_view* value);

   private:
    const char* master_;  // the next master field (same-fields entries)
    const char* p_;       // the next value / field of the entry
    uint32_t left_;
    bool same_;
    char buf_[24];
  };
  using NodeMap = std::map<StreamID, char*>;
  bool LoadNode();

  const Stream* s_;
  StreamID start_, end_;
  bool reverse_;
  bool done_ = false;
  NodeMap::const_iterator node_;
  // Entries of the current node as (offset, ID), walked backward in reverse.
  std::vector<std::pair<uint32_t, StreamID>> entries_;
  size_t pos_ = 0;
  StreamID id_;
  uint32_t off_ = 0;  // the current entry's flags byte
};

class Stream {
 public:
  Stream() = default;
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  uint64_t length() const { return length_; }
  StreamID last_id() const { return last_id_; }
  // The first live entry's ID, 0-0 when empty (XINFO's recorded-first-entry-id).
  StreamID first_id() const { return first_id_; }
  StreamID max_deleted_id() const { return max_deleted_id_; }
  uint64_t entries_added() const { return entries_added_; }
  size_t node_count() const { return nodes_.size(); }
  // XSETID's setters; the caller checked Redis's rules (last_id never goes backwards).
  void set_last_id(StreamID id) { last_id_ = id; }
  void set_max_deleted_id(StreamID id) { max_deleted_id_ = id; }
  void set_entries_added(uint64_t n) { entries_added_ = n; }

  // Why NextId found no ID.
  enum class IdError : uint8_t {
    kNone,
    kNotGreater,    // not above last_id(): "equal or smaller than the target stream top item"
    kSeqExhausted,  // "<ms>-*" at the last sequence of that ms (Redis 7.0 answers it with
                    // "Elements are too large to be stored")
  };
  // The ID XADD would use: `use_id` null for "*"; seq_given false for "<ms>-*". The caller
  // refuses an exhausted stream (last_id() max) first.
  IdError NextId(const StreamID* use_id, bool seq_given, int64_t now_ms, StreamID* out) const;
  // Appends an entry; `id` > last_id(), `fv` holds field, value, ... (an even count, >= 2).
  void Append(StreamID id, std::span<const std::string_view> fv);
  // Marks a live entry deleted (XDEL); false when there is none with `id`.
  bool Delete(StreamID id);
  // Whether a live entry has `id`.
  bool Contains(StreamID id) const;
  // Trims as XADD / XTRIM; the number of entries removed.
  int64_t Trim(const StreamTrim& t);

  // Consumer groups, by name in byte order (XINFO GROUPS' order).
  const std::map<std::string, StreamGroup, std::less<>>& groups() const { return groups_; }
  StreamGroup* FindGroup(std::string_view name);
  // Creates a group; nullptr when one has that name.
  StreamGroup* CreateGroup(std::string_view name, StreamID last_id, int64_t entries_read);
  bool DestroyGroup(std::string_view name);

  // Redis's streamEstimateDistanceFromFirstEverEntry: the logical read counter of `id`, or
  // StreamGroup::kInvalidEntriesRead when it cannot be known.
  int64_t EstimateDistanceFromFirstEverEntry(StreamID id) const;
  // Redis's streamRangeHasTombstones (null bounds: the whole ID space).
  bool RangeHasTombstones(const StreamID* start, const StreamID* end) const;
  // A group's lag as XINFO GROUPS reports it; nullopt when unknown (a null reply).
  std::optional<int64_t> Lag(const StreamGroup& g) const;
  // The group read past `id` (XREADGROUP delivering it): advances last_id and entries_read
  // by Redis's rules; nothing when `id` is not above the group's last_id.
  void AdvanceGroup(StreamGroup& g, StreamID id) const;

  // The persisted form (core/stream_codec.cc): entries, metadata, groups with their PELs and
  // consumers; no node layout, so a load follows today's node caps.
  void Serialize(std::string* out) const;
  // A stream from Serialize's bytes; nullptr for anything malformed (never trusts a count).
  static std::unique_ptr<Stream> Deserialize(std::string_view in);
  // A readable text of the whole stream (kv-check --dump).
  std::string Describe() const;

  // Bytes held beyond the Stream object (nodes, map nodes, groups).
  size_t memory() const;
  // memory()'s node share recounted from the allocations (tests check the running figure).
  size_t CountNodeMemory() const;

 private:
  friend class StreamIterator;
  using NodeMap = std::map<StreamID, char*>;
  void DropNode(NodeMap::iterator it);
  void ShrinkToFit(NodeMap::iterator it);
  void RefreshFirstId();
  void Compact(NodeMap::iterator it);
  char* Grow(char* node, size_t add);

  NodeMap nodes_;
  uint64_t length_ = 0;
  StreamID last_id_;
  StreamID first_id_;
  StreamID max_deleted_id_;
  uint64_t entries_added_ = 0;
  size_t node_bytes_ = 0;
  std::map<std::string, StreamGroup, std::less<>> groups_;
};

}  // namespace kv
