// Streams (core/stream.h) on bytes from outside. The first byte picks what the rest is:
//   0: a stream ID argument for ParseStreamID in each of its modes; one that parses to an ID
//      written as "<ms>-<seq>" in canonical digits reads back from its own text.
//   1: a stream's persisted form (snapshots, COPY) for Stream::Deserialize; one that loads
//      serializes to bytes that load and serialize to themselves.
//   2: a script of appends, deletes, trims, XSETID-like moves of the last ID back to the last
//      live entry, and range walks on a small stream, checked against a std::map model after
//      every step (length, first ID, both walk orders).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/object.h"
#include "core/stream.h"
#include "fuzz_check.h"

using namespace kv;

namespace {

void FuzzId(std::string_view in) {
  if (in.empty()) return;
  const auto mode = static_cast<uint8_t>(in[0]);
  const std::string_view arg = in.substr(1);
  StreamID id;
  bool seq_given = true;
  if (ParseStreamID(arg, (mode & 1) ? UINT64_MAX : 0, (mode & 2) != 0,
                    (mode & 4) ? &seq_given : nullptr, &id) &&
      seq_given && arg == id.ToString()) {
    StreamID again;
    FUZZ_CHECK(ParseStreamID(id.ToString(), 0, true, nullptr, &again) && again == id);
  }
}

void FuzzPersisted(std::string_view in) {
  const auto s = Stream::Deserialize(in);
  if (!s) return;
  std::string once, twice;
  s->Serialize(&once);
  const auto back = Stream::Deserialize(once);
  FUZZ_CHECK(back != nullptr);
  back->Serialize(&twice);
  FUZZ_CHECK(once == twice);
}

using Model = std::map<StreamID, std::string>;

// `ordered`: the walks come in ID order. Not after the last ID moved back below a deleted
// entry's: a node keyed by that entry may then sort after newer ones, in Redis's radix tree as
// in this map, and walks follow the nodes.
void Check(const Stream& s, const Model& m, bool ordered) {
  FUZZ_CHECK(s.length() == m.size());
  FUZZ_CHECK(s.first_id() == (m.empty() ? StreamID{} : m.begin()->first));
  for (const bool rev : {false, true}) {
    StreamIterator it(s, {0, 0}, StreamID::Max(), rev);
    std::vector<StreamID> seen;
    while (it.Next()) {
      std::string v;
      it.ForEachField([&](std::string_view, std::string_view value) { v = value; });
      FUZZ_CHECK(m.count(it.id()) && m.at(it.id()) == v);
      seen.push_back(it.id());
    }
    FUZZ_CHECK(seen.size() == m.size());
    if (rev) std::reverse(seen.begin(), seen.end());
    if (!ordered) std::sort(seen.begin(), seen.end());
    size_t i = 0;
    for (const auto& [id, v] : m) FUZZ_CHECK(seen[i++] == id);
  }
}

void FuzzOps(std::string_view in) {
  GlobalEncodingLimits().stream_node_max_entries = 1 + (in.empty() ? 0 : in[0] & 7);
  GlobalEncodingLimits().stream_node_max_bytes = 0;
  Stream s;
  Model m;
  StreamID next{1, 0};
  bool ordered = true;
  for (size_t i = 1; i + 1 < in.size(); i += 2) {
    const auto op = static_cast<uint8_t>(in[i]);
    const auto arg = static_cast<uint8_t>(in[i + 1]);
    if (op % 8 == 7) {
      // XSETID back to the last live entry: later appends land below deleted entries' IDs.
      const StreamID to = m.empty() ? StreamID{} : m.rbegin()->first;
      if (!to.IsZero()) {
        s.set_last_id(to);
        next = to;
        ordered = false;
      }
      Check(s, m, ordered);
      continue;
    }
    switch (op % 4) {
      case 0:
      case 1: {
        next = (arg & 1) ? StreamID{next.ms + (arg >> 1), 0} : StreamID{next.ms, next.seq + 1};
        if (next <= s.last_id()) break;
        const std::string value = arg & 2 ? std::to_string(arg * 1000 - 7) : std::string(arg, 'v');
        const std::string field = (op & 4) ? "f" : "g";
        const std::string_view fv[] = {field, value};
        s.Append(next, fv);
        m[next] = value;
        break;
      }
      case 2: {
        if (m.empty()) break;
        auto it = m.begin();
        std::advance(it, arg % m.size());
        FUZZ_CHECK(s.Delete(it->first));
        m.erase(it);
        break;
      }
      default: {
        if (!ordered) break;  // trims go in node order, which the model no longer follows
        StreamTrim t;
        t.strategy = (arg & 1) ? StreamTrim::kMinId : StreamTrim::kMaxLen;
        t.approx = (arg & 2) != 0;
        t.maxlen = arg >> 3;
        t.minid = {static_cast<uint64_t>(arg >> 2), 0};
        const uint64_t before = s.length();
        const int64_t removed = s.Trim(t);
        FUZZ_CHECK(removed >= 0 && s.length() == before - static_cast<uint64_t>(removed));
        for (int64_t k = 0; k < removed; ++k) m.erase(m.begin());
        if (!t.approx && t.strategy == StreamTrim::kMaxLen) FUZZ_CHECK(s.length() <= t.maxlen);
        if (!t.approx && t.strategy == StreamTrim::kMinId)
          FUZZ_CHECK(m.empty() || m.begin()->first >= t.minid);
      }
    }
    Check(s, m, ordered);
  }
  FUZZ_CHECK(s.CountNodeMemory() <= s.memory());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(bytes) + 1, size - 1);
  switch (bytes[0] % 3) {
    case 0:
      FuzzId(in);
      break;
    case 1:
      FuzzPersisted(in);
      break;
    default:
      FuzzOps(in);
  }
  return 0;
}
