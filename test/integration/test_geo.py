"""Geo commands: GEOADD GEOPOS GEODIST GEOHASH GEOSEARCH GEOSEARCHSTORE GEORADIUS
GEORADIUSBYMEMBER GEORADIUS_RO GEORADIUSBYMEMBER_RO.

Replies are compared byte for byte (RawConn) with what redis-server 7.0.15 sends: scores,
coordinate and distance texts, the order of equal distances. Tests on ``kv`` also pass against
/usr/bin/redis-server (KV_TEST_AGAINST_REDIS=1); the randomized test drives a redis-server side
by side (``redis_ref``) and compares every reply."""

from __future__ import annotations

import random
import sys
from decimal import Decimal

import pytest
import redis

from conftest import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "clients" / "python"))
import kvclient  # noqa: E402

PALERMO = ("13.361389", "38.115556", "Palermo")
CATANIA = ("15.087269", "37.502669", "Catania")
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
BAD_UNIT = "unsupported unit provided. please use M, KM, FT, MI"


def client(server, **kw) -> redis.Redis:
    """A client that hands geo replies back as sent (redis-py would turn them into floats)."""
    c = server.client(**kw)
    for name in list(c.response_callbacks):
        if name.upper().startswith("GEO"):
            del c.response_callbacks[name]
    return c


def error_of(c: redis.Redis, *args) -> str:
    with pytest.raises(redis.ResponseError) as e:
        c.execute_command(*args)
    return str(e.value)


def raw(server, *args, resp3: bool = False) -> bytes:
    with server.raw() as r:
        if resp3:
            r.send_command("HELLO", "3")
            r.read_reply_bytes()
        r.send_command(*args)
        return r.read_reply_bytes()


def sicily(c: redis.Redis, key: str = "Sicily") -> None:
    assert c.execute_command("GEOADD", key, *PALERMO, *CATANIA) == 2


# ---------------------------------------------------------------------------- GEOADD


def test_geoadd_stores_geohash_scores(kv):
    c = client(kv)
    sicily(c)
    assert c.zscore("Sicily", "Palermo") == 3479099956230698
    assert c.zscore("Sicily", "Catania") == 3479447370796909
    assert c.type("Sicily") == "zset"
    assert c.object("encoding", "Sicily") == "listpack"
    # The limits themselves are valid.
    assert c.execute_command("GEOADD", "Sicily", "-180", "-85.05112878", "sw",
                             "180", "85.05112878", "ne") == 2
    assert c.zscore("Sicily", "sw") == 0
    assert c.zscore("Sicily", "ne") == 13510798882111488
    # Moving a member counts only with CH.
    assert c.execute_command("GEOADD", "Sicily", "1", "1", "Palermo") == 0
    assert c.zscore("Sicily", "Palermo") != 3479099956230698


def test_geoadd_nx_xx_ch(kv):
    c = client(kv)
    sicily(c)
    assert c.execute_command("GEOADD", "Sicily", "NX", "1", "1", "Palermo", "2", "2", "x") == 1
    assert c.zscore("Sicily", "Palermo") == 3479099956230698
    assert c.execute_command("GEOADD", "Sicily", "XX", "1", "1", "Palermo", "2", "2", "y") == 0
    assert c.zscore("Sicily", "y") is None
    assert c.zscore("Sicily", "Palermo") != 3479099956230698
    assert c.execute_command("GEOADD", "Sicily", "CH", *PALERMO, *CATANIA, "3", "3", "z") == 2
    assert c.execute_command("GEOADD", "Sicily", "ch", "xx", *PALERMO, "4", "4", "w") == 0
    assert c.execute_command("GEOADD", "Sicily", "XX", "CH", "5", "5", "Palermo") == 1
    # XX on a missing key creates nothing.
    assert c.execute_command("GEOADD", "nokey", "XX", *PALERMO) == 0
    assert c.exists("nokey") == 0


def test_geoadd_that_changes_nothing_writes_nothing(kv):
    """GEOADD is a ZADD in Redis: re-adding the same positions, or NX on existing members, is no
    write: a WATCH on the key still lets the transaction through, and no event is sent."""
    c = client(kv)
    sicily(c)
    for again in (["Sicily", *PALERMO], ["Sicily", "NX", "1", "1", "Catania"]):
        with c.pipeline() as p:
            p.watch("Sicily")
            assert c.execute_command("GEOADD", *again) == 0
            p.multi()
            p.zcard("Sicily")
            assert p.execute() == [2]
    # A change is a write: the transaction is refused.
    with c.pipeline() as p:
        p.watch("Sicily")
        assert c.execute_command("GEOADD", "Sicily", "CH", "1", "1", "Palermo") == 1
        p.multi()
        p.zcard("Sicily")
        with pytest.raises(redis.WatchError):
            p.execute()


def test_geoadd_errors(kv):
    c = client(kv)
    sicily(c)
    assert error_of(c, "GEOADD", "k", "200", "100", "m") == \
        "invalid longitude,latitude pair 200.000000,100.000000"
    assert error_of(c, "GEOADD", "k", "0", "85.05112879", "m") == \
        "invalid longitude,latitude pair 0.000000,85.051129"
    assert error_of(c, "GEOADD", "k", "inf", "1", "m") == \
        "invalid longitude,latitude pair inf,1.000000"
    assert error_of(c, "GEOADD", "k", "-1e300", "1", "m").startswith(
        "invalid longitude,latitude pair -1000000000000000052504760255204420248704468581108")
    assert error_of(c, "GEOADD", "k", "abc", "1", "m") == "value is not a valid float"
    assert error_of(c, "GEOADD", "k", "1", "nan", "m") == "value is not a valid float"
    assert error_of(c, "GEOADD", "k", " 1", "1", "m") == "value is not a valid float"
    assert error_of(c, "GEOADD", "k", "1", "2") == "wrong number of arguments for 'geoadd' command"
    assert error_of(c, "GEOADD", "k", "1", "2", "m", "3") == "syntax error"
    assert error_of(c, "GEOADD", "k", "NX", "XX", "1", "2", "m") == "syntax error"
    assert error_of(c, "GEOADD", "k", "xx", "1", "2") == "syntax error"
    assert error_of(c, "GEOADD", "k", "nx", "ch", "ch") == "syntax error"
    # GT / LT are ZADD's, not GEOADD's: read as a longitude.
    assert error_of(c, "GEOADD", "k", "GT", "1", "2", "m") == "syntax error"
    assert error_of(c, "GEOADD", "k", "GT", "1", "2", "3", "4", "m") == \
        "value is not a valid float"
    # A bad element anywhere adds none of them.
    assert error_of(c, "GEOADD", "k", "1", "2", "a", "1", "100", "b") == \
        "invalid longitude,latitude pair 1.000000,100.000000"
    assert c.exists("k") == 0
    c.set("str", "v")
    assert error_of(c, "GEOADD", "str", "1", "2", "m") == WRONGTYPE
    # Coordinates are checked before the key's type.
    assert error_of(c, "GEOADD", "str", "1", "200", "m") == \
        "invalid longitude,latitude pair 1.000000,200.000000"


# ---------------------------------------------------------------------------- GEOPOS GEOHASH


def test_geopos_replies_redis_coordinate_text(kv):
    c = client(kv)
    sicily(c)
    assert raw(kv, "GEOPOS", "Sicily", "Palermo", "nope", "Catania") == (
        b"*3\r\n*2\r\n$20\r\n13.36138933897018433\r\n$20\r\n38.11555639549629859\r\n*-1\r\n"
        b"*2\r\n$20\r\n15.08726745843887329\r\n$20\r\n37.50266842333162032\r\n")
    assert raw(kv, "GEOPOS", "Sicily", "Palermo", "nope", resp3=True) == (
        b"*2\r\n*2\r\n,13.36138933897018433\r\n,38.11555639549629859\r\n_\r\n")
    assert raw(kv, "GEOPOS", "nokey", "a", "b") == b"*2\r\n*-1\r\n*-1\r\n"
    assert raw(kv, "GEOPOS", "Sicily") == b"*0\r\n"
    c.execute_command("GEOADD", "k", "0", "0", "origin", "180", "85.05112878", "ne")
    assert c.execute_command("GEOPOS", "k", "origin", "ne") == [
        ["0.00000268220901489", "0.00000126736058093"], ["180", "85.0511287799999991"]]
    c.set("str", "v")
    assert error_of(c, "GEOPOS", "str", "a") == WRONGTYPE
    assert error_of(c, "GEOPOS") == "wrong number of arguments for 'geopos' command"


def test_geohash(kv):
    c = client(kv)
    sicily(c)
    assert c.execute_command("GEOHASH", "Sicily", "Palermo", "Catania", "nope") == [
        "sqc8b49rny0", "sqdtr74hyu0", None]
    assert raw(kv, "GEOHASH", "Sicily", "nope") == b"*1\r\n$-1\r\n"
    assert raw(kv, "GEOHASH", "Sicily", "nope", resp3=True) == b"*1\r\n_\r\n"
    assert c.execute_command("GEOHASH", "nokey", "a") == [None]
    c.execute_command("GEOADD", "Sicily", "0", "0", "origin")
    assert c.execute_command("GEOHASH", "Sicily", "origin") == ["s0000000000"]
    assert c.execute_command("GEOHASH", "Sicily") == []
    c.set("str", "v")
    assert error_of(c, "GEOHASH", "str", "a") == WRONGTYPE


def test_scores_not_written_by_geoadd_decode_as_redis(kv):
    """Any score decodes, through Redis's C cast of the score to a 64-bit integer."""
    c = client(kv)
    c.zadd("z", {"a": -5, "b": 1e30, "c": float("inf"), "d": float("-inf"), "e": 9.3e18,
                 "f": 2e19, "g": 4503599627370496, "h": 1.5, "i": -1e30})
    members = list("abcdefghi")
    assert c.execute_command("GEOPOS", "z", *members) == [
        ["180", "85.0511287799999991"],
        ["-179.99999731779098511", "-85.05112751263942528"],
        ["-179.99999731779098511", "-85.05112751263942528"],
        ["180", "-85.05112751263942528"],
        ["180", "85.0511287799999991"],
        ["-179.99999731779098511", "-85.05112751263942528"],
        ["-179.99999731779098511", "85.0511287799999991"],
        ["-179.99999731779098511", "-85.05112497791824921"],
        ["180", "-85.05112751263942528"]]
    assert c.execute_command("GEOHASH", "z", *members) == [
        "bp05b5048p0", "00bh0hbj200", "00bh0hbj200", "00bh0hbj200", "bp05b5048p0",
        "00bh0hbj200", "bp05b5048p0", "00bh0hbj210", "00bh0hbj200"]
    assert c.execute_command("GEODIST", "z", "a", "d", "km") == "18919.8446"


# ---------------------------------------------------------------------------- GEODIST


def test_geodist_units(kv):
    c = client(kv)
    sicily(c)
    assert c.execute_command("GEODIST", "Sicily", "Palermo", "Catania") == "166274.1516"
    assert c.execute_command("GEODIST", "Sicily", "Palermo", "Catania", "m") == "166274.1516"
    assert c.execute_command("GEODIST", "Sicily", "Palermo", "Catania", "KM") == "166.2742"
    assert c.execute_command("GEODIST", "Sicily", "Palermo", "Catania", "ft") == "545518.8700"
    assert c.execute_command("GEODIST", "Sicily", "Palermo", "Catania", "Mi") == "103.3182"
    assert c.execute_command("GEODIST", "Sicily", "Palermo", "Palermo") == "0.0000"
    # Equal longitudes: Redis's meridian shortcut.
    c.execute_command("GEOADD", "Sicily", "13.0", "38.0", "a", "13.0", "39.5", "b")
    assert c.execute_command("GEODIST", "Sicily", "a", "b") == "166839.4302"
    assert c.execute_command("GEODIST", "Sicily", "Palermo", "nope") is None
    assert c.execute_command("GEODIST", "Sicily", "nope", "Palermo") is None
    assert c.execute_command("GEODIST", "nokey", "a", "b") is None
    assert raw(kv, "GEODIST", "nokey", "a", "b", resp3=True) == b"_\r\n"
    assert raw(kv, "GEODIST", "Sicily", "Palermo", "Catania", resp3=True) == \
        b"$11\r\n166274.1516\r\n"


def test_geodist_errors(kv):
    c = client(kv)
    sicily(c)
    assert error_of(c, "GEODIST", "Sicily", "Palermo", "Catania", "parsec") == BAD_UNIT
    # The unit is checked before the key.
    assert error_of(c, "GEODIST", "nokey", "a", "b", "parsec") == BAD_UNIT
    assert error_of(c, "GEODIST", "Sicily", "Palermo", "Catania", "km", "x") == "syntax error"
    assert error_of(c, "GEODIST", "Sicily", "Palermo") == \
        "wrong number of arguments for 'geodist' command"
    c.set("str", "v")
    assert error_of(c, "GEODIST", "str", "a", "b") == WRONGTYPE


# ---------------------------------------------------------------------------- searches


def test_georadius_with_every_option(kv):
    sicily(client(kv))
    assert raw(kv, "GEORADIUS", "Sicily", "15", "37", "200", "km",
               "WITHDIST", "WITHCOORD", "WITHHASH") == (
        b"*2\r\n*4\r\n$7\r\nPalermo\r\n$8\r\n190.4424\r\n:3479099956230698\r\n"
        b"*2\r\n$20\r\n13.36138933897018433\r\n$20\r\n38.11555639549629859\r\n"
        b"*4\r\n$7\r\nCatania\r\n$7\r\n56.4413\r\n:3479447370796909\r\n"
        b"*2\r\n$20\r\n15.08726745843887329\r\n$20\r\n37.50266842333162032\r\n")
    assert raw(kv, "GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHCOORD", "ASC",
               resp3=True) == (
        b"*2\r\n*2\r\n$7\r\nCatania\r\n*2\r\n,15.08726745843887329\r\n,37.50266842333162032\r\n"
        b"*2\r\n$7\r\nPalermo\r\n*2\r\n,13.36138933897018433\r\n,38.11555639549629859\r\n")
    c = client(kv)
    assert c.execute_command("GEORADIUS", "Sicily", "15", "37", "100", "km") == ["Catania"]
    assert c.execute_command("GEORADIUS", "Sicily", "15", "37", "200", "km", "DESC") == [
        "Palermo", "Catania"]
    assert c.execute_command("GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "1") == [
        "Catania"]
    assert c.execute_command("GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "1",
                             "DESC", "WITHDIST") == [["Palermo", "190.4424"]]
    assert c.execute_command("GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "5",
                             "ANY") == ["Palermo", "Catania"]
    assert c.execute_command("GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "1",
                             "ANY") == ["Palermo"]
    assert c.execute_command("GEORADIUS", "Sicily", "15", "37", "1", "m") == []
    assert c.execute_command("GEORADIUS", "Sicily", "15", "37", "150", "mi", "withdist") == [
        ["Palermo", "118.3357"], ["Catania", "35.0711"]]
    assert c.execute_command("GEORADIUS_RO", "Sicily", "15", "37", "200", "km", "WITHDIST",
                             "ASC") == [["Catania", "56.4413"], ["Palermo", "190.4424"]]


def test_georadiusbymember(kv):
    c = client(kv)
    sicily(c)
    c.execute_command("GEOADD", "Sicily", "13.583333", "37.316667", "Agrigento")
    assert c.execute_command("GEORADIUSBYMEMBER", "Sicily", "Agrigento", "100", "km") == [
        "Agrigento", "Palermo"]
    assert c.execute_command("GEORADIUSBYMEMBER_RO", "Sicily", "Agrigento", "100", "km",
                             "WITHDIST", "DESC") == [["Palermo", "90.9778"],
                                                     ["Agrigento", "0.0000"]]
    assert error_of(c, "GEORADIUSBYMEMBER", "Sicily", "nope", "100", "km") == \
        "could not decode requested zset member"
    # The member is looked up before the radius is read.
    assert error_of(c, "GEORADIUSBYMEMBER", "Sicily", "nope", "-1", "km") == \
        "could not decode requested zset member"
    # No key: empty, even with a radius or unit that would not parse.
    assert c.execute_command("GEORADIUSBYMEMBER", "nokey", "x", "-1", "parsec") == []
    assert c.execute_command("GEORADIUSBYMEMBER", "nokey", "x", "1", "km", "STORE", "d") == 0


def test_geosearch(kv):
    c = client(kv)
    sicily(c)
    c.execute_command("GEOADD", "Sicily", "12.758489", "38.788135", "edge1",
                      "17.241510", "38.788135", "edge2")
    assert c.execute_command("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200",
                             "km", "ASC") == ["Catania", "Palermo"]
    assert c.execute_command("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400",
                             "400", "km", "ASC", "WITHCOORD", "WITHDIST", "WITHHASH") == [
        ["Catania", "56.4413", 3479447370796909,
         ["15.08726745843887329", "37.50266842333162032"]],
        ["Palermo", "190.4424", 3479099956230698,
         ["13.36138933897018433", "38.11555639549629859"]],
        ["edge2", "279.7403", 3481342659049484,
         ["17.24151045083999634", "38.78813451624225195"]],
        ["edge1", "279.7405", 3479273021651468,
         ["12.7584877610206604", "38.78813451624225195"]]]
    assert c.execute_command("GEOSEARCH", "Sicily", "frommember", "Palermo", "bybox", "200",
                             "200", "km", "desc", "withdist") == [
        ["edge1", "91.4007"], ["Palermo", "0.0000"]]
    assert c.execute_command("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "100",
                             "km", "COUNT", "1", "ANY") == ["Palermo"]
    # FROMMEMBER may repeat (the last one counts).
    assert c.execute_command("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "FROMMEMBER",
                             "Catania", "BYRADIUS", "1", "km") == ["Catania"]
    assert c.execute_command("GEOSEARCH", "nokey", "FROMMEMBER", "x", "BYRADIUS", "1",
                             "km") == []
    assert c.execute_command("GEOSEARCH", "Sicily", "FROMLONLAT", "0", "0", "BYBOX", "1", "1",
                             "km") == []


def test_search_errors(kv):
    c = client(kv)
    sicily(c)
    k = ["GEOSEARCH", "Sicily"]
    here = ["FROMLONLAT", "15", "37"]
    cases = [
        (k + here, "wrong number of arguments for 'geosearch' command"),
        (k + ["BYRADIUS", "1", "km"], "wrong number of arguments for 'geosearch' command"),
        (k + here + ["BYRADIUS", "1", "parsec"], BAD_UNIT),
        (k + here + ["BYRADIUS", "-1", "km"], "radius cannot be negative"),
        (k + here + ["BYRADIUS", "x", "km"], "need numeric radius"),
        (k + here + ["BYBOX", "x", "1", "km"], "need numeric width"),
        (k + here + ["BYBOX", "1", "x", "km"], "need numeric height"),
        (k + here + ["BYBOX", "-1", "1", "km"], "height or width cannot be negative"),
        (k + here + ["BYBOX", "1", "-1", "km"], "height or width cannot be negative"),
        (k + here + ["BYBOX", "1", "1", "au"], BAD_UNIT),
        (k + here + ["BYRADIUS", "1", "km", "ANY"], "the ANY argument requires COUNT argument"),
        (k + here + ["BYRADIUS", "1", "km", "COUNT", "0"], "COUNT must be > 0"),
        (k + here + ["BYRADIUS", "1", "km", "COUNT", "-3"], "COUNT must be > 0"),
        (k + here + ["BYRADIUS", "1", "km", "COUNT", "x"],
         "value is not an integer or out of range"),
        (k + here + ["BYRADIUS", "1", "km", "COUNT"], "syntax error"),
        (k + here + ["BYRADIUS", "1", "km", "BYBOX", "1", "1", "km"], "syntax error"),
        (k + here + ["BYBOX", "1", "1", "km", "BYRADIUS", "1", "km"], "syntax error"),
        (k + here + ["FROMMEMBER", "Palermo", "BYRADIUS", "1", "km"], "syntax error"),
        (k + ["FROMMEMBER", "Palermo"] + here + ["BYRADIUS", "1", "km"], "syntax error"),
        (k + here + ["BYRADIUS", "1", "km", "STORE", "d"], "syntax error"),
        (k + here + ["BYRADIUS", "1", "km", "STOREDIST"], "syntax error"),
        (k + here + ["BYRADIUS", "1", "km", "bogus"], "syntax error"),
        (k + ["FROMLONLAT", "15", "37", "x", "BYRADIUS", "1", "km"], "syntax error"),
        (k + ["FROMLONLAT", "200", "37", "BYRADIUS", "1", "km"],
         "invalid longitude,latitude pair 200.000000,37.000000"),
        (k + ["FROMLONLAT", "a", "37", "BYRADIUS", "1", "km"], "value is not a valid float"),
        (k + ["FROMMEMBER", "nope", "BYRADIUS", "1", "km"],
         "could not decode requested zset member"),
        (k + ["BYRADIUS", "1", "km", "WITHDIST", "ASC"],
         "exactly one of FROMMEMBER or FROMLONLAT can be specified for GEOSEARCH"),
        (["geosearch", "Sicily", "BYRADIUS", "1", "km", "WITHDIST", "ASC"],
         "exactly one of FROMMEMBER or FROMLONLAT can be specified for geosearch"),
        (k + here + ["WITHDIST", "ASC", "DESC"],
         "exactly one of BYRADIUS and BYBOX can be specified for GEOSEARCH"),
        (["GEOSEARCHSTORE", "d", "Sicily"] + here + ["BYRADIUS", "1", "km", "WITHDIST"],
         "GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options"),
        (["GEOSEARCHSTORE", "d", "Sicily"] + here + ["BYRADIUS", "1", "km", "STORE", "x"],
         "syntax error"),
        (["GEORADIUS", "Sicily", "15", "37", "1", "km", "WITHHASH", "STORE", "d"],
         "STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD "
         "options"),
        (["GEORADIUS", "Sicily", "15", "37", "1", "km", "STORE"], "syntax error"),
        (["GEORADIUS", "Sicily", "15", "37", "1", "km", "FROMMEMBER", "x"], "syntax error"),
        (["GEORADIUS", "Sicily", "15", "37", "1", "km", "STOREDIST", "d", "WITHCOORD"],
         "STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD "
         "options"),
        (["GEORADIUS", "Sicily", "15", "91", "1", "km"],
         "invalid longitude,latitude pair 15.000000,91.000000"),
        (["GEORADIUS", "Sicily", "15", "37", "1", "yd"], BAD_UNIT),
        (["GEORADIUS", "Sicily", "15", "37", "-1", "km"], "radius cannot be negative"),
        (["GEORADIUS", "nokey", "15", "37", "-1", "km"], "radius cannot be negative"),
        (["GEORADIUS", "Sicily", "15", "37", "1"], "wrong number of arguments for 'georadius' command"),
        (["GEORADIUS_RO", "Sicily", "15", "37", "1", "km", "STORE", "d"], "syntax error"),
        (["GEORADIUSBYMEMBER_RO", "Sicily", "Palermo", "1", "km", "STOREDIST", "d"],
         "syntax error"),
        (["GEORADIUSBYMEMBER", "Sicily", "Palermo", "1"],
         "wrong number of arguments for 'georadiusbymember' command"),
        (["GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "15", "37"],
         "wrong number of arguments for 'geosearchstore' command"),
    ]
    for args, want in cases:
        assert error_of(c, *args) == want, args
    c.set("str", "v")
    for args in (["GEOSEARCH", "str", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km"],
                 ["GEOSEARCH", "str", "FROMLONLAT", "15", "37", "BYRADIUS", "-1", "km"],
                 ["GEORADIUS", "str", "15", "370", "1", "km"],
                 ["GEORADIUSBYMEMBER_RO", "str", "x", "1", "km"],
                 ["GEOSEARCHSTORE", "d", "str", "FROMMEMBER", "x", "BYRADIUS", "1", "km"]):
        assert error_of(c, *args) == WRONGTYPE, args
    # Errors write nothing.
    assert c.exists("d") == 0


def test_missing_source(kv):
    c = client(kv)
    c.zadd("dst", {"old": 1})
    assert c.execute_command("GEOSEARCH", "nokey", "FROMLONLAT", "1", "2", "BYRADIUS", "1",
                             "km") == []
    assert c.execute_command("GEORADIUS", "nokey", "1", "2", "1", "km", "WITHDIST") == []
    # A STORE form deletes its destination and answers 0.
    assert c.execute_command("GEOSEARCHSTORE", "dst", "nokey", "FROMMEMBER", "x", "BYRADIUS",
                             "1", "km") == 0
    assert c.exists("dst") == 0
    c.set("dst", "string")
    assert c.execute_command("GEORADIUS", "nokey", "1", "2", "1", "km", "STORE", "dst") == 0
    assert c.exists("dst") == 0
    # Errors of the remaining arguments still come first.
    assert error_of(c, "GEOSEARCH", "nokey", "FROMMEMBER", "x", "BYRADIUS", "1", "km",
                    "ANY") == "the ANY argument requires COUNT argument"


def test_store_forms(kv):
    c = client(kv)
    sicily(c)
    c.set("dst", "replaced whatever it holds")
    assert c.execute_command("GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE",
                             "dst") == 2
    assert c.zrange("dst", 0, -1, withscores=True) == [
        ("Palermo", 3479099956230698.0), ("Catania", 3479447370796909.0)]
    assert c.execute_command("GEORADIUS", "Sicily", "15", "37", "200", "km", "STOREDIST",
                             "dst") == 2
    assert c.zrange("dst", 0, -1, withscores=True) == [
        ("Catania", 56.4412578701582), ("Palermo", 190.44242984775784)]
    # The last STORE / STOREDIST wins; COUNT and DESC apply.
    assert c.execute_command("GEORADIUSBYMEMBER", "Sicily", "Palermo", "200", "km", "STORE",
                             "x", "STOREDIST", "dst", "COUNT", "1", "DESC") == 1
    assert c.exists("x") == 0
    assert c.zrange("dst", 0, -1, withscores=True) == [("Catania", 166.27415156960032)]
    assert c.execute_command("GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37",
                             "BYBOX", "400", "400", "km") == 2
    assert c.execute_command("GEOPOS", "dst", "Palermo") == [
        ["13.36138933897018433", "38.11555639549629859"]]
    assert c.execute_command("GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37",
                             "BYBOX", "400", "400", "mi", "STOREDIST", "COUNT", "1") == 1
    assert c.zrange("dst", 0, -1, withscores=True) == [("Catania", 35.071058862737644)]
    # Nothing found: the destination goes.
    assert c.execute_command("GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "0", "0",
                             "BYRADIUS", "1", "m") == 0
    assert c.exists("dst") == 0
    # The source itself as the destination.
    assert c.execute_command("GEORADIUS", "Sicily", "15", "37", "100", "km", "STORE",
                             "Sicily") == 1
    assert c.zrange("Sicily", 0, -1) == ["Catania"]


def test_store_builds_a_skiplist_past_the_listpack_limit(kv):
    c = client(kv)
    args = []
    for i in range(200):
        args += [f"{10 + i * 0.001:.3f}", "20", f"m{i}"]
    c.execute_command("GEOADD", "big", *args)
    assert c.object("encoding", "big") == "skiplist"
    assert c.execute_command("GEOSEARCHSTORE", "dst", "big", "FROMLONLAT", "10.1", "20",
                             "BYRADIUS", "1000", "km") == 200
    assert c.object("encoding", "dst") == "skiplist"
    assert c.execute_command("GEOSEARCHSTORE", "dst", "big", "FROMLONLAT", "10.1", "20",
                             "BYRADIUS", "1000", "km", "COUNT", "10") == 10
    assert c.object("encoding", "dst") == "listpack"
    assert c.zcard("dst") == 10


def test_equal_distances_keep_redis_order(kv):
    """Many members at one position: the full sort is stable (glibc's merge sort), a COUNT cut
    uses Redis's partial quicksort, whose order of ties differs: both as redis-server."""
    c = client(kv)
    args = []
    for i in range(60):
        args += ["2.5", "48.5", f"same{i:02d}"]
    for i in range(30):
        args += [f"{2.5 + (i % 3 + 1) * 0.01:.2f}", "48.5", f"near{i:02d}"]
    c.execute_command("GEOADD", "eq", *args)
    search = ["GEOSEARCH", "eq", "FROMLONLAT", "2.5", "48.5", "BYRADIUS", "10", "km"]
    same = [f"same{i:02d}" for i in range(60)]
    ring = lambda first: [f"near{i:02d}" for i in range(first, 30, 3)]
    assert c.execute_command(*search, "ASC") == same + ring(0) + ring(1) + ring(2)
    assert c.execute_command(*search, "DESC") == ring(2) + ring(1) + ring(0) + same
    cut = c.execute_command(*search, "COUNT", "65")
    assert cut == (["same22"] + same[1:22] + ["same00"] + same[23:] +
                   ["near27", "near06", "near09", "near12", "near15"])
    assert c.execute_command(*search, "DESC", "COUNT", "12") == [
        "near05", "near26", "near23", "near20", "near17", "near02", "near14", "near11",
        "near08", "near29", "near16", "near01"]


def test_acl_reads_the_source_and_writes_the_destination(kv):
    c = client(kv)
    sicily(c, "src")
    c.execute_command("ACL", "SETUSER", "geo", "on", ">pw", "%R~src*", "%W~dst*", "+@all")
    u = client(kv, username="geo", password="pw")
    assert u.execute_command("GEORADIUS", "src", "15", "37", "200", "km") == [
        "Palermo", "Catania"]
    assert u.execute_command("GEORADIUS", "src", "15", "37", "200", "km", "STORE", "dst") == 2
    assert u.execute_command("GEOSEARCHSTORE", "dst", "src", "FROMLONLAT", "15", "37",
                             "BYRADIUS", "100", "km") == 1
    assert u.execute_command("GEOSEARCH", "src", "FROMLONLAT", "15", "37", "BYRADIUS", "100",
                             "km") == ["Catania"]
    noperm = "this user has no permissions to access one of the keys used as arguments"
    with pytest.raises(redis.exceptions.NoPermissionError) as e:
        u.execute_command("GEORADIUS", "src", "15", "37", "200", "km", "STORE", "src2")
    assert str(e.value) == noperm
    with pytest.raises(redis.exceptions.NoPermissionError):
        u.execute_command("GEOSEARCHSTORE", "src2", "src", "FROMLONLAT", "15", "37",
                          "BYRADIUS", "100", "km")
    with pytest.raises(redis.exceptions.NoPermissionError):
        u.execute_command("GEOADD", "src", *PALERMO)
    u.close()
    c.execute_command("ACL", "DELUSER", "geo")


def test_command_info_and_getkeys(kv):
    c = client(kv)
    del c.response_callbacks["COMMAND"]
    getkeys = lambda *a: c.execute_command("COMMAND", "GETKEYS", *a)
    assert getkeys("GEORADIUS", "src", "1", "2", "3", "km") == ["src"]
    assert getkeys("GEORADIUS", "src", "1", "2", "3", "km", "STORE", "a", "STOREDIST",
                   "b") == ["src", "a", "b"]
    assert getkeys("GEORADIUS", "src", "1", "2", "3", "km", "STOREDIST", "b", "STORE",
                   "a") == ["src", "a", "b"]
    assert getkeys("GEORADIUSBYMEMBER", "src", "m", "3", "km", "STOREDIST", "d") == ["src", "d"]
    assert getkeys("GEOSEARCHSTORE", "dst", "src", "FROMMEMBER", "m", "BYRADIUS", "1",
                   "km") == ["dst", "src"]
    info = c.execute_command("COMMAND", "INFO", "georadius", "geosearchstore", "geopos")
    by_name = {i[0]: i for i in info}
    flags = lambda name: set(by_name[name][2])
    assert {"write", "denyoom", "movablekeys"} <= flags("georadius")
    assert by_name["georadius"][1] == -6
    assert by_name["geosearchstore"][3:6] == [1, 2, 1]
    assert "readonly" in flags("geopos")
    assert {"@read", "@geo", "@slow"} <= set(by_name["geopos"][6])
    assert {"@write", "@geo", "@slow"} <= set(by_name["georadius"][6])
    assert sorted(c.execute_command("ACL", "CAT", "geo")) == [
        "geoadd", "geodist", "geohash", "geopos", "georadius", "georadius_ro",
        "georadiusbymember", "georadiusbymember_ro", "geosearch", "geosearchstore"]


# ---------------------------------------------------------------------------- against Redis


def random_point(rng: random.Random) -> tuple[str, str]:
    kind = rng.random()
    if kind < 0.6:  # a dense area, so searches find many
        lon, lat = rng.uniform(-5, 5), rng.uniform(40, 50)
    elif kind < 0.8:
        lon, lat = rng.uniform(-180, 180), rng.uniform(-85.05112878, 85.05112878)
    else:  # near the poles and the antimeridian
        lon = rng.choice([-1, 1]) * rng.uniform(170, 180)
        lat = rng.choice([-1, 1]) * rng.uniform(60, 85.05112878)
    return f"{lon:.6f}", f"{lat:.6f}"


def random_search(rng: random.Random, members: list[str]) -> list:
    unit = rng.choice(["m", "km", "ft", "mi", "KM"])
    scale = {"m": 1000, "km": 1, "ft": 3280.84, "mi": 0.621371, "KM": 1}[unit]
    size = rng.choice([0, 0.5, 10, 50, 200, 1000, 5000, 21000]) * rng.uniform(0.5, 1.5) * scale
    opts = []
    for o in ("WITHDIST", "WITHCOORD", "WITHHASH"):
        if rng.random() < 0.4:
            opts.append(o)
    sort = rng.choice([None, None, "ASC", "DESC"])
    if sort:
        opts.append(sort)
    if rng.random() < 0.5:
        opts += ["COUNT", str(rng.choice([1, 2, 5, 20, 100, 1000]))]
        if rng.random() < 0.3:
            opts.append("ANY")
    if rng.random() < 0.5:
        center = ["FROMLONLAT", *random_point(rng)]
    else:
        center = ["FROMMEMBER", rng.choice(members)]
    if rng.random() < 0.5:
        shape = ["BYRADIUS", f"{size:.3f}", unit]
    else:
        shape = ["BYBOX", f"{size * rng.uniform(0.3, 2):.3f}", f"{size:.3f}", unit]
    kind = rng.random()
    if kind < 0.5:
        return ["GEOSEARCH", "pts", *center, *shape, *opts]
    if kind < 0.7 and center[0] == "FROMLONLAT":
        return ["GEORADIUS", "pts", center[1], center[2], f"{size:.3f}", unit, *opts]
    if kind < 0.7:
        return ["GEORADIUSBYMEMBER_RO", "pts", center[1], f"{size:.3f}", unit, *opts]
    store = [o for o in opts if o not in ("WITHDIST", "WITHCOORD", "WITHHASH")]
    if rng.random() < 0.5:
        store.append("STOREDIST")
    return ["GEOSEARCHSTORE", "out", "pts", *center, *shape, *store]


def test_random_points_and_searches_match_redis(kv, redis_ref):
    rng = random.Random(20260704)
    servers = (kv, redis_ref)
    members = []
    args = []
    for i in range(500):
        lon, lat = random_point(rng)
        if i % 25 == 0 and args:  # some members share a position
            lon, lat = args[-3], args[-2]
        members.append(f"p{i}")
        args += [lon, lat, f"p{i}"]
    for s in servers:
        client(s).execute_command("GEOADD", "pts", *args)
    conns = [s.raw() for s in servers]
    try:
        def both(*cmd) -> bytes:
            replies = []
            for r in conns:
                r.send_command(*cmd)
                replies.append(r.read_reply_bytes())
            assert replies[0] == replies[1], cmd
            return replies[0]

        both("ZRANGE", "pts", "0", "-1", "WITHSCORES")
        both("GEOPOS", "pts", *members[:100], "missing")
        both("GEOHASH", "pts", *members[100:200], "missing")
        for _ in range(40):
            both("GEODIST", "pts", rng.choice(members), rng.choice(members),
                 rng.choice(["m", "km", "ft", "mi"]))
        found = 0
        for _ in range(400):
            cmd = random_search(rng, members)
            reply = both(*cmd)
            found += reply.count(b"$")
            if cmd[0] == "GEOSEARCHSTORE":
                both("ZRANGE", "out", "0", "-1", "WITHSCORES")
        assert found > 2000  # the searches did find points
        for r in conns:
            r.send_command("HELLO", "3")
            r.read_reply_bytes()
        for _ in range(60):
            both(*random_search(rng, members))
        both("GEOPOS", "pts", *members[:50])
    finally:
        for r in conns:
            r.close()


def test_extreme_shapes_match_redis(kv, redis_ref):
    """Infinite and zero sizes, whole-Earth searches from the corners, points at the poles'
    limits and the antimeridian."""
    points = ["13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania",
              "-179", "85", "n", "179", "-85", "s", "0", "0", "o", "180", "0", "e", "-180", "0",
              "w", "-180", "-85.05112878", "sw", "180", "85.05112878", "ne"]
    cmds = [
        ("GEORADIUS", "k", "15", "37", "inf", "km", "WITHDIST", "ASC"),
        ("GEOSEARCH", "k", "FROMLONLAT", "15", "37", "BYBOX", "inf", "inf", "km", "WITHDIST"),
        ("GEOSEARCH", "k", "FROMLONLAT", "15", "37", "BYBOX", "inf", "0", "km", "WITHDIST"),
        ("GEOSEARCH", "k", "FROMLONLAT", "15", "37", "BYRADIUS", "0", "km", "WITHDIST"),
        ("GEOSEARCH", "k", "FROMMEMBER", "o", "BYRADIUS", "0", "km", "WITHDIST"),
        ("GEOSEARCH", "k", "FROMLONLAT", "15", "37", "BYRADIUS", "1e308", "km", "DESC"),
        ("GEOSEARCH", "k", "FROMLONLAT", "180", "85.05112878", "BYRADIUS", "20000", "km",
         "WITHDIST", "DESC", "WITHHASH"),
        ("GEOSEARCH", "k", "FROMMEMBER", "sw", "BYBOX", "40000", "40000", "km", "WITHDIST",
         "WITHCOORD"),
        ("GEOSEARCH", "k", "FROMMEMBER", "e", "BYRADIUS", "500", "km", "WITHDIST"),
        ("GEOSEARCH", "k", "FROMLONLAT", "0", "0", "BYBOX", "1e-300", "1e-300", "km"),
        ("GEORADIUS", "k", "0", "0", "20037", "km", "COUNT", "2"),
        ("GEORADIUS", "k", "0", "0", "20037", "km", "COUNT", "2", "ANY", "DESC"),
        ("GEORADIUSBYMEMBER", "k", "n", "30000", "km", "COUNT", "3", "DESC", "WITHCOORD"),
        ("GEODIST", "k", "n", "s"),
        ("GEODIST", "k", "e", "w", "mi"),
        ("GEOPOS", "k", "sw", "ne", "e", "w"),
        ("GEOHASH", "k", "sw", "ne", "e", "w", "n", "s"),
    ]
    replies = []
    for server in (kv, redis_ref):
        client(server).execute_command("GEOADD", "k", *points)
        replies.append([raw(server, *cmd) for cmd in cmds])
    for cmd, mine, ref in zip(cmds, *replies):
        assert mine == ref, cmd


@pytest.mark.kv_only
def test_geo_writes_replay_from_the_log(kv_persist):
    s = kv_persist(appendfsync="always")
    c = client(s)
    sicily(c)
    c.execute_command("GEOADD", "Sicily", "CH", "XX", "13.5", "38", "Palermo")
    c.execute_command("GEORADIUS", "Sicily", "15", "37", "200", "km", "STOREDIST", "dist")
    c.execute_command("GEOSEARCHSTORE", "near", "Sicily", "FROMMEMBER", "Catania", "BYRADIUS",
                      "300", "km", "COUNT", "1")
    c.set("gone", "x")
    c.execute_command("GEORADIUS", "nokey", "0", "0", "1", "km", "STORE", "gone")
    before = {k: c.zrange(k, 0, -1, withscores=True) for k in ("Sicily", "dist", "near")}
    s.kill9()
    s.restart()
    c = client(s)
    assert {k: c.zrange(k, 0, -1, withscores=True) for k in before} == before
    assert c.exists("gone") == 0


@pytest.mark.kv_only
def test_native_clients_read_floats_and_use_typed_members(kv_server):
    s = kv_server(native_port="auto")
    n = kvclient.connect(f"kv://127.0.0.1:{s.native_port}")
    r = client(s)
    try:
        # A typed member is its text; typed coordinates read as their text.
        assert n.call("GEOADD", "g", 13.361389, Decimal("38.115556"), 7) == 1
        assert r.execute_command("GEOADD", "g", *PALERMO) == 1
        assert r.zrange("g", 0, -1) == ["7", "Palermo"]
        assert r.execute_command("GEODIST", "g", "7", "Palermo") == "0.0000"
        # Coordinates come back as Floats (their exact binary values), distances as text.
        assert n.call("GEOPOS", "g", 7) == [[13.36138933897018433, 38.11555639549629859]]
        assert n.call("GEOSEARCH", "g", "FROMMEMBER", 7, "BYRADIUS", 1, "km", "WITHDIST",
                      "WITHHASH") == [[b"7", b"0.0000", 3479099956230698],
                                     [b"Palermo", b"0.0000", 3479099956230698]]
    finally:
        n.close()
