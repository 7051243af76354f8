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


def sicily(c):
    c.geoadd("Sicily", PALERMO + CATANIA + (12.758489, 38.788135, "edge1") +
             (17.241510, 38.788135, "edge2"))
    return c


def test_geosearch_and_georadius_as_redis_documents(kv):
    c = raw_geopos(sicily(kv.client()))
    c.set_response_callback("GEOSEARCH", lambda r, **kw: r)
    c.set_response_callback("GEORADIUS", lambda r, **kw: r)
    c.set_response_callback("GEORADIUSBYMEMBER", lambda r, **kw: r)
    search = lambda *a: c.execute_command("GEOSEARCH", "Sicily", *a)  # noqa: E731
    assert search("FROMLONLAT", 15, 37, "BYRADIUS", 200, "km", "ASC") == ["Catania", "Palermo"]
    assert search("FROMLONLAT", 15, 37, "BYBOX", 400, 400, "km", "ASC", "WITHCOORD", "WITHDIST",
                  "WITHHASH") == [
        ["Catania", "56.4413", 3479447370796909,
         ["15.08726745843887329", "37.50266842333162032"]],
        ["Palermo", "190.4424", 3479099956230698,
         ["13.36138933897018433", "38.11555639549629859"]],
        ["edge2", "279.7403", 3481342659049484,
         ["17.24151045083999634", "38.78813451624225195"]],
        ["edge1", "279.7405", 3479273021651468,
         ["12.7584877610206604", "38.78813451624225195"]]]
    assert search("FROMMEMBER", "Palermo", "BYRADIUS", 200, "km", "DESC", "WITHDIST") == [
        ["Catania", "166.2742"], ["edge1", "91.4007"], ["Palermo", "0.0000"]]
    assert search("FROMLONLAT", 15, 37, "BYRADIUS", 400, "km", "COUNT", 2) == [
        "Catania", "Palermo"]
    assert len(search("FROMLONLAT", 15, 37, "BYRADIUS", 400, "km", "COUNT", 3, "ANY")) == 3
    assert c.execute_command("GEORADIUS", "Sicily", 15, 37, 200, "km", "WITHDIST", "ASC") == [
        ["Catania", "56.4413"], ["Palermo", "190.4424"]]
    assert c.execute_command("GEORADIUSBYMEMBER", "Sicily", "Palermo", 100, "km", "ASC") == [
        "Palermo", "edge1"]
    assert c.execute_command("GEORADIUS_RO", "Sicily", 15, 37, 1, "km") == []
    # STORE forms: members with their geohash scores, or their distances in the unit.
    assert c.execute_command("GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", 15, 37,
                             "BYRADIUS", 200, "km") == 2
    assert c.zrange("dst", 0, -1, withscores=True) == [
        ("Palermo", 3479099956230698.0), ("Catania", 3479447370796909.0)]
    assert c.execute_command("GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", 15, 37,
                             "BYRADIUS", 200, "km", "STOREDIST") == 2
    assert c.zrange("dst", 0, -1, withscores=True) == [
        ("Catania", 56.4412578701582), ("Palermo", 190.44242984775784)]
    assert c.execute_command("GEORADIUS", "Sicily", 15, 37, 200, "km", "STORE", "d2") == 2
    assert c.zcard("d2") == 2
    assert c.execute_command("GEORADIUS", "Sicily", 15, 37, 1, "km", "STORE", "d2") == 0
    assert c.exists("d2") == 0  # an empty result deletes the destination
    # A missing source: the empty reply, and a STORE destination deleted.
    assert c.execute_command("GEOSEARCH", "nokey", "FROMMEMBER", "x", "BYRADIUS", 1, "m") == []
    c.set("d3", "x")
    assert c.execute_command("GEOSEARCHSTORE", "d3", "nokey", "FROMLONLAT", 1, 1,
                             "BYBOX", 1, 1, "m") == 0
    assert c.exists("d3") == 0
    assert c.execute_command("GEORADIUSBYMEMBER", "nokey", "x", "notanumber", "km") == []


def test_geosearch_errors(kv):
    c = sicily(kv.client())
    cases = [
        (["GEOSEARCH", "Sicily", "FROMLONLAT", 15, 37, "ASC", "WITHDIST"],
         "^exactly one of BYRADIUS and BYBOX can be specified for GEOSEARCH$"),
        (["GEOSEARCH", "Sicily", "BYRADIUS", 1, "km", "ASC", "WITHDIST"],
         "^exactly one of FROMMEMBER or FROMLONLAT can be specified for GEOSEARCH$"),
        (["GEOSEARCH", "Sicily", "FROMLONLAT", 15, 37], "wrong number of arguments"),
        (["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "FROMLONLAT", 1, 1, "BYRADIUS", 1, "m"],
         "^syntax error$"),
        (["GEOSEARCH", "Sicily", "FROMMEMBER", "nobody", "BYRADIUS", 1, "m"],
         "^could not decode requested zset member$"),
        (["GEOSEARCH", "Sicily", "FROMLONLAT", 15, 37, "BYRADIUS", "x", "m"],
         "^need numeric radius$"),
        (["GEOSEARCH", "Sicily", "FROMLONLAT", 15, 37, "BYRADIUS", -1, "m"],
         "^radius cannot be negative$"),
        (["GEOSEARCH", "Sicily", "FROMLONLAT", 15, 37, "BYBOX", "x", 1, "m"],
         "^need numeric width$"),
        (["GEOSEARCH", "Sicily", "FROMLONLAT", 15, 37, "BYBOX", 1, "y", "m"],
         "^need numeric height$"),
        (["GEOSEARCH", "Sicily", "FROMLONLAT", 15, 37, "BYRADIUS", 1, "yd"],
         "^unsupported unit provided"),
        (["GEOSEARCH", "Sicily", "FROMLONLAT", 15, 37, "BYRADIUS", 1, "m", "COUNT", 0],
         "^COUNT must be > 0$"),
        (["GEOSEARCH", "Sicily", "FROMLONLAT", 15, 37, "BYRADIUS", 1, "m", "ANY"],
         "^the ANY argument requires COUNT argument$"),
        (["GEOSEARCH", "Sicily", "FROMLONLAT", 15, 37, "BYRADIUS", 1, "m", "STORE", "x"],
         "^syntax error$"),
        (["GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", 15, 37, "BYRADIUS", 1, "m", "WITHDIST"],
         "^GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options$"),
        (["GEORADIUS", "Sicily", 15, 37, 1, "m", "WITHHASH", "STORE", "x"],
         "^STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD"),
        (["GEORADIUS_RO", "Sicily", 15, 37, 1, "m", "STORE", "x"], "^syntax error$"),
        (["GEORADIUS", "Sicily", 200, 37, 1, "m"], "^invalid longitude,latitude pair"),
        (["GEORADIUSBYMEMBER", "Sicily", "nobody", 1, "m"],
         "^could not decode requested zset member$"),
    ]
    for args, err in cases:
        with pytest.raises(redis.ResponseError, match=err):
            c.execute_command(*args)
    c.set("str", "x")
    with pytest.raises(redis.ResponseError, match="^WRONGTYPE"):
        c.execute_command("GEOSEARCH", "str", "FROMLONLAT", 1, 1, "BYRADIUS", 1, "m")


@pytest.mark.kv_only
def test_random_searches_match_redis_server(kv):
    """Random points and random searches (radius and box, every unit, ASC/DESC, COUNT, the
    STORE forms) against a real redis-server: sorted replies equal, unsorted ones as sets."""
    port = free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--save", "", "--appendonly",
                             "no", "--bind", "127.0.0.1"], stdout=subprocess.DEVNULL)
    try:
        r = redis.Redis(port=port, decode_responses=True)
        wait_for(lambda: _ping(r), timeout=10, what="redis-server to start")
        c = kv.client()
        for cl in (c, r):
            for name in ("GEOSEARCH", "GEORADIUS", "GEORADIUSBYMEMBER"):
                cl.set_response_callback(name, lambda x, **kw: x)
        rng = random.Random(11)
        # A cluster around one place, so searches of tens to hundreds of km find many.
        points = [(rng.uniform(10, 20), rng.uniform(35, 45), f"p{i}") for i in range(400)]
        flat = [x for p in points for x in p]
        c.geoadd("g", flat)
        r.geoadd("g", flat)
        for _ in range(150):
            lon, lat = rng.uniform(10, 20), rng.uniform(35, 45)
            unit = rng.choice(["m", "km", "ft", "mi"])
            scale = {"m": 1000, "km": 1, "ft": 3280.84, "mi": 0.621371}[unit]
            shape = (["BYRADIUS", round(rng.uniform(20, 300) * scale, 3), unit]
                     if rng.random() < 0.5 else
                     ["BYBOX", round(rng.uniform(20, 500) * scale, 3),
                      round(rng.uniform(20, 500) * scale, 3), unit])
            start = (["FROMLONLAT", lon, lat] if rng.random() < 0.5
                     else ["FROMMEMBER", rng.choice(points)[2]])
            order = rng.choice([[], ["ASC"], ["DESC"], ["COUNT", rng.randint(1, 20)],
                                ["COUNT", 5, "DESC"]])
            args = ["GEOSEARCH", "g", *start, *shape, *order, "WITHDIST", "WITHHASH", "WITHCOORD"]
            got, want = c.execute_command(*args), r.execute_command(*args)
            if order == []:
                got, want = sorted(map(str, got)), sorted(map(str, want))
            assert got == want, args
            store = ["GEOSEARCHSTORE", "dst", "g", *start, *shape, *order, "STOREDIST"]
            assert c.execute_command(*store) == r.execute_command(*store), store
            assert c.zrange("dst", 0, -1, withscores=True) == \
                r.zrange("dst", 0, -1, withscores=True), store
    finally:
        proc.terminate()
        proc.wait(timeout=10)
