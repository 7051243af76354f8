#include "core/geohash.h"

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <numbers>

#include "core/scalar.h"

namespace kv::geo {

namespace {

// Both written as Redis's macros expand (ang * (M_PI / 180.0), ang / (M_PI / 180.0)), so the
// roundings are the same.
constexpr double kDegToRad = std::numbers::pi / 180.0;
double DegRad(double ang) { return ang * kDegToRad; }
double RadDeg(double ang) { return ang / kDegToRad; }

constexpr double kMercatorMax = 20037726.37;
constexpr uint64_t kEvenBits = 0x5555555555555555ULL;
constexpr uint64_t kOddBits = 0xaaaaaaaaaaaaaaaaULL;

// Spreads the 32 bits of v over the even bit positions of the result.
uint64_t Spread(uint32_t v) {
  uint64_t x = v;
  x = (x | (x << 16)) & 0x0000FFFF0000FFFFULL;
  x = (x | (x << 8)) & 0x00FF00FF00FF00FFULL;
  x = (x | (x << 4)) & 0x0F0F0F0F0F0F0F0FULL;
  x = (x | (x << 2)) & 0x3333333333333333ULL;
  x = (x | (x << 1)) & kEvenBits;
  return x;
}

// The inverse of Spread: the even bits of v, packed.
uint32_t Squash(uint64_t v) {
  uint64_t x = v & kEvenBits;
  x = (x | (x >> 1)) & 0x3333333333333333ULL;
  x = (x | (x >> 2)) & 0x0F0F0F0F0F0F0F0FULL;
  x = (x | (x >> 4)) & 0x00FF00FF00FF00FFULL;
  x = (x | (x >> 8)) & 0x0000FFFF0000FFFFULL;
  x = (x | (x >> 16)) & 0x00000000FFFFFFFFULL;
  return static_cast<uint32_t>(x);
}

// What x86-64's cvttsd2si gives: the truncated value, or 0x8000000000000000 when it does not
// fit (NaN included).
uint64_t TruncateToInt64(double v) {
  if (!(v > -0x1p63 && v < 0x1p63)) return 1ULL << 63;
  return static_cast<uint64_t>(static_cast<int64_t>(v));
}

// (uint64_t)score as gcc compiles it for x86-64, which Redis's decodeGeohash relies on for any
// score, in range or not (a score set by ZADD decodes too).
uint64_t ScoreToBits(double score) {
  if (!(score >= 0x1p63)) return TruncateToInt64(score);
  return TruncateToInt64(score - 0x1p63) ^ (1ULL << 63);
}

// One step forward (d > 0) or back along the bits of `mine`, wrapping around, the other
// coordinate's bits (`other`) kept: longitude (east/west) is the odd bits, latitude
// (north/south) the even ones. The other coordinate's mask, filled in, carries the step over
// its bits.
void MoveAlong(HashBits* h, int d, uint64_t mine, uint64_t other) {
  uint64_t v = h->bits & mine;
  const uint64_t kept = h->bits & other;
  const uint64_t zz = other >> (64 - h->step * 2);
  if (d > 0) {
    v = v + (zz + 1);
  } else {
    v = v | zz;
    v = v - (zz + 1);
  }
  v &= (mine >> (64 - h->step * 2));
  h->bits = v | kept;
}

void MoveX(HashBits* h, int d) { MoveAlong(h, d, kOddBits, kEvenBits); }
void MoveY(HashBits* h, int d) { MoveAlong(h, d, kEvenBits, kOddBits); }

HashBits Moved(HashBits h, int dx, int dy) {
  if (dx != 0) MoveX(&h, dx);
  if (dy != 0) MoveY(&h, dy);
  return h;
}

}  // namespace

bool ValidLonLat(double lon, double lat) {
  return !(lon < kLonMin || lon > kLonMax || lat < kLatMin || lat > kLatMax);
}

bool Encode(Range lon_range, Range lat_range, double lon, double lat, int step, HashBits* out) {
  if (step < 1 || step > 32) return false;
  if (lon > kLonMax || lon < kLonMin || lat > kLatMax || lat < kLatMin) return false;
  if (lat < lat_range.min || lat > lat_range.max || lon < lon_range.min || lon > lon_range.max)
    return false;
  double lat_offset = (lat - lat_range.min) / (lat_range.max - lat_range.min);
  double lon_offset = (lon - lon_range.min) / (lon_range.max - lon_range.min);
  lat_offset *= static_cast<double>(1ULL << step);
  lon_offset *= static_cast<double>(1ULL << step);
  out->step = static_cast<uint8_t>(step);
  out->bits = Spread(static_cast<uint32_t>(lat_offset)) |
              (Spread(static_cast<uint32_t>(lon_offset)) << 1);
  return true;
}

Area Decode(Range lon_range, Range lat_range, HashBits hash) {
  Area area;
  area.hash = hash;
  const uint32_t ilat = Squash(hash.bits);
  const uint32_t ilon = Squash(hash.bits >> 1);
  const double lat_scale = lat_range.max - lat_range.min;
  const double lon_scale = lon_range.max - lon_range.min;
  const auto cells = static_cast<double>(1ULL << hash.step);
  // ilat + 1 stays 32-bit (it wraps for a garbage score), as in Redis.
  const uint32_t ilat1 = ilat + 1;
  const uint32_t ilon1 = ilon + 1;
  area.lat.min = lat_range.min + (ilat * 1.0 / cells) * lat_scale;
  area.lat.max = lat_range.min + (ilat1 * 1.0 / cells) * lat_scale;
  area.lon.min = lon_range.min + (ilon * 1.0 / cells) * lon_scale;
  area.lon.max = lon_range.min + (ilon1 * 1.0 / cells) * lon_scale;
  return area;
}

Neighbors NeighborsOf(HashBits hash) {
  Neighbors n;
  n.east = Moved(hash, 1, 0);
  n.west = Moved(hash, -1, 0);
  n.south = Moved(hash, 0, -1);
  n.north = Moved(hash, 0, 1);
  n.north_west = Moved(hash, -1, 1);
  n.north_east = Moved(hash, 1, 1);
  n.south_east = Moved(hash, 1, -1);
  n.south_west = Moved(hash, -1, -1);
  return n;
}

uint64_t Align52(HashBits hash) { return hash.bits << (52 - hash.step * 2); }

void DecodeScore(double score, double* lon, double* lat) {
  const Area area = Decode({ScoreToBits(score), static_cast<uint8_t>(kStepMax)});
  *lon = (area.lon.min + area.lon.max) / 2;
  if (*lon > kLonMax) *lon = kLonMax;
  if (*lon < kLonMin) *lon = kLonMin;
  *lat = (area.lat.min + area.lat.max) / 2;
  if (*lat > kLatMax) *lat = kLatMax;
  if (*lat < kLatMin) *lat = kLatMin;
}

double EncodeScore(double lon, double lat) {
  HashBits h;
  Encode(lon, lat, kStepMax, &h);
  return static_cast<double>(Align52(h));
}

std::string HashString(double score) {
  static constexpr char kAlphabet[] = "0123456789bcdefghjkmnpqrstuvwxyz";
  double lon, lat;
  DecodeScore(score, &lon, &lat);
  // Our cells span latitudes -85..85; the standard geohash spans -90..90.
  HashBits h;
  Encode({-180, 180}, {-90, 90}, lon, lat, kStepMax, &h);
  std::string out(11, '0');
  // 52 bits make 10 characters; the 11th, which Redis has always printed, is a zero.
  for (int i = 0; i < 10; ++i) out[i] = kAlphabet[(h.bits >> (52 - (i + 1) * 5)) & 0x1f];
  return out;
}

double LatDistance(double lat1, double lat2) {
  return kEarthRadiusMeters * std::fabs(DegRad(lat2) - DegRad(lat1));
}

double Distance(double lon1, double lat1, double lon2, double lat2) {
  const double lon1r = DegRad(lon1);
  const double lon2r = DegRad(lon2);
  const double v = std::sin((lon2r - lon1r) / 2);
  if (v == 0.0) return LatDistance(lat1, lat2);
  const double lat1r = DegRad(lat1);
  const double lat2r = DegRad(lat2);
  const double u = std::sin((lat2r - lat1r) / 2);
  const double a = u * u + std::cos(lat1r) * std::cos(lat2r) * v * v;
  return 2.0 * kEarthRadiusMeters * std::asin(std::sqrt(a));
}

int EstimateSteps(double range_meters, double lat) {
  if (range_meters == 0) return 26;
  int step = 1;
  while (range_meters < kMercatorMax) {
    range_meters *= 2;
    step++;
  }
  step -= 2;  // so the range fits in most cases
  // Meridians converge toward the poles: wider boxes there.
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  if (step < 1) step = 1;
  if (step > 26) step = 26;
  return step;
}

void BoundingBox(const Shape& shape, double bounds[4]) {
  const bool circle = shape.kind == Shape::kCircle;
  const double height = shape.to_meters * (circle ? shape.radius : shape.height / 2);
  const double width = shape.to_meters * (circle ? shape.radius : shape.width / 2);
  const double lat_delta = RadDeg(height / kEarthRadiusMeters);
  const double lon_delta_top =
      RadDeg(width / kEarthRadiusMeters / std::cos(DegRad(shape.lat + lat_delta)));
  const double lon_delta_bottom =
      RadDeg(width / kEarthRadiusMeters / std::cos(DegRad(shape.lat - lat_delta)));
  // A box of constant width narrows toward the pole: the widest edge is the one nearer the
  // equator.
  const bool south = shape.lat < 0;
  bounds[0] = south ? shape.lon - lon_delta_bottom : shape.lon - lon_delta_top;
  bounds[2] = south ? shape.lon + lon_delta_bottom : shape.lon + lon_delta_top;
  bounds[1] = shape.lat - lat_delta;
  bounds[3] = shape.lat + lat_delta;
}

SearchArea AreaForShape(const Shape& shape) {
  double bounds[4];
  BoundingBox(shape, bounds);
  const double min_lon = bounds[0], min_lat = bounds[1], max_lon = bounds[2],
               max_lat = bounds[3];
  // A box's reach is its half diagonal.
  double radius_meters =
      shape.kind == Shape::kCircle
          ? shape.radius
          : std::sqrt((shape.width / 2) * (shape.width / 2) +
                      (shape.height / 2) * (shape.height / 2));
  radius_meters *= shape.to_meters;

  int steps = EstimateSteps(radius_meters, shape.lat);
  SearchArea s;
  Encode(shape.lon, shape.lat, steps, &s.hash);
  s.neighbors = NeighborsOf(s.hash);
  s.area = Decode(s.hash);

  // Near a box edge the estimate can leave part of the shape outside the 9 boxes: one step
  // coarser then.
  const Area north = Decode(s.neighbors.north);
  const Area south = Decode(s.neighbors.south);
  const Area east = Decode(s.neighbors.east);
  const Area west = Decode(s.neighbors.west);
  const bool decrease = north.lat.max < max_lat || south.lat.min > min_lat ||
                        east.lon.max < max_lon || west.lon.min > min_lon;
  if (steps > 1 && decrease) {
    steps--;
    Encode(shape.lon, shape.lat, steps, &s.hash);
    s.neighbors = NeighborsOf(s.hash);
    s.area = Decode(s.hash);
  }

  // Neighbours on a side the shape does not reach are skipped.
  if (steps >= 2) {
    Neighbors& n = s.neighbors;
    if (s.area.lat.min < min_lat) n.south = n.south_west = n.south_east = HashBits{};
    if (s.area.lat.max > max_lat) n.north = n.north_east = n.north_west = HashBits{};
    if (s.area.lon.min < min_lon) n.west = n.south_west = n.north_west = HashBits{};
    if (s.area.lon.max > max_lon) n.east = n.south_east = n.north_east = HashBits{};
  }
  return s;
}

bool InShape(const Shape& shape, double lon, double lat, double* dist_meters) {
  if (shape.kind == Shape::kCircle) {
    *dist_meters = Distance(shape.lon, shape.lat, lon, lat);
    return !(*dist_meters > shape.radius * shape.to_meters);
  }
  const double width_m = shape.width * shape.to_meters;
  const double height_m = shape.height * shape.to_meters;
  if (LatDistance(lat, shape.lat) > height_m / 2) return false;
  if (Distance(lon, lat, shape.lon, lat) > width_m / 2) return false;
  *dist_meters = Distance(shape.lon, shape.lat, lon, lat);
  return true;
}

std::string DistanceText(double d) {
  if (d == 0) return "0.0000";
  // llrint gives INT64_MIN for what does not fit, and Redis prints that as it is.
  const long long scaled = std::llrint(d * 10000.0);
  const bool negative = scaled < 0;
  const uint64_t value = negative ? (scaled == INT64_MIN ? 1ULL << 63 : static_cast<uint64_t>(-scaled))
                                  : static_cast<uint64_t>(scaled);
  char buf[32];
  const int n = std::snprintf(buf, sizeof buf, "%s%" PRIu64 ".%04" PRIu64, negative ? "-" : "",
                              value / 10000, value % 10000);
  return std::string(buf, static_cast<size_t>(n));
}

std::string CoordText(double d) {
  char buf[512];  // +-180 at most, so it always fits
  return std::string(buf, FormatLongDouble(d, buf, sizeof buf));
}

}  // namespace kv::geo
