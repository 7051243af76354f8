// A set value in an entry, whatever its encoding: the operations the set commands, snapshots
// and native GET need, written once over the three encodings (core/object.h):
//
//   kIntSet   (char*: core/intset.h)     every member a canonical integer, at most
//                                         set-max-intset-entries (512) of them
//   kSetPack  (char*: core/listpack.h)   at most set-max-listpack-entries (128) members of at
//                                         most set-max-listpack-value (64) bytes
//   kSetTable (SetTable*)                anything larger
//
// Conversions are Redis 7.2's (t_set.c setTypeAddAux, setTypeCreate) and one way: an intset
// takes a non-integer by becoming a listpack when the result stays within the listpack limits,
// else a table; an intset past its entry limit and a listpack past either limit become a table.
//
// Members are compared by canonical text (core/scalar.h CanonicalString), so a native Int 5 and
// the RESP bytes "5" are one member. A listpack or table keeps the type the member arrived with;
// an intset keeps only the number, so its members read back as Int. Nested values (a List) have
// no text and are not members (the commands refuse them).
//
// Every function that changes a set changes the entry's encoding byte and pointer in place;
// callers measure ContainerBytes before and after for the shard's accounting.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/entry.h"
#include "core/intset.h"
#include "core/listpack.h"
#include "core/object.h"
#include "core/set_table.h"

namespace kv::set {

// A new, empty set container for a set whose first member will be `first` and which should
// hold about `size_hint` members (Redis's setTypeCreate): an intset when `first` is an integer
// and the hint fits one, a listpack when the hint fits one, else a table sized for the hint.
struct Container {
  uint8_t encoding;
  void* ptr;
};
Container New(std::string_view first_text, size_t size_hint);
// Frees a container New made (when it was never stored in an entry).
void Free(Container c);

// A set holding the members of an encoded List (core/value_encoding.h: what a snapshot holds
// for a set), encoded by the current thresholds; nullopt for an empty List (no empty sets).
// Nested elements are skipped: they are never members.
std::optional<Container> FromEncodedList(std::string_view encoded);

size_t Size(const Entry& e);
bool Contains(const Entry& e, std::string_view text);
// Adds `v` (whose canonical text is `text`); false when already a member.
bool Add(Entry* e, const ScalarView& v, std::string_view text);
bool Add(Container* c, const ScalarView& v, std::string_view text);
bool Remove(Entry* e, std::string_view text);
// A random member (uniform for intset and listpack; by bucket for a table, as Redis). The set
// must not be empty; the view dies with the next change to the set.
ScalarView Random(const Entry& e, uint64_t rnd);

// fn(const ScalarView&) for each member, in the encoding's order. Must not change the set.
template <typename Fn>
void ForEach(const Entry& e, Fn&& fn) {
  if (Is(e, Encoding::kIntSet)) {
    const char* is = static_cast<const char*>(e.container());
    const uint32_t n = intset::Count(is);
    for (uint32_t i = 0; i < n; ++i) fn(ScalarView::Int(intset::Get(is, i)));
  } else if (Is(e, Encoding::kSetPack)) {
    const char* lp = static_cast<const char*>(e.container());
    const uint32_t end = listpack::Bytes(lp);
    for (uint32_t off = listpack::First(lp); off < end; off = listpack::Next(lp, off))
      fn(listpack::Get(lp, off));
  } else {
    static_cast<const SetTable*>(e.container())->ForEach(fn);
  }
}

// One SSCAN step: a small set is returned whole (cursor 0 next), as in Redis.
template <typename Fn>
uint64_t Scan(const Entry& e, uint64_t cursor, Fn&& fn) {
  if (Is(e, Encoding::kSetTable))
    return static_cast<const SetTable*>(e.container())->Scan(cursor, fn);
  ForEach(e, fn);
  return 0;
}

}  // namespace kv::set
