// Geo commands on sorted sets (Redis 7.0 geo.c): GEOADD GEOPOS GEODIST GEOHASH. A position is
// the member's score, a 52-bit geohash (core/geohash.h), so a geo set is a sorted set.
//
// GEOADD checks its pairs, turns them into scores and runs ZADD's handler on the rewritten
// arguments, as Redis does: NX / XX / CH and the encodings are ZADD's. The log keeps GEOADD as
// sent; replaying it computes the same scores.
#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "commands/args.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/families.h"
#include "commands/lookup.h"
#include "commands/server_state.h"
#include "commands/zset_family.h"
#include "core/geohash.h"
#include "core/object.h"
#include "core/scalar.h"

namespace kv {
namespace {

// A coordinate as Redis's addReplyHumanLongDouble prints it (core/scalar.h); +-180 at most,
// so the text always fits.
std::string HumanDouble(double v) {
  char buf[64];
  return std::string(buf, FormatLongDouble(v, buf, sizeof buf));
}

// GEOADD key [NX|XX] [CH] longitude latitude member [...]
void CmdGeoAdd(CommandContext& ctx) {
  size_t first = 2;
  bool nx = false, xx = false;
  while (first < ctx.args.size()) {
    const std::string_view opt = ctx.args[first];
    if (EqualsIgnoreCase(opt, "nx")) {
      nx = true;
    } else if (EqualsIgnoreCase(opt, "xx")) {
      xx = true;
    } else if (!EqualsIgnoreCase(opt, "ch")) {
      break;
    }
    ++first;
  }
  const size_t rest = ctx.args.size() - first;
  if (rest == 0 || rest % 3 != 0 || (nx && xx)) {
    ctx.rb->SendError(errors::kSyntax);
    return;
  }
  // ZADD key [options] score member ...: the scores' texts live in `scores`.
  std::vector<std::string> scores;
  scores.reserve(rest / 3);
  for (size_t i = first; i < ctx.args.size(); i += 3) {
    double lon, lat;
    if (!ParseScore(ctx.args[i], &lon) || !ParseScore(ctx.args[i + 1], &lat)) {
      ctx.rb->SendError(errors::kNotFloat);
      return;
    }
    const std::optional<uint64_t> bits = geo::Encode({lon, lat});
    if (!bits) {
      ctx.rb->SendError(fmt::format("ERR invalid longitude,latitude pair {:.6f},{:.6f}", lon, lat));
      return;
    }
    scores.push_back(std::to_string(*bits));
  }
  std::vector<std::string_view> zadd_args;
  zadd_args.reserve(first + 2 * scores.size());
  zadd_args.push_back("zadd");
  for (size_t i = 1; i < first; ++i) zadd_args.push_back(ctx.args[i]);
  for (size_t j = 0; j < scores.size(); ++j) {
    zadd_args.push_back(scores[j]);
    zadd_args.push_back(ctx.args[first + 3 * j + 2]);
  }
  const CommandSpec* zadd = ctx.server->commands.Find("zadd");
  CommandContext sub;
  sub.args = zadd_args;  // no typed arguments: the positions moved, members go as their text
  sub.rb = ctx.rb;
  sub.client = ctx.client;
  sub.server = ctx.server;
  sub.spec = zadd;
  sub.now_ms = ctx.now_ms;
  zadd->handler(sub);
}

// The member's position, or nullopt when the set or the member is missing.
std::optional<geo::LonLat> Position(Entry* e, std::string_view member) {
  if (!e) return std::nullopt;
  const std::optional<double> score = ZSetRef(e).Score(member);
  if (!score) return std::nullopt;
  return geo::Decode(static_cast<uint64_t>(*score));
}

Entry* FindGeo(CommandContext& ctx, bool* wrong) {
  return FindTypedOrReply(ctx, ctx.args[1], ObjType::kZSet, Access::kRead, wrong);
}

// GEOPOS key [member ...]
void CmdGeoPos(CommandContext& ctx) {
  bool wrong;
  Entry* e = FindGeo(ctx, &wrong);
  if (wrong) return;
  ctx.rb->StartArray(static_cast<uint32_t>(ctx.args.size() - 2));
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    const std::optional<geo::LonLat> p = Position(e, ctx.args[i]);
    if (!p) {
      ctx.rb->SendNullArray();
      continue;
    }
    ctx.rb->StartArray(2);
    if (Resp3(ctx)) {
      ctx.rb->SendDouble(p->lon);
      ctx.rb->SendDouble(p->lat);
    } else {
      ctx.rb->SendBulk(HumanDouble(p->lon));
      ctx.rb->SendBulk(HumanDouble(p->lat));
    }
  }
}

// Meters per unit, or nullopt for an unknown unit.
std::optional<double> UnitMeters(std::string_view unit) {
  if (EqualsIgnoreCase(unit, "m")) return 1.0;
  if (EqualsIgnoreCase(unit, "km")) return 1000.0;
  if (EqualsIgnoreCase(unit, "ft")) return 0.3048;
  if (EqualsIgnoreCase(unit, "mi")) return 1609.34;
  return std::nullopt;
}

// GEODIST key member1 member2 [M|KM|FT|MI]
void CmdGeoDist(CommandContext& ctx) {
  double to_meters = 1.0;
  if (ctx.args.size() == 5) {
    const std::optional<double> unit = UnitMeters(ctx.args[4]);
    if (!unit) {
      ctx.rb->SendError("ERR unsupported unit provided. please use M, KM, FT, MI");
      return;
    }
    to_meters = *unit;
  } else if (ctx.args.size() > 5) {
    ctx.rb->SendError(errors::kSyntax);
    return;
  }
  bool wrong;
  Entry* e = FindGeo(ctx, &wrong);
  if (wrong) return;
  const std::optional<geo::LonLat> a = Position(e, ctx.args[2]);
  const std::optional<geo::LonLat> b = a ? Position(e, ctx.args[3]) : std::nullopt;
  if (!a || !b) {
    ctx.rb->SendNull();
    return;
  }
  ctx.rb->SendBulk(fmt::format("{:.4f}", geo::DistanceMeters(*a, *b) / to_meters));
}

// GEOHASH key [member ...]
void CmdGeoHash(CommandContext& ctx) {
  bool wrong;
  Entry* e = FindGeo(ctx, &wrong);
  if (wrong) return;
  ctx.rb->StartArray(static_cast<uint32_t>(ctx.args.size() - 2));
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    const std::optional<double> score =
        e ? ZSetRef(e).Score(ctx.args[i]) : std::optional<double>();
    if (!score) {
      ctx.rb->SendNull();
      continue;
    }
    ctx.rb->SendBulk(geo::StandardHash(static_cast<uint64_t>(*score)));
  }
}

// ------------------------------------------------------------------------------------------
// Searches: GEOSEARCH, GEOSEARCHSTORE and the GEORADIUS family (Redis's georadiusGeneric)
// ------------------------------------------------------------------------------------------

enum SearchFlags : unsigned {
  kByCoords = 1,    // GEORADIUS: center from the arguments
  kByMember = 2,    // GEORADIUSBYMEMBER: center from a member
  kSearch = 4,      // GEOSEARCH: FROM... and BY... options
  kSearchStore = 8, // GEOSEARCHSTORE
  kNoStore = 16,    // the _RO forms
};

struct Shape {
  bool box = false;
  geo::LonLat center{0, 0};
  double radius = 0, width = 0, height = 0;  // in `unit`s
  double unit = 1;                           // meters per unit
};

// "<distance> <unit>" into *value and *unit (Redis's extractDistanceOrReply / UnitOrReply).
bool ParseDistanceOrReply(CommandContext& ctx, std::string_view number, std::string_view unit_text,
                          std::string_view not_numeric, double* value, double* unit) {
  if (!ParseScore(number, value)) {
    ctx.rb->SendError(not_numeric);
    return false;
  }
  if (*value < 0) {
    ctx.rb->SendError("ERR radius cannot be negative");
    return false;
  }
  const std::optional<double> u = UnitMeters(unit_text);
  if (!u) {
    ctx.rb->SendError("ERR unsupported unit provided. please use M, KM, FT, MI");
    return false;
  }
  *unit = *u;
  return true;
}

bool ParseLonLatOrReply(CommandContext& ctx, size_t at, geo::LonLat* out) {
  if (!ParseScore(ctx.args[at], &out->lon) || !ParseScore(ctx.args[at + 1], &out->lat)) {
    ctx.rb->SendError(errors::kNotFloat);
    return false;
  }
  if (!geo::Encode(*out)) {
    ctx.rb->SendError(
        fmt::format("ERR invalid longitude,latitude pair {:.6f},{:.6f}", out->lon, out->lat));
    return false;
  }
  return true;
}

struct Found {
  std::string member;
  double score;
  double dist;  // meters
  geo::LonLat pos;
};

// Every member of the set within the shape, in the set's order. Redis looks in the nine
// geohash cells around the center; scanning the whole set finds the same members (the cells
// cover the shape), at O(n).
std::vector<Found> Within(Entry* e, const Shape& shape, uint64_t stop_after) {
  std::vector<Found> found;
  ZSetRef z(e);
  z.Walk(0, z.size(), false, [&](const ZItem& it) {
    if (stop_after && found.size() >= stop_after) return;
    const geo::LonLat p = geo::Decode(static_cast<uint64_t>(it.score));
    double dist;
    if (shape.box) {
      // Latitude first: the cheaper test (geohashGetDistanceIfInRectangle).
      if (geo::DistanceMeters({0, shape.center.lat}, {0, p.lat}) > shape.height * shape.unit / 2)
        return;
      if (geo::DistanceMeters({p.lon, p.lat}, {shape.center.lon, p.lat}) >
          shape.width * shape.unit / 2)
        return;
      dist = geo::DistanceMeters(shape.center, p);
    } else {
      dist = geo::DistanceMeters(shape.center, p);
      if (dist > shape.radius * shape.unit) return;
    }
    found.push_back({std::string(it.member), it.score, dist, p});
  });
  return found;
}

void Search(CommandContext& ctx, size_t src_index, unsigned flags) {
  bool wrong;
  Entry* e = FindTypedOrReply(ctx, ctx.args[src_index], ObjType::kZSet, Access::kRead, &wrong);
  if (wrong) return;
  Shape shape;
  size_t base;
  std::string_view store_key;
  bool storedist = false;
  if (flags & kByCoords) {
    base = 6;
    if (!ParseLonLatOrReply(ctx, 2, &shape.center) ||
        !ParseDistanceOrReply(ctx, ctx.args[4], ctx.args[5], "ERR need numeric radius",
                              &shape.radius, &shape.unit))
      return;
  } else if (flags & kByMember) {
    base = 5;
    if (e) {  // with no set, Redis reads the options and answers the empty reply
      const std::optional<geo::LonLat> p = Position(e, ctx.args[2]);
      if (!p) {
        ctx.rb->SendError("ERR could not decode requested zset member");
        return;
      }
      shape.center = *p;
      if (!ParseDistanceOrReply(ctx, ctx.args[3], ctx.args[4], "ERR need numeric radius",
                                &shape.radius, &shape.unit))
        return;
    }
  } else {
    base = 2;
    if (flags & kSearchStore) {
      base = 3;
      store_key = ctx.args[1];
    }
  }

  bool withdist = false, withhash = false, withcoord = false, any = false;
  bool frommember = false, fromloc = false, byradius = false, bybox = false;
  int sort = 0;  // 1 ascending, -1 descending
  int64_t count = 0;
  const size_t n = ctx.args.size();
  for (size_t i = base; i < n; ++i) {
    const std::string_view arg = ctx.args[i];
    const size_t left = n - i - 1;  // arguments after this one
    if (EqualsIgnoreCase(arg, "withdist")) {
      withdist = true;
    } else if (EqualsIgnoreCase(arg, "withhash")) {
      withhash = true;
    } else if (EqualsIgnoreCase(arg, "withcoord")) {
      withcoord = true;
    } else if (EqualsIgnoreCase(arg, "any")) {
      any = true;
    } else if (EqualsIgnoreCase(arg, "asc")) {
      sort = 1;
    } else if (EqualsIgnoreCase(arg, "desc")) {
      sort = -1;
    } else if (EqualsIgnoreCase(arg, "count") && left >= 1) {
      if (!ParseIntOrReply(ctx, ctx.args[++i], &count)) return;
      if (count <= 0) {
        ctx.rb->SendError("ERR COUNT must be > 0");
        return;
      }
    } else if ((EqualsIgnoreCase(arg, "store") || EqualsIgnoreCase(arg, "storedist")) &&
               left >= 1 && !(flags & (kNoStore | kSearch))) {
      storedist = EqualsIgnoreCase(arg, "storedist");
      store_key = ctx.args[++i];
    } else if (EqualsIgnoreCase(arg, "storedist") && (flags & kSearchStore)) {
      storedist = true;
    } else if (EqualsIgnoreCase(arg, "frommember") && left >= 1 && (flags & kSearch) &&
               !fromloc) {
      frommember = true;
      ++i;
      if (!e) continue;
      const std::optional<geo::LonLat> p = Position(e, ctx.args[i]);
      if (!p) {
        ctx.rb->SendError("ERR could not decode requested zset member");
        return;
      }
      shape.center = *p;
    } else if (EqualsIgnoreCase(arg, "fromlonlat") && left >= 2 && (flags & kSearch) &&
               !frommember) {
      if (!ParseLonLatOrReply(ctx, i + 1, &shape.center)) return;
      fromloc = true;
      i += 2;
    } else if (EqualsIgnoreCase(arg, "byradius") && left >= 2 && (flags & kSearch) && !bybox) {
      if (!ParseDistanceOrReply(ctx, ctx.args[i + 1], ctx.args[i + 2], "ERR need numeric radius",
                                &shape.radius, &shape.unit))
        return;
      byradius = true;
      i += 2;
    } else if (EqualsIgnoreCase(arg, "bybox") && left >= 3 && (flags & kSearch) && !byradius) {
      double unit_unused;
      if (!ParseDistanceOrReply(ctx, ctx.args[i + 1], ctx.args[i + 3], "ERR need numeric width",
                                &shape.width, &shape.unit) ||
          !ParseDistanceOrReply(ctx, ctx.args[i + 2], ctx.args[i + 3], "ERR need numeric height",
                                &shape.height, &unit_unused))
        return;
      shape.box = true;
      bybox = true;
      i += 3;
    } else {
      ctx.rb->SendError(errors::kSyntax);
      return;
    }
  }
  if (!store_key.empty() && (withdist || withhash || withcoord)) {
    ctx.rb->SendError(fmt::format(
        "ERR {} is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
        (flags & kSearchStore) ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS"));
    return;
  }
  if ((flags & kSearch) && !(frommember || fromloc)) {
    ctx.rb->SendError(fmt::format("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {}",
                                  ctx.args[0]));
    return;
  }
  if ((flags & kSearch) && !(byradius || bybox)) {
    ctx.rb->SendError(fmt::format("ERR exactly one of BYRADIUS and BYBOX can be specified for {}",
                                  ctx.args[0]));
    return;
  }
  if (any && count == 0) {
    ctx.rb->SendError("ERR the ANY argument requires COUNT argument");
    return;
  }
  const bool store = !store_key.empty();
  if (!e) {
    if (store) {
      StoreItems(ctx, store_key, {});
      ctx.rb->SendLong(0);
    } else {
      ctx.rb->StartArray(0);
    }
    return;
  }
  // COUNT means the nearest ones, unless ANY: Redis sorts ascending then.
  if (count != 0 && sort == 0 && !any) sort = 1;

  std::vector<Found> found = Within(e, shape, any ? static_cast<uint64_t>(count) : 0);
  const size_t returned = count == 0 ? found.size()
                                     : std::min(found.size(), static_cast<size_t>(count));
  if (sort != 0) {
    auto nearer = [sort](const Found& a, const Found& b) {
      return sort > 0 ? a.dist < b.dist : a.dist > b.dist;
    };
    std::stable_sort(found.begin(), found.end(), nearer);
  }
  found.resize(returned);

  if (store) {
    std::vector<OwnedItem> items;
    items.reserve(found.size());
    for (Found& f : found)
      items.push_back({std::move(f.member), storedist ? f.dist / shape.unit : f.score});
    ctx.rb->SendLong(static_cast<int64_t>(StoreItems(ctx, store_key, items)));
    return;
  }
  const uint32_t extras = (withdist ? 1 : 0) + (withhash ? 1 : 0) + (withcoord ? 1 : 0);
  ctx.rb->StartArray(static_cast<uint32_t>(found.size()));
  for (const Found& f : found) {
    if (extras) ctx.rb->StartArray(extras + 1);
    ctx.rb->SendBulk(f.member);
    if (withdist) ctx.rb->SendBulk(fmt::format("{:.4f}", f.dist / shape.unit));
    if (withhash) ctx.rb->SendLong(static_cast<int64_t>(f.score));
    if (withcoord) {
      ctx.rb->StartArray(2);
      if (Resp3(ctx)) {
        ctx.rb->SendDouble(f.pos.lon);
        ctx.rb->SendDouble(f.pos.lat);
      } else {
        ctx.rb->SendBulk(HumanDouble(f.pos.lon));
        ctx.rb->SendBulk(HumanDouble(f.pos.lat));
      }
    }
  }
}

void CmdGeoSearch(CommandContext& ctx) { Search(ctx, 1, kSearch); }
void CmdGeoSearchStore(CommandContext& ctx) { Search(ctx, 2, kSearch | kSearchStore); }
void CmdGeoRadius(CommandContext& ctx) { Search(ctx, 1, kByCoords); }
void CmdGeoRadiusRo(CommandContext& ctx) { Search(ctx, 1, kByCoords | kNoStore); }
void CmdGeoRadiusByMember(CommandContext& ctx) { Search(ctx, 1, kByMember); }
void CmdGeoRadiusByMemberRo(CommandContext& ctx) { Search(ctx, 1, kByMember | kNoStore); }

// GEORADIUS[BYMEMBER]'s keys: the set and the last STORE / STOREDIST destination.
void RadiusKeys(std::span<const std::string_view> args, std::vector<size_t>* out) {
  if (args.size() < 2) return;
  out->push_back(1);
  size_t store = 0;
  for (size_t i = 2; i + 1 < args.size(); ++i)
    if (EqualsIgnoreCase(args[i], "store") || EqualsIgnoreCase(args[i], "storedist"))
      store = ++i;
  if (store) out->push_back(store);
}

}  // namespace

void RegisterGeoFamily(CommandTable& t) {
  t.Register(MakeSpec("geoadd", -5, kCmdWrite | kCmdDenyOom, kOneKey, CmdGeoAdd, "geo", "3.2.0",
                      "Add one or more geospatial items in the geospatial index represented using "
                      "a sorted set",
                      "key [NX|XX] [CH] longitude latitude member [longitude latitude member ...]"));
  t.Register(MakeSpec("geopos", -2, kCmdReadonly, kOneKey, CmdGeoPos, "geo", "3.2.0",
                      "Returns longitude and latitude of members of a geospatial index",
                      "key [member [member ...]]"));
  t.Register(MakeSpec("geodist", -4, kCmdReadonly, kOneKey, CmdGeoDist, "geo", "3.2.0",
                      "Returns the distance between two members of a geospatial index",
                      "key member1 member2 [M|KM|FT|MI]"));
  t.Register(MakeSpec("geohash", -2, kCmdReadonly, kOneKey, CmdGeoHash, "geo", "3.2.0",
                      "Returns members of a geospatial index as standard geohash strings",
                      "key [member [member ...]]"));
  CommandSpec search_store = MakeSpec(
      "geosearchstore", -8, kCmdWrite | kCmdDenyOom, kTwoKeys, CmdGeoSearchStore, "geo", "6.2.0",
      "Query a sorted set representing a geospatial index to fetch members inside an area of a "
      "box or a circle, and store the result in another key",
      "destination source FROMMEMBER member|FROMLONLAT longitude latitude BYRADIUS radius "
      "M|KM|FT|MI|BYBOX width height M|KM|FT|MI [ASC|DESC] [COUNT count [ANY]] [STOREDIST]");
  search_store.read_keys_from = 2;
  t.Register(std::move(search_store));
  t.Register(MakeSpec("geosearch", -7, kCmdReadonly, kOneKey, CmdGeoSearch, "geo", "6.2.0",
                      "Query a sorted set representing a geospatial index to fetch members inside "
                      "an area of a box or a circle",
                      "key FROMMEMBER member|FROMLONLAT longitude latitude BYRADIUS radius "
                      "M|KM|FT|MI|BYBOX width height M|KM|FT|MI [ASC|DESC] [COUNT count [ANY]] "
                      "[WITHCOORD] [WITHDIST] [WITHHASH]"));
  constexpr std::string_view kRadiusOpts =
      " [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC|DESC]";
  constexpr std::string_view kStoreOpts = " [STORE key] [STOREDIST key]";
  struct Radius {
    const char* name;
    int arity;
    bool ro;
    CommandHandler handler;
    const char* summary;
    const char* syntax;
  };
  const Radius radius[] = {
      {"georadius", -6, false, CmdGeoRadius,
       "Query a sorted set representing a geospatial index to fetch members matching a given "
       "maximum distance from a point",
       "key longitude latitude radius M|KM|FT|MI"},
      {"georadius_ro", -6, true, CmdGeoRadiusRo,
       "A read-only variant for GEORADIUS", "key longitude latitude radius M|KM|FT|MI"},
      {"georadiusbymember", -5, false, CmdGeoRadiusByMember,
       "Query a sorted set representing a geospatial index to fetch members matching a given "
       "maximum distance from a member",
       "key member radius M|KM|FT|MI"},
      {"georadiusbymember_ro", -5, true, CmdGeoRadiusByMemberRo,
       "A read-only variant for GEORADIUSBYMEMBER", "key member radius M|KM|FT|MI"},
  };
  for (const Radius& r : radius) {
    std::string syntax = std::string(r.syntax) + std::string(kRadiusOpts);
    if (!r.ro) syntax += kStoreOpts;
    CommandSpec spec = MakeSpec(r.name, r.arity,
                                r.ro ? kCmdReadonly : (kCmdWrite | kCmdDenyOom),
                                r.ro ? kOneKey : kNoKeys, r.handler, "geo", "3.2.0", r.summary,
                                syntax);
    if (!r.ro) spec.find_keys = RadiusKeys;
    t.Register(std::move(spec));
  }
}

}  // namespace kv
