#include "core/geohash.h"

#include <doctest/doctest.h>

namespace kv::geo {
namespace {

TEST_CASE("Geohash: Redis's scores, cell centres, distances and standard hashes") {
  // Values read from redis-server 7.0 (GEOADD Sicily 13.361389 38.115556 Palermo ...).
  const auto palermo = Encode({13.361389, 38.115556});
  REQUIRE(palermo);
  CHECK(*palermo == 3479099956230698ULL);
  const LonLat p = Decode(*palermo);
  CHECK(p.lon == doctest::Approx(13.36138933897018433).epsilon(1e-15));
  CHECK(p.lat == doctest::Approx(38.11555639549629859).epsilon(1e-15));
  const LonLat c = Decode(*Encode({15.087269, 37.502669}));
  CHECK(DistanceMeters(p, c) == doctest::Approx(166274.1516).epsilon(1e-9));
  CHECK(StandardHash(*palermo) == "sqc8b49rny0");
  // Same longitude: the meridian shortcut, symmetric.
  CHECK(DistanceMeters({13, 38}, {13, 39}) == DistanceMeters({13, 39}, {13, 38}));
  CHECK(DistanceMeters(p, p) == 0.0);
}

TEST_CASE("Geohash: the valid ranges and their edges") {
  CHECK(Encode({180, 85.05112878}));
  CHECK(Encode({-180, -85.05112878}));
  CHECK_FALSE(Encode({180.0001, 0}));
  CHECK_FALSE(Encode({0, 85.06}));
  CHECK_FALSE(Encode({0, -90}));
  CHECK(Decode(*Encode({180, 85.05112878})).lon == 180);  // clamped cell centre
  CHECK(StandardHash(*Encode({0, 0})) == "s0000000000");
}

}  // namespace
}  // namespace kv::geo
