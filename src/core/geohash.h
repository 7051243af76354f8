// Geohash math of Redis's geo commands (geohash.c, geohash_helper.c): a longitude/latitude
// pair is a 52-bit interleaved integer (26 bits each), stored as a sorted-set score, so geo
// sets are sorted sets and every zset command reads them. Knows nothing of commands.
//
// The same numbers as Redis, bit for bit: the latitude range is Web Mercator's
// (+-85.05112878), decoding returns the centre of the 26-step cell, distances are haversine
// on Redis's Earth radius, and GEOHASH re-encodes with the standard +-90 range.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace kv::geo {

inline constexpr double kLonMin = -180, kLonMax = 180;
inline constexpr double kLatMin = -85.05112878, kLatMax = 85.05112878;
inline constexpr int kStep = 26;

struct LonLat {
  double lon;
  double lat;
};

// The score of a valid pair (lon in [-180, 180], lat in [kLatMin, kLatMax]); nullopt outside.
std::optional<uint64_t> Encode(LonLat p);
// The centre of the cell a score names, clamped to the valid ranges.
LonLat Decode(uint64_t bits);
// Great-circle distance in meters (Redis's geohashGetDistance).
double DistanceMeters(LonLat a, LonLat b);
// The 11-character standard geohash of a stored score (GEOHASH).
std::string StandardHash(uint64_t bits);

}  // namespace kv::geo
