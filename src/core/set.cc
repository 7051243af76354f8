#include "core/set.h"

#include <malloc.h>

#include <algorithm>

namespace kv::set {

namespace {

struct Limits {
  int64_t intset_entries, pack_entries, pack_value;
};
Limits CurrentLimits() {
  EncodingLimits& l = GlobalEncodingLimits();
  return {l.set_max_intset_entries.load(std::memory_order_relaxed),
          l.set_max_listpack_entries.load(std::memory_order_relaxed),
          l.set_max_listpack_value.load(std::memory_order_relaxed)};
}

size_t Digits(int64_t v) {
  char buf[kScalarBufSize];
  return CanonicalString(ScalarView::Int(v), buf).size();
}

template <typename Fn>
void ForEachIn(const Container& c, Fn&& fn) {
  if (c.encoding == static_cast<uint8_t>(Encoding::kIntSet)) {
    const char* is = static_cast<const char*>(c.ptr);
    const uint32_t n = intset::Count(is);
    for (uint32_t i = 0; i < n; ++i) fn(ScalarView::Int(intset::Get(is, i)));
  } else {
    const char* lp = static_cast<const char*>(c.ptr);
    const uint32_t end = listpack::Bytes(lp);
    for (uint32_t off = listpack::First(lp); off < end; off = listpack::Next(lp, off))
      fn(listpack::Get(lp, off));
  }
}

void ToTable(Container* c, size_t size_hint) {
  auto* t = new SetTable();
  t->Reserve(size_hint);
  ForEachIn(*c, [&](const ScalarView& v) {
    char buf[kScalarBufSize];
    t->Add(v, CanonicalString(v, buf));
  });
  Free(*c);
  *c = {static_cast<uint8_t>(Encoding::kSetTable), t};
}

void IntSetToPack(Container* c) {
  char* lp = listpack::New();
  ForEachIn(*c, [&](const ScalarView& v) { lp = listpack::Insert(lp, listpack::Bytes(lp), v); });
  Free(*c);
  *c = {static_cast<uint8_t>(Encoding::kSetPack), lp};
}

uint32_t FindInPack(const char* lp, std::string_view text) {
  const uint32_t end = listpack::Bytes(lp);
  for (uint32_t off = listpack::First(lp); off < end; off = listpack::Next(lp, off))
    if (listpack::TextEquals(lp, off, text)) return off;
  return 0;
}

Container Of(const Entry& e) { return {e.encoding(), e.container()}; }
void Store(Entry* e, const Container& c) {
  e->set_encoding(c.encoding);
  e->set_container(c.ptr);
}

}  // namespace

Container New(std::string_view first_text, size_t size_hint) {
  const Limits l = CurrentLimits();
  if (ParseInt64(first_text) && size_hint <= static_cast<size_t>(l.intset_entries))
    return {static_cast<uint8_t>(Encoding::kIntSet), intset::New()};
  if (size_hint <= static_cast<size_t>(l.pack_entries))
    return {static_cast<uint8_t>(Encoding::kSetPack), listpack::New()};
  auto* t = new SetTable();
  t->Reserve(size_hint);
  return {static_cast<uint8_t>(Encoding::kSetTable), t};
}

void Free(Container c) {
  switch (static_cast<Encoding>(c.encoding)) {
    case Encoding::kIntSet:
      intset::Free(static_cast<char*>(c.ptr));
      break;
    case Encoding::kSetPack:
      listpack::Free(static_cast<char*>(c.ptr));
      break;
    case Encoding::kSetTable:
      delete static_cast<SetTable*>(c.ptr);
      break;
    default:
      break;
  }
}

std::optional<Container> FromEncodedList(std::string_view encoded) {
  const uint32_t n = wire::GetU32(encoded.data() + 1);
  if (n == 0) return std::nullopt;
  std::optional<Container> c;
  ForEachListElement(encoded, [&](const ScalarView& v) {
    if (IsNested(v.type)) return;
    char buf[kScalarBufSize];
    const std::string_view text = CanonicalString(v, buf);
    if (!c) c = New(text, n);
    Add(&*c, v, text);
  });
  return c;
}

size_t Size(const Entry& e) {
  if (Is(e, Encoding::kIntSet)) return intset::Count(static_cast<const char*>(e.container()));
  if (Is(e, Encoding::kSetPack)) return listpack::Count(static_cast<const char*>(e.container()));
  return static_cast<const SetTable*>(e.container())->size();
}

bool Contains(const Entry& e, std::string_view text) {
  if (Is(e, Encoding::kIntSet)) {
    const auto v = ParseInt64(text);
    return v && intset::Contains(static_cast<const char*>(e.container()), *v);
  }
  if (Is(e, Encoding::kSetPack))
    return FindInPack(static_cast<const char*>(e.container()), text) != 0;
  return static_cast<const SetTable*>(e.container())->Contains(text);
}

bool Add(Container* c, const ScalarView& v, std::string_view text) {
  const Limits l = CurrentLimits();
  if (c->encoding == static_cast<uint8_t>(Encoding::kIntSet)) {
    char* is = static_cast<char*>(c->ptr);
    const uint32_t n = intset::Count(is);
    if (const auto iv = ParseInt64(text)) {
      bool added;
      c->ptr = intset::Add(is, *iv, &added);
      if (added && intset::Count(static_cast<char*>(c->ptr)) > l.intset_entries)
        ToTable(c, n + 1);
      return added;
    }
    size_t widest = 0;
    if (n) widest = std::max(Digits(intset::Get(is, 0)), Digits(intset::Get(is, n - 1)));
    if (n < l.pack_entries && static_cast<int64_t>(text.size()) <= l.pack_value &&
        static_cast<int64_t>(widest) <= l.pack_value)
      IntSetToPack(c);
    else
      ToTable(c, n + 1);
  }
  if (c->encoding == static_cast<uint8_t>(Encoding::kSetPack)) {
    char* lp = static_cast<char*>(c->ptr);
    if (FindInPack(lp, text)) return false;
    const uint32_t n = listpack::Count(lp);
    if (n < l.pack_entries && static_cast<int64_t>(text.size()) <= l.pack_value) {
      c->ptr = listpack::Insert(lp, listpack::Bytes(lp), v);
      return true;
    }
    ToTable(c, n + 1);
  }
  return static_cast<SetTable*>(c->ptr)->Add(v, text);
}

bool Add(Entry* e, const ScalarView& v, std::string_view text) {
  Container c = Of(*e);
  const bool added = Add(&c, v, text);
  Store(e, c);
  return added;
}

bool Remove(Entry* e, std::string_view text) {
  if (Is(*e, Encoding::kIntSet)) {
    const auto v = ParseInt64(text);
    if (!v) return false;
    bool removed;
    e->set_container(intset::Remove(static_cast<char*>(e->container()), *v, &removed));
    return removed;
  }
  if (Is(*e, Encoding::kSetPack)) {
    char* lp = static_cast<char*>(e->container());
    const uint32_t off = FindInPack(lp, text);
    if (!off) return false;
    e->set_container(listpack::Erase(lp, off, 1));
    return true;
  }
  return static_cast<SetTable*>(e->container())->Remove(text);
}

ScalarView Random(const Entry& e, uint64_t rnd) {
  if (Is(e, Encoding::kIntSet)) {
    const char* is = static_cast<const char*>(e.container());
    return ScalarView::Int(intset::Get(is, static_cast<uint32_t>(rnd % intset::Count(is))));
  }
  if (Is(e, Encoding::kSetPack)) {
    const char* lp = static_cast<const char*>(e.container());
    return listpack::Get(lp, listpack::Seek(lp, static_cast<uint32_t>(rnd % listpack::Count(lp))));
  }
  return static_cast<const SetTable*>(e.container())->Random(rnd);
}

}  // namespace kv::set
