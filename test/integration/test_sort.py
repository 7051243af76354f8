"""SORT and SORT_RO through redis-py: numeric and ALPHA order over lists, sets and sorted sets in
their small and large encodings (against a Python model), ties, LIMIT's edge cases, BY nosort,
BY and GET patterns over strings and hash fields, STORE, ACL refusals of patterns, and every
error in Redis 7.0's order. These run against Debian's redis-server too (KV_TEST_AGAINST_REDIS=1);
the last test (kv-server only, several I/O threads) checks that a SORT reading keys through
patterns sees one consistent keyspace."""

from __future__ import annotations

import random
import subprocess

import pytest
import redis

from conftest import REDIS_CLI

WRONGTYPE = "^WRONGTYPE Operation against a key holding the wrong kind of value$"
NOT_DOUBLE = "^One or more scores can't be converted into double$"
SYNTAX = "^syntax error$"
NOT_INT = "^value is not an integer or out of range$"


def sort(c, *args):
    return c.execute_command("SORT", *args)


def sort_ro(c, *args):
    return c.execute_command("SORT_RO", *args)


def numeric_key(x: str):
    # Equal numbers fall back to the elements' bytes, as Redis breaks ties.
    return (float(x), x.encode())


@pytest.mark.parametrize("n", [5, 300])  # listpack / quicklist
def test_list_numeric_alpha_desc(kv, n):
    c = kv.client()
    rng = random.Random(n)
    values = [str(rng.randint(-1000, 1000)) for _ in range(n)] + ["1.5", "-0.25", "1e3"]
    c.rpush("l", *values)
    asc = sorted(values, key=numeric_key)
    assert sort(c, "l") == asc
    assert sort(c, "l", "ASC") == asc
    assert sort(c, "l", "DESC") == asc[::-1]
    assert sort_ro(c, "l", "desc") == asc[::-1]
    alpha = sorted(values, key=lambda x: x.encode())
    assert sort(c, "l", "ALPHA") == alpha
    assert sort(c, "l", "alpha", "desc") == alpha[::-1]
    # Options in any order; the last of ASC / DESC wins.
    assert sort(c, "l", "DESC", "ALPHA", "ASC") == alpha
    assert c.lrange("l", 0, -1) == values  # the source is untouched


@pytest.mark.parametrize("members", [
    [str(i * 37 % 101) for i in range(50)],         # intset
    [f"m{i}" for i in range(20)],                   # listpack
    [f"member-{i}" for i in range(400)],            # hashtable
    [str(i * 7919 % 100003) for i in range(1000)],  # past the intset limit
])
def test_set_sorts(kv, members):
    c = kv.client()
    c.sadd("s", *members)
    members = sorted(set(members), key=lambda x: x.encode())
    assert sort(c, "s", "ALPHA") == members
    assert sort(c, "s", "ALPHA", "DESC", "LIMIT", 3, 4) == members[::-1][3:7]
    if members[0].isdigit():
        assert sort(c, "s") == sorted(members, key=numeric_key)
    else:
        with pytest.raises(redis.ResponseError, match=NOT_DOUBLE):
            sort(c, "s")


@pytest.mark.parametrize("n", [10, 300])  # listpack / skiplist
def test_zset_sorts_members_not_scores(kv, n):
    c = kv.client()
    c.zadd("z", {f"{i * 13 % n}": n - i for i in range(n)})
    members = [str(i) for i in range(n)]
    assert sort(c, "z") == members
    assert sort(c, "z", "DESC", "LIMIT", 1, 3) == members[::-1][1:4]
    assert sort(c, "z", "ALPHA") == sorted(members)
    # BY nosort keeps the set's order (by score), reversed for DESC, LIMIT on that order.
    by_score = c.zrange("z", 0, -1)
    assert sort(c, "z", "BY", "nosort") == by_score
    assert sort(c, "z", "BY", "nosort", "DESC") == by_score[::-1]
    assert sort(c, "z", "BY", "nosort", "LIMIT", 2, 5) == by_score[2:7]
    assert sort(c, "z", "BY", "nosort", "DESC", "LIMIT", 2, 5) == by_score[::-1][2:7]


def test_ties_and_odd_numbers(kv):
    c = kv.client()
    c.rpush("t", "1.0", "1", "01", "2", "+inf", "-inf", "0x10", " 5", "")
    # strtod over the whole string: hex, leading spaces and the empty string (0) are numbers.
    want = ["-inf", "", "01", "1", "1.0", "2", " 5", "0x10", "+inf"]
    assert sort(c, "t") == want
    assert sort(c, "t", "DESC") == want[::-1]
    for bad in ["abc", "3 ", "nan", "1e400", "1e-400"]:
        c.delete("b")
        c.rpush("b", "1", bad)
        with pytest.raises(redis.ResponseError, match=NOT_DOUBLE):
            sort(c, "b")
        assert sort(c, "b", "ALPHA") == sorted(["1", bad])


def test_limit_edges(kv):
    c = kv.client()
    c.rpush("l", *range(10))
    all_ = [str(i) for i in range(10)]
    cases = [(0, 3), (2, 3), (-5, 3), (8, 10), (10, 1), (100, 1), (3, -1), (3, -100),
             (0, 0), (5, 0), (-1, -1), (9, 1), (2**62, 2**62), (-2**62, 2**62)]
    for off, count in cases:
        start = max(off, 0)
        want = all_[start:] if count < 0 else all_[start:start + count]
        assert sort(c, "l", "LIMIT", off, count) == want, (off, count)
        assert sort(c, "l", "BY", "nosort", "LIMIT", off, count) == want, (off, count)
        assert sort(c, "l", "BY", "nosort", "DESC", "LIMIT", off, count) == \
            (all_[::-1][start:] if count < 0 else all_[::-1][start:start + count])
    assert sort(c, "l", "LIMIT", 0, 1, "LIMIT", 4, 2) == ["4", "5"]  # the last LIMIT wins
    assert sort(c, "missing", "LIMIT", 1, 1) == []


def test_errors(kv):
    c = kv.client()
    c.rpush("l", 2, 1)
    c.set("str", "x")
    c.hset("h", "f", "v")
    with pytest.raises(redis.ResponseError, match="^wrong number of arguments for 'sort' command$"):
        c.execute_command("SORT")
    with pytest.raises(redis.ResponseError,
                       match="^wrong number of arguments for 'sort_ro' command$"):
        c.execute_command("SORT_RO")
    for key in ("str", "h"):
        with pytest.raises(redis.ResponseError, match=WRONGTYPE):
            sort(c, key)
        with pytest.raises(redis.ResponseError, match=WRONGTYPE):
            sort_ro(c, key, "ALPHA")
    bad = [("foo",), ("LIMIT",), ("LIMIT", 1), ("BY",), ("GET",), ("STORE",), ("ASC", "x"),
           ("LIMIT", 0, 1, "x")]
    for opts in bad:
        with pytest.raises(redis.ResponseError, match=SYNTAX):
            sort(c, "l", *opts)
    # Options are parsed before the key is looked up: a syntax error wins over WRONGTYPE.
    with pytest.raises(redis.ResponseError, match=SYNTAX):
        sort(c, "str", "foo")
    with pytest.raises(redis.ResponseError, match=NOT_INT):
        sort(c, "l", "LIMIT", "a", 1)
    with pytest.raises(redis.ResponseError, match=NOT_INT):
        sort(c, "str", "LIMIT", 0, "1.5")
    # SORT_RO has no STORE.
    with pytest.raises(redis.ResponseError, match=SYNTAX):
        sort_ro(c, "l", "STORE", "dst")
    assert c.exists("dst") == 0
    # A failed numeric sort stores nothing.
    c.rpush("words", "a", "b")
    c.set("dst", "keep")
    with pytest.raises(redis.ResponseError, match=NOT_DOUBLE):
        sort(c, "words", "STORE", "dst")
    assert c.get("dst") == "keep"


def test_missing_key_sorts_empty(kv):
    c = kv.client()
    assert sort(c, "nokey") == []
    assert sort_ro(c, "nokey", "ALPHA", "GET", "#") == []
    c.set("dst", "x")
    assert sort(c, "nokey", "STORE", "dst") == 0
    assert c.exists("dst") == 0  # an empty result deletes the destination


def test_by_nosort_list_and_set(kv):
    c = kv.client()
    c.rpush("l", "c", "a", "b")
    assert sort(c, "l", "BY", "nosort") == ["c", "a", "b"]
    assert sort(c, "l", "BY", "nosort", "DESC") == ["b", "a", "c"]
    assert sort(c, "l", "BY", "nosort", "ALPHA") == ["c", "a", "b"]  # ALPHA changes nothing
    c.sadd("s", "x", "b", "10", "a")
    assert sorted(sort(c, "s", "BY", "nosort")) == ["10", "a", "b", "x"]
    # Stored, an unordered set is sorted (ALPHA) so the stored list is deterministic.
    assert sort(c, "s", "BY", "nosort", "DESC", "STORE", "dst") == 4
    assert c.lrange("dst", 0, -1) == ["x", "b", "a", "10"]


def test_by_string_keys(kv):
    c = kv.client()
    c.rpush("l", 1, 2, 3, 4)
    c.mset({"w_1": 40, "w_2": 10, "w_3": 30, "w_4": 20})
    assert sort(c, "l", "BY", "w_*") == ["2", "4", "3", "1"]
    assert sort(c, "l", "BY", "w_*", "DESC") == ["1", "3", "4", "2"]
    assert sort(c, "l", "BY", "w_*", "LIMIT", 1, 2) == ["4", "3"]
    # ALPHA compares the BY values as bytes: "10" < "20" < "30" < "40" here too.
    c.mset({"w_1": "b", "w_2": "d", "w_3": "a", "w_4": "c"})
    assert sort(c, "l", "BY", "w_*", "ALPHA") == ["3", "1", "4", "2"]
    with pytest.raises(redis.ResponseError, match=NOT_DOUBLE):
        sort(c, "l", "BY", "w_*")
    # A missing BY value (or a key of another type) sorts as 0, or first with ALPHA.
    c.mset({"w_1": 5, "w_2": -1, "w_3": 2})
    c.delete("w_4")
    assert sort(c, "l", "BY", "w_*") == ["2", "4", "3", "1"]
    c.delete("w_3")
    c.rpush("w_3", "list")  # not a string: missing
    assert sort(c, "l", "BY", "w_*") == ["2", "3", "4", "1"]
    c.set("w_4", "0")
    assert sort(c, "l", "BY", "w_*", "ALPHA") == ["3", "2", "4", "1"]
    c.delete("w_4")
    # Numeric ties (two missing values: 0) fall back to the elements' bytes.
    assert sort(c, "l", "BY", "w_*", "DESC") == ["1", "4", "3", "2"]
    # Only the first '*' is replaced.
    c.mset({"k1*": 2, "k2*": 1})
    c.delete("l")
    c.rpush("l", 1, 2)
    assert sort(c, "l", "BY", "k**") == ["2", "1"]


def test_by_hash_fields(kv):
    c = kv.client()
    c.rpush("l", "a", "b", "c")
    c.hset("h_a", mapping={"age": 30, "name": "Ann"})
    c.hset("h_b", mapping={"age": 20, "name": "Bob"})
    c.hset("h_c", mapping={"age": 25})
    assert sort(c, "l", "BY", "h_*->age") == ["b", "c", "a"]
    assert sort(c, "l", "BY", "h_*->name", "ALPHA") == ["c", "a", "b"]  # c has no name: first
    assert sort(c, "l", "BY", "h_*->age", "GET", "h_*->name", "GET", "#") == \
        ["Bob", "b", None, "c", "Ann", "a"]
    # "->" with no field name after it is part of the key name.
    c.set("h_a->", 3)
    c.set("h_b->", 1)
    c.set("h_c->", 2)
    assert sort(c, "l", "BY", "h_*->") == ["b", "c", "a"]
    # A field of a key that is not a hash is missing.
    c.set("s_a", "1")
    assert sort(c, "l", "BY", "s_*->f", "GET", "s_*->f", "ALPHA") == [None, None, None]


def test_get_patterns(kv):
    c = kv.client()
    c.rpush("l", 3, 1, 2)
    c.mset({"o_1": "one", "o_2": "two", "o_3": "three"})
    assert sort(c, "l", "GET", "#") == ["1", "2", "3"]
    assert sort(c, "l", "GET", "o_*") == ["one", "two", "three"]
    assert sort(c, "l", "GET", "o_*", "GET", "#", "GET", "missing_*") == \
        ["one", "1", None, "two", "2", None, "three", "3", None]
    assert sort(c, "l", "DESC", "LIMIT", 1, 5, "GET", "o_*") == ["two", "one"]
    assert sort(c, "l", "GET", "nostar") == [None, None, None]  # no '*': names no key
    assert sort_ro(c, "l", "GET", "o_*", "BY", "nosort") == ["three", "one", "two"]
    c.delete("o_1")
    c.hset("o_1", "f", "v")  # a hash: a plain GET pattern misses it
    assert sort(c, "l", "GET", "o_*", "GET", "o_*->f") == [None, "v", "two", None, "three", None]


def test_store(kv):
    c = kv.client()
    c.rpush("l", 3, 1, 2)
    c.set("dst", "a string")  # STORE replaces a key of any type
    assert sort(c, "l", "STORE", "dst") == 3
    assert c.type("dst") == "list"
    assert c.lrange("dst", 0, -1) == ["1", "2", "3"]
    assert sort(c, "l", "DESC", "LIMIT", 0, 2, "STORE", "dst") == 2
    assert c.lrange("dst", 0, -1) == ["3", "2"]
    # With GET, the count is of the stored values; a missing value is stored as "".
    c.mset({"o_1": "one", "o_3": "three"})
    assert sort(c, "l", "GET", "#", "GET", "o_*", "STORE", "dst") == 6
    assert c.lrange("dst", 0, -1) == ["1", "one", "2", "", "3", "three"]
    # The last STORE wins; sorting into the sorted key itself works.
    assert sort(c, "l", "STORE", "x", "STORE", "l") == 3
    assert c.exists("x") == 0
    assert c.lrange("l", 0, -1) == ["1", "2", "3"]
    assert sort(c, "l", "LIMIT", 5, 1, "STORE", "l") == 0
    assert c.exists("l") == 0
    # Big results.
    c.rpush("big", *range(1000, 0, -1))
    assert sort(c, "big", "STORE", "dst") == 1000
    assert c.lrange("dst", 0, -1) == [str(i) for i in range(1, 1001)]
    c.sadd("set", *range(600))
    assert sort(c, "set", "DESC", "STORE", "dst") == 600
    assert c.lrange("dst", 0, 2) == ["599", "598", "597"]
    c.zadd("z", {"a": 3, "b": 1, "c": 2})
    assert sort(c, "z", "BY", "nosort", "STORE", "dst") == 3
    assert c.lrange("dst", 0, -1) == ["b", "c", "a"]


def test_acl_refuses_patterns_without_full_key_access(kv):
    c = kv.client()
    c.rpush("l", 2, 1)
    c.acl_setuser("sorter", enabled=True, nopass=True, keys=["l", "w_*"], commands=["+@all"])
    try:
        u = kv.client()
        u.execute_command("AUTH", "sorter", "x")
        assert sort(u, "l") == ["1", "2"]
        with pytest.raises(redis.ResponseError,
                           match="^BY option of SORT denied due to insufficient ACL permissions.$"):
            sort(u, "l", "BY", "w_*")
        with pytest.raises(redis.ResponseError,
                           match="^GET option of SORT denied due to insufficient ACL permissions.$"):
            sort(u, "l", "GET", "#")
        assert sort(u, "l", "BY", "nosort", "DESC") == ["1", "2"]
        u.close()
    finally:
        c.acl_deluser("sorter")


def test_command_info_matches_redis(kv, redis_ref):
    infos = []
    for server in (kv, redis_ref):
        with server.raw() as r:
            info = r.call("COMMAND", "INFO", "sort", "sort_ro")
            assert [e[:6] for e in info] == [
                [b"sort", -2, [b"write", b"denyoom", b"movablekeys"], 1, 1, 1],
                [b"sort_ro", -2, [b"readonly", b"movablekeys"], 1, 1, 1]]
            infos.append([e[:7] for e in info])
            assert r.call("COMMAND", "GETKEYS", "SORT", "l", "LIMIT", 0, 1, "STORE", "d",
                          "GET", "store", "BY", "x") == [b"l", b"d"]
            assert r.call("COMMAND", "GETKEYS", "SORT", "l", "GET", "#") == [b"l"]
            assert r.call("COMMAND", "GETKEYS", "SORT_RO", "l", "STORE", "d") == [b"l"]
    assert infos[0] == infos[1]  # ACL categories too: @list @set @sortedset, not @keyspace


@pytest.mark.kv_only
def test_patterns_see_one_keyspace(kv_server):
    # Two redis-cli processes keep setting w_0 and w_1 together (one MSET: atomic), one to "a",
    # the other to "b", on other I/O threads. SORT reads them through GET for 2000 elements
    # (alternately 0 and 1); it must never see them differ, which needs every shard locked,
    # not only the sorted key's. (Without that, most replies here mix values.)
    s = kv_server(threads="4")
    c = s.client()
    c.rpush("l", *[i % 2 for i in range(2000)])
    c.mset({"w_0": "a", "w_1": "a"})
    writers = [subprocess.Popen([REDIS_CLI, "-p", str(s.port), "-r", "1000000000", "MSET",
                                 "w_0", v, "w_1", v], stdout=subprocess.DEVNULL)
               for v in ("a", "b")]
    try:
        seen = set()
        for _ in range(100):
            got = sort(c, "l", "BY", "nosort", "GET", "w_*")
            assert len(set(got)) == 1, sorted(set(got), key=str)
            seen.update(got)
            got = sort(c, "l", "BY", "w_*", "ALPHA", "GET", "w_*", "GET", "#")
            assert len(set(got[::2])) == 1, sorted(set(got[::2]), key=str)
        assert all(w.poll() is None for w in writers)  # the writers ran throughout
    finally:
        for w in writers:
            w.kill()
            w.wait()
