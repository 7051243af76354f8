// Streams in Redis's RDB value format (t_stream.c / rdb.c of Redis 7.0): DUMP writes
// RDB_TYPE_STREAM_LISTPACKS_2, RESTORE reads it and the older RDB_TYPE_STREAM_LISTPACKS.
//
// The body: the number of listpack nodes, each as its 16-byte big-endian master ID and a
// listpack ([live count, deleted count, n master fields, fields..., 0] then per entry: flags,
// ms and seq deltas from the master ID, [n fields], fields and values or values only, and the
// entry's element count); then length, last ID, first ID, max deleted ID, entries added
// (_2 only for the last three); then the groups: name, last ID, entries read (_2), the PEL
// (raw ID, delivery time, delivery count) and the consumers (name, seen time, their PEL's raw
// IDs). The writer builds nodes afresh from the live entries (kv-server's own nodes have
// another layout); the reader keeps the live entries and checks every count and cross
// reference, so a payload cannot make it loop or allocate past its own size.
#include <map>
#include <string>
#include <vector>

#include "core/crc64.h"
#include "core/object.h"
#include "core/scalar.h"
#include "core/stream.h"
#include "persist/rdb_internal.h"
#include "persist/rdb_value.h"

namespace kv {

namespace {

constexpr uint8_t kTypeStreamListPacks2 = 19;
constexpr int64_t kFlagDeleted = 1;
constexpr int64_t kFlagSameFields = 2;

void PutRawId(std::string* out, StreamID id) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>(id.ms >> (8 * i)));
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>(id.seq >> (8 * i)));
}

StreamID GetRawId(std::string_view raw) {
  StreamID id;
  for (int i = 0; i < 8; ++i) id.ms = id.ms << 8 | static_cast<uint8_t>(raw[i]);
  for (int i = 8; i < 16; ++i) id.seq = id.seq << 8 | static_cast<uint8_t>(raw[i]);
  return id;
}

std::string Int(int64_t v) { return std::to_string(v); }

// Collects live entries into listpack nodes, closing one at Redis's node caps.
class NodeBuilder {
 public:
  explicit NodeBuilder(std::vector<std::pair<StreamID, std::string>>* nodes) : nodes_(nodes) {
    const EncodingLimits& limits = GlobalEncodingLimits();
    max_bytes_ = static_cast<uint64_t>(limits.stream_node_max_bytes.load());
    if (max_bytes_ == 0) max_bytes_ = uint64_t{1} << 30;
    max_entries_ = static_cast<uint64_t>(limits.stream_node_max_entries.load());
  }
  void Add(StreamID id, const std::vector<std::string>& fv) {
    size_t raw = 0;
    for (const std::string& s : fv) raw += s.size();
    if (count_ > 0 && (bytes_ + raw >= max_bytes_ || (max_entries_ && count_ >= max_entries_)))
      Close();
    if (count_ == 0) {
      master_ = id;
      fields_.clear();
      for (size_t i = 0; i < fv.size(); i += 2) fields_.push_back(fv[i]);
      entries_.clear();
      bytes_ = 16;
      for (const std::string& f : fields_) bytes_ += f.size() + 2;
    }
    bool same = fields_.size() * 2 == fv.size();
    for (size_t i = 0; same && i < fields_.size(); ++i) same = fields_[i] == fv[2 * i];
    entries_.push_back(Int(same ? kFlagSameFields : 0));
    entries_.push_back(Int(static_cast<int64_t>(id.ms - master_.ms)));
    entries_.push_back(Int(static_cast<int64_t>(id.seq - master_.seq)));
    if (!same) entries_.push_back(Int(static_cast<int64_t>(fv.size() / 2)));
    for (size_t i = 0; i < fv.size(); ++i)
      if (!same || i % 2 == 1) entries_.push_back(fv[i]);
    const size_t pairs = fv.size() / 2;
    entries_.push_back(Int(static_cast<int64_t>(3 + pairs + (same ? 0 : pairs + 1))));
    bytes_ += raw + 2 * fv.size() + 8;
    ++count_;
  }
  void Close() {
    if (count_ == 0) return;
    std::vector<std::string> items{Int(static_cast<int64_t>(count_)), "0",
                                   Int(static_cast<int64_t>(fields_.size()))};
    items.insert(items.end(), fields_.begin(), fields_.end());
    items.push_back("0");
    items.insert(items.end(), entries_.begin(), entries_.end());
    nodes_->emplace_back(master_, rdb::Listpack(items, 0, items.size()));
    count_ = 0;
  }

 private:
  std::vector<std::pair<StreamID, std::string>>* nodes_;
  uint64_t max_bytes_, max_entries_;
  uint64_t count_ = 0;
  size_t bytes_ = 0;
  StreamID master_;
  std::vector<std::string> fields_, entries_;
};

bool ToInt(const std::string& s, int64_t* v) {
  const auto p = ParseInt64(s);
  if (!p) return false;
  *v = *p;
  return true;
}

// Appends the live entries of one node to `s`, checking its layout and its counts.
bool ParseNode(StreamID master, const std::vector<std::string>& items, Stream* s,
               std::vector<std::string_view>* fv) {
  int64_t live, deleted, nmaster;
  if (items.size() < 4 || !ToInt(items[0], &live) || !ToInt(items[1], &deleted) ||
      !ToInt(items[2], &nmaster) || nmaster < 1 ||
      static_cast<uint64_t>(nmaster) > items.size() - 4 || items[3 + nmaster] != "0")
    return false;
  size_t p = 4 + static_cast<size_t>(nmaster);
  int64_t seen_live = 0, seen_deleted = 0;
  while (p < items.size()) {
    int64_t flags, ms_delta, seq_delta;
    if (items.size() - p < 4 || !ToInt(items[p], &flags) || !ToInt(items[p + 1], &ms_delta) ||
        !ToInt(items[p + 2], &seq_delta) || (flags & ~(kFlagDeleted | kFlagSameFields)) != 0)
      return false;
    const StreamID id{master.ms + static_cast<uint64_t>(ms_delta),
                      master.seq + static_cast<uint64_t>(seq_delta)};
    size_t q = p + 3;
    fv->clear();
    int64_t pairs = nmaster;
    if (flags & kFlagSameFields) {
      if (items.size() - q < static_cast<size_t>(nmaster) + 1) return false;
      for (int64_t i = 0; i < nmaster; ++i) {
        fv->push_back(items[3 + static_cast<size_t>(i)]);
        fv->push_back(items[q++]);
      }
    } else {
      if (!ToInt(items[q++], &pairs) || pairs < 1 ||
          static_cast<uint64_t>(pairs) > (items.size() - q) / 2)
        return false;
      for (int64_t i = 0; i < 2 * pairs; ++i) fv->push_back(items[q++]);
    }
    int64_t lp_count;
    const int64_t want = 3 + pairs + ((flags & kFlagSameFields) ? 0 : pairs + 1);
    if (q >= items.size() || !ToInt(items[q], &lp_count) || lp_count != want) return false;
    p = q + 1;
    if (flags & kFlagDeleted) {
      ++seen_deleted;
      continue;
    }
    if (id.IsZero() || (s->length() > 0 && id <= s->last_id())) return false;
    s->Append(id, *fv);
    ++seen_live;
  }
  return seen_live == live && seen_deleted == deleted;
}

}  // namespace

std::string DumpRdbStream(const Stream& s) {
  std::string out(1, static_cast<char>(kTypeStreamListPacks2));
  std::vector<std::pair<StreamID, std::string>> nodes;
  NodeBuilder builder(&nodes);
  StreamIterator it(s, {0, 0}, StreamID::Max(), false);
  std::vector<std::string> fv;
  while (it.Next()) {
    fv.clear();
    it.ForEachField([&](std::string_view f, std::string_view v) {
      fv.emplace_back(f);
      fv.emplace_back(v);
    });
    builder.Add(it.id(), fv);
  }
  builder.Close();
  rdb::PutLen(&out, nodes.size());
  for (const auto& [master, lp] : nodes) {
    std::string key;
    PutRawId(&key, master);
    rdb::PutString(&out, key);
    rdb::PutString(&out, lp);
  }
  rdb::PutLen(&out, s.length());
  for (StreamID id : {s.last_id(), s.first_id(), s.max_deleted_id()}) {
    rdb::PutLen(&out, id.ms);
    rdb::PutLen(&out, id.seq);
  }
  rdb::PutLen(&out, s.entries_added());
  rdb::PutLen(&out, s.groups().size());
  for (const auto& [name, g] : s.groups()) {
    rdb::PutString(&out, name);
    rdb::PutLen(&out, g.last_id.ms);
    rdb::PutLen(&out, g.last_id.seq);
    rdb::PutLen(&out, static_cast<uint64_t>(g.entries_read));
    rdb::PutLen(&out, g.pel().size());
    for (const auto& [id, p] : g.pel()) {
      PutRawId(&out, id);
      rdb::PutLe(&out, static_cast<uint64_t>(p.delivery_time_ms), 8);
      rdb::PutLen(&out, p.delivery_count);
    }
    rdb::PutLen(&out, g.consumers().size());
    for (const auto& [cname, c] : g.consumers()) {
      rdb::PutString(&out, cname);
      rdb::PutLe(&out, static_cast<uint64_t>(c.seen_time_ms), 8);
      rdb::PutLen(&out, c.pel.size());
      for (const auto& [id, p] : c.pel) PutRawId(&out, id);
    }
  }
  rdb::PutLe(&out, kRdbVersion, 2);
  rdb::PutLe(&out, Crc64(0, out), 8);
  return out;
}

std::unique_ptr<Stream> rdb::ParseStreamBody(Reader& r, bool v2) {
  auto s = std::make_unique<Stream>();
  uint64_t nodes;
  if (!ReadLen(r, &nodes)) return nullptr;
  std::string key, lp;
  std::vector<std::string> items;
  std::vector<std::string_view> fv;
  for (uint64_t i = 0; i < nodes; ++i) {
    if (!ReadString(r, &key) || key.size() != 16 || !ReadString(r, &lp)) return nullptr;
    items.clear();
    if (!ParseListpack(lp, &items) || !ParseNode(GetRawId(key), items, s.get(), &fv))
      return nullptr;
  }
  uint64_t length;
  StreamID last, first, max_deleted;
  uint64_t entries_added;
  if (!ReadLen(r, &length) || !ReadLen(r, &last.ms) || !ReadLen(r, &last.seq)) return nullptr;
  if (length != s->length() || (s->length() > 0 && last < s->last_id())) return nullptr;
  if (v2) {
    if (!ReadLen(r, &first.ms) || !ReadLen(r, &first.seq) || !ReadLen(r, &max_deleted.ms) ||
        !ReadLen(r, &max_deleted.seq) || !ReadLen(r, &entries_added))
      return nullptr;
  } else {
    entries_added = length;
  }
  s->set_last_id(last);
  s->set_max_deleted_id(max_deleted);
  s->set_entries_added(entries_added);
  uint64_t ngroups;
  if (!ReadLen(r, &ngroups)) return nullptr;
  std::string name, raw_name;
  for (uint64_t g = 0; g < ngroups; ++g) {
    StreamID glast;
    if (!ReadString(r, &name) || !ReadLen(r, &glast.ms) || !ReadLen(r, &glast.seq))
      return nullptr;
    int64_t entries_read;
    if (v2) {
      uint64_t raw;
      if (!ReadLen(r, &raw)) return nullptr;
      entries_read = static_cast<int64_t>(raw);
      if (entries_read < StreamGroup::kInvalidEntriesRead) return nullptr;
    } else {
      entries_read = s->EstimateDistanceFromFirstEverEntry(glast);
    }
    StreamGroup* group = s->CreateGroup(name, glast, entries_read);
    if (!group) return nullptr;
    // The group PEL first; each consumer then names its entries, which must be there.
    struct Nack {
      int64_t time;
      uint64_t count;
      bool owned = false;
    };
    std::map<StreamID, Nack> nacks;
    uint64_t npel;
    if (!ReadLen(r, &npel)) return nullptr;
    std::string_view raw;
    for (uint64_t i = 0; i < npel; ++i) {
      Nack n;
      if (!ReadRaw(r, 16, &raw)) return nullptr;
      const StreamID id = GetRawId(raw);
      if (!ReadRaw(r, 8, &raw)) return nullptr;
      n.time = static_cast<int64_t>(GetLe(raw.data(), 8));
      if (!ReadLen(r, &n.count) || !nacks.emplace(id, n).second) return nullptr;
    }
    uint64_t nconsumers;
    if (!ReadLen(r, &nconsumers)) return nullptr;
    size_t owned = 0;
    for (uint64_t c = 0; c < nconsumers; ++c) {
      if (!ReadString(r, &raw_name) || !ReadRaw(r, 8, &raw)) return nullptr;
      bool created;
      StreamConsumer& consumer =
          group->CreateConsumer(raw_name, static_cast<int64_t>(GetLe(raw.data(), 8)), &created);
      uint64_t n;
      if (!created || !ReadLen(r, &n)) return nullptr;
      for (uint64_t i = 0; i < n; ++i) {
        if (!ReadRaw(r, 16, &raw)) return nullptr;
        auto it = nacks.find(GetRawId(raw));
        if (it == nacks.end() || it->second.owned) return nullptr;
        it->second.owned = true;
        ++owned;
        group->AddPending(it->first, consumer, it->second.time, it->second.count);
      }
    }
    if (owned != nacks.size()) return nullptr;
  }
  return s;
}

}  // namespace kv
