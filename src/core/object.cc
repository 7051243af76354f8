#include "core/object.h"

#include <malloc.h>

#include "core/hash.h"
#include "core/listpack.h"
#include "core/quicklist.h"
#include "core/set.h"
#include "core/stream.h"
#include "core/zset.h"

namespace kv {

EncodingLimits& GlobalEncodingLimits() {
  static EncodingLimits limits;
  return limits;
}

std::string_view EncodingName(const Entry& e) {
  if (Is(e, Encoding::kListPack)) return "listpack";
  if (Is(e, Encoding::kQuickList)) return "quicklist";
  if (Is(e, Encoding::kIntSet)) return "intset";
  if (Is(e, Encoding::kSetPack)) return "listpack";
  if (Is(e, Encoding::kSetTable)) return "hashtable";
  if (Is(e, Encoding::kHashPack)) return "listpack";
  if (Is(e, Encoding::kHashTable)) return "hashtable";
  if (Is(e, Encoding::kZSetPack)) return "listpack";
  if (Is(e, Encoding::kZSetTree)) return "skiplist";
  if (Is(e, Encoding::kStream)) return "stream";
  switch (e.type()) {
    case ScalarType::kInt:
      return "int";
    case ScalarType::kFloat:
      return "float";
    case ScalarType::kDecimal:
      return "decimal";
    case ScalarType::kBytes:
    case ScalarType::kString:
      // Redis's embstr / raw split (OBJ_ENCODING_EMBSTR_SIZE_LIMIT).
      return e.value_len() <= 44 ? "embstr" : "raw";
    case ScalarType::kNested:
      // A native Null (a Map or List stored with SET becomes a hash or list container).
      return TypeOf(e) == ObjType::kNull ? "null" : "listpack";
  }
  return "unknown";
}

size_t ContainerBytes(const Entry& e) {
  if (Is(e, Encoding::kListPack)) return listpack::AllocSize(static_cast<char*>(e.container()));
  if (Is(e, Encoding::kQuickList)) {
    auto* q = static_cast<QuickList*>(e.container());
    return malloc_usable_size(q) + q->memory();
  }
  if (Is(e, Encoding::kIntSet)) return intset::AllocSize(static_cast<char*>(e.container()));
  if (Is(e, Encoding::kSetPack)) return listpack::AllocSize(static_cast<char*>(e.container()));
  if (Is(e, Encoding::kSetTable)) {
    auto* t = static_cast<SetTable*>(e.container());
    return malloc_usable_size(t) + t->memory();
  }
  if (Is(e, Encoding::kHashPack) || Is(e, Encoding::kHashTable)) return HashContainerBytes(e);
  if (Is(e, Encoding::kZSetPack)) return listpack::AllocSize(static_cast<char*>(e.container()));
  if (Is(e, Encoding::kZSetTree)) {
    auto* t = static_cast<ZSetTree*>(e.container());
    return malloc_usable_size(t) + t->memory();
  }
  if (Is(e, Encoding::kStream)) {
    auto* s = static_cast<Stream*>(e.container());
    return malloc_usable_size(s) + s->memory();
  }
  return 0;
}

void FreeContainer(Entry& e) {
  if (Is(e, Encoding::kListPack)) listpack::Free(static_cast<char*>(e.container()));
  if (Is(e, Encoding::kQuickList)) delete static_cast<QuickList*>(e.container());
  if (TypeOf(e) == ObjType::kSet) set::Free({e.encoding(), e.container()});
  if (Is(e, Encoding::kHashPack) || Is(e, Encoding::kHashTable)) HashFree(e);
  if (Is(e, Encoding::kZSetPack)) listpack::Free(static_cast<char*>(e.container()));
  if (Is(e, Encoding::kZSetTree)) delete static_cast<ZSetTree*>(e.container());
  if (Is(e, Encoding::kStream)) delete static_cast<Stream*>(e.container());
}

namespace {
void EncodeList(const QuickList& list, std::string* out) {
  AppendListHeader(static_cast<uint32_t>(list.size()), out);
  if (list.size() == 0) return;
  QuickList::Pos p = list.Seek(0);
  do {
    AppendEncodedScalar(list.Get(p), out);
  } while (list.Next(&p));
}
}  // namespace

ScalarView WholeValue(const Entry& e, std::string* scratch) {
  if (!IsContainer(e)) return e.value();
  scratch->clear();
  if (TypeOf(e) == ObjType::kHash) {
    EncodeHash(e, scratch);
    return ScalarView::Nested(*scratch);
  }
  if (Is(e, Encoding::kStream)) {
    // A List of [id, [field, value, ...]]: what XRANGE - + answers.
    const auto& s = *static_cast<const Stream*>(e.container());
    AppendListHeader(static_cast<uint32_t>(s.length()), scratch);
    StreamIterator it(s, {0, 0}, StreamID::Max(), false);
    while (it.Next()) {
      AppendListHeader(2, scratch);
      AppendEncodedScalar(ScalarView::Bytes(it.id().ToString()), scratch);
      AppendListHeader(2 * it.field_count(), scratch);
      it.ForEachField([&](std::string_view f, std::string_view v) {
        AppendEncodedScalar(ScalarView::Bytes(f), scratch);
        AppendEncodedScalar(ScalarView::Bytes(v), scratch);
      });
    }
    return ScalarView::Nested(*scratch);
  }
  if (TypeOf(e) == ObjType::kZSet) {
    // A List of [member, score] pairs in order: what a snapshot stores and a native GET reads.
    ZSetRef z(const_cast<Entry*>(&e));
    AppendListHeader(static_cast<uint32_t>(z.size()), scratch);
    z.Walk(0, z.size(), false, [&](const ZItem& it) {
      AppendListHeader(2, scratch);
      AppendEncodedScalar(ScalarView::Bytes(it.member), scratch);
      AppendEncodedScalar(ScalarView::Float(it.score), scratch);
    });
  } else if (TypeOf(e) == ObjType::kSet) {
    AppendListHeader(static_cast<uint32_t>(set::Size(e)), scratch);
    set::ForEach(e, [&](const ScalarView& v) { AppendEncodedScalar(v, scratch); });
  } else if (Is(e, Encoding::kQuickList)) {
    EncodeList(*static_cast<const QuickList*>(e.container()), scratch);
  } else {
    QuickList borrowed(0, static_cast<char*>(e.container()));
    EncodeList(borrowed, scratch);
    borrowed.ReleaseSingle();
  }
  return ScalarView::Nested(*scratch);
}

}  // namespace kv
