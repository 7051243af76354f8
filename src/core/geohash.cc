#include "core/geohash.h"

#include <cmath>

namespace kv::geo {
namespace {

constexpr double kEarthRadiusMeters = 6372797.560856;
constexpr double kDegToRad = M_PI / 180.0;

// Bits of `x` to the even positions (x's bit i to bit 2i), 32 bits in.
uint64_t Spread(uint32_t v) {
  uint64_t x = v;
  x = (x | (x << 16)) & 0x0000FFFF0000FFFFULL;
  x = (x | (x << 8)) & 0x00FF00FF00FF00FFULL;
  x = (x | (x << 4)) & 0x0F0F0F0F0F0F0F0FULL;
  x = (x | (x << 2)) & 0x3333333333333333ULL;
  x = (x | (x << 1)) & 0x5555555555555555ULL;
  return x;
}

// The even-position bits of `x`, packed.
uint32_t Squash(uint64_t x) {
  x &= 0x5555555555555555ULL;
  x = (x | (x >> 1)) & 0x3333333333333333ULL;
  x = (x | (x >> 2)) & 0x0F0F0F0F0F0F0F0FULL;
  x = (x | (x >> 4)) & 0x00FF00FF00FF00FFULL;
  x = (x | (x >> 8)) & 0x0000FFFF0000FFFFULL;
  x = (x | (x >> 16)) & 0x00000000FFFFFFFFULL;
  return static_cast<uint32_t>(x);
}

// Latitude in the even bits, longitude in the odd ones, as Redis's interleave64.
uint64_t EncodeIn(LonLat p, double lat_min, double lat_max) {
  const double lat_offset = (p.lat - lat_min) / (lat_max - lat_min) * double(1ULL << kStep);
  const double lon_offset = (p.lon - kLonMin) / (kLonMax - kLonMin) * double(1ULL << kStep);
  return Spread(static_cast<uint32_t>(lat_offset)) |
         (Spread(static_cast<uint32_t>(lon_offset)) << 1);
}

}  // namespace

std::optional<uint64_t> Encode(LonLat p) {
  if (!(p.lon >= kLonMin && p.lon <= kLonMax && p.lat >= kLatMin && p.lat <= kLatMax))
    return std::nullopt;
  return EncodeIn(p, kLatMin, kLatMax);
}

LonLat Decode(uint64_t bits) {
  const uint32_t ilat = Squash(bits), ilon = Squash(bits >> 1);
  const double cells = double(1ULL << kStep);
  const double lat_lo = kLatMin + (ilat * 1.0 / cells) * (kLatMax - kLatMin);
  const double lat_hi = kLatMin + ((ilat + 1) * 1.0 / cells) * (kLatMax - kLatMin);
  const double lon_lo = kLonMin + (ilon * 1.0 / cells) * (kLonMax - kLonMin);
  const double lon_hi = kLonMin + ((ilon + 1) * 1.0 / cells) * (kLonMax - kLonMin);
  LonLat p{(lon_lo + lon_hi) / 2, (lat_lo + lat_hi) / 2};
  if (p.lon > kLonMax) p.lon = kLonMax;
  if (p.lon < kLonMin) p.lon = kLonMin;
  if (p.lat > kLatMax) p.lat = kLatMax;
  if (p.lat < kLatMin) p.lat = kLatMin;
  return p;
}

double DistanceMeters(LonLat a, LonLat b) {
  const double lon1 = a.lon * kDegToRad, lon2 = b.lon * kDegToRad;
  const double v = std::sin((lon2 - lon1) / 2);
  // Same longitude: the distance along the meridian, without the trigonometry (as Redis).
  if (v == 0.0) return kEarthRadiusMeters * std::fabs(b.lat * kDegToRad - a.lat * kDegToRad);
  const double lat1 = a.lat * kDegToRad, lat2 = b.lat * kDegToRad;
  const double u = std::sin((lat2 - lat1) / 2);
  const double h = u * u + std::cos(lat1) * std::cos(lat2) * v * v;
  return 2.0 * kEarthRadiusMeters * std::asin(std::sqrt(h));
}

std::string StandardHash(uint64_t bits) {
  static constexpr char kAlphabet[] = "0123456789bcdefghjkmnpqrstuvwxyz";
  const uint64_t standard = EncodeIn(Decode(bits), -90, 90);
  std::string out(11, '0');
  // 52 bits make ten characters; Redis's API answers eleven, the last always '0'.
  for (int i = 0; i < 10; ++i) out[i] = kAlphabet[(standard >> (52 - (i + 1) * 5)) & 0x1f];
  return out;
}

}  // namespace kv::geo
