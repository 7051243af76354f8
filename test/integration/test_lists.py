"""List commands through redis-py and raw RESP: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LRANGE
LINDEX LSET LINSERT LREM LTRIM LPOS LMOVE RPOPLPUSH LMPOP, their errors in Redis's order, an
emptied list deleting its key, WRONGTYPE both ways, and long lists (many nodes) against a Python
model. These run against Debian's redis-server too; kv-server's own encodings, persistence and
typed elements are in test_lists_kv.py."""

from __future__ import annotations

import random
import time

import pytest
import redis

WRONGTYPE = "^WRONGTYPE Operation against a key holding the wrong kind of value$"


def test_push_pop_and_lengths(kv):
    c = kv.client()
    assert c.rpush("l", "a", "b", "c") == 3
    assert c.lpush("l", "x", "y") == 5  # pushed one by one: y ends up first
    assert c.lrange("l", 0, -1) == ["y", "x", "a", "b", "c"]
    assert c.llen("l") == 5
    assert c.lpop("l") == "y"
    assert c.rpop("l") == "c"
    assert c.lpop("l", 2) == ["x", "a"]
    assert c.rpop("l", 10) == ["b"]
    assert c.exists("l") == 0  # the emptied list took its key with it
    assert c.lpop("l") is None
    assert c.lpop("l", 3) is None  # a count on a missing key: a null array
    assert c.llen("l") == 0
    assert c.lpushx("l", "a") == 0 and c.rpushx("l", "a") == 0
    assert c.exists("l") == 0
    c.rpush("l", "m")
    assert c.lpushx("l", "a", "b") == 3 and c.rpushx("l", "z") == 4
    assert c.lrange("l", 0, -1) == ["b", "a", "m", "z"]
    assert c.lpop("l", 0) == []


def test_pop_count_errors(kv):
    with kv.raw() as r:
        r.call("RPUSH", "l", "a")
        # Redis answers the same for a negative count and for text that is no number.
        for count in ("-1", "abc", "1.5"):
            assert str(r.call("LPOP", "l", count)) == "ERR value is out of range, must be positive"
        reply = r.call("LPOP", "l", "1", "2")
        assert "wrong number of arguments for 'lpop' command" in str(reply)
        assert r.call("LLEN", "l") == 1


def test_lrange_and_lindex_bounds(kv):
    c = kv.client()
    c.rpush("l", *"abcdef")
    cases = [(0, -1, "abcdef"), (2, 3, "cd"), (-2, -1, "ef"), (-100, 1, "ab"), (4, 100, "ef"),
             (3, 2, ""), (6, 10, ""), (-1, -2, ""), (0, 0, "a")]
    for start, stop, want in cases:
        assert c.lrange("l", start, stop) == list(want), (start, stop)
    assert [c.lindex("l", i) for i in (0, 5, -1, -6, 6, -7)] == ["a", "f", "f", "a", None, None]
    assert c.lrange("missing", 0, -1) == []
    assert c.lindex("missing", "notanumber") is None  # the key is looked up first
    with pytest.raises(redis.ResponseError, match="^value is not an integer or out of range$"):
        c.lindex("l", "x")
    with pytest.raises(redis.ResponseError, match="^value is not an integer or out of range$"):
        c.lrange("missing", "x", 1)  # LRANGE parses its range before the key


def test_lset_linsert_lrem_ltrim(kv):
    c = kv.client()
    with pytest.raises(redis.ResponseError, match="^no such key$"):
        c.lset("l", 0, "x")
    c.rpush("l", "a", "b", "a", "c", "a")
    assert c.lset("l", -1, "z") is True
    with pytest.raises(redis.ResponseError, match="^index out of range$"):
        c.lset("l", 5, "x")
    assert c.linsert("l", "BEFORE", "b", "B") == 6
    assert c.linsert("l", "after", "c", "C") == 7
    assert c.linsert("l", "before", "nope", "x") == -1
    assert c.linsert("missing", "before", "a", "x") == 0
    with pytest.raises(redis.ResponseError, match="^syntax error$"):
        c.execute_command("LINSERT", "l", "AROUND", "a", "x")
    assert c.lrange("l", 0, -1) == ["a", "B", "b", "a", "c", "C", "z"]
    assert c.lrem("l", 1, "a") == 1
    assert c.lrem("l", -5, "a") == 1
    assert c.lrem("l", 0, "nope") == 0
    assert c.lrange("l", 0, -1) == ["B", "b", "c", "C", "z"]
    assert c.ltrim("l", 1, -2) is True
    assert c.lrange("l", 0, -1) == ["b", "c", "C"]
    assert c.ltrim("l", 5, 10) is True
    assert c.exists("l") == 0
    assert c.ltrim("missing", 0, 1) is True
    c.rpush("r", "x", "x", "y", "x")
    assert c.lrem("r", 0, "x") == 3 and c.lrange("r", 0, -1) == ["y"]
    assert c.lrem("r", 0, "y") == 1 and c.exists("r") == 0


def test_lpos(kv):
    c = kv.client()
    c.rpush("l", *"abcabcab")
    assert c.lpos("l", "b") == 1
    assert c.lpos("l", "b", rank=2) == 4
    assert c.lpos("l", "b", rank=-1) == 7
    assert c.lpos("l", "b", count=0) == [1, 4, 7]
    assert c.lpos("l", "b", rank=-2, count=2) == [4, 1]
    assert c.lpos("l", "c", maxlen=2) is None
    assert c.lpos("l", "c", count=0, maxlen=3) == [2]
    assert c.lpos("l", "zz") is None
    assert c.lpos("missing", "a") is None
    assert c.lpos("missing", "a", count=1) == []
    with kv.raw() as r:
        assert "ERR RANK can't be zero" in str(r.call("LPOS", "l", "a", "RANK", "0"))
        assert str(r.call("LPOS", "l", "a", "COUNT", "-1")) == "ERR COUNT can't be negative"
        assert str(r.call("LPOS", "l", "a", "MAXLEN", "x")) == "ERR MAXLEN can't be negative"
        assert str(r.call("LPOS", "l", "a", "RANK")) == "ERR syntax error"


def test_lmove_rpoplpush_lmpop(kv):
    c = kv.client()
    c.rpush("src", "a", "b", "c")
    assert c.lmove("src", "dst", "LEFT", "RIGHT") == "a"
    assert c.rpoplpush("src", "dst") == "c"
    assert c.lrange("dst", 0, -1) == ["c", "a"]
    assert c.lmove("dst", "dst", "LEFT", "RIGHT") == "c"  # rotate in place
    assert c.lrange("dst", 0, -1) == ["a", "c"]
    assert c.lmove("src", "src2", "RIGHT", "LEFT") == "b"
    assert c.exists("src") == 0
    assert c.lmove("src", "dst", "LEFT", "LEFT") is None
    with pytest.raises(redis.ResponseError, match="^syntax error$"):
        c.execute_command("LMOVE", "src", "dst", "UP", "LEFT")
    c.set("str", "x")
    with pytest.raises(redis.ResponseError, match=WRONGTYPE):
        c.lmove("dst", "str", "LEFT", "LEFT")
    assert c.lrange("dst", 0, -1) == ["a", "c"]  # nothing popped when the target is wrong
    assert c.execute_command("LMPOP", "2", "nope", "dst", "RIGHT") == ["dst", ["c"]]
    c.rpush("dst", "d", "e")
    assert c.execute_command("LMPOP", "1", "dst", "LEFT", "COUNT", "10") == ["dst",
                                                                           ["a", "d", "e"]]
    assert c.execute_command("LMPOP", "1", "dst", "LEFT") is None
    with kv.raw() as r:
        assert str(r.call("LMPOP", "0", "k", "LEFT")) == "ERR numkeys should be greater than 0"
        assert str(r.call("LMPOP", "3", "k", "LEFT")) == "ERR syntax error"
        assert str(r.call("LMPOP", "1", "k", "MIDDLE")) == "ERR syntax error"
        assert str(r.call("LMPOP", "1", "k", "LEFT", "COUNT", "0")) == (
            "ERR count should be greater than 0")
        assert str(r.call("LMPOP", "1", "k", "LEFT", "COUNT", "1", "COUNT", "1")) == (
            "ERR syntax error")
        assert str(r.call("LMPOP", "1", "str", "LEFT")).startswith("WRONGTYPE")
        assert r.call("COMMAND", "GETKEYS", "LMPOP", "2", "a", "b", "LEFT") == [b"a", b"b"]


def test_wrongtype_both_ways(kv):
    c = kv.client()
    c.rpush("list", "a")
    c.set("str", "1")
    for cmd in (("GET", "list"), ("INCR", "list"), ("APPEND", "list", "x"),
                ("STRLEN", "list"), ("GETRANGE", "list", "0", "1"), ("SETRANGE", "list", "0", "x"),
                ("GETDEL", "list"), ("GETEX", "list", "EX", "10"), ("GETSET", "list", "x"),
                ("SET", "list", "x", "GET"), ("LPUSH", "str", "a"), ("RPUSHX", "str", "a"),
                ("LPOP", "str"), ("LLEN", "str"), ("LRANGE", "str", "0", "1"),
                ("LINDEX", "str", "0"), ("LSET", "str", "0", "a"), ("LREM", "str", "0", "a"),
                ("LTRIM", "str", "0", "1"), ("LPOS", "str", "a"), ("LINSERT", "str", "BEFORE",
                                                                  "a", "b")):
        with pytest.raises(redis.ResponseError, match=WRONGTYPE):
            c.execute_command(*cmd)
    assert c.mget("list", "str") == [None, "1"]
    assert c.lrange("list", 0, -1) == ["a"] and c.get("str") == "1"
    assert c.type("list") == "list"
    assert c.set("list", "now a string") is True  # SET replaces any type
    assert c.type("list") == "string"


def test_expiry_rename_and_scan_type(kv):
    c = kv.client()
    c.rpush("l", "a", "b")
    assert c.pexpire("l", 50) is True
    assert c.rename("l", "l2") is True
    assert c.pttl("l2") > 0 and c.lrange("l2", 0, -1) == ["a", "b"]
    c.rpush("other", "x")
    assert c.rename("other", "l2") is True  # replaces the list (and its TTL)
    assert c.lrange("l2", 0, -1) == ["x"] and c.ttl("l2") == -1
    c.set("s", "v")
    assert sorted(c.scan_iter(_type="list")) == ["l2"]
    c.pexpire("l2", 1)
    time.sleep(0.05)
    assert c.exists("l2") == 0 and c.llen("l2") == 0


def test_long_lists_against_a_model(kv):
    """Random operations over lists long enough for many nodes, with elements of every size."""
    c = kv.client(decode_responses=False)
    rnd = random.Random(7)
    model: dict[bytes, list[bytes]] = {b"a": [], b"b": []}

    def element() -> bytes:
        r = rnd.random()
        if r < 0.5:
            return str(rnd.randint(0, 50)).encode()
        if r < 0.9:
            return bytes(rnd.getrandbits(8) for _ in range(rnd.randint(0, 40)))
        return b"L" * rnd.randint(100, 20000)  # a node of its own past 8 KB

    for step in range(1500):
        k = rnd.choice([b"a", b"b"])
        m = model[k]
        op = rnd.random()
        if op < 0.35:
            items = [element() for _ in range(rnd.randint(1, 30))]
            if rnd.random() < 0.5:
                assert c.rpush(k, *items) == len(m) + len(items)
                m.extend(items)
            else:
                assert c.lpush(k, *items) == len(m) + len(items)
                m[:0] = reversed(items)
        elif op < 0.45 and m:
            i = rnd.randrange(-len(m), len(m))
            v = element()
            c.lset(k, i, v)
            m[i] = v
        elif op < 0.55 and m:
            pivot = rnd.choice(m)
            v = element()
            where = rnd.choice(["BEFORE", "AFTER"])
            assert c.linsert(k, where, pivot, v) == len(m) + 1
            at = m.index(pivot) + (where == "AFTER")
            m.insert(at, v)
        elif op < 0.65:
            n = rnd.randint(1, 20)
            got = c.lpop(k, n) if rnd.random() < 0.5 else None
            if got is not None or not m:
                want = m[:n] or None
                assert got == want
                del m[:n]
        elif op < 0.72 and m:
            v = rnd.choice(m)
            count = rnd.randint(-3, 3)
            removed = c.lrem(k, count, v)
            idx = [i for i, x in enumerate(m) if x == v]
            if count > 0:
                idx = idx[:count]
            elif count < 0:
                idx = idx[count:]
            assert removed == len(idx)
            for i in reversed(idx):
                del m[i]
        elif op < 0.78 and m:
            start, stop = rnd.randint(-len(m) - 5, len(m) + 5), rnd.randint(-len(m) - 5, len(m) + 5)
            c.ltrim(k, start, stop)
            s = len(m) + start if start < 0 else start
            s = max(s, 0)
            e = len(m) + stop if stop < 0 else stop
            m[:] = m[s:e + 1] if s <= e else []
        elif op < 0.85:
            other = b"b" if k == b"a" else b"a"
            side = rnd.choice(["LEFT", "RIGHT"])
            got = c.lmove(k, other, side, "RIGHT")
            if not m:
                assert got is None
            else:
                assert got == m.pop(0 if side == "LEFT" else -1)
                model[other].append(got)
        else:
            i = rnd.randrange(0, len(m) + 1)
            assert c.lindex(k, i) == (m[i] if i < len(m) else None)
        if step % 100 == 0 or not m:
            assert c.lrange(k, 0, -1) == m, step
            assert c.llen(k) == len(m)
    for k, m in model.items():
        assert c.lrange(k, 0, -1) == m
