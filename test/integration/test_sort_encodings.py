"""SORT and SORT_RO swept over lists, sets and sorted sets in both encodings of each, checked
against a Python model (numeric and ALPHA order, LIMIT windows, BY nosort, BY weights from
strings and hash fields, GET patterns, a set's BY nosort STORE), and rules test_sort.py does
not cover: an ALPHA reply compares C strings while STORE compares whole bytes, sorting a small
sorted set makes it a skiplist, the sorted key needs only read access and the STORE destination
write access, and only a "*" read pattern gives BY / GET their full key access. These run
against Debian's redis-server too (KV_TEST_AGAINST_REDIS=1)."""

from __future__ import annotations

import random

import pytest
import redis

NOT_DOUBLE = "One or more scores can't be converted into double"

def sort(c, *args):
    return c.execute_command("SORT", *args)


def error(c, *args) -> str:
    with pytest.raises(redis.ResponseError) as e:
        c.execute_command(*args)
    return str(e.value)


def window(items, offset, count):
    """The LIMIT rule of sort.c: a negative offset is 0, a negative count means to the end."""
    start = min(max(offset, 0), len(items))
    return items[start:] if count < 0 else items[start:start + count]


def numeric_key(x: str):
    return (float(x), x.encode())


def byte_key(x: str):
    return x.encode()


# Small and large encodings of each type: list listpack / quicklist, set intset / hashtable,
# zset listpack / skiplist.
SIZES = [5, 700]


def fill(c, kind, key, members):
    if kind == "list":
        c.rpush(key, *members)
    elif kind == "set":
        c.sadd(key, *members)
    else:
        c.zadd(key, {m: i for i, m in enumerate(members)})


@pytest.mark.parametrize("kind", ["list", "set", "zset"])
@pytest.mark.parametrize("size", SIZES)
def test_numeric_and_alpha_order_with_limits(kv, kind, size):
    c = kv.client()
    rnd = random.Random(size)
    nums = [str(rnd.randint(-10**6, 10**6)) for _ in range(size)]
    if kind != "list":
        nums = list(dict.fromkeys(nums))
    fill(c, kind, "k", nums)
    asc = sorted(nums, key=numeric_key)
    assert sort(c, "k") == asc
    assert sort(c, "k", "DESC") == asc[::-1]
    assert sort(c, "k", "ASC") == asc
    alpha = sorted(nums, key=byte_key)
    assert sort(c, "k", "ALPHA") == alpha
    assert sort(c, "k", "alpha", "desc") == alpha[::-1]
    for offset, count in [(0, 3), (2, 2), (-5, 2), (1, -1), (-1, -7), (0, 0), (size - 1, 5),
                          (size, 1), (size + 10, -1), (2, 10**18), (10**18, 10**18)]:
        got = sort(c, "k", "LIMIT", offset, count)
        assert got == window(asc, offset, count), (offset, count)
        got = sort(c, "k", "DESC", "ALPHA", "LIMIT", offset, count)
        assert got == window(alpha[::-1], offset, count), (offset, count)
    assert c.execute_command("SORT_RO", "k", "LIMIT", 1, 3) == asc[1:4]


@pytest.mark.parametrize("kind", ["list", "set", "zset"])
@pytest.mark.parametrize("size", SIZES)
def test_alpha_needed_for_text(kv, kind, size):
    c = kv.client()
    words = [f"w{i:04}" for i in range(size)]
    random.Random(1).shuffle(words)
    fill(c, kind, "k", words)
    assert error(c, "SORT", "k") == NOT_DOUBLE
    assert error(c, "SORT", "k", "LIMIT", 0, 1) == NOT_DOUBLE  # every element is weighed
    assert sort(c, "k", "ALPHA", "LIMIT", 0, 2) == sorted(words)[:2]


def test_sorting_a_small_sorted_set_makes_it_a_skiplist(kv):
    """Redis's SORT converts the sorted set it reads (even SORT_RO, even when it then answers
    an error): OBJECT ENCODING says skiplist, and a -0 score added later reads -0."""
    c = kv.client()
    c.zadd("z", {"a": 1})
    c.zadd("z2", {"b": 1})
    assert c.object("encoding", "z") == "listpack"
    assert c.execute_command("SORT_RO", "z", "ALPHA") == ["a"]
    assert error(c, "SORT", "z2") == NOT_DOUBLE
    for key in ("z", "z2"):
        assert c.object("encoding", key) == "skiplist"
        c.zadd(key, {"c": "-0"})
        with kv.raw() as r:
            assert r.call("ZSCORE", key, "c") == b"-0"
    c.rpush("l", "x")
    assert sort(c, "l", "ALPHA") == ["x"] and c.object("encoding", "l") in ("listpack",
                                                                           "quicklist")


@pytest.mark.parametrize("kind", ["list", "zset"])
@pytest.mark.parametrize("size", SIZES)
def test_by_nosort_keeps_order_and_applies_limit(kv, kind, size):
    c = kv.client()
    items = [f"e{(i * 7919) % size}" for i in range(size)]
    fill(c, kind, "k", items)
    assert sort(c, "k", "BY", "nosort") == items
    assert sort(c, "k", "BY", "nosort", "DESC") == items[::-1]
    for offset, count in [(0, 2), (1, 3), (-3, 2), (size - 2, 10), (size, 1), (2, -1), (0, 0)]:
        assert sort(c, "k", "BY", "nosort", "LIMIT", offset, count) == window(
            items, offset, count)
        assert sort(c, "k", "BY", "nosort", "DESC", "LIMIT", offset, count) == window(
            items[::-1], offset, count)
    # A constant BY with ALPHA or GET still keeps the order; no weight is read.
    assert sort(c, "k", "BY", "const", "ALPHA", "GET", "#", "LIMIT", 0, 3) == items[:3]


@pytest.mark.parametrize("size", SIZES)
def test_set_by_nosort_store_sorts_alpha(kv, size):
    c = kv.client()
    members = [f"m{(i * 31) % size}" for i in range(size)]
    c.sadd("s", *members)
    assert sorted(sort(c, "s", "BY", "nosort")) == sorted(members)
    assert sort(c, "s", "BY", "nosort", "STORE", "d") == size
    assert c.lrange("d", 0, -1) == sorted(members, key=byte_key)
    assert sort(c, "s", "BY", "nosort", "DESC", "LIMIT", 1, 2, "STORE", "d") == 2
    assert c.lrange("d", 0, -1) == sorted(members, key=byte_key, reverse=True)[1:3]


@pytest.mark.parametrize("kind", ["list", "set", "zset"])
@pytest.mark.parametrize("size", SIZES)
def test_by_weights_and_get_patterns(kv, kind, size):
    c = kv.client()
    items = [f"id{i}" for i in range(size)]
    fill(c, kind, "k", items)
    rnd = random.Random(size)
    weight = {x: rnd.randint(-50, 50) for x in items}  # many ties: settled by the element
    missing = set(items[::7])
    c.mset({f"w_{x}": weight[x] for x in items if x not in missing})
    for x in items[::3]:
        c.hset(f"h_{x}", mapping={"f": f"v{weight[x]:+04}", "n": weight[x]})
        c.set(f"name_{x}", f"N{x}")
    by_weight = sorted(items, key=lambda x: (0 if x in missing else weight[x], x.encode()))
    assert sort(c, "k", "BY", "w_*") == by_weight
    assert sort(c, "k", "BY", "w_*", "DESC") == by_weight[::-1]
    assert sort(c, "k", "BY", "w_*", "LIMIT", 3, 5) == by_weight[3:8]
    # Numeric weights from a hash field; no hash or no field weighs 0.
    by_field = sorted(items, key=lambda x: (weight[x] if x in items[::3] else 0, x.encode()))
    assert sort(c, "k", "BY", "h_*->n") == by_field
    # GET: the element (#), a string key, a hash field; nil where there is none.
    got = sort(c, "k", "BY", "w_*", "GET", "#", "GET", "name_*", "GET", "h_*->f",
               "GET", "h_*->nofield", "LIMIT", 0, 20)
    expect = []
    for x in by_weight[:20]:
        has = x in items[::3]
        expect += [x, f"N{x}" if has else None, f"v{weight[x]:+04}" if has else None, None]
    assert got == expect
    assert sort(c, "k", "BY", "w_*", "GET", "fixedkey", "LIMIT", 0, 2) == [None, None]


def test_alpha_by_with_missing_weights(kv):
    c = kv.client()
    c.rpush("l", "a", "b", "c", "d")
    c.mset({"w_a": "zeta", "w_c": "alpha"})
    c.hset("w_d", "f", "x")  # not a string: no weight
    # Missing weights sort first and keep the list's order among themselves.
    assert sort(c, "l", "BY", "w_*", "ALPHA") == ["b", "d", "c", "a"]
    assert sort(c, "l", "BY", "w_*", "ALPHA", "DESC") == ["a", "c", "b", "d"]
    assert error(c, "SORT", "l", "BY", "w_*") == NOT_DOUBLE
    c.hset("h_a", "f", "2")
    c.hset("h_b", "f", "1")
    assert sort(c, "l", "BY", "h_*->f", "ALPHA") == ["c", "d", "b", "a"]
    # "->" with nothing after it is part of the key name.
    c.set("x_b->", "1")
    assert sort(c, "l", "BY", "x_*->", "GET", "x_*->") == [None, None, None, "1"]
    assert sort(c, "l", "BY", "x_*->") == ["a", "c", "d", "b"]


def test_alpha_reply_compares_c_strings_store_whole_bytes(kv):
    """Redis's ALPHA reply uses strcoll (C strings: a NUL ends the text; ties keep the list's
    order), STORE compares whole byte strings."""
    c = kv.client(decode_responses=False)
    c.rpush("l", b"a\x00z", b"b", b"a", b"a\x00b", b"\xff", b"B")
    assert sort(c, "l", "ALPHA") == [b"B", b"a\x00z", b"a", b"a\x00b", b"b", b"\xff"]
    assert sort(c, "l", "ALPHA", "DESC") == [b"\xff", b"b", b"a\x00z", b"a", b"a\x00b", b"B"]
    assert sort(c, "l", "ALPHA", "STORE", "d") == 6
    assert c.lrange("d", 0, -1) == [b"B", b"a", b"a\x00b", b"a\x00z", b"b", b"\xff"]
    c.mset({b"w_a": b"k\x00y", b"w_b": b"k", b"w_B": b"k\x00x"})
    assert sort(c, "l", "BY", "w_*", "ALPHA") == [b"a\x00z", b"a\x00b", b"\xff", b"b",
                                                  b"a", b"B"]
    assert sort(c, "l", "BY", "w_*", "ALPHA", "STORE", "d") == 6
    assert c.lrange("d", 0, -1) == [b"a\x00z", b"a\x00b", b"\xff", b"b", b"B", b"a"]


def test_acl_for_patterns_and_store(kv):
    c = kv.client()
    c.rpush("l", 2, 1)
    c.set("w_1", 5)
    c.execute_command("ACL", "SETUSER", "limited", "on", "nopass", "+@all", "~l", "~w_*", "~d")
    c.execute_command("ACL", "SETUSER", "reader", "on", "nopass", "+@all", "%R~*", "%W~d")
    # Patterns that match the name "*" but not every key give no full access.
    c.execute_command("ACL", "SETUSER", "globber", "on", "nopass", "+@all", "~?", "~[*]", "~l")
    try:
        u = kv.client(username="limited", password="x")
        assert sort(u, "l") == ["1", "2"]
        assert sort(u, "l", "BY", "nosort") == ["2", "1"]
        assert error(u, "SORT", "l", "BY", "w_*") == (
            "BY option of SORT denied due to insufficient ACL permissions.")
        assert error(u, "SORT", "l", "GET", "#") == (
            "GET option of SORT denied due to insufficient ACL permissions.")
        assert error(u, "SORT_RO", "l", "GET", "w_*") == (
            "GET option of SORT denied due to insufficient ACL permissions.")
        r = kv.client(username="reader", password="x")
        assert sort(r, "l", "BY", "w_*", "GET", "#") == ["2", "1"]
        # The source is only read; the destination needs write access.
        assert sort(r, "l", "STORE", "d") == 2
        with pytest.raises(redis.exceptions.NoPermissionError):
            sort(r, "l", "STORE", "other")
        assert c.exists("other") == 0
        g = kv.client(username="globber", password="x")
        assert error(g, "SORT", "l", "GET", "#") == (
            "GET option of SORT denied due to insufficient ACL permissions.")
        assert error(g, "SORT", "l", "BY", "w_*") == (
            "BY option of SORT denied due to insufficient ACL permissions.")
    finally:
        c.execute_command("ACL", "DELUSER", "limited", "reader", "globber")


@pytest.mark.kv_only
def test_the_key_sort_writes_is_the_key_acl_checks(kv):
    """`STORE limit STORE d` writes d. Redis's sortGetKeys reads STORE's argument as an option
    and reports `limit`, so Redis checks (and would lock) the wrong key; kv-server reports,
    checks and locks d."""
    c = kv.client()
    c.rpush("l", 2, 1)
    with kv.raw() as r:
        assert r.call("COMMAND", "GETKEYS", "SORT", "l", "STORE", "limit", "STORE", "d") == [
            b"l", b"d"]
    c.execute_command("ACL", "SETUSER", "w", "on", "nopass", "+@all", "%R~*", "%W~limit")
    try:
        u = kv.client(username="w", password="x")
        with pytest.raises(redis.exceptions.NoPermissionError):
            sort(u, "l", "STORE", "limit", "STORE", "d")
        assert c.exists("d") == 0
        assert sort(u, "l", "STORE", "d", "STORE", "limit") == 2
        assert c.lrange("limit", 0, -1) == ["1", "2"]
    finally:
        c.execute_command("ACL", "DELUSER", "w")
