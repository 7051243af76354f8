#include "core/copy_value.h"

#include <string>

#include "core/hash.h"
#include "core/object.h"
#include "core/set.h"
#include "core/stream.h"
#include "core/zset.h"

namespace kv {

ScalarView EncodeForTransfer(const Entry& e, std::string* scratch, TransferForm* form) {
  switch (TypeOf(e)) {
    case ObjType::kSet:
      *form = TransferForm::kSet;
      return WholeValue(e, scratch);
    case ObjType::kZSet:
      *form = TransferForm::kZSet;
      return WholeValue(e, scratch);
    case ObjType::kHash:
      // Pairs, not a Map: a hash's fields need not be UTF-8. Triples only when some field has
      // a TTL, so a snapshot without any stays readable by older loaders.
      scratch->clear();
      if (HashHasFieldTtl(e)) {
        *form = TransferForm::kHashTriples;
        EncodeHashTriples(e, scratch);
      } else {
        *form = TransferForm::kHashPairs;
        EncodeHashPairs(e, scratch);
      }
      return ScalarView::Nested(*scratch);
    case ObjType::kStream:
      *form = TransferForm::kStream;
      scratch->clear();
      static_cast<const Stream*>(e.container())->Serialize(scratch);
      return ScalarView::Bytes(*scratch);
    default:
      *form = TransferForm::kValue;
      return WholeValue(e, scratch);
  }
}

void StoreTransferred(Shard& to, std::string_view key, TransferForm form, const ScalarView& v,
                      int64_t expire_at) {
  switch (form) {
    case TransferForm::kValue:
      to.Set(key, v, expire_at);
      return;
    case TransferForm::kSet:
      if (const auto c = set::FromEncodedList(v.bytes))
        to.SetContainer(key, c->encoding, c->ptr, expire_at);
      return;
    case TransferForm::kZSet: {
      const NewContainer c = ZSetFromEncoded(v.bytes);
      to.SetContainer(key, c.encoding, c.ptr, expire_at);
      return;
    }
    case TransferForm::kHashPairs:
      StoreHashPairs(to, key, v.bytes, expire_at);
      return;
    case TransferForm::kHashTriples:
      StoreHashTriples(to, key, v.bytes, expire_at);
      return;
    case TransferForm::kStream:
      if (std::unique_ptr<Stream> s = Stream::Deserialize(v.bytes))
        to.SetContainer(key, static_cast<uint8_t>(Encoding::kStream), s.release(), expire_at);
      return;
  }
}

void CopyValue(const Entry& src, Shard& to, std::string_view key, int64_t expire_at) {
  // The source is read whole before `to` changes: storing may move or free it.
  std::string scratch;
  TransferForm form;
  ScalarView v = EncodeForTransfer(src, &scratch, &form);
  if ((IsText(v.type) || IsNested(v.type)) && v.bytes.data() != scratch.data()) {
    scratch.assign(v.bytes);
    v.bytes = scratch;
  }
  StoreTransferred(to, key, form, v, expire_at);
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
