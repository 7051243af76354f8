// Geo commands: GEOADD GEOPOS GEODIST GEOHASH, GEOSEARCH GEOSEARCHSTORE and the older
// GEORADIUS GEORADIUSBYMEMBER (with STORE / STOREDIST) and their _RO forms, as Redis 7.0's geo.c.
//
// A geo set is a sorted set whose scores are 52-bit geohashes (core/geohash.h), so every
// sorted-set command works on it too. A search scans the score ranges of the 9 geohash boxes
// that cover the shape, in Redis's order (centre, N, S, E, W, NE, NW, SE, SW), keeps the points
// inside the shape and sorts them as Redis does: a stable merge sort (glibc's qsort) for a full
// sort, Redis's partial quicksort (pqsort) when COUNT cuts the result, so equal distances come
// out in the same order as from redis-server.

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commands/args.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/families.h"
#include "commands/lookup.h"
#include "commands/zset_family.h"
#include "core/geohash.h"
#include "core/object.h"
#include "core/shard.h"

namespace kv {

namespace {

constexpr std::string_view kBadMember = "ERR could not decode requested zset member";
constexpr std::string_view kBadUnit = "ERR unsupported unit provided. please use M, KM, FT, MI";

// The meters in one `unit`, or false with the error replied.
bool UnitOrReply(CommandContext& ctx, std::string_view unit, double* to_meters) {
  if (EqualsIgnoreCase(unit, "m")) {
    *to_meters = 1;
  } else if (EqualsIgnoreCase(unit, "km")) {
    *to_meters = 1000;
  } else if (EqualsIgnoreCase(unit, "ft")) {
    *to_meters = 0.3048;
  } else if (EqualsIgnoreCase(unit, "mi")) {
    *to_meters = 1609.34;
  } else {
    ctx.rb->SendError(kBadUnit);
    return false;
  }
  return true;
}

bool DoubleOrReply(CommandContext& ctx, std::string_view s, std::string_view msg, double* out) {
  if (ParseScore(s, out)) return true;
  ctx.rb->SendError(msg);
  return false;
}

// args[pos], args[pos + 1]: longitude and latitude within the geohash limits.
bool LonLatOrReply(CommandContext& ctx, size_t pos, double* lon, double* lat) {
  if (!DoubleOrReply(ctx, ctx.args[pos], errors::kNotFloat, lon) ||
      !DoubleOrReply(ctx, ctx.args[pos + 1], errors::kNotFloat, lat))
    return false;
  if (!geo::ValidLonLat(*lon, *lat)) {
    // %f of the values as given: "inf", or every digit of 1e300.
    const int n = std::snprintf(nullptr, 0, "ERR invalid longitude,latitude pair %f,%f", *lon, *lat);
    std::string msg(static_cast<size_t>(n) + 1, '\0');
    std::snprintf(msg.data(), msg.size(), "ERR invalid longitude,latitude pair %f,%f", *lon, *lat);
    msg.pop_back();
    ctx.rb->SendError(msg);
    return false;
  }
  return true;
}

// "radius unit" at args[pos].
bool RadiusOrReply(CommandContext& ctx, size_t pos, geo::Shape* shape) {
  double r;
  if (!DoubleOrReply(ctx, ctx.args[pos], "ERR need numeric radius", &r)) return false;
  if (r < 0) {
    ctx.rb->SendError("ERR radius cannot be negative");
    return false;
  }
  shape->radius = r;
  return UnitOrReply(ctx, ctx.args[pos + 1], &shape->to_meters);
}

// "width height unit" at args[pos].
bool BoxOrReply(CommandContext& ctx, size_t pos, geo::Shape* shape) {
  double w, h;
  if (!DoubleOrReply(ctx, ctx.args[pos], "ERR need numeric width", &w) ||
      !DoubleOrReply(ctx, ctx.args[pos + 1], "ERR need numeric height", &h))
    return false;
  if (h < 0 || w < 0) {
    ctx.rb->SendError("ERR height or width cannot be negative");
    return false;
  }
  shape->width = w;
  shape->height = h;
  return UnitOrReply(ctx, ctx.args[pos + 2], &shape->to_meters);
}

// ------------------------------------------------------------------------------------------
// GEOADD
// ------------------------------------------------------------------------------------------

// GEOADD key [NX|XX] [CH] longitude latitude member [...]: ZADD with the positions' scores, its
// options parsed as Redis's geoaddCommand does before handing over to ZADD.
void CmdGeoAdd(CommandContext& ctx) {
  ZAddFlags f;
  bool ch = false;
  size_t idx = 2;
  for (; idx < ctx.args.size(); ++idx) {
    const std::string_view opt = ctx.args[idx];
    if (EqualsIgnoreCase(opt, "nx")) {
      f.nx = true;
    } else if (EqualsIgnoreCase(opt, "xx")) {
      f.xx = true;
    } else if (EqualsIgnoreCase(opt, "ch")) {
      ch = true;
    } else {
      break;
    }
  }
  const size_t rest = ctx.args.size() - idx;
  if (rest % 3 != 0 || (f.nx && f.xx)) {
    ctx.rb->SendError(errors::kSyntax);
    return;
  }
  const size_t elements = rest / 3;
  std::vector<double> scores(elements);
  std::vector<std::string> members(elements);
  for (size_t i = 0; i < elements; ++i) {
    double lon, lat;
    if (!LonLatOrReply(ctx, idx + 3 * i, &lon, &lat)) return;
    scores[i] = geo::EncodeScore(lon, lat);
    char buf[kScalarBufSize];
    members[i] = MemberArg(ctx, idx + 3 * i + 2, buf);
  }
  if (elements == 0) {  // only options: ZADD's own check
    ctx.rb->SendError(errors::kSyntax);
    return;
  }
  ZAddCounts c;
  if (!ZAddApply(ctx, ctx.args[1], f, scores, members, &c)) return;
  ctx.rb->SendLong(ch ? c.added + c.updated : c.added);
}

// ------------------------------------------------------------------------------------------
// GEOPOS GEOHASH GEODIST
// ------------------------------------------------------------------------------------------

// The sorted set at args[1] for a read, or nullptr when missing; *wrong after WRONGTYPE.
Entry* ReadGeoSet(CommandContext& ctx, bool* wrong) {
  return FindTypedOrReply(ctx, ctx.args[1], ObjType::kZSet, Access::kRead, wrong);
}

std::optional<double> ScoreOf(CommandContext& ctx, Entry* e, size_t pos) {
  if (!e) return std::nullopt;
  char buf[kScalarBufSize];
  return ZSetRef(e).Score(MemberArg(ctx, pos, buf));
}

void SendCoord(CommandContext& ctx, double v) { ctx.rb->SendDoubleText(v, geo::CoordText(v)); }

void CmdGeoPos(CommandContext& ctx) {
  bool wrong;
  Entry* e = ReadGeoSet(ctx, &wrong);
  if (wrong) return;
  ctx.rb->StartArray(static_cast<uint32_t>(ctx.args.size() - 2));
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    const std::optional<double> score = ScoreOf(ctx, e, i);
    if (!score) {
      ctx.rb->SendNullArray();
      continue;
    }
    double lon, lat;
    geo::DecodeScore(*score, &lon, &lat);
    ctx.rb->StartArray(2);
    SendCoord(ctx, lon);
    SendCoord(ctx, lat);
  }
}

void CmdGeoHash(CommandContext& ctx) {
  bool wrong;
  Entry* e = ReadGeoSet(ctx, &wrong);
  if (wrong) return;
  ctx.rb->StartArray(static_cast<uint32_t>(ctx.args.size() - 2));
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    const std::optional<double> score = ScoreOf(ctx, e, i);
    if (score) {
      ctx.rb->SendBulk(geo::HashString(*score));
    } else {
      ctx.rb->SendNull();
    }
  }
}

// GEODIST key member1 member2 [unit]
void CmdGeoDist(CommandContext& ctx) {
  double to_meters = 1;
  if (ctx.args.size() == 5) {
    if (!UnitOrReply(ctx, ctx.args[4], &to_meters)) return;
  } else if (ctx.args.size() > 5) {
    ctx.rb->SendError(errors::kSyntax);
    return;
  }
  bool wrong;
  Entry* e = ReadGeoSet(ctx, &wrong);
  if (wrong) return;
  const std::optional<double> s1 = ScoreOf(ctx, e, 2);
  const std::optional<double> s2 = s1 ? ScoreOf(ctx, e, 3) : std::nullopt;
  if (!s1 || !s2) {
    ctx.rb->SendNull();
    return;
  }
  double lon1, lat1, lon2, lat2;
  geo::DecodeScore(*s1, &lon1, &lat1);
  geo::DecodeScore(*s2, &lon2, &lat2);
  ctx.rb->SendBulk(geo::DistanceText(geo::Distance(lon1, lat1, lon2, lat2) / to_meters));
}

// ------------------------------------------------------------------------------------------
// Searches
// ------------------------------------------------------------------------------------------

struct GeoPoint {
  double lon, lat, dist, score;
  std::string member;
};

// Appends the members whose score lies in the box's range and whose position is in the shape;
// stops once `limit` (0: none) points are found, counting those of earlier boxes.
void PointsInBox(const ZSetRef& z, geo::HashBits box, const geo::Shape& shape, size_t limit,
                 std::vector<GeoPoint>* out) {
  const auto min = static_cast<double>(geo::Align52(box));
  const auto max = static_cast<double>(geo::Align52({box.bits + 1, box.step}));
  const uint64_t size = z.size();
  uint64_t rank = z.CountBefore({ZBound::kScoreLess, min, {}});
  if (rank >= size) return;
  ZSetRef::Cursor c = z.Seek(rank);
  for (;;) {
    const ZItem it = z.Get(c);
    if (!(it.score < max)) break;
    double lon, lat, dist;
    geo::DecodeScore(it.score, &lon, &lat);
    if (geo::InShape(shape, lon, lat, &dist))
      out->push_back({lon, lat, dist, it.score, std::string(it.member)});
    if (limit && out->size() >= limit) break;
    if (++rank >= size) break;
    z.Next(&c);
  }
}

void PointsInArea(const ZSetRef& z, const geo::SearchArea& area, const geo::Shape& shape,
                  size_t limit, std::vector<GeoPoint>* out) {
  const geo::Neighbors& n = area.neighbors;
  const geo::HashBits boxes[9] = {area.hash,     n.north,      n.south,
                                  n.east,        n.west,       n.north_east,
                                  n.north_west,  n.south_east, n.south_west};
  // A huge radius can make adjacent neighbours the same box: one that repeats the box scanned
  // just before is skipped. (Redis's check never compares with the centre box, index 0.)
  size_t last = 0;
  for (size_t i = 0; i < 9; ++i) {
    if (boxes[i].zero()) continue;
    if (last && boxes[i] == boxes[last]) continue;
    if (limit && out->size() >= limit) break;
    PointsInBox(z, boxes[i], shape, limit, out);
    last = i;
  }
}

// Sorting by distance. Redis compares with an int comparator (1 / 0 / -1 by >, ==), which a
// NaN distance makes inconsistent; both sorts below follow their C originals step by step, so
// even then the order is redis-server's.
using Cmp = int (*)(const GeoPoint&, const GeoPoint&);

int Ascending(const GeoPoint& a, const GeoPoint& b) {
  if (a.dist > b.dist) return 1;
  if (a.dist == b.dist) return 0;
  return -1;
}
int Descending(const GeoPoint& a, const GeoPoint& b) { return -Ascending(a, b); }

// glibc's qsort, a top-down merge sort taking from the left run unless it compares greater.
void MergeSort(uint32_t* v, size_t n, uint32_t* tmp, const std::vector<GeoPoint>& pts, Cmp cmp) {
  if (n <= 1) return;
  const size_t n1 = n / 2, n2 = n - n1;
  MergeSort(v, n1, tmp, pts, cmp);
  MergeSort(v + n1, n2, tmp, pts, cmp);
  size_t i = 0, j = n1, k = 0;
  while (i < n1 && j < n) tmp[k++] = cmp(pts[v[i]], pts[v[j]]) <= 0 ? v[i++] : v[j++];
  while (i < n1) tmp[k++] = v[i++];
  std::copy(tmp, tmp + k, v);
}

// Redis's pqsort: Bentley & McIlroy's quicksort that only recurses into the parts overlapping
// the ranks [lo, hi] wanted in order.
class PartialSort {
 public:
  PartialSort(uint32_t* base, const std::vector<GeoPoint>& pts, Cmp cmp, size_t lo, size_t hi)
      : pts_(pts), cmp_(cmp), lo_(base + lo), hi_(base + hi) {}
  void Sort(uint32_t* a, size_t n) {
    for (;;) {
      if (n < 7) {
        for (uint32_t* pm = a + 1; pm < a + n; ++pm)
          for (uint32_t* pl = pm; pl > a && C(pl - 1, pl) > 0; --pl) std::swap(*pl, *(pl - 1));
        return;
      }
      uint32_t* pm = a + n / 2;
      if (n > 7) {
        uint32_t* pl = a;
        uint32_t* pn = a + n - 1;
        if (n > 40) {
          const size_t d = n / 8;
          pl = Med3(pl, pl + d, pl + 2 * d);
          pm = Med3(pm - d, pm, pm + d);
          pn = Med3(pn - 2 * d, pn - d, pn);
        }
        pm = Med3(pl, pm, pn);
      }
      std::swap(*a, *pm);
      uint32_t *pa = a + 1, *pb = a + 1;
      uint32_t *pc = a + n - 1, *pd = a + n - 1;
      for (;;) {
        int r;
        while (pb <= pc && (r = C(pb, a)) <= 0) {
          if (r == 0) std::swap(*pa++, *pb);
          ++pb;
        }
        while (pb <= pc && (r = C(pc, a)) >= 0) {
          if (r == 0) std::swap(*pc, *pd--);
          --pc;
        }
        if (pb > pc) break;
        std::swap(*pb++, *pc--);
      }
      uint32_t* pn = a + n;
      size_t r = static_cast<size_t>(std::min(pa - a, pb - pa));
      std::swap_ranges(a, a + r, pb - r);
      r = static_cast<size_t>(std::min(pd - pc, pn - pd - 1));
      std::swap_ranges(pb, pb + r, pn - r);
      if ((r = static_cast<size_t>(pb - pa)) > 1 && Wanted(a, r)) Sort(a, r);
      if ((r = static_cast<size_t>(pd - pc)) <= 1) return;
      a = pn - r;
      n = r;
      if (!Wanted(a, n)) return;
    }
  }

 private:
  int C(const uint32_t* x, const uint32_t* y) const { return cmp_(pts_[*x], pts_[*y]); }
  uint32_t* Med3(uint32_t* a, uint32_t* b, uint32_t* c) const {
    return C(a, b) < 0 ? (C(b, c) < 0 ? b : (C(a, c) < 0 ? c : a))
                       : (C(b, c) > 0 ? b : (C(a, c) < 0 ? a : c));
  }
  // Whether [a, a + n) holds any of the wanted ranks (both ends outside, on one side: no).
  bool Wanted(const uint32_t* a, size_t n) const {
    return !((lo_ < a && hi_ < a) || (lo_ >= a + n && hi_ >= a + n));
  }
  const std::vector<GeoPoint>& pts_;
  Cmp cmp_;
  const uint32_t* lo_;
  const uint32_t* hi_;
};

enum SearchFlags : unsigned {
  kFromCoords = 1,   // GEORADIUS: key lon lat radius unit
  kFromMember = 2,   // GEORADIUSBYMEMBER: key member radius unit
  kNoStore = 4,      // the _RO forms
  kSearch = 8,       // GEOSEARCH syntax
  kSearchStore = 16  // GEOSEARCHSTORE dst src ...
};

enum class Sort { kNone, kAsc, kDesc };

// The keyspace event of a stored result: GEORADIUS[BYMEMBER] ... STORE or GEOSEARCHSTORE.
std::string_view StoreEvent(unsigned flags) {
  return (flags & kSearchStore) ? "geosearchstore" : "georadiusstore";
}

void SearchGeneric(CommandContext& ctx, size_t src_idx, unsigned flags) {
  bool wrong;
  Entry* e = FindTypedOrReply(ctx, ctx.args[src_idx], ObjType::kZSet, Access::kRead, &wrong);
  if (wrong) return;
  std::optional<ZSetRef> z;
  if (e) z.emplace(e);
  auto member_pos = [&](size_t pos, geo::Shape* shape) {
    char buf[kScalarBufSize];
    const std::optional<double> s = z->Score(MemberArg(ctx, pos, buf));
    if (!s) {
      ctx.rb->SendError(kBadMember);
      return false;
    }
    geo::DecodeScore(*s, &shape->lon, &shape->lat);
    return true;
  };

  geo::Shape shape;
  size_t base = 0;
  bool has_store = false;
  std::string_view store_key;
  if (flags & kFromCoords) {
    base = 6;
    if (!LonLatOrReply(ctx, 2, &shape.lon, &shape.lat) || !RadiusOrReply(ctx, 4, &shape)) return;
  } else if (flags & kFromMember) {
    base = 5;
    // No set: the arguments are still parsed, for the reply the STORE form needs.
    if (z && (!member_pos(2, &shape) || !RadiusOrReply(ctx, 3, &shape))) return;
  } else {
    base = 2;
    if (flags & kSearchStore) {
      base = 3;
      has_store = true;
      store_key = ctx.args[1];
    }
  }

  bool withdist = false, withhash = false, withcoord = false, any = false, storedist = false;
  bool frommember = false, fromlonlat = false, byradius = false, bybox = false;
  Sort sort = Sort::kNone;
  int64_t count = 0;
  const bool search = flags & kSearch;
  const bool can_store = !(flags & kNoStore) && !search;
  const size_t n = ctx.args.size();
  for (size_t i = base; i < n; ++i) {
    const std::string_view a = ctx.args[i];
    const size_t left = n - i - 1;  // arguments after this one
    if (EqualsIgnoreCase(a, "withdist")) {
      withdist = true;
    } else if (EqualsIgnoreCase(a, "withhash")) {
      withhash = true;
    } else if (EqualsIgnoreCase(a, "withcoord")) {
      withcoord = true;
    } else if (EqualsIgnoreCase(a, "any")) {
      any = true;
    } else if (EqualsIgnoreCase(a, "asc")) {
      sort = Sort::kAsc;
    } else if (EqualsIgnoreCase(a, "desc")) {
      sort = Sort::kDesc;
    } else if (EqualsIgnoreCase(a, "count") && left >= 1) {
      if (!ParseIntOrReply(ctx, ctx.args[i + 1], &count)) return;
      if (count <= 0) {
        ctx.rb->SendError("ERR COUNT must be > 0");
        return;
      }
      ++i;
    } else if ((EqualsIgnoreCase(a, "store") || EqualsIgnoreCase(a, "storedist")) &&
               left >= 1 && can_store) {
      has_store = true;
      store_key = ctx.args[i + 1];
      storedist = a.size() == 9;
      ++i;
    } else if (EqualsIgnoreCase(a, "storedist") && search && (flags & kSearchStore)) {
      storedist = true;
    } else if (EqualsIgnoreCase(a, "frommember") && left >= 1 && search && !fromlonlat) {
      if (z && !member_pos(i + 1, &shape)) return;
      frommember = true;
      ++i;
    } else if (EqualsIgnoreCase(a, "fromlonlat") && left >= 2 && search && !frommember) {
      if (!LonLatOrReply(ctx, i + 1, &shape.lon, &shape.lat)) return;
      fromlonlat = true;
      i += 2;
    } else if (EqualsIgnoreCase(a, "byradius") && left >= 2 && search && !bybox) {
      if (!RadiusOrReply(ctx, i + 1, &shape)) return;
      shape.kind = geo::Shape::kCircle;
      byradius = true;
      i += 2;
    } else if (EqualsIgnoreCase(a, "bybox") && left >= 3 && search && !byradius) {
      if (!BoxOrReply(ctx, i + 1, &shape)) return;
      shape.kind = geo::Shape::kBox;
      bybox = true;
      i += 3;
    } else {
      ctx.rb->SendError(errors::kSyntax);
      return;
    }
  }

  if (has_store && (withdist || withhash || withcoord)) {
    ctx.rb->SendError(std::string("ERR ") +
                      ((flags & kSearchStore) ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS") +
                      " is not compatible with WITHDIST, WITHHASH and WITHCOORD options");
    return;
  }
  if (search && !frommember && !fromlonlat) {
    ctx.rb->SendError("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for " +
                      std::string(ctx.args[0]));
    return;
  }
  if (search && !byradius && !bybox) {
    ctx.rb->SendError("ERR exactly one of BYRADIUS and BYBOX can be specified for " +
                      std::string(ctx.args[0]));
    return;
  }
  if (any && count == 0) {
    ctx.rb->SendError("ERR the ANY argument requires COUNT argument");
    return;
  }
  if (!z) {
    if (has_store) {
      StoreItems(ctx, store_key, {}, StoreEvent(flags));
      ctx.rb->SendLong(0);
    } else {
      ctx.rb->StartArray(0);
    }
    return;
  }
  // COUNT means the nearest ones, unless ANY asks for the first found.
  if (count != 0 && sort == Sort::kNone && !any) sort = Sort::kAsc;

  std::vector<GeoPoint> points;
  PointsInArea(*z, geo::AreaForShape(shape), shape, any ? static_cast<size_t>(count) : 0,
               &points);
  if (points.empty() && !has_store) {
    ctx.rb->StartArray(0);
    return;
  }
  const size_t found = points.size();
  const size_t returned =
      count == 0 || found < static_cast<uint64_t>(count) ? found : static_cast<size_t>(count);
  std::vector<uint32_t> order(found);
  for (size_t i = 0; i < found; ++i) order[i] = static_cast<uint32_t>(i);
  if (sort != Sort::kNone) {
    const Cmp cmp = sort == Sort::kAsc ? Ascending : Descending;
    if (returned == found) {
      std::vector<uint32_t> tmp(found);
      MergeSort(order.data(), found, tmp.data(), points, cmp);
    } else {
      PartialSort(order.data(), points, cmp, 0, returned - 1).Sort(order.data(), found);
    }
  }

  if (has_store) {
    std::vector<OwnedItem> items;
    items.reserve(returned);
    for (size_t i = 0; i < returned; ++i) {
      GeoPoint& p = points[order[i]];
      items.push_back({std::move(p.member), storedist ? p.dist / shape.to_meters : p.score});
    }
    z.reset();  // the destination may be the source
    StoreItems(ctx, store_key, items, StoreEvent(flags));
    ctx.rb->SendLong(static_cast<int64_t>(returned));
    return;
  }
  const uint32_t options = (withdist ? 1 : 0) + (withhash ? 1 : 0) + (withcoord ? 1 : 0);
  ctx.rb->StartArray(static_cast<uint32_t>(returned));
  for (size_t i = 0; i < returned; ++i) {
    const GeoPoint& p = points[order[i]];
    if (options) ctx.rb->StartArray(options + 1);
    ctx.rb->SendBulk(p.member);
    if (withdist) ctx.rb->SendBulk(geo::DistanceText(p.dist / shape.to_meters));
    if (withhash) ctx.rb->SendLong(static_cast<int64_t>(p.score));
    if (withcoord) {
      ctx.rb->StartArray(2);
      SendCoord(ctx, p.lon);
      SendCoord(ctx, p.lat);
    }
  }
}

void CmdGeoRadius(CommandContext& ctx) { SearchGeneric(ctx, 1, kFromCoords); }
void CmdGeoRadiusByMember(CommandContext& ctx) { SearchGeneric(ctx, 1, kFromMember); }
void CmdGeoRadiusRo(CommandContext& ctx) { SearchGeneric(ctx, 1, kFromCoords | kNoStore); }
void CmdGeoRadiusByMemberRo(CommandContext& ctx) {
  SearchGeneric(ctx, 1, kFromMember | kNoStore);
}
void CmdGeoSearch(CommandContext& ctx) { SearchGeneric(ctx, 1, kSearch); }
void CmdGeoSearchStore(CommandContext& ctx) { SearchGeneric(ctx, 2, kSearch | kSearchStore); }

// GEORADIUS / GEORADIUSBYMEMBER: the source, then the keys Redis 7.0's key specs name (those
// after the first STORE and the first STOREDIST from the first option on), which COMMAND
// GETKEYS lists and ACL checks; then, if it is another one, the key the handler writes: that of
// the last STORE / STOREDIST (Redis's georadiusGetKeys), so its shard is locked too.
void GeoRadiusKeys(std::span<const std::string_view> args, std::vector<size_t>* out) {
  out->clear();
  if (args.size() < 2) return;
  out->push_back(1);
  const size_t from = EqualsIgnoreCase(args[0], "georadiusbymember") ? 5 : 6;
  auto after_first = [&](std::string_view keyword) -> size_t {
    for (size_t i = from; i + 1 < args.size(); ++i)
      if (EqualsIgnoreCase(args[i], keyword)) return i + 1;
    return 0;
  };
  const size_t store = after_first("store");
  const size_t storedist = after_first("storedist");
  if (store) out->push_back(store);
  if (storedist) out->push_back(storedist);
  size_t written = 0;
  for (size_t i = 5; i < args.size(); ++i) {
    if ((EqualsIgnoreCase(args[i], "store") || EqualsIgnoreCase(args[i], "storedist")) &&
        i + 1 < args.size()) {
      written = i + 1;
      ++i;
    }
  }
  if (written && written != store && written != storedist) out->push_back(written);
}

CommandSpec Spec(std::string name, int arity, uint32_t flags, KeyRange keys, CommandHandler h,
                 std::string since, std::string summary, std::string syntax) {
  return MakeSpec(std::move(name), arity, flags, keys, h, "geo", std::move(since),
                  std::move(summary), std::move(syntax));
}

}  // namespace

void RegisterGeoFamily(CommandTable& t) {
  constexpr uint32_t kRead = kCmdReadonly;
  constexpr uint32_t kGrow = kCmdWrite | kCmdDenyOom;
  const std::string radius_opts =
      "[WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC|DESC]";
  const std::string search_from =
      "FROMMEMBER member|FROMLONLAT longitude latitude BYRADIUS radius M|KM|FT|MI|BYBOX width "
      "height M|KM|FT|MI [ASC|DESC] [COUNT count [ANY]]";
  t.Register(Spec("geoadd", -5, kGrow, kOneKey, CmdGeoAdd, "3.2.0",
                  "Add one or more geospatial items in the geospatial index represented using a "
                  "sorted set",
                  "key [NX|XX] [CH] longitude latitude member [longitude latitude member ...]"));
  t.Register(Spec("geodist", -4, kRead, kOneKey, CmdGeoDist, "3.2.0",
                  "Returns the distance between two members of a geospatial index",
                  "key member1 member2 [M|KM|FT|MI]"));
  t.Register(Spec("geohash", -2, kRead, kOneKey, CmdGeoHash, "3.2.0",
                  "Returns members of a geospatial index as standard geohash strings",
                  "key [member [member ...]]"));
  t.Register(Spec("geopos", -2, kRead, kOneKey, CmdGeoPos, "3.2.0",
                  "Returns longitude and latitude of members of a geospatial index",
                  "key [member [member ...]]"));
  // The STORE forms write a key found among the options; the source is only read.
  CommandSpec radius = Spec(
      "georadius", -6, kGrow, kOneKey, CmdGeoRadius, "3.2.0",
      "Query a sorted set representing a geospatial index to fetch members matching a given "
      "maximum distance from a point",
      "key longitude latitude radius M|KM|FT|MI " + radius_opts + " [STORE key] [STOREDIST key]");
  radius.find_keys = GeoRadiusKeys;
  radius.write_keys_from = 2;
  t.Register(std::move(radius));
  CommandSpec by_member = Spec(
      "georadiusbymember", -5, kGrow, kOneKey, CmdGeoRadiusByMember, "3.2.0",
      "Query a sorted set representing a geospatial index to fetch members matching a given "
      "maximum distance from a member",
      "key member radius M|KM|FT|MI " + radius_opts + " [STORE key] [STOREDIST key]");
  by_member.find_keys = GeoRadiusKeys;
  by_member.write_keys_from = 2;
  t.Register(std::move(by_member));
  t.Register(Spec("georadius_ro", -6, kRead, kOneKey, CmdGeoRadiusRo, "3.2.10",
                  "A read-only variant for GEORADIUS",
                  "key longitude latitude radius M|KM|FT|MI " + radius_opts));
  t.Register(Spec("georadiusbymember_ro", -5, kRead, kOneKey, CmdGeoRadiusByMemberRo, "3.2.10",
                  "A read-only variant for GEORADIUSBYMEMBER",
                  "key member radius M|KM|FT|MI " + radius_opts));
  t.Register(Spec("geosearch", -7, kRead, kOneKey, CmdGeoSearch, "6.2.0",
                  "Query a sorted set representing a geospatial index to fetch members inside "
                  "an area of a box or a circle.",
                  "key " + search_from + " [WITHCOORD] [WITHDIST] [WITHHASH]"));
  CommandSpec store = Spec("geosearchstore", -8, kGrow, KeyRange{1, 2, 1}, CmdGeoSearchStore,
                           "6.2.0",
                           "Query a sorted set representing a geospatial index to fetch members "
                           "inside an area of a box or a circle, and store the result in another "
                           "key.",
                           "destination source " + search_from + " [STOREDIST]");
  store.read_keys_from = 2;
  t.Register(std::move(store));
}

}  // namespace kv
