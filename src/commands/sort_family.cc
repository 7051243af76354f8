// SORT and SORT_RO over lists, sets and sorted sets, with Redis 7.0's options, replies and
// errors (sort.c): numeric or ALPHA order, ASC/DESC, LIMIT, BY and GET patterns reading other
// keys (strings, or hash fields with "->"), BY nosort, and SORT's STORE into a list.
//
// Elements are copied out of the source first, so STORE may overwrite the key being sorted and
// a pattern may name it. Comparisons are by canonical text, byte by byte; an ALPHA reply
// compares C strings (up to a NUL), as Redis's strcoll does in the C and C.UTF-8 locales.
//
// Keys named by BY and GET patterns are not declared keys: sort::ReadsPatternKeys tells the
// dispatcher (CommandSpec::locks_all_shards) to hold every shard of the namespace for such a
// SORT, so the patterns read a consistent keyspace.

#include "commands/sort_family.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commands/args.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/families.h"
#include "commands/lookup.h"
#include "core/hash.h"
#include "core/list.h"
#include "core/object.h"
#include "core/set.h"
#include "core/shard.h"
#include "core/zset.h"

namespace kv {

namespace sort {

Window LimitWindow(int64_t offset, int64_t count, int64_t len) {
  const int64_t start = std::min(std::max<int64_t>(offset, 0), len);
  count = std::min(std::max<int64_t>(count, -1), len);
  int64_t end = count < 0 ? len : start + count - 1;
  if (start >= len) return {len - 1, len - 2};
  if (end >= len) end = len - 1;
  return {start, end};
}

namespace {
// The pattern as C code reads it: up to its first NUL.
std::string_view CString(std::string_view s) { return s.substr(0, s.find('\0')); }
}  // namespace

bool IsSelfPattern(std::string_view pattern) { return CString(pattern) == "#"; }

bool PatternSorts(std::string_view pattern) {
  return CString(pattern).find('*') != std::string_view::npos;
}

bool ExpandPattern(std::string_view pattern, std::string_view element, Expanded* out) {
  const std::string_view c = CString(pattern);
  const size_t star = c.find('*');
  if (star == std::string_view::npos) return false;
  const size_t arrow = c.find("->", star + 1);
  out->has_field = arrow != std::string_view::npos && arrow + 2 < c.size();
  out->field = out->has_field ? pattern.substr(arrow + 2) : std::string_view();
  const size_t post_end = out->has_field ? arrow : pattern.size();
  out->key.assign(pattern.substr(0, star));
  out->key.append(element);
  out->key.append(pattern.substr(star + 1, post_end - star - 1));
  return true;
}

bool ParseScore(std::string_view text, double* out) {
  const std::string copy(text);
  errno = 0;
  char* end = nullptr;
  *out = std::strtod(copy.c_str(), &end);
  return *end == '\0' && errno != ERANGE && !std::isnan(*out);
}

bool ReadsPatternKeys(std::span<const std::string_view> args) {
  for (size_t j = 2; j < args.size(); ++j) {
    const size_t left = args.size() - j - 1;
    if (EqualsIgnoreCase(args[j], "limit") && left >= 2) {
      j += 2;
    } else if (EqualsIgnoreCase(args[j], "store") && left >= 1) {
      ++j;
    } else if (EqualsIgnoreCase(args[j], "by") && left >= 1) {
      if (PatternSorts(args[++j])) return true;
    } else if (EqualsIgnoreCase(args[j], "get") && left >= 1) {
      ++j;
      if (!IsSelfPattern(args[j]) && PatternSorts(args[j])) return true;
    }
  }
  return false;
}

}  // namespace sort

namespace {

constexpr std::string_view kNotDouble = "ERR One or more scores can't be converted into double";

// A value copied out of the keyspace: an element to sort, or what a GET pattern found.
struct Owned {
  ScalarView v;
  std::string text;  // canonical text (empty for a nested value, which has none)
  std::string nested;

  explicit Owned(const ScalarView& from) : v(from) {
    if (IsNested(v.type)) {
      nested.assign(from.bytes);
    } else {
      char buf[kScalarBufSize];
      text.assign(CanonicalString(from, buf));
    }
  }
  ScalarView View() const {
    ScalarView r = v;
    if (IsText(r.type)) r.bytes = text;
    if (IsNested(r.type)) r.bytes = nested;
    return r;
  }
};

struct Item {
  Owned el;
  double score = 0;
  std::optional<std::string> by;  // ALPHA with BY: the value sorted by (missing sorts first)
};

// The numeric sort value of a stored scalar; false when it is not a number to Redis.
bool ScoreOf(const ScalarView& v, double* out) {
  switch (v.type) {
    case ScalarType::kInt:
      *out = static_cast<double>(v.i);
      return true;
    case ScalarType::kFloat:
      *out = v.d;
      return !std::isnan(v.d);
    case ScalarType::kNested:
      return false;
    default: {
      char buf[kScalarBufSize];
      return sort::ParseScore(CanonicalString(v, buf), out);
    }
  }
}

// What `pattern` finds for `element` (lookupKeyByPattern): a string key's value or a hash
// field's; nullopt when the key is missing or of another type. The view lives until the
// keyspace changes.
std::optional<ScalarView> LookupByPattern(CommandContext& ctx, std::string_view pattern,
                                          const Owned& element) {
  if (sort::IsSelfPattern(pattern)) return element.View();
  thread_local sort::Expanded ex;
  if (!sort::ExpandPattern(pattern, element.text, &ex)) return std::nullopt;
  const Entry* e = FindRead(ctx.ShardFor(ex.key), ex.key, ctx.now_ms);
  if (!e) return std::nullopt;
  if (ex.has_field) {
    ScalarView v;
    if (TypeOf(*e) != ObjType::kHash || !HashGet(*e, ex.field, &v)) return std::nullopt;
    return v;
  }
  if (TypeOf(*e) != ObjType::kString) return std::nullopt;
  return e->value();
}

struct Options {
  bool desc = false, alpha = false, dontsort = false;
  int64_t limit_start = 0, limit_count = -1;
  std::optional<std::string_view> by, store;
  std::vector<std::string_view> gets;
};

// Parses the options as sortCommandGeneric does; false once an error is replied.
bool ParseOptions(CommandContext& ctx, bool readonly, Options* o) {
  const auto& args = ctx.args;
  // BY and GET patterns need read access to every key, as Redis's ACL check of the key "*".
  const acl::User* user = ctx.client->user.get();
  const bool full_key_access = !user || user->ReadsAllKeys();
  for (size_t j = 2; j < args.size(); ++j) {
    const size_t left = args.size() - j - 1;
    const std::string_view a = args[j];
    if (EqualsIgnoreCase(a, "asc")) {
      o->desc = false;
    } else if (EqualsIgnoreCase(a, "desc")) {
      o->desc = true;
    } else if (EqualsIgnoreCase(a, "alpha")) {
      o->alpha = true;
    } else if (EqualsIgnoreCase(a, "limit") && left >= 2) {
      if (!ParseIntOrReply(ctx, args[j + 1], &o->limit_start) ||
          !ParseIntOrReply(ctx, args[j + 2], &o->limit_count))
        return false;
      j += 2;
    } else if (!readonly && EqualsIgnoreCase(a, "store") && left >= 1) {
      o->store = args[++j];
    } else if (EqualsIgnoreCase(a, "by") && left >= 1) {
      o->by = args[++j];
      if (!sort::PatternSorts(*o->by)) {
        o->dontsort = true;
      } else if (!full_key_access) {
        ctx.rb->SendError("ERR BY option of SORT denied due to insufficient ACL permissions.");
        return false;
      }
    } else if (EqualsIgnoreCase(a, "get") && left >= 1) {
      if (!full_key_access) {
        ctx.rb->SendError("ERR GET option of SORT denied due to insufficient ACL permissions.");
        return false;
      }
      o->gets.push_back(args[++j]);
    } else {
      ctx.rb->SendError(errors::kSyntax);
      return false;
    }
  }
  return true;
}

// Copies the elements to sort out of `e` (nullptr: a missing key, nothing). With `dontsort`,
// lists and sorted sets give only the window's elements, in stored order (reversed for DESC),
// and *w becomes the window over what was loaded.
std::vector<Item> LoadItems(Entry* e, const Options& o, sort::Window* w) {
  std::vector<Item> items;
  if (!e) return items;
  const ObjType type = TypeOf(*e);
  if (type == ObjType::kList) {
    ListRef list(e);
    const auto len = static_cast<int64_t>(list->size());
    *w = sort::LimitWindow(o.limit_start, o.limit_count, len);
    int64_t first = 0, n = len;
    if (o.dontsort) {
      n = w->size();
      first = o.desc ? len - w->start - 1 : w->start;
      *w = {0, n - 1};
    }
    items.reserve(static_cast<size_t>(n));
    if (n == 0) return items;
    QuickList::Pos p = list->Seek(static_cast<uint64_t>(first));
    for (int64_t i = 0; i < n; ++i) {
      items.push_back({Owned(list->Get(p)), 0, std::nullopt});
      if (i + 1 < n) o.dontsort && o.desc ? list->Prev(&p) : list->Next(&p);
    }
  } else if (type == ObjType::kSet) {
    items.reserve(set::Size(*e));
    set::ForEach(*e, [&](const ScalarView& v) { items.push_back({Owned(v), 0, std::nullopt}); });
    *w = sort::LimitWindow(o.limit_start, o.limit_count, static_cast<int64_t>(items.size()));
  } else {
    ZSetRef z(e);
    const auto len = static_cast<int64_t>(z.size());
    *w = sort::LimitWindow(o.limit_start, o.limit_count, len);
    int64_t first = 0, n = len;
    bool reverse = false;
    if (o.dontsort) {
      n = w->size();
      reverse = o.desc;
      first = o.desc ? len - w->start - 1 : w->start;
      *w = {0, n - 1};
    }
    items.reserve(static_cast<size_t>(n));
    z.Walk(static_cast<uint64_t>(first), static_cast<uint64_t>(n), reverse, [&](const ZItem& it) {
      items.push_back({Owned(ScalarView::Bytes(it.member)), 0, std::nullopt});
    });
  }
  return items;
}

// Fills each item's sort value; false when a numeric value is not a number.
bool LoadSortValues(CommandContext& ctx, const Options& o, std::vector<Item>* items) {
  bool ok = true;
  for (Item& it : *items) {
    std::optional<ScalarView> by;
    if (o.by) {
      by = LookupByPattern(ctx, *o.by, it.el);
      if (!by) continue;  // a missing value sorts as 0, or first with ALPHA
    }
    if (o.alpha) {
      if (by) {
        char buf[kScalarBufSize];
        it.by.emplace(CanonicalString(*by, buf));
      }
    } else if (!ScoreOf(by ? *by : it.el.View(), &it.score)) {
      ok = false;
    }
  }
  return ok;
}

// ALPHA for a reply compares as Redis's strcoll in the C / C.UTF-8 locale: C strings, so a
// NUL ends the text; for STORE whole texts (compareStringObjects).
int CompareAlpha(const Options& o, std::string_view a, std::string_view b) {
  if (o.store) return a.compare(b);
  return a.substr(0, a.find('\0')).compare(b.substr(0, b.find('\0')));
}

// `is_set`: a set's elements come in its table's order, which a snapshot reload may change, so
// ALPHA ties are settled by the bytes (a replayed STORE then stores the same list).
int Compare(const Options& o, bool is_set, const Item& a, const Item& b) {
  if (!o.alpha) {
    if (a.score != b.score) return a.score < b.score ? -1 : 1;
    // Equal scores fall back to the elements' bytes, so the order is deterministic.
    return a.el.text.compare(b.el.text);
  }
  int c;
  if (!o.by) {
    c = CompareAlpha(o, a.el.text, b.el.text);
  } else if (!a.by || !b.by) {
    c = a.by == b.by ? 0 : (a.by ? 1 : -1);
  } else {
    c = CompareAlpha(o, *a.by, *b.by);
  }
  return c != 0 || !is_set ? c : a.el.text.compare(b.el.text);
}

void Store(CommandContext& ctx, std::string_view dst, const std::vector<Owned>& values) {
  Shard& shard = ctx.ShardFor(dst);
  if (values.empty()) {
    if (shard.Erase(dst, ctx.now_ms)) {
      NoteWrite();
      ctx.Notify(keyspace_events::kGeneric, "del", dst);
    }
    return;
  }
  const NewContainer c = NewList();
  Entry* e = shard.SetContainer(dst, c.encoding, c.ptr, kNoExpire);
  ListRef list(e);
  for (const Owned& v : values) list->Push(false, v.View());
  ctx.Notify(keyspace_events::kList, "sortstore", dst);
  shard.ContainerChanged(dst, list.Commit(), false, ctx.now_ms);
}

void SortGeneric(CommandContext& ctx, bool readonly) {
  Options o;
  if (!ParseOptions(ctx, readonly, &o)) return;
  const std::string_view key = ctx.args[1];
  Entry* e = FindRead(ctx.ShardFor(key), key, ctx.now_ms);
  if (e) {
    const ObjType type = TypeOf(*e);
    if (type != ObjType::kList && type != ObjType::kSet && type != ObjType::kZSet) {
      ctx.rb->SendError(errors::kWrongType);
      return;
    }
    // An unordered set sorts when stored, so the stored list does not depend on the encoding.
    if (o.dontsort && type == ObjType::kSet && o.store) {
      o.dontsort = false;
      o.alpha = true;
      o.by.reset();
    }
    // Redis converts a sorted set it sorts for good (OBJECT ENCODING and a later -0 score read
    // so); the contents are the same, so nothing is logged.
    if (Is(*e, Encoding::kZSetPack)) {
      ZSetRef z(e);
      z.ForceTree();
      ctx.ShardFor(key).ContainerReencoded(z.Commit());
    }
  }
  const bool is_set = e && TypeOf(*e) == ObjType::kSet;
  sort::Window w{-1, -2};
  std::vector<Item> items = LoadItems(e, o, &w);
  if (!o.dontsort) {
    if (!LoadSortValues(ctx, o, &items)) {
      ctx.rb->SendError(kNotDouble);
      return;
    }
    // Stable, as glibc's qsort (a merge sort) that Redis calls: ALPHA BY ties keep their order.
    std::stable_sort(items.begin(), items.end(), [&](const Item& a, const Item& b) {
      const int c = Compare(o, is_set, a, b);
      return o.desc ? c > 0 : c < 0;
    });
  }
  const auto first = items.begin() + std::max<int64_t>(w.start, 0);
  const auto last = first + w.size();
  if (!o.store) {
    const size_t per_item = o.gets.empty() ? 1 : o.gets.size();
    ctx.rb->StartArray(static_cast<uint32_t>(static_cast<size_t>(w.size()) * per_item));
    for (auto it = first; it != last; ++it) {
      if (o.gets.empty()) ctx.rb->SendScalar(it->el.View());
      for (std::string_view pattern : o.gets) {
        const std::optional<ScalarView> v = LookupByPattern(ctx, pattern, it->el);
        v ? ctx.rb->SendScalar(*v) : ctx.rb->SendNull();
      }
    }
    return;
  }
  // Copied before the destination is written: a pattern may name the destination.
  std::vector<Owned> out;
  out.reserve(static_cast<size_t>(w.size()) * std::max<size_t>(o.gets.size(), 1));
  for (auto it = first; it != last; ++it) {
    if (o.gets.empty()) out.push_back(it->el);
    for (std::string_view pattern : o.gets) {
      const std::optional<ScalarView> v = LookupByPattern(ctx, pattern, it->el);
      out.emplace_back(v ? *v : ScalarView::Bytes(""));
    }
  }
  Store(ctx, *o.store, out);
  ctx.rb->SendLong(static_cast<int64_t>(out.size()));
}

void CmdSort(CommandContext& ctx) { SortGeneric(ctx, false); }
void CmdSortRo(CommandContext& ctx) { SortGeneric(ctx, true); }

// SORT's keys: the sorted key and the last STORE's destination, found by reading the options
// as ParseOptions does (an option takes its arguments only when they are there), so the key
// the dispatcher locks and ACL checks is the one a call that parses writes. Redis's
// sortGetKeys reads STORE's argument as an option too: for `STORE limit STORE d` it reports
// `limit` while SORT writes `d`.
void SortKeys(std::span<const std::string_view> args, std::vector<size_t>* out) {
  out->clear();
  if (args.size() < 2) return;
  out->push_back(1);
  size_t store = 0;
  for (size_t j = 2; j < args.size(); ++j) {
    const size_t left = args.size() - j - 1;
    if (EqualsIgnoreCase(args[j], "limit") && left >= 2) {
      j += 2;
    } else if (EqualsIgnoreCase(args[j], "store") && left >= 1) {
      store = ++j;
    } else if ((EqualsIgnoreCase(args[j], "by") || EqualsIgnoreCase(args[j], "get")) &&
               left >= 1) {
      ++j;
    }
  }
  if (store) out->push_back(store);
}

void SortRoKeys(std::span<const std::string_view> args, std::vector<size_t>* out) {
  out->clear();
  if (args.size() >= 2) out->push_back(1);
}

}  // namespace

void RegisterSortFamily(CommandTable& t) {
  constexpr uint32_t kCats = acl::kSet | acl::kSortedSet | acl::kList | acl::kDangerous;
  CommandSpec sort = MakeSpec(
      "sort", -2, kCmdWrite | kCmdDenyOom, kOneKey, CmdSort, "generic", "1.0.0",
      "Sort the elements in a list, set or sorted set",
      "key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC|DESC] [ALPHA] "
      "[STORE destination]");
  sort.find_keys = SortKeys;
  sort.locks_all_shards = sort::ReadsPatternKeys;
  sort.write_keys_from = 2;  // the sorted key is only read (Redis's RO key spec)
  sort.acl_categories = kCats;
  t.Register(std::move(sort));
  CommandSpec sort_ro = MakeSpec(
      "sort_ro", -2, kCmdReadonly, kOneKey, CmdSortRo, "generic", "7.0.0",
      "Sort the elements in a list, set or sorted set. Read-only variant of SORT.",
      "key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC|DESC] "
      "[ALPHA]");
  sort_ro.find_keys = SortRoKeys;
  sort_ro.locks_all_shards = sort::ReadsPatternKeys;
  sort_ro.acl_categories = kCats;
  t.Register(std::move(sort_ro));
}

}  // namespace kv
