#include "core/copy_value.h"

#include <string>

#include "core/hash.h"
#include "core/object.h"
#include "core/set.h"
#include "core/zset.h"

namespace kv {

void CopyValue(const Entry& src, Shard& to, std::string_view key, int64_t expire_at) {
  // The source is read whole before `to` changes: storing may move or free it.
  std::string encoded;
  switch (TypeOf(src)) {
    case ObjType::kSet: {
      const ScalarView v = WholeValue(src, &encoded);
      if (v.bytes.data() != encoded.data()) encoded.assign(v.bytes);
      if (const auto c = set::FromEncodedList(encoded))
        to.SetContainer(key, c->encoding, c->ptr, expire_at);
      return;
    }
    case ObjType::kZSet: {
      const ScalarView v = WholeValue(src, &encoded);
      if (v.bytes.data() != encoded.data()) encoded.assign(v.bytes);
      const NewContainer c = ZSetFromEncoded(encoded);
      to.SetContainer(key, c.encoding, c.ptr, expire_at);
      return;
    }
    case ObjType::kHash:
      if (HashHasFieldTtl(src)) {  // the fields' deadlines come along
        EncodeHashTriples(src, &encoded);
        StoreHashTriples(to, key, encoded, expire_at);
      } else {
        EncodeHashPairs(src, &encoded);
        StoreHashPairs(to, key, encoded, expire_at);
      }
      return;
    default: {
      // A string (any scalar type, kept), a native Null, or a list (its List value, which
      // Shard::Set makes a list container again, typed elements kept).
      ScalarView v = WholeValue(src, &encoded);
      if ((IsText(v.type) || IsNested(v.type)) && v.bytes.data() != encoded.data()) {
        encoded.assign(v.bytes);
        v.bytes = encoded;
      }
      to.Set(key, v, expire_at);
    }
  }
}

void MoveValue(Entry* e, Shard& from, std::string_view from_key, Shard& to,
               std::string_view to_key, int64_t now_ms) {
  const int64_t expire_at = e->expire_at();
  if (IsContainer(*e)) {
    // Only the container's pointer changes hands.
    const uint8_t encoding = e->encoding();
    void* container = e->container();
    from.Detach(from_key);
    to.SetContainer(to_key, encoding, container, expire_at);
    return;
  }
  ScalarView v = e->value();
  // Storing in the same shard may move or free `e`: its bytes are copied first.
  std::string copy;
  if (&from == &to && (IsText(v.type) || IsNested(v.type))) {
    copy.assign(v.bytes);
    v.bytes = copy;
  }
  to.Set(to_key, v, expire_at);
  from.Erase(from_key, now_ms);
}

}  // namespace kv
