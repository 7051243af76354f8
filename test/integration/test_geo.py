"""GEOADD GEOPOS GEODIST GEOHASH on the `kv` fixture: every reply as Redis 7.0 gives it
(positions to the last printed digit, distances to 4 decimals, hashes), and its errors. Runs
against redis-server too (KV_TEST_AGAINST_REDIS=1); the randomized test compares the two."""

import random
import shutil
import subprocess

import pytest
import redis

from conftest import AGAINST_REDIS, free_port, wait_for

PALERMO = (13.361389, 38.115556, "Palermo")
CATANIA = (15.087269, 37.502669, "Catania")


def raw_geopos(c):
    """The client without redis-py's GEOPOS parsing: the bulk texts as sent."""
    c.set_response_callback("GEOPOS", lambda r, **kw: r)
    return c


def test_geoadd_pos_dist_hash_as_redis_documents(kv):
    c = raw_geopos(kv.client())
    assert c.geoadd("Sicily", PALERMO + CATANIA) == 2
    assert c.type("Sicily") == "zset"
    assert c.zscore("Sicily", "Palermo") == 3479099956230698
    assert c.execute_command("GEOPOS", "Sicily", "Palermo", "Catania", "NonExisting") == [
        ["13.36138933897018433", "38.11555639549629859"],
        ["15.08726745843887329", "37.50266842333162032"],
        None]
    assert c.geodist("Sicily", "Palermo", "Catania") == 166274.1516
    assert c.geodist("Sicily", "Palermo", "Catania", "km") == 166.2742
    assert c.execute_command("GEODIST", "Sicily", "Palermo", "Catania", "MI") == 103.3182
    assert c.geodist("Sicily", "Palermo", "Catania", "ft") == 545518.8700
    assert c.geodist("Sicily", "Foo", "Bar") is None
    assert c.geodist("Sicily", "Palermo", "Palermo") == 0.0
    assert c.geohash("Sicily", "Palermo", "Catania", "x") == ["sqc8b49rny0", "sqdtr74hyu0", None]
    # A missing key: every member missing.
    assert c.execute_command("GEOPOS", "nokey", "a") == [None]
    assert c.geohash("nokey", "a") == [None]
    assert c.geodist("nokey", "a", "b") is None


def test_geoadd_options(kv):
    c = kv.client()
    assert c.geoadd("g", PALERMO) == 1
    assert c.geoadd("g", PALERMO) == 0
    assert c.geoadd("g", (13.5, 38.2, "Palermo"), nx=True) == 0
    assert c.geoadd("g", (13.5, 38.2, "Palermo"), ch=True) == 1  # moved: counted with CH
    assert c.geoadd("g", CATANIA, xx=True) == 0
    assert c.exists("g") == 1 and c.zcard("g") == 1
    with pytest.raises(redis.ResponseError, match="^syntax error$"):
        c.execute_command("GEOADD", "g", "NX", "XX", *CATANIA)
    assert c.geoadd("g", CATANIA, xx=True, ch=True) == 0
    assert c.execute_command("GEOADD", "g", "CH", "NX", *CATANIA) == 1
    assert c.geoadd("new", CATANIA, xx=True) == 0
    assert c.exists("new") == 0


def test_geo_errors(kv):
    c = kv.client()
    c.set("str", "x")
    for bad, err in [
        (["GEOADD", "g", "200", "10", "m"], "^invalid longitude,latitude pair 200.000000,10.000000$"),
        (["GEOADD", "g", "10", "86", "m"], "^invalid longitude,latitude pair 10.000000,86.000000$"),
        (["GEOADD", "g", "x", "10", "m"], "^value is not a valid float$"),
        (["GEOADD", "g", "10", "10", "m", "11"], "^syntax error$"),
        (["GEOADD", "g", "NX", "XX", "10", "10", "m"], "^syntax error$"),
        (["GEOADD", "g", "NX", "10", "10"], "^syntax error$"),
        (["GEODIST", "g", "a", "b", "yards"],
         "^unsupported unit provided. please use M, KM, FT, MI$"),
        (["GEODIST", "g", "a", "b", "m", "x"], "^syntax error$"),
        (["GEOPOS", "str", "a"], "^WRONGTYPE"),
        (["GEODIST", "str", "a", "b"], "^WRONGTYPE"),
        (["GEOHASH", "str", "a"], "^WRONGTYPE"),
        (["GEOADD", "str", "10", "10", "m"], "^WRONGTYPE"),
    ]:
        with pytest.raises(redis.ResponseError, match=err):
            c.execute_command(*bad)
    for bad in (["GEOADD", "g", "10", "10"], ["GEODIST", "g", "a"], ["GEOPOS"], ["GEOHASH"]):
        with pytest.raises(redis.ResponseError, match="wrong number of arguments"):
            c.execute_command(*bad)
    assert c.exists("g") == 0


def test_edges_of_the_valid_range(kv):
    c = kv.client()
    c.geoadd("g", [180, 85.05112878, "ne", -180, -85.05112878, "sw", 0, 0, "origin"])
    # The cell centres Redis answers, clamped to the valid range at the corner.
    assert raw_geopos(c).execute_command("GEOPOS", "g", "ne", "sw", "origin") == [
        ["180", "85.0511287799999991"],
        ["-179.99999731779098511", "-85.05112751263942528"],
        ["0.00000268220901489", "0.00000126736058093"]]
    assert c.geohash("g", "ne", "sw", "origin") == ["bp05b5048p0", "00bh0hbj200", "s0000000000"]
    assert c.geodist("g", "sw", "ne", "km") == 18919.8446


@pytest.mark.kv_only
def test_random_points_match_redis_server(kv):
    """A few hundred random points into kv-server and a real redis-server: every GEOPOS,
    GEOHASH and GEODIST reply the same."""
    assert shutil.which("redis-server")
    port = free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--save", "", "--appendonly",
                             "no", "--bind", "127.0.0.1"], stdout=subprocess.DEVNULL)
    try:
        r = raw_geopos(redis.Redis(port=port, decode_responses=True))
        wait_for(lambda: _ping(r), timeout=10, what="redis-server to start")
        c = raw_geopos(kv.client())
        rng = random.Random(7)
        points = [(rng.uniform(-180, 180), rng.uniform(-85.05112878, 85.05112878), f"p{i}")
                  for i in range(300)]
        points += [(13.0, 38.0, "same-lon-a"), (13.0, 39.5, "same-lon-b")]
        flat = [x for p in points for x in p]
        assert c.geoadd("g", flat) == r.geoadd("g", flat) == len(points)
        names = [p[2] for p in points] + ["missing"]
        assert c.execute_command("GEOPOS", "g", *names) == r.execute_command("GEOPOS", "g", *names)
        assert c.geohash("g", *names) == r.geohash("g", *names)
        for _ in range(300):
            a, b = rng.choice(names), rng.choice(names)
            unit = rng.choice(["m", "km", "ft", "mi"])
            assert c.execute_command("GEODIST", "g", a, b, unit) == \
                r.execute_command("GEODIST", "g", a, b, unit), (a, b, unit)
        assert c.execute_command("GEODIST", "g", "same-lon-a", "same-lon-b") == \
            r.execute_command("GEODIST", "g", "same-lon-a", "same-lon-b")
        assert c.zrange("g", 0, -1, withscores=True) == r.zrange("g", 0, -1, withscores=True)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _ping(r):
    try:
        return r.ping()
    except redis.ConnectionError:
        return False
