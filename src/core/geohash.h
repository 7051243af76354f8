// Geohash arithmetic for the geo commands, the way Redis 7.0 does it (geohash.c,
// geohash_helper.c), so that scores, decoded coordinates, distances and search results agree
// with redis-server to the last bit.
//
// A position is stored as a sorted-set score: longitude and latitude, each scaled to 26 bits
// over [-180, 180] and [-85.05112878, 85.05112878] (the Web Mercator limits), interleaved into
// a 52-bit integer (latitude in the even bits, longitude in the odd ones), which a double holds
// exactly. A search covers its shape with the geohash box of the centre and its 8 neighbours at
// a precision estimated from the radius, then filters the candidates by true (haversine)
// distance. Nothing here knows about sorted sets or commands.
#pragma once

#include <cstdint>
#include <string>

namespace kv::geo {

inline constexpr double kLonMin = -180;
inline constexpr double kLonMax = 180;
inline constexpr double kLatMin = -85.05112878;
inline constexpr double kLatMax = 85.05112878;
inline constexpr int kStepMax = 26;  // bits per coordinate: 52 in all
inline constexpr double kEarthRadiusMeters = 6372797.560856;

struct HashBits {
  uint64_t bits = 0;
  uint8_t step = 0;
  // A box the search dropped (Redis's GZERO).
  bool zero() const { return bits == 0 && step == 0; }
  bool operator==(const HashBits&) const = default;
};

struct Range {
  double min = 0, max = 0;
};

struct Area {
  HashBits hash;
  Range lon, lat;
};

struct Neighbors {
  HashBits north, east, west, south, north_east, south_east, north_west, south_west;
};

inline constexpr Range kLonRange{kLonMin, kLonMax};
inline constexpr Range kLatRange{kLatMin, kLatMax};

bool ValidLonLat(double lon, double lat);
// The box of `step` bits per coordinate holding the point; false outside the ranges.
bool Encode(Range lon_range, Range lat_range, double lon, double lat, int step, HashBits* out);
inline bool Encode(double lon, double lat, int step, HashBits* out) {
  return Encode(kLonRange, kLatRange, lon, lat, step, out);
}
Area Decode(Range lon_range, Range lat_range, HashBits hash);
inline Area Decode(HashBits hash) { return Decode(kLonRange, kLatRange, hash); }
Neighbors NeighborsOf(HashBits hash);
// The hash shifted to 52 bits: the score of a position, the bounds of a box's score range.
uint64_t Align52(HashBits hash);

// The centre of a stored score's cell, clamped to the ranges, as Redis decodes any score
// (even one no GEOADD wrote: the score is first converted to an integer as x86-64 C does).
void DecodeScore(double score, double* lon, double* lat);
// The score GEOADD stores for a valid position.
double EncodeScore(double lon, double lat);
// The 11-character standard geohash (latitude over [-90, 90]) GEOHASH answers for a score.
std::string HashString(double score);

// Great-circle distance in meters (haversine), with Redis's shortcut for equal longitudes.
double Distance(double lon1, double lat1, double lon2, double lat2);
// Meters between two latitudes along a meridian.
double LatDistance(double lat1, double lat2);

// A search area: a circle of `radius`, or a `width` x `height` box, in the caller's unit
// (`to_meters` converts it), around (lon, lat).
struct Shape {
  enum Kind : uint8_t { kCircle, kBox };
  Kind kind = kCircle;
  double lon = 0, lat = 0;
  double radius = 0, width = 0, height = 0;
  double to_meters = 1;
};

// The geohash step whose boxes are wide enough for a search of `range_meters` at `lat`.
int EstimateSteps(double range_meters, double lat);
// [min lon, min lat, max lon, max lat] the shape fits in.
void BoundingBox(const Shape& shape, double bounds[4]);

// The centre box and the neighbours worth scanning (the others zero()).
struct SearchArea {
  HashBits hash;
  Neighbors neighbors;
  Area area;
};
SearchArea AreaForShape(const Shape& shape);
// Whether the point lies in the shape; its distance from the centre, in meters, when it does.
bool InShape(const Shape& shape, double lon, double lat, double* dist_meters);

// Redis's text for geo distances: fixed point with 4 decimals ("166.2742").
std::string DistanceText(double d);
// Redis's "human" long double text for coordinates (core's FormatLongDouble).
std::string CoordText(double d);

}  // namespace kv::geo
