// A stream's persisted form (snapshots, COPY): the entries and metadata and the groups with
// their PELs and consumers, independent of node layout (docs/persistence.md). The reader
// trusts nothing: every length is checked against the bytes left before it is used, and a
// count only bounds a loop whose every step consumes input, so a lying count fails at the
// end of the input without allocating for it.
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/stream.h"

namespace kv {

namespace {

constexpr uint8_t kFormat = 1;

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}
void PutSigned(std::string* out, int64_t v) {
  PutVarint(out, (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
}
void PutId(std::string* out, StreamID id) {
  PutVarint(out, id.ms);
  PutVarint(out, id.seq);
}
void PutStr(std::string* out, std::string_view s) {
  PutVarint(out, s.size());
  out->append(s);
}

class Reader {
 public:
  explicit Reader(std::string_view in) : p_(in.data()), end_(in.data() + in.size()) {}
  bool ok() const { return ok_; }
  bool done() const { return ok_ && p_ == end_; }
  size_t left() const { return static_cast<size_t>(end_ - p_); }
  uint8_t U8() {
    if (p_ == end_) return Fail();
    return static_cast<uint8_t>(*p_++);
  }
  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ == end_) return Fail();
      const auto b = static_cast<uint8_t>(*p_++);
      v |= uint64_t{b & 0x7fu} << shift;
      if (b < 0x80) return v;
    }
    return Fail();
  }
  int64_t Signed() {
    const uint64_t z = Varint();
    return static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1));
  }
  StreamID Id() {
    const uint64_t ms = Varint();
    return {ms, Varint()};
  }
  std::string_view Str() {
    const uint64_t len = Varint();
    if (!ok_ || len > left()) {
      Fail();
      return {};
    }
    std::string_view s(p_, len);
    p_ += len;
    return s;
  }
  uint8_t Fail() {
    ok_ = false;
    p_ = end_;
    return 0;
  }

 private:
  const char* p_;
  const char* end_;
  bool ok_ = true;
};

}  // namespace

void Stream::Serialize(std::string* out) const {
  out->push_back(static_cast<char>(kFormat));
  PutId(out, last_id_);
  PutId(out, max_deleted_id_);
  PutVarint(out, entries_added_);
  PutVarint(out, length_);
  StreamIterator it(*this, {0, 0}, StreamID::Max(), false);
  while (it.Next()) {
    PutId(out, it.id());
    PutVarint(out, it.field_count());
    it.ForEachField([&](std::string_view f, std::string_view v) {
      PutStr(out, f);
      PutStr(out, v);
    });
  }
  PutVarint(out, groups_.size());
  for (const auto& [name, g] : groups_) {
    PutStr(out, name);
    PutId(out, g.last_id);
    PutSigned(out, g.entries_read);
    // Consumers by position, so each PEL entry names its owner with a small number.
    std::map<const StreamConsumer*, uint64_t> index;
    PutVarint(out, g.consumers().size());
    for (const auto& [cname, c] : g.consumers()) {
      index.emplace(&c, index.size());
      PutStr(out, cname);
      PutSigned(out, c.seen_time_ms);
    }
    PutVarint(out, g.pel().size());
    for (const auto& [id, p] : g.pel()) {
      PutId(out, id);
      PutVarint(out, index[p.consumer]);
      PutSigned(out, p.delivery_time_ms);
      PutVarint(out, p.delivery_count);
    }
  }
}

std::unique_ptr<Stream> Stream::Deserialize(std::string_view in) {
  Reader r(in);
  if (r.U8() != kFormat) return nullptr;
  auto s = std::make_unique<Stream>();
  const StreamID last_id = r.Id();
  const StreamID max_deleted = r.Id();
  const uint64_t entries_added = r.Varint();
  const uint64_t length = r.Varint();
  std::vector<std::string_view> fv;
  StreamID prev;
  for (uint64_t i = 0; i < length && r.ok(); ++i) {
    const StreamID id = r.Id();
    const uint64_t nfields = r.Varint();
    // Each pair takes at least two bytes: a count past that is a lie.
    if (!r.ok() || nfields == 0 || nfields > r.left() / 2) return nullptr;
    fv.clear();
    for (uint64_t f = 0; f < 2 * nfields; ++f) fv.push_back(r.Str());
    if (!r.ok() || (i > 0 && id <= prev) || id > last_id || id.IsZero()) return nullptr;
    s->Append(id, fv);
    prev = id;
  }
  const uint64_t ngroups = r.Varint();
  for (uint64_t i = 0; i < ngroups && r.ok(); ++i) {
    const std::string_view name = r.Str();
    const StreamID glast = r.Id();
    const int64_t entries_read = r.Signed();
    if (!r.ok() || entries_read < StreamGroup::kInvalidEntriesRead) return nullptr;
    StreamGroup* g = s->CreateGroup(name, glast, entries_read);
    if (!g) return nullptr;
    std::vector<StreamConsumer*> consumers;
    const uint64_t nconsumers = r.Varint();
    for (uint64_t c = 0; c < nconsumers && r.ok(); ++c) {
      const std::string_view cname = r.Str();
      const int64_t seen = r.Signed();
      bool created;
      StreamConsumer& consumer = g->CreateConsumer(cname, seen, &created);
      if (!r.ok() || !created) return nullptr;
      consumers.push_back(&consumer);
    }
    const uint64_t npel = r.Varint();
    for (uint64_t p = 0; p < npel && r.ok(); ++p) {
      const StreamID id = r.Id();
      const uint64_t owner = r.Varint();
      const int64_t time = r.Signed();
      const uint64_t count = r.Varint();
      if (!r.ok() || owner >= consumers.size() || g->FindPending(id)) return nullptr;
      g->AddPending(id, *consumers[owner], time, count);
    }
  }
  if (!r.done()) return nullptr;
  s->last_id_ = last_id;
  s->max_deleted_id_ = max_deleted;
  s->entries_added_ = entries_added;
  return s;
}

std::string Stream::Describe() const {
  std::string out = "{last_id=" + last_id_.ToString() +
                    " max_deleted_id=" + max_deleted_id_.ToString() +
                    " entries_added=" + std::to_string(entries_added_) + " entries=[";
  auto quote = [](std::string_view s) {
    std::string q = "\"";
    for (const char c : s) {
      const auto u = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        q += '\\';
        q += c;
      } else if (u < 0x20 || u >= 0x7f) {
        static const char* kHex = "0123456789abcdef";
        q += "\\x";
        q += kHex[u >> 4];
        q += kHex[u & 15];
      } else {
        q += c;
      }
    }
    return q + "\"";
  };
  StreamIterator it(*this, {0, 0}, StreamID::Max(), false);
  bool first = true;
  while (it.Next()) {
    out += first ? "" : ", ";
    first = false;
    out += it.id().ToString() + " {";
    bool first_field = true;
    it.ForEachField([&](std::string_view f, std::string_view v) {
      out += (first_field ? "" : ", ") + quote(f) + " => " + quote(v);
      first_field = false;
    });
    out += "}";
  }
  out += "] groups=[";
  first = true;
  for (const auto& [name, g] : groups_) {
    out += (first ? "" : ", ") + quote(name) + " {last_id=" + g.last_id.ToString() +
           " entries_read=" + std::to_string(g.entries_read) + " consumers=[";
    first = false;
    bool first_c = true;
    for (const auto& [cname, c] : g.consumers()) {
      out += (first_c ? "" : ", ") + quote(cname) + " seen=" + std::to_string(c.seen_time_ms);
      first_c = false;
    }
    out += "] pel=[";
    bool first_p = true;
    for (const auto& [id, p] : g.pel()) {
      out += (first_p ? "" : ", ") + id.ToString() + " " + quote(p.consumer->name) + " " +
             std::to_string(p.delivery_time_ms) + " " + std::to_string(p.delivery_count);
      first_p = false;
    }
    out += "]}";
  }
  return out + "]}";
}

}  // namespace kv
