// The plugin API's stream calls (version 6): XADD, XRANGE / XREVRANGE, XDEL and XTRIM over the
// stream container the stream commands use (core/stream.h), with the same ID rules, memory
// accounting and wake-up of blocked readers, so a stream a plugin writes is the one XREAD sees.

#include <string>
#include <string_view>
#include <vector>

#include "core/object.h"
#include "core/shard.h"
#include "core/stream.h"
#include "modules/module_api.h"

namespace kv::modapi {

namespace {

StreamID Id(KVStreamID id) { return {id.ms, id.seq}; }

// The live stream entry of `key`; nullptr for no key; *wrong for another type.
Entry* StreamEntry(KVModuleKey* key, bool* wrong) {
  Entry* e = ModuleLive(key);
  *wrong = e && TypeOf(*e) != ObjType::kStream;
  return *wrong ? nullptr : e;
}

Stream& StreamIn(Entry* e) { return *static_cast<Stream*>(e->container()); }

// Reports the stream's size change to the shard (a stream is never deleted for being empty).
void Changed(KVModuleKey* key, const Stream& s, size_t memory_before) {
  ModuleShardOf(key).ContainerChanged(
      key->name, static_cast<int64_t>(s.memory()) - static_cast<int64_t>(memory_before), false,
      key->ctx->cmd->now_ms);
}

}  // namespace

long long StreamLength(KVModuleKey* key) {
  bool wrong;
  Entry* e = StreamEntry(key, &wrong);
  return wrong ? -1 : e ? static_cast<long long>(StreamIn(e).length()) : 0;
}

int StreamAdd(KVModuleKey* key, const KVStreamID* id, int nfields, const char* const* fields,
              const size_t* flens, const char* const* values, const size_t* vlens,
              KVStreamID* added_id) {
  bool wrong;
  Entry* e = StreamEntry(key, &wrong);
  if (wrong) return KV_WRONGTYPE;
  if (!ModuleWritable(key) || nfields < 1 || !fields || !flens || !values || !vlens)
    return KV_ERR;
  if (id && id->ms == 0 && id->seq == 0) return KV_ERR;
  const StreamID wanted = id ? Id(*id) : StreamID{};
  StreamID next;
  if (e) {
    const Stream& s = StreamIn(e);
    if (s.last_id().IsMax() || s.NextId(id ? &wanted : nullptr, true, key->ctx->cmd->now_ms,
                                        &next) != Stream::IdError::kNone)
      return KV_ERR;
  } else {
    // A new stream's last ID is 0-0: any ID above it, or the clock's.
    Stream empty;
    if (empty.NextId(id ? &wanted : nullptr, true, key->ctx->cmd->now_ms, &next) !=
        Stream::IdError::kNone)
      return KV_ERR;
    e = ModuleShardOf(key).SetContainer(key->name, static_cast<uint8_t>(Encoding::kStream),
                                        new Stream, kNoExpire);
  }
  std::vector<std::string_view> fv;
  fv.reserve(2 * static_cast<size_t>(nfields));
  for (int i = 0; i < nfields; ++i) {
    fv.emplace_back(fields[i] ? fields[i] : "", fields[i] ? flens[i] : 0);
    fv.emplace_back(values[i] ? values[i] : "", values[i] ? vlens[i] : 0);
  }
  Stream& s = StreamIn(e);
  const size_t before = s.memory();
  s.Append(next, fv);
  Changed(key, s, before);
  ModuleShardOf(key).NoteStreamAppend(*e);
  if (added_id) *added_id = {next.ms, next.seq};
  return KV_OK;
}

int StreamRangeWalk(KVModuleKey* key, KVStreamID start, KVStreamID end, int reverse,
                    long long count, KVStreamWalkFunc fn, void* priv) {
  bool wrong;
  Entry* e = StreamEntry(key, &wrong);
  if (wrong) return KV_WRONGTYPE;
  if (!fn || count < 0) return KV_ERR;
  if (!e) return KV_OK;
  // Integer-encoded values are decoded into the reader's buffer, so each entry's pairs are
  // copied before the callback sees them all at once.
  std::vector<std::string> texts;
  std::vector<const char*> ptrs;
  std::vector<size_t> lens;
  const bool outer = key->ctx->walking;
  key->ctx->walking = true;
  StreamIterator it(StreamIn(e), Id(start), Id(end), reverse != 0);
  for (long long n = 0; (count == 0 || n < count) && it.Next(); ++n) {
    texts.clear();
    it.ForEachField([&](std::string_view f, std::string_view v) {
      texts.emplace_back(f);
      texts.emplace_back(v);
    });
    const size_t pairs = texts.size() / 2;
    ptrs.resize(texts.size());
    lens.resize(texts.size());
    for (size_t i = 0; i < pairs; ++i) {
      ptrs[i] = texts[2 * i].data();
      lens[i] = texts[2 * i].size();
      ptrs[pairs + i] = texts[2 * i + 1].data();
      lens[pairs + i] = texts[2 * i + 1].size();
    }
    const StreamID id = it.id();
    if (fn(priv, {id.ms, id.seq}, static_cast<int>(pairs), ptrs.data(), lens.data(),
           ptrs.data() + pairs, lens.data() + pairs) != 0)
      break;
  }
  key->ctx->walking = outer;
  return KV_OK;
}

int StreamDelete(KVModuleKey* key, KVStreamID id, int* deleted) {
  bool wrong;
  Entry* e = StreamEntry(key, &wrong);
  if (wrong) return KV_WRONGTYPE;
  if (!ModuleWritable(key)) return KV_ERR;
  bool gone = false;
  if (e) {
    Stream& s = StreamIn(e);
    const size_t before = s.memory();
    gone = s.Delete(Id(id));
    if (gone) Changed(key, s, before);
  }
  if (deleted) *deleted = gone ? 1 : 0;
  return KV_OK;
}

int StreamTrim(KVModuleKey* key, long long maxlen, const KVStreamID* minid, int approx,
               long long* removed) {
  bool wrong;
  Entry* e = StreamEntry(key, &wrong);
  if (wrong) return KV_WRONGTYPE;
  if (!ModuleWritable(key) || (!minid && maxlen < 0)) return KV_ERR;
  int64_t n = 0;
  if (e) {
    kv::StreamTrim t;
    t.approx = approx != 0;
    if (minid) {
      t.strategy = kv::StreamTrim::kMinId;
      t.minid = Id(*minid);
    } else {
      t.strategy = kv::StreamTrim::kMaxLen;
      t.maxlen = static_cast<uint64_t>(maxlen);
    }
    Stream& s = StreamIn(e);
    const size_t before = s.memory();
    n = s.Trim(t);
    if (n > 0) Changed(key, s, before);
  }
  if (removed) *removed = n;
  return KV_OK;
}

}  // namespace kv::modapi
