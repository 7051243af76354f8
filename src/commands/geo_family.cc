// Geo commands on sorted sets (Redis 7.0 geo.c): GEOADD GEOPOS GEODIST GEOHASH. A position is
// the member's score, a 52-bit geohash (core/geohash.h), so a geo set is a sorted set.
//
// GEOADD checks its pairs, turns them into scores and runs ZADD's handler on the rewritten
// arguments, as Redis does: NX / XX / CH and the encodings are ZADD's. The log keeps GEOADD as
// sent; replaying it computes the same scores.
#include <cmath>
#include <cstdio>
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

namespace kv {
namespace {

// A long double as Redis's ld2string(LD_STR_HUMAN): 17 decimals, trailing zeros dropped.
std::string HumanDouble(double v) {
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%.17Lf", static_cast<long double>(v));
  std::string s(buf, static_cast<size_t>(n));
  if (s.find('.') != std::string::npos) {
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
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
}

}  // namespace kv
