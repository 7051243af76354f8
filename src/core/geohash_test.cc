#include "core/geohash.h"

#include <doctest/doctest.h>

#include <cmath>
#include <string>

namespace kv::geo {

namespace {

std::string Coord(double lon, double lat) { return CoordText(lon) + "," + CoordText(lat); }

std::string DecodedText(double score) {
  double lon, lat;
  DecodeScore(score, &lon, &lat);
  return Coord(lon, lat);
}

}  // namespace

// Expected values below are redis-server 7.0.15's (GEOADD scores, GEOPOS and GEOHASH replies)
// and those of its geohash.c / geohash_helper.c for the same inputs.

TEST_CASE("geohash: scores of positions are Redis's 52-bit interleaved hashes") {
  CHECK(EncodeScore(13.361389, 38.115556) == 3479099956230698.0);
  CHECK(EncodeScore(15.087269, 37.502669) == 3479447370796909.0);
  CHECK(EncodeScore(0, 0) == 3377699720527872.0);
  CHECK(EncodeScore(-180, -85.05112878) == 0.0);
  CHECK(EncodeScore(180, 85.05112878) == 13510798882111488.0);
  CHECK(EncodeScore(-122.4194, 37.7749) == 1367859919124626.0);
  CHECK(EncodeScore(151.2093, -33.8688) == 3252046221964352.0);
}

TEST_CASE("geohash: limits of valid positions") {
  CHECK(ValidLonLat(-180, -85.05112878));
  CHECK(ValidLonLat(180, 85.05112878));
  CHECK_FALSE(ValidLonLat(180.0000001, 0));
  CHECK_FALSE(ValidLonLat(0, 85.05112879));
  CHECK_FALSE(ValidLonLat(0, -90));
  CHECK_FALSE(ValidLonLat(INFINITY, 0));
  HashBits h;
  CHECK_FALSE(Encode(200, 0, 26, &h));
  CHECK_FALSE(Encode(0, 0, 0, &h));
  CHECK_FALSE(Encode(0, 0, 33, &h));
}

TEST_CASE("geohash: decoding gives the cell centre GEOPOS prints") {
  CHECK(DecodedText(3479099956230698.0) == "13.36138933897018433,38.11555639549629859");
  CHECK(DecodedText(3479447370796909.0) == "15.08726745843887329,37.50266842333162032");
  CHECK(DecodedText(3377699720527872.0) == "0.00000268220901489,0.00000126736058093");
  CHECK(DecodedText(0) == "-179.99999731779098511,-85.05112751263942528");
  // The top cell's centre lies past the limits: clamped.
  CHECK(DecodedText(13510798882111488.0) == "180,85.0511287799999991");
  CHECK(DecodedText(1367859919124626.0) == "-122.41940170526504517,37.77490001056577995");
  CHECK(DecodedText(3252046221964352.0) == "151.20929986238479614,-33.86880091934155956");
}

TEST_CASE("geohash: any score decodes as Redis's (uint64_t) cast of it on x86-64") {
  CHECK(DecodedText(-5) == "180,85.0511287799999991");
  CHECK(DecodedText(1e30) == "-179.99999731779098511,-85.05112751263942528");
  CHECK(DecodedText(INFINITY) == "-179.99999731779098511,-85.05112751263942528");
  CHECK(DecodedText(-INFINITY) == "180,-85.05112751263942528");
  CHECK(DecodedText(-1e30) == "180,-85.05112751263942528");
  CHECK(DecodedText(9.3e18) == "180,85.0511287799999991");
  CHECK(DecodedText(2e19) == "-179.99999731779098511,-85.05112751263942528");
  CHECK(DecodedText(4503599627370496.0) == "-179.99999731779098511,85.0511287799999991");
  CHECK(DecodedText(1.5) == "-179.99999731779098511,-85.05112497791824921");
}

TEST_CASE("geohash: GEOHASH strings") {
  CHECK(HashString(3479099956230698.0) == "sqc8b49rny0");
  CHECK(HashString(3479447370796909.0) == "sqdtr74hyu0");
  CHECK(HashString(-5) == "bp05b5048p0");
  CHECK(HashString(1e30) == "00bh0hbj200");
  CHECK(HashString(1.5) == "00bh0hbj210");
}

TEST_CASE("geohash: neighbours wrap around and keep the step") {
  HashBits h;
  REQUIRE(Encode(13.361389, 38.115556, 10, &h));
  CHECK(h.bits == 810041);
  Neighbors n = NeighborsOf(h);
  CHECK(n.north.bits == 810044);
  CHECK(n.south.bits == 810040);
  CHECK(n.east.bits == 810043);
  CHECK(n.west.bits == 810035);
  CHECK(n.north_east.bits == 810046);
  CHECK(n.north_west.bits == 810038);
  CHECK(n.south_east.bits == 810042);
  CHECK(n.south_west.bits == 810034);
  CHECK(n.north.step == 10);

  REQUIRE(Encode(-180, -85.05112878, 3, &h));
  CHECK(h.bits == 0);
  n = NeighborsOf(h);
  CHECK(n.north.bits == 1);
  CHECK(n.south.bits == 21);  // wrapped to the top row
  CHECK(n.east.bits == 2);
  CHECK(n.west.bits == 42);  // wrapped to the last column
  CHECK(n.south_west.bits == 63);
  const Area a = Decode(h);
  CHECK(a.lon.min == -180);
  CHECK(a.lon.max == -135);
  CHECK(a.lat.min == kLatMin);
  CHECK(a.lat.max == doctest::Approx(-63.788346585));
  CHECK(Align52(h) == 0);
  CHECK(Align52({1, 3}) == (1ULL << 46));
}

TEST_CASE("geohash: haversine distance with Redis's Earth radius") {
  CHECK(Distance(13.361389, 38.115556, 15.087269, 37.502669) == 166274.25779140723);
  // Equal longitudes take the meridian shortcut.
  CHECK(Distance(10, 20, 10, -30) == 5561315.0000000438);
  CHECK(LatDistance(20, -30) == 5561315.0000000438);
  CHECK(Distance(0, 0, 180, 0) == 20020734.00000016);
  CHECK(Distance(1, 2, 1, 2) == 0);
}

TEST_CASE("geohash: search step estimate") {
  CHECK(EstimateSteps(0, 0) == 26);
  CHECK(EstimateSteps(1, 0) == 24);
  CHECK(EstimateSteps(1, 70) == 23);
  CHECK(EstimateSteps(1, -85) == 22);
  CHECK(EstimateSteps(100, 0) == 17);
  CHECK(EstimateSteps(5000, 0) == 11);
  CHECK(EstimateSteps(200000, 70) == 5);
  CHECK(EstimateSteps(5e6, 0) == 2);
  CHECK(EstimateSteps(5e6, 70) == 1);
  CHECK(EstimateSteps(1e9, 0) == 1);
}

TEST_CASE("geohash: search areas of a circle and a box") {
  Shape c;
  c.kind = Shape::kCircle;
  c.lon = 15;
  c.lat = 37;
  c.radius = 200;
  c.to_meters = 1000;
  double b[4];
  BoundingBox(c, b);
  CHECK(b[0] == 12.692799634687903);
  CHECK(b[1] == 35.201864127459075);
  CHECK(b[2] == 17.307200365312099);
  CHECK(b[3] == 38.798135872540925);
  SearchArea s = AreaForShape(c);
  CHECK(s.hash.step == 6);
  CHECK(s.hash.bits == 3161);
  CHECK(s.neighbors.north.bits == 3164);
  CHECK(s.neighbors.east.bits == 3163);
  CHECK(s.neighbors.north_east.bits == 3166);
  CHECK(s.neighbors.south.zero());
  CHECK(s.neighbors.west.zero());
  CHECK(s.neighbors.north_west.zero());
  CHECK(s.neighbors.south_east.zero());
  CHECK(s.neighbors.south_west.zero());

  Shape box;
  box.kind = Shape::kBox;
  box.lon = -70;
  box.lat = -40;
  box.width = 30;
  box.height = 10;
  box.to_meters = 1609.34;
  BoundingBox(box, b);
  CHECK(b[0] == -70.283620967052826);
  CHECK(b[1] == -40.072345299627877);
  CHECK(b[2] == -69.716379032947174);
  CHECK(b[3] == -39.927654700372123);
  s = AreaForShape(box);
  CHECK(s.hash.step == 9);
  CHECK(s.hash.bits == 49845);
  CHECK(s.neighbors.north.zero());
  CHECK(s.neighbors.south_west.zero());

  double d = -1;
  CHECK(InShape(box, -69.8, -40.05, &d));
  CHECK(d == 17919.437055084687);
  CHECK_FALSE(InShape(box, -69.4, -40.05, &d));
  CHECK_FALSE(InShape(box, -70, -39.9, &d));
  CHECK(InShape(c, 15.3, 38.5, &d));
  CHECK(d == 168912.3643024404);
  CHECK_FALSE(InShape(c, 15, 38.9, &d));
}

TEST_CASE("geohash: reply texts") {
  CHECK(DistanceText(0) == "0.0000");
  CHECK(DistanceText(-0.0) == "0.0000");
  CHECK(DistanceText(166.27425779140723) == "166.2743");
  CHECK(DistanceText(0.00004) == "0.0000");
  CHECK(DistanceText(0.00005) == "0.0000");  // 0.5 after scaling: to even
  CHECK(DistanceText(0.00015) == "0.0001");  // 1.4999999999999998 after scaling
  CHECK(DistanceText(12345.6) == "12345.6000");
  CHECK(DistanceText(-1.23456) == "-1.2346");
  CHECK(DistanceText(NAN) == "-922337203685477.5808");
  CHECK(CoordText(0) == "0");
  CHECK(CoordText(-0.0) == "0");
  CHECK(CoordText(180) == "180");
  CHECK(CoordText(1.5) == "1.5");
  CHECK(CoordText(-1e-18) == "0");  // "-0.000..." trimmed to "-0", which Redis prints as 0
  CHECK(CoordText(-1e-17) == "-0.00000000000000001");
  CHECK(CoordText(85.05112878) == "85.0511287799999991");
}

}  // namespace kv::geo
