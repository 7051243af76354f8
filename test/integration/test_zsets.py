"""Sorted-set commands through redis-py and raw RESP: ZADD (NX XX GT LT CH INCR) ZINCRBY ZREM
ZCARD ZCOUNT ZLEXCOUNT ZSCORE ZMSCORE ZRANK ZREVRANK, the ZRANGE family, ZREMRANGEBY*, ZPOPMIN
ZPOPMAX ZMPOP ZRANDMEMBER ZSCAN, their errors in Redis's order, score text over RESP2 and
doubles over RESP3, an emptied set deleting its key, and big sets against a Python model.
These run against Debian's redis-server too (KV_TEST_AGAINST_REDIS=1); kv-server's own
encodings and persistence are in test_zsets_kv.py."""

from __future__ import annotations

import random

import pytest
import redis

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


def test_zadd_options_and_replies(kv):
    c = kv.client()
    assert c.zadd("z", {"a": 1, "b": 2}) == 2
    assert c.zadd("z", {"a": 1, "b": 3}) == 0
    assert c.zadd("z", {"a": 5, "c": 1}, ch=True) == 2
    assert c.zadd("z", {"a": 9, "d": 1}, nx=True) == 1
    assert c.zscore("z", "a") == 5
    assert c.zadd("z", {"a": 4, "e": 1}, xx=True, ch=True) == 1
    assert c.zscore("z", "e") is None
    assert c.zadd("z", {"a": 3}, gt=True, ch=True) == 0
    assert c.zadd("z", {"a": 6}, gt=True, ch=True) == 1
    assert c.zadd("z", {"a": 7}, lt=True, ch=True) == 0
    assert c.zadd("z", {"a": 2, "f": 1}, lt=True, ch=True) == 2
    assert c.zadd("z", {"a": 2}, incr=True) == 4
    assert c.zadd("z", {"a": 1}, incr=True, nx=True) is None
    assert c.zadd("nokey", {"a": 1}, incr=True, xx=True) is None
    assert c.exists("nokey") == 0
    assert c.zincrby("z", 2.5, "a") == 6.5
    assert c.zincrby("z", -1, "new") == -1
    assert c.zcard("z") == 6 and c.zcard("missing") == 0


def test_zadd_errors(kv):
    with kv.raw() as r:
        assert str(r.call("ZADD", "z", "NX", "1")) == "ERR syntax error"
        assert str(r.call("ZADD", "z", "NX", "1", "a", "2")) == "ERR syntax error"
        assert str(r.call("ZADD", "z", "x", "a")) == "ERR value is not a valid float"
        assert str(r.call("ZADD", "z", "nan", "a")) == "ERR value is not a valid float"
        assert str(r.call("ZADD", "z", " 1", "a")) == "ERR value is not a valid float"
        assert str(r.call("ZADD", "z", "INCR", "1", "a", "2", "b")) == (
            "ERR INCR option supports a single increment-element pair")
        assert str(r.call("ZADD", "z", "NX", "XX", "1", "a")) == (
            "ERR XX and NX options at the same time are not compatible")
        assert str(r.call("ZADD", "z", "GT", "LT", "1", "a")) == (
            "ERR GT, LT, and/or NX options at the same time are not compatible")
        assert str(r.call("ZADD", "z", "NX", "GT", "1", "a")) == (
            "ERR GT, LT, and/or NX options at the same time are not compatible")
        assert r.call("ZADD", "z", "inf", "a") == 1
        assert str(r.call("ZINCRBY", "z", "-inf", "a")) == (
            "ERR resulting score is not a number (NaN)")
        assert r.call("ZSCORE", "z", "a") == b"inf"
        assert str(r.call("ZINCRBY", "z", "abc", "a")) == "ERR value is not a valid float"
        r.call("SET", "s", "v")
        assert str(r.call("ZADD", "s", "1", "a")) == WRONGTYPE
        assert str(r.call("ZSCORE", "s", "a")) == WRONGTYPE
        assert str(r.call("ZRANGE", "s", "0", "-1")) == WRONGTYPE
        assert str(r.call("ZCARD", "s")) == WRONGTYPE
        # A float parse error wins over the type check, as in Redis.
        assert str(r.call("ZADD", "s", "x", "a")) == "ERR value is not a valid float"
        assert str(r.call("GET", "z")) == WRONGTYPE


def test_score_text_resp2_and_resp3(kv):
    with kv.raw() as r:
        r.call("ZADD", "z", "1.1", "a", "0.1", "b", "-0", "c", "1e300", "d", "3", "e",
               "-inf", "f", "123456789012345678", "g")
        assert r.call("ZSCORE", "z", "a") == b"1.1000000000000001"
        assert r.call("ZSCORE", "z", "b") == b"0.10000000000000001"
        assert r.call("ZSCORE", "z", "c") == b"0"  # a listpack keeps -0 as the integer 0
        assert r.call("ZSCORE", "z", "d") == b"1.0000000000000001e+300"
        assert r.call("ZSCORE", "z", "e") == b"3"
        assert r.call("ZSCORE", "z", "f") == b"-inf"
        assert r.call("ZSCORE", "z", "g") == b"1.2345678901234568e+17"
        assert r.call("ZINCRBY", "z", "0.2", "b") == b"0.30000000000000004"
        r.send_command("HELLO", "3")
        r.read_reply_bytes()
        r.send_command("ZSCORE", "z", "a")
        assert r.read_reply_bytes() == b",1.1000000000000001\r\n"
        r.send_command("ZSCORE", "z", "f")
        assert r.read_reply_bytes() == b",-inf\r\n"
        r.send_command("ZRANGE", "z", "0", "1", "WITHSCORES")
        assert r.read_reply_bytes() == b"*2\r\n*2\r\n$1\r\nf\r\n,-inf\r\n*2\r\n$1\r\nc\r\n,0\r\n"
        r.send_command("ZMSCORE", "z", "e", "nope")
        assert r.read_reply_bytes() == b"*2\r\n,3\r\n_\r\n"


def test_rem_rank_and_counts(kv):
    c = kv.client()
    c.zadd("z", {"a": 1, "b": 2, "c": 3, "d": 3, "e": 5})
    assert c.zrank("z", "a") == 0 and c.zrank("z", "d") == 3 and c.zrank("z", "x") is None
    assert c.zrevrank("z", "a") == 4 and c.zrevrank("nokey", "a") is None
    assert c.zcount("z", 2, 3) == 3
    assert c.zcount("z", "(2", "+inf") == 3
    assert c.zcount("z", "-inf", "(3") == 2
    assert c.zcount("z", 5, 1) == 0
    assert c.zmscore("z", ["a", "x", "e"]) == [1.0, None, 5.0]
    assert c.zrem("z", "a", "x", "b") == 2
    assert c.zrem("z", "c", "d", "e") == 3
    assert c.exists("z") == 0
    with kv.raw() as r:
        assert str(r.call("ZCOUNT", "z", "x", "1")) == "ERR min or max is not a float"
        assert str(r.call("ZCOUNT", "z", "(nan", "1")) == "ERR min or max is not a float"
        assert str(r.call("ZLEXCOUNT", "z", "a", "+")) == (
            "ERR min or max not valid string range item")
        assert str(r.call("ZLEXCOUNT", "z", "-x", "+")) == (
            "ERR min or max not valid string range item")
        assert r.call("ZCOUNT", "z", "", "(") == 0  # strtod's rules, as Redis


def test_ranges(kv):
    c = kv.client()
    c.zadd("z", {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5})
    assert c.zrange("z", 0, -1) == ["a", "b", "c", "d", "e"]
    assert c.zrange("z", -2, 100) == ["d", "e"]
    assert c.zrange("z", 3, 1) == []
    assert c.zrange("z", 0, 1, withscores=True) == [("a", 1.0), ("b", 2.0)]
    assert c.zrevrange("z", 0, 1) == ["e", "d"]
    assert c.zrangebyscore("z", 2, 4) == ["b", "c", "d"]
    assert c.zrangebyscore("z", "(2", "+inf", start=1, num=2) == ["d", "e"]
    assert c.zrevrangebyscore("z", 4, "(1") == ["d", "c", "b"]
    assert c.zrevrangebyscore("z", "+inf", "-inf", start=1, num=1) == ["d"]
    assert c.zrange("z", 4, 2, byscore=True, desc=True) == ["d", "c", "b"]
    assert c.zrange("z", "(1", 5, byscore=True, offset=0, num=-1) == ["b", "c", "d", "e"]
    c.zadd("l", {m: 0 for m in "abcdefg"})
    assert c.zrangebylex("l", "[b", "(e") == ["b", "c", "d"]
    assert c.zrangebylex("l", "-", "+", start=2, num=2) == ["c", "d"]
    assert c.zrevrangebylex("l", "+", "[e") == ["g", "f", "e"]
    assert c.zlexcount("l", "(a", "[c") == 2
    assert c.zlexcount("l", "+", "-") == 0
    assert c.zrange("l", "[c", "-", bylex=True, desc=True) == ["c", "b", "a"]
    assert c.zrangestore("dst", "z", 1, 3) == 3
    assert c.zrange("dst", 0, -1, withscores=True) == [("b", 2.0), ("c", 3.0), ("d", 4.0)]
    assert c.zrangestore("dst", "z", 10, 20) == 0
    assert c.exists("dst") == 0
    assert c.zrangestore("dst", "l", "[f", "+", bylex=True) == 2
    with kv.raw() as r:
        assert r.call("ZRANGE", "z", "0", "-1", "LIMIT", "-1", "5", "BYSCORE") == []
        assert str(r.call("ZRANGE", "z", "0", "1", "LIMIT", "0", "1")) == (
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or "
            "BYLEX")
        assert str(r.call("ZRANGE", "l", "-", "+", "BYLEX", "WITHSCORES")) == (
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX")
        assert str(r.call("ZRANGE", "z", "0", "1", "BYSCORE", "BYLEX")) == "ERR syntax error"
        assert str(r.call("ZRANGEBYSCORE", "z", "a", "1")) == "ERR min or max is not a float"
        assert str(r.call("ZRANGE", "z", "a", "1")) == (
            "ERR value is not an integer or out of range")
        assert str(r.call("ZRANGEBYSCORE", "z", "0", "1", "LIMIT", "x", "1")) == (
            "ERR value is not an integer or out of range")
        assert str(r.call("ZRANGESTORE", "d", "z", "0", "1", "WITHSCORES")) == "ERR syntax error"
        assert r.call("ZRANGE", "nokey", "0", "-1") == []
        assert r.call("ZRANGEBYSCORE", "z", "1", "2", "WITHSCORES") == [b"a", b"1", b"b", b"2"]


def test_remrange(kv):
    c = kv.client()
    c.zadd("z", {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5})
    assert c.zremrangebyrank("z", 0, 1) == 2
    assert c.zremrangebyscore("z", "(3", 4) == 1
    assert c.zrange("z", 0, -1) == ["c", "e"]
    assert c.zremrangebyrank("z", 5, 10) == 0
    c.zadd("l", {m: 0 for m in "abcde"})
    assert c.zremrangebylex("l", "[b", "(d") == 2
    assert c.zrange("l", 0, -1) == ["a", "d", "e"]
    assert c.zremrangebyrank("l", 0, -1) == 3
    assert c.exists("l") == 0
    with kv.raw() as r:
        assert str(r.call("ZREMRANGEBYSCORE", "z", "x", "1")) == "ERR min or max is not a float"
        assert str(r.call("ZREMRANGEBYLEX", "z", "x", "+")) == (
            "ERR min or max not valid string range item")
        assert str(r.call("ZREMRANGEBYRANK", "z", "x", "1")) == (
            "ERR value is not an integer or out of range")


def test_pops(kv):
    c = kv.client()
    c.zadd("z", {"a": 1, "b": 2, "c": 3, "d": 4})
    assert c.zpopmin("z") == [("a", 1.0)]
    assert c.zpopmax("z", 2) == [("d", 4.0), ("c", 3.0)]
    assert c.zpopmin("z", 0) == []
    assert c.zpopmin("z", 10) == [("b", 2.0)]
    assert c.exists("z") == 0
    assert c.zpopmin("z") == []
    with kv.raw() as r:
        assert str(r.call("ZPOPMIN", "z", "-1")) == "ERR value is out of range, must be positive"
        assert str(r.call("ZPOPMIN", "z", "1", "2")) == "ERR syntax error"
        r.call("ZADD", "y", "1", "a", "2", "b", "3", "c")
        assert r.call("ZMPOP", "2", "z", "y", "MAX", "COUNT", "2") == [
            b"y", [[b"c", b"3"], [b"b", b"2"]]]
        assert r.call("ZMPOP", "1", "z", "MIN") is None
        assert str(r.call("ZMPOP", "0", "z", "MIN")) == "ERR numkeys should be greater than 0"
        assert str(r.call("ZMPOP", "1", "y", "MID")) == "ERR syntax error"
        assert str(r.call("ZMPOP", "1", "y", "MIN", "COUNT", "0")) == (
            "ERR count should be greater than 0")
        assert str(r.call("ZMPOP", "3", "y", "MIN")) == "ERR syntax error"
        r.send_command("HELLO", "3")
        r.read_reply_bytes()
        r.call("ZADD", "p", "1", "a", "2", "b")
        r.send_command("ZPOPMIN", "p")
        assert r.read_reply_bytes() == b"*2\r\n$1\r\na\r\n,1\r\n"
        r.send_command("ZPOPMIN", "p", "1")
        assert r.read_reply_bytes() == b"*1\r\n*2\r\n$1\r\nb\r\n,2\r\n"


def test_randmember_and_scan(kv):
    c = kv.client()
    members = {f"m{i}": i for i in range(200)}
    c.zadd("big", members)
    c.zadd("small", {"a": 1, "b": 2, "c": 3})
    for key, want in (("big", members), ("small", {"a": 1, "b": 2, "c": 3})):
        assert c.zrandmember(key) in want
        got = c.zrandmember(key, 5)
        assert len(got) == min(5, len(want)) and len(set(got)) == len(got)
        assert set(got) <= set(want)
        assert len(c.zrandmember(key, -7)) == 7
        assert sorted(c.zrandmember(key, 1000)) == sorted(want)
        pairs = c.zrandmember(key, 3, withscores=True)
        assert all(want[pairs[i]] == float(pairs[i + 1]) for i in range(0, len(pairs), 2))
        assert dict(c.zscan_iter(key)) == {m: float(s) for m, s in want.items()}
    assert c.zrandmember("nokey") is None and c.zrandmember("nokey", 3) == []
    assert dict(c.zscan_iter("big", match="m1?")) == {f"m1{i}": 10.0 + i for i in range(10)}
    with kv.raw() as r:
        assert str(r.call("ZRANDMEMBER", "small", "1", "x")) == "ERR syntax error"
        assert str(r.call("ZSCAN", "small", "x")) == "ERR invalid cursor"


def test_big_set_against_model(kv):
    c = kv.client()
    rng = random.Random(7)
    model: dict[str, float] = {}
    for _ in range(3000):
        m = f"m{rng.randrange(500)}"
        op = rng.randrange(4)
        if op < 2:
            s = rng.randrange(100) / 4
            c.zadd("z", {m: s})
            model[m] = s
        elif op == 2:
            assert c.zrem("z", m) == (1 if model.pop(m, None) is not None else 0)
        else:
            assert c.zincrby("z", 1.5, m) == model.get(m, 0) + 1.5
            model[m] = model.get(m, 0) + 1.5
    order = sorted(model.items(), key=lambda kv_: (kv_[1], kv_[0]))
    assert c.zrange("z", 0, -1, withscores=True) == order
    for i in range(0, len(order), 37):
        assert c.zrank("z", order[i][0]) == i
    assert c.zcount("z", 5, 10) == sum(1 for _, s in order if 5 <= s <= 10)
    assert c.zrangebyscore("z", 5, "(10") == [m for m, s in order if 5 <= s < 10]


def test_big_set_reverse_walks_removals_and_moves_against_model(kv):
    """A set far past the listpack limit: reverse ranges of every length from many ranks (the
    skiplist walks those forward in chunks), score changes that keep or move a member's place,
    rank-range removal from the middle and pops from both ends."""
    c = kv.client()
    rng = random.Random(11)
    model = {f"k{i:05}": float(i % 40) for i in range(1500)}
    c.zadd("z", model)

    def order():
        return sorted(model.items(), key=lambda kv_: (kv_[1], kv_[0]))

    for m in rng.sample(sorted(model), 300):
        s = model[m] + rng.choice([0.25, -0.25, 7, -13])
        c.zadd("z", {m: s})
        model[m] = s
    want = order()
    assert c.zrange("z", 0, -1, withscores=True) == want
    assert c.zrevrange("z", 0, -1, withscores=True) == want[::-1]
    n = len(want)
    for _ in range(25):
        a, b = sorted(rng.randrange(n) for _ in range(2))
        assert c.zrevrange("z", a, b) == [m for m, _ in want[::-1][a:b + 1]]
    assert c.zrevrangebyscore("z", 30, 5, start=70, num=200) == (
        [m for m, s in want[::-1] if 5 <= s <= 30][70:270])
    assert c.zrevrank("z", want[700][0]) == n - 1 - 700
    assert c.zremrangebyrank("z", 400, 899) == 500
    del want[400:900]
    model = dict(want)
    popped = c.zpopmax("z", 130)
    assert popped == want[::-1][:130]
    assert c.zpopmin("z", 70) == want[:70]
    want = want[70:-130]
    assert c.zrange("z", 0, -1, withscores=True) == want
    assert c.zrevrange("z", 0, -1, withscores=True) == want[::-1]
    assert c.zcard("z") == len(want)
    c.zadd("lex", {f"w{i:04}": 0 for i in range(700)})
    assert c.zrevrangebylex("lex", "[w0600", "(w0100", start=3, num=90) == (
        [f"w{i:04}" for i in range(597, 507, -1)])
    assert c.zlexcount("lex", "(w0100", "[w0600") == 500


def test_set_algebra(kv):
    c = kv.client()
    c.zadd("a", {"x": 1, "y": 2, "z": 3})
    c.zadd("b", {"y": 10, "z": 20, "w": 5})
    assert c.zunion(["a", "b"], withscores=True) == [
        ("x", 1.0), ("w", 5.0), ("y", 12.0), ("z", 23.0)]
    assert c.zinter(["a", "b"], aggregate="MAX", withscores=True) == [("y", 10.0), ("z", 20.0)]
    assert c.zinter({"a": 2, "b": 0.5}, withscores=True) == [("y", 9.0), ("z", 16.0)]
    assert c.zdiff(["a", "b"], withscores=True) == ["x", "1"]  # redis-py leaves these flat
    assert c.zunionstore("d", {"a": 1, "b": -1}, aggregate="MIN") == 4
    assert c.zrange("d", 0, -1, withscores=True) == [
        ("z", -20.0), ("y", -10.0), ("w", -5.0), ("x", 1.0)]
    assert c.zinterstore("d", ["a", "nokey"]) == 0
    assert c.exists("d") == 0
    assert c.zdiffstore("d", ["b", "a"]) == 1
    assert c.zrange("d", 0, -1) == ["w"]
    assert c.zintercard(2, ["a", "b"]) == 2
    assert c.zintercard(2, ["a", "b"], limit=1) == 1
    c.zadd("inf", {"x": float("inf")})
    c.zadd("ninf", {"x": float("-inf")})
    assert c.zunion(["inf", "ninf"], withscores=True) == [("x", 0.0)]
    with kv.raw() as r:
        assert str(r.call("ZUNION", "0", "a")) == (
            "ERR at least 1 input key is needed for 'zunion' command")
        assert str(r.call("ZUNIONSTORE", "d", "0", "a")) == (
            "ERR at least 1 input key is needed for 'zunionstore' command")
        assert str(r.call("ZUNION", "3", "a", "b")) == "ERR syntax error"
        assert str(r.call("ZUNION", "2", "a", "b", "WEIGHTS", "1", "x")) == (
            "ERR weight value is not a float")
        assert str(r.call("ZUNION", "2", "a", "b", "AGGREGATE", "AVG")) == "ERR syntax error"
        assert str(r.call("ZDIFF", "2", "a", "b", "WEIGHTS", "1", "2")) == "ERR syntax error"
        assert str(r.call("ZUNIONSTORE", "d", "1", "a", "WITHSCORES")) == "ERR syntax error"
        assert str(r.call("ZINTERCARD", "1", "a", "LIMIT", "-1")) == "ERR LIMIT can't be negative"
        r.call("SET", "s", "v")
        assert str(r.call("ZUNION", "2", "a", "s")) == WRONGTYPE


def test_set_algebra_takes_plain_sets(kv):
    """A plain set is an input of the sorted-set algebra, each member scoring 1 (an intset's
    members too), and a list is still the wrong type."""
    c = kv.client()
    c.zadd("z", {"a": 5, "b": 2, "7": 3})
    c.sadd("s", "a", "c")
    c.sadd("ints", 7, 8)
    assert c.zunion(["z", "s"], withscores=True) == [
        ("c", 1.0), ("b", 2.0), ("7", 3.0), ("a", 6.0)]
    assert c.zinter({"z": 1, "s": 10}, withscores=True) == [("a", 15.0)]
    assert c.zinter(["z", "ints"], aggregate="MIN", withscores=True) == [("7", 1.0)]
    assert c.zdiff(["s", "z"]) == ["c"]
    assert c.zintercard(2, ["ints", "z"]) == 1
    assert c.zunionstore("d", ["s", "ints"]) == 4
    assert c.type("d") == "zset"
    assert c.zrange("d", 0, -1, withscores=True) == [
        ("7", 1.0), ("8", 1.0), ("a", 1.0), ("c", 1.0)]
    c.rpush("l", "a")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        c.zunion(["z", "l"])


def test_redis_benchmark_zadd_and_zpopmin(kv):
    import re
    import subprocess
    argv = ["/usr/bin/redis-benchmark", "-h", kv.host, "-p", str(kv.port), "-t", "zadd,zpopmin",
            "-n", "20000", "-r", "1000", "-P", "16", "-q"]
    res = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    out = res.stdout + res.stderr
    for test in ("ZADD", "ZPOPMIN"):
        assert re.search(rf"^\s*{test}: [0-9.]+ requests per second", out, re.M), out
    assert "error" not in out.lower(), out
    # ZADD ran first (up to 1000 random members), then 20000 ZPOPMINs emptied the set.
    assert kv.client().exists("myzset") == 0


def test_scans_of_a_missing_key_ignore_their_options(kv):
    # Redis reads SSCAN/HSCAN/ZSCAN options after the lookup: a missing key is the empty scan.
    c = kv.client()
    for cmd in ("SSCAN", "HSCAN", "ZSCAN"):
        for opts in (["BOGUS"], ["COUNT", 0]):
            cursor, found = c.execute_command(cmd, "missing", 0, *opts)
            assert (cursor, len(found)) == (0, 0)
        with pytest.raises(redis.ResponseError, match="^invalid cursor$"):
            c.execute_command(cmd, "missing", "x")
    c.zadd("z", {"a": 1})
    with pytest.raises(redis.ResponseError, match="^syntax error$"):
        c.execute_command("ZSCAN", "z", 0, "COUNT", 0)
    with pytest.raises(redis.ResponseError, match="^syntax error$"):
        c.execute_command("ZSCAN", "z", 0, "TYPE", "zset")  # TYPE is SCAN's only
