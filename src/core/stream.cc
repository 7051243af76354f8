#include "core/stream.h"

#include <malloc.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <iterator>

#include "core/object.h"

namespace kv {

namespace {

// The node header; a node is one malloc'd block starting with it.
struct NodeHeader {
  uint32_t bytes;    // used bytes, header included
  uint32_t count;    // entries, deleted ones included
  uint32_t live;     // entries not deleted
  uint32_t entries;  // offset of the first entry (after the master fields)
  StreamID last;     // the last entry's ID, deleted or not (MINID trimming reads it)
};

constexpr uint8_t kDeleted = 1;
constexpr uint8_t kSameFields = 2;
constexpr uint8_t kSeqZero = 4;  // the seq part is 0 and not written
constexpr uint8_t kMsShift = 3;
constexpr uint8_t kMsEscape = 31;
constexpr uint8_t kStrLong = 0xC0;
constexpr uint8_t kInt = 0xC1;
// Redis's STREAM_LISTPACK_MAX_SIZE: the node size cap when stream-node-max-bytes is 0.
constexpr uint64_t kMaxNodeBytes = uint64_t{1} << 30;
// An ordered-map node holding a key and a pointer, as the allocator sizes it.
constexpr size_t kMapNodeBytes = 64;

NodeHeader* Hdr(char* n) { return reinterpret_cast<NodeHeader*>(n); }
const NodeHeader* Hdr(const char* n) { return reinterpret_cast<const NodeHeader*>(n); }

void PutVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

uint64_t GetVarint(const char*& p) {
  uint64_t v = 0;
  for (int shift = 0;; shift += 7) {
    const auto b = static_cast<uint8_t>(*p++);
    v |= uint64_t{b & 0x7fu} << shift;
    if (b < 0x80) return v;
  }
}

void PutString(std::string& out, std::string_view s) {
  PutVarint(out, s.size());
  out.append(s);
}

std::string_view GetString(const char*& p) {
  const uint64_t len = GetVarint(p);
  std::string_view s(p, len);
  p += len;
  return s;
}

// An integer whose text reads back the same (no sign, zeros or spaces to lose).
bool CanonicalInt(std::string_view s, int64_t* v) {
  if (s.empty() || s.size() > 20) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  if (ec != std::errc() || end != s.data() + s.size()) return false;
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof(buf), *v);
  return std::string_view(buf, r.ptr - buf) == s;
}

void PutValue(std::string& out, std::string_view v) {
  int64_t i;
  if (CanonicalInt(v, &i)) {
    out.push_back(static_cast<char>(kInt));
    PutVarint(out, (static_cast<uint64_t>(i) << 1) ^ static_cast<uint64_t>(i >> 63));
  } else if (v.size() < kStrLong) {
    out.push_back(static_cast<char>(v.size()));
    out.append(v);
  } else {
    out.push_back(static_cast<char>(kStrLong));
    PutString(out, v);
  }
}

// Reads a value; an integer is written as text into buf.
std::string_view GetValue(const char*& p, char* buf) {
  const auto tag = static_cast<uint8_t>(*p++);
  if (tag < kStrLong) {
    std::string_view s(p, tag);
    p += tag;
    return s;
  }
  if (tag == kStrLong) return GetString(p);
  const uint64_t z = GetVarint(p);
  const auto i = static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1));
  const auto r = std::to_chars(buf, buf + 24, i);
  return {buf, static_cast<size_t>(r.ptr - buf)};
}

void SkipValue(const char*& p) {
  const auto tag = static_cast<uint8_t>(*p++);
  if (tag < kStrLong) {
    p += tag;
  } else if (tag == kStrLong) {
    p += GetVarint(p);
  } else {
    GetVarint(p);
  }
}

// Skips an entry's ID deltas (after its flags byte).
void SkipId(const char*& p, uint8_t flags) {
  if ((flags >> kMsShift) == kMsEscape) GetVarint(p);
  if (!(flags & kSeqZero)) GetVarint(p);
}

uint32_t MasterFieldCount(const char* n) {
  const char* p = n + sizeof(NodeHeader);
  return static_cast<uint32_t>(GetVarint(p));
}

// Appends the encoding of an entry: `prev` is the node's previous entry (none for the first,
// whose ID is the node's key).
void EncodeEntry(std::string& out, const char* node, bool first, StreamID prev, StreamID id,
                 std::span<const std::string_view> fv) {
  const char* mp = node + sizeof(NodeHeader);
  const uint64_t nmaster = GetVarint(mp);
  bool same = nmaster == fv.size() / 2;
  for (size_t i = 0; same && i < nmaster; ++i) same = GetString(mp) == fv[2 * i];
  const uint64_t ms_delta = first ? 0 : id.ms - prev.ms;
  const uint64_t seq = first ? 0 : (ms_delta == 0 ? id.seq - prev.seq - 1 : id.seq);
  uint8_t flags = same ? kSameFields : 0;
  if (seq == 0) flags |= kSeqZero;
  flags |= static_cast<uint8_t>((ms_delta < kMsEscape ? ms_delta : kMsEscape) << kMsShift);
  out.push_back(static_cast<char>(flags));
  if (ms_delta >= kMsEscape) PutVarint(out, ms_delta);
  if (seq != 0) PutVarint(out, seq);
  if (same) {
    for (size_t i = 1; i < fv.size(); i += 2) PutValue(out, fv[i]);
    return;
  }
  PutVarint(out, fv.size() / 2);
  for (size_t i = 0; i < fv.size(); i += 2) {
    PutString(out, fv[i]);
    PutValue(out, fv[i + 1]);
  }
}

// One entry's place in its node, decoded.
struct EntryPos {
  uint32_t off = 0;   // its flags byte
  uint32_t body = 0;  // its fields / values
  uint8_t flags = 0;
  StreamID id;
};

// Decodes a node's entries in order.
class NodeWalker {
 public:
  NodeWalker(const char* node, StreamID master)
      : n_(node), master_(master), off_(Hdr(node)->entries), nfields_(MasterFieldCount(node)) {}
  bool Next(EntryPos* e) {
    if (idx_ == Hdr(n_)->count) return false;
    const char* p = n_ + off_;
    e->off = off_;
    e->flags = static_cast<uint8_t>(*p++);
    uint64_t ms_delta = e->flags >> kMsShift;
    if (ms_delta == kMsEscape) ms_delta = GetVarint(p);
    const uint64_t seq = (e->flags & kSeqZero) ? 0 : GetVarint(p);
    if (idx_ == 0) {
      e->id = master_;
    } else if (ms_delta == 0) {
      e->id = {prev_.ms, prev_.seq + seq + 1};
    } else {
      e->id = {prev_.ms + ms_delta, seq};
    }
    e->body = static_cast<uint32_t>(p - n_);
    if (e->flags & kSameFields) {
      for (uint32_t i = 0; i < nfields_; ++i) SkipValue(p);
    } else {
      for (uint64_t i = GetVarint(p); i > 0; --i) {
        p += GetVarint(p);
        SkipValue(p);
      }
    }
    off_ = static_cast<uint32_t>(p - n_);
    prev_ = e->id;
    ++idx_;
    return true;
  }

 private:
  const char* n_;
  StreamID master_;
  uint32_t off_;
  uint32_t nfields_;
  uint32_t idx_ = 0;
  StreamID prev_;
};

// Follows Redis's string2ull: a strict signed parse first, then strtoull (which takes a sign,
// leading blanks, leading zeros).
bool ParseU64(const char* s, uint64_t* out) {
  const size_t len = strlen(s);
  int64_t ll;
  if (len > 0 && len <= 20) {
    const auto [end, ec] = std::from_chars(s, s + len, ll);
    const bool strict = ec == std::errc() && end == s + len &&
                        (s[0] != '0' || len == 1) && !(s[0] == '-' && (len == 1 || s[1] == '0'));
    if (strict) {
      if (ll < 0) return false;
      *out = static_cast<uint64_t>(ll);
      return true;
    }
  }
  errno = 0;
  char* end = nullptr;
  *out = strtoull(s, &end, 10);
  return errno != EINVAL && errno != ERANGE && *s != '\0' && *end == '\0';
}

}  // namespace

bool StreamID::Incr() {
  if (seq == UINT64_MAX) {
    if (ms == UINT64_MAX) return false;
    ++ms;
    seq = 0;
  } else {
    ++seq;
  }
  return true;
}

bool StreamID::Decr() {
  if (seq == 0) {
    if (ms == 0) return false;
    --ms;
    seq = UINT64_MAX;
  } else {
    --seq;
  }
  return true;
}

std::string StreamID::ToString() const {
  return std::to_string(ms) + "-" + std::to_string(seq);
}

bool ParseStreamID(std::string_view arg, uint64_t missing_seq, bool strict, bool* seq_given,
                   StreamID* out) {
  // Redis copies the argument into a 128-byte C string: longer ones are invalid, and the
  // text ends at an embedded NUL.
  char buf[128];
  if (arg.size() > sizeof(buf) - 1) return false;
  memcpy(buf, arg.data(), arg.size());
  buf[arg.size()] = '\0';
  if (strict && (buf[0] == '-' || buf[0] == '+') && buf[1] == '\0') return false;
  if (seq_given) *seq_given = true;
  if (buf[0] == '-' && buf[1] == '\0') {
    *out = {0, 0};
    return true;
  }
  if (buf[0] == '+' && buf[1] == '\0') {
    *out = StreamID::Max();
    return true;
  }
  char* dash = strchr(buf, '-');
  if (dash) *dash = '\0';
  uint64_t ms, seq;
  if (!ParseU64(buf, &ms)) return false;
  if (dash) {
    if (seq_given && dash[1] == '*' && dash[2] == '\0') {
      seq = 0;
      *seq_given = false;
    } else if (!ParseU64(dash + 1, &seq)) {
      return false;
    }
  } else {
    seq = missing_seq;
  }
  *out = {ms, seq};
  return true;
}

Stream::~Stream() {
  for (auto& [id, node] : nodes_) free(node);
}

char* Stream::Grow(char* node, size_t add) {
  const size_t before = malloc_usable_size(node);
  if (before >= Hdr(node)->bytes + add) return node;
  auto* grown = static_cast<char*>(realloc(node, Hdr(node)->bytes + add));
  node_bytes_ += malloc_usable_size(grown) - before;
  return grown;
}

Stream::IdError Stream::NextId(const StreamID* use_id, bool seq_given, int64_t now_ms,
                               StreamID* out) const {
  StreamID id;
  if (use_id && seq_given) {
    id = *use_id;
  } else if (use_id) {
    // "<ms>-*": the next sequence of that ms, or 0 for a new ms.
    if (last_id_.ms == use_id->ms) {
      if (last_id_.seq == UINT64_MAX) return IdError::kSeqExhausted;
      id = {last_id_.ms, last_id_.seq + 1};
    } else {
      id = {use_id->ms, 0};
    }
  } else {
    const auto ms = static_cast<uint64_t>(now_ms);
    if (ms > last_id_.ms) {
      id = {ms, 0};
    } else {
      id = last_id_;
      if (!id.Incr()) return IdError::kNotGreater;
    }
  }
  if (id <= last_id_) return IdError::kNotGreater;
  *out = id;
  return IdError::kNone;
}

void Stream::Append(StreamID id, std::span<const std::string_view> fv) {
  const EncodingLimits& limits = GlobalEncodingLimits();
  uint64_t max_bytes = static_cast<uint64_t>(limits.stream_node_max_bytes.load());
  if (max_bytes == 0 || max_bytes > kMaxNodeBytes) max_bytes = kMaxNodeBytes;
  const auto max_entries = static_cast<uint64_t>(limits.stream_node_max_entries.load());
  thread_local std::string scratch;
  scratch.clear();
  // Redis's rule for a new node: the last one holds the most entries (deleted ones count), or
  // would pass the byte cap with this entry (measured encoded, so a full node fits its
  // allocation: 4096 bytes are one allocator size class).
  bool new_node = nodes_.empty();
  if (!new_node) {
    const char* tail = std::prev(nodes_.end())->second;
    const NodeHeader* h = Hdr(tail);
    new_node = max_entries != 0 && h->count >= max_entries;
    if (!new_node) {
      EncodeEntry(scratch, tail, h->count == 0, h->last, id, fv);
      new_node = h->bytes + scratch.size() > max_bytes;
    }
  }
  if (new_node) {
    scratch.clear();
    NodeHeader h{};
    scratch.append(reinterpret_cast<const char*>(&h), sizeof(h));
    PutVarint(scratch, fv.size() / 2);
    for (size_t i = 0; i < fv.size(); i += 2) PutString(scratch, fv[i]);
    // A stream whose nodes fill up: the new node starts at its predecessor's size rather than
    // growing through every allocator size class on the way (that churn fragments the heap),
    // and the predecessor, closed now, gives back what it does not use.
    size_t capacity = scratch.size();
    if (!nodes_.empty()) {
      auto last = std::prev(nodes_.end());
      capacity = std::max<size_t>(capacity, Hdr(last->second)->bytes);
      ShrinkToFit(last);
    }
    auto* node = static_cast<char*>(malloc(capacity));
    memcpy(node, scratch.data(), scratch.size());
    Hdr(node)->bytes = static_cast<uint32_t>(scratch.size());
    Hdr(node)->entries = Hdr(node)->bytes;
    node_bytes_ += malloc_usable_size(node);
    nodes_.emplace_hint(nodes_.end(), id, node);
    scratch.clear();
  }
  auto tail = std::prev(nodes_.end());
  char* node = tail->second;
  if (new_node) EncodeEntry(scratch, node, true, {}, id, fv);
  node = Grow(node, scratch.size());
  tail->second = node;
  NodeHeader* h = Hdr(node);
  memcpy(node + h->bytes, scratch.data(), scratch.size());
  h->bytes += static_cast<uint32_t>(scratch.size());
  ++h->count;
  ++h->live;
  h->last = id;
  if (length_ == 0) first_id_ = id;
  ++length_;
  ++entries_added_;
  last_id_ = id;
}

bool Stream::Contains(StreamID id) const {
  StreamIterator it(*this, id, id, false);
  return it.Next();
}

bool Stream::Delete(StreamID id) {
  auto it = nodes_.upper_bound(id);
  if (it == nodes_.begin()) return false;
  --it;
  char* node = it->second;
  NodeWalker w(node, it->first);
  EntryPos e;
  while (w.Next(&e) && e.id <= id) {
    if (e.id != id) continue;
    if (e.flags & kDeleted) return false;
    node[e.off] = static_cast<char>(e.flags | kDeleted);
    NodeHeader* h = Hdr(node);
    --h->live;
    --length_;
    if (id > max_deleted_id_) max_deleted_id_ = id;
    if (h->live == 0) {
      DropNode(it);
    } else if (std::next(it) != nodes_.end() && h->count - h->live > h->live) {
      Compact(it);
    }
    if (id == first_id_) RefreshFirstId();
    return true;
  }
  return false;
}

void Stream::ShrinkToFit(NodeMap::iterator it) {
  const size_t usable = malloc_usable_size(it->second);
  const uint32_t bytes = Hdr(it->second)->bytes;
  if (usable <= bytes + bytes / 8) return;
  it->second = static_cast<char*>(realloc(it->second, bytes));
  node_bytes_ -= usable - malloc_usable_size(it->second);
}

void Stream::DropNode(NodeMap::iterator it) {
  node_bytes_ -= malloc_usable_size(it->second);
  free(it->second);
  nodes_.erase(it);
}

void Stream::RefreshFirstId() {
  first_id_ = {0, 0};
  if (length_ == 0) return;
  StreamIterator it(*this, {0, 0}, StreamID::Max(), false);
  if (it.Next()) first_id_ = it.id();
}

// Rewrites a node without its deleted entries, keyed by its first live one. Its last ID
// stays (MINID trimming decides on it as Redis does on its node's last entry) and so do its
// master fields.
void Stream::Compact(NodeMap::iterator it) {
  const char* old = it->second;
  const NodeHeader* oh = Hdr(old);
  std::string out(old, oh->entries);
  std::vector<std::string> values;
  std::vector<std::string_view> fv;
  NodeWalker w(old, it->first);
  EntryPos e;
  StreamID prev, first;
  uint32_t live = 0;
  const char* node_for_fields = old;
  while (w.Next(&e)) {
    if (e.flags & kDeleted) continue;
    // The entry's pairs as text (integers formatted), then encoded afresh.
    values.clear();
    const char* p = old + e.body;
    char buf[24];
    if (e.flags & kSameFields) {
      const char* mp = old + sizeof(NodeHeader);
      for (uint64_t n = GetVarint(mp); n > 0; --n) {
        values.emplace_back(GetString(mp));
        values.emplace_back(GetValue(p, buf));
      }
    } else {
      for (uint64_t n = GetVarint(p); n > 0; --n) {
        values.emplace_back(GetString(p));
        values.emplace_back(GetValue(p, buf));
      }
    }
    fv.assign(values.begin(), values.end());
    if (live == 0) first = e.id;
    EncodeEntry(out, node_for_fields, live == 0, prev, e.id, fv);
    prev = e.id;
    ++live;
  }
  auto* node = static_cast<char*>(malloc(out.size()));
  memcpy(node, out.data(), out.size());
  NodeHeader* h = Hdr(node);
  h->bytes = static_cast<uint32_t>(out.size());
  h->count = live;
  h->live = live;
  node_bytes_ += malloc_usable_size(node);
  DropNode(it);
  nodes_.emplace(first, node);
}

int64_t Stream::Trim(const StreamTrim& t) {
  if (t.strategy == StreamTrim::kNone) return 0;
  int64_t deleted = 0;
  auto it = nodes_.begin();
  while (it != nodes_.end()) {
    if (t.strategy == StreamTrim::kMaxLen && length_ <= t.maxlen) break;
    char* node = it->second;
    NodeHeader* h = Hdr(node);
    const int64_t entries = h->live;
    if (t.limit != 0 && deleted + entries > t.limit) break;
    const bool remove_node = t.strategy == StreamTrim::kMaxLen
                                 ? length_ - static_cast<uint64_t>(entries) >= t.maxlen
                                 : h->last < t.minid;
    if (remove_node) {
      length_ -= static_cast<uint64_t>(entries);
      deleted += entries;
      node_bytes_ -= malloc_usable_size(node);
      free(node);
      it = nodes_.erase(it);
      continue;
    }
    if (t.approx) break;
    // Marks entries inside this node, as Redis does; the node stays even when none is left
    // live (a MINID inside its run of deleted entries), as there.
    NodeWalker w(node, it->first);
    EntryPos e;
    while (w.Next(&e)) {
      const bool stop =
          t.strategy == StreamTrim::kMaxLen ? length_ <= t.maxlen : e.id >= t.minid;
      if (stop) break;
      if (e.flags & kDeleted) continue;
      node[e.off] = static_cast<char>(e.flags | kDeleted);
      --h->live;
      --length_;
      ++deleted;
    }
    break;
  }
  RefreshFirstId();
  return deleted;
}

size_t Stream::memory() const {
  size_t bytes = node_bytes_ + nodes_.size() * kMapNodeBytes;
  for (const auto& [name, g] : groups_) bytes += g.memory() + name.capacity();
  return bytes;
}

size_t Stream::CountNodeMemory() const {
  size_t bytes = 0;
  for (const auto& [id, node] : nodes_) bytes += malloc_usable_size(node);
  return bytes;
}

StreamIterator::StreamIterator(const Stream& s, StreamID start, StreamID end, bool reverse)
    : s_(&s), start_(start), end_(end), reverse_(reverse) {
  if (start > end || s.nodes_.empty()) {
    done_ = true;
    return;
  }
  node_ = s.nodes_.upper_bound(reverse ? end : start);
  if (node_ == s.nodes_.begin()) {
    if (reverse) {
      done_ = true;
      return;
    }
  } else {
    --node_;
  }
  LoadNode();
}

// Collects the current node's live entries within the range into entries_.
bool StreamIterator::LoadNode() {
  entries_.clear();
  pos_ = 0;
  NodeWalker w(node_->second, node_->first);
  EntryPos e;
  while (w.Next(&e) && e.id <= end_) {
    if (e.id >= start_ && !(e.flags & kDeleted)) entries_.emplace_back(e.off, e.id);
  }
  return !entries_.empty();
}

bool StreamIterator::Next() {
  while (!done_) {
    if (pos_ < entries_.size()) {
      const auto& [off, id] = entries_[reverse_ ? entries_.size() - 1 - pos_ : pos_];
      ++pos_;
      off_ = off;
      id_ = id;
      return true;
    }
    if (reverse_) {
      if (node_ == s_->nodes_.begin() || node_->first <= start_) {
        done_ = true;
        break;
      }
      --node_;
      if (Hdr(node_->second)->last < start_) {
        done_ = true;
        break;
      }
    } else {
      ++node_;
      if (node_ == s_->nodes_.end() || node_->first > end_) {
        done_ = true;
        break;
      }
    }
    LoadNode();
  }
  return false;
}

uint32_t StreamIterator::field_count() const {
  const char* node = node_->second;
  const char* p = node + off_;
  const auto flags = static_cast<uint8_t>(*p);
  if (flags & kSameFields) return MasterFieldCount(node);
  ++p;
  SkipId(p, flags);
  return static_cast<uint32_t>(GetVarint(p));
}

StreamIterator::FieldReader::FieldReader(const StreamIterator& it) {
  const char* node = it.node_->second;
  const char* p = node + it.off_;
  const auto flags = static_cast<uint8_t>(*p++);
  SkipId(p, flags);
  same_ = (flags & kSameFields) != 0;
  master_ = node + sizeof(NodeHeader);
  const uint64_t nmaster = GetVarint(master_);
  left_ = static_cast<uint32_t>(same_ ? nmaster : GetVarint(p));
  p_ = p;
}

bool StreamIterator::FieldReader::Next(std::string_view* field, std::string_view* value) {
  if (left_ == 0) return false;
  --left_;
  *field = GetString(same_ ? master_ : p_);
  *value = GetValue(p_, buf_);
  return true;
}

}  // namespace kv
