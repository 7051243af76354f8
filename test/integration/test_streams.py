"""Stream commands through redis-py and raw RESP: XADD (IDs `*`, `<ms>-*`, explicit;
NOMKSTREAM; MAXLEN / MINID with `=` and `~`; LIMIT), XRANGE / XREVRANGE (exclusive and
incomplete bounds, COUNT), XLEN, XDEL, XTRIM, XSETID, with Redis 7.0's error texts; the generic
commands on a stream (TYPE, OBJECT ENCODING, DEL, RENAME, COPY, SCAN TYPE, EXISTS); keyspace
events; MULTI. These run against Debian's redis-server too; persistence and kv-server's own
figures are in test_streams_kv.py."""

from __future__ import annotations

import time

import pytest
import redis

WRONGTYPE = "^WRONGTYPE Operation against a key holding the wrong kind of value$"


def ids(entries):
    return [e[0] for e in entries]


def test_add_and_read_back(kv):
    c = kv.client()
    assert c.xadd("s", {"type": "done", "job": "1", "ts": "1700000000"}, id="1-1") == "1-1"
    assert c.xadd("s", {"type": "done", "job": "2", "ts": "1700000000"}, id="1-2") == "1-2"
    assert c.xadd("s", {"other": "x" * 300, "n": "-7"}, id="5-0") == "5-0"
    assert c.xadd("s", {"v": "007", "w": "-0", "z": "", "big": "9223372036854775808"},
                  id="5-*") == "5-1"
    assert c.xlen("s") == 4 and c.xlen("missing") == 0
    entries = c.xrange("s")
    assert entries[0] == ("1-1", {"type": "done", "job": "1", "ts": "1700000000"})
    assert entries[2] == ("5-0", {"other": "x" * 300, "n": "-7"})
    # Values read back as written, integer-looking or not.
    assert entries[3] == ("5-1", {"v": "007", "w": "-0", "z": "", "big": "9223372036854775808"})
    assert c.xrevrange("s") == entries[::-1]
    assert ids(c.xrange("s", "1", "1")) == ["1-1", "1-2"]        # incomplete IDs: whole ms
    assert ids(c.xrange("s", "(1-1", "(5-1")) == ["1-2", "5-0"]  # exclusive bounds
    assert ids(c.xrevrange("s", "(5-1", "(1-1")) == ["5-0", "1-2"]
    assert ids(c.xrange("s", "-", "+", count=2)) == ["1-1", "1-2"]
    assert ids(c.xrevrange("s", "+", "-", count=1)) == ["5-1"]
    assert c.xrange("s", "6", "+") == [] and c.xrange("s", "5-2", "1") == []
    assert c.xrange("missing") == []
    # A field repeated within an entry is kept, as in Redis.
    assert c.execute_command("XADD", "dup", "1-1", "f", "a", "f", "b") == "1-1"
    with kv.raw() as r:
        assert r.call("XRANGE", "dup", "-", "+") == [[b"1-1", [b"f", b"a", b"f", b"b"]]]
        # COUNT 0 (or negative) answers a null array, COUNT on a missing key an empty one.
        assert r.call("XRANGE", "s", "-", "+", "COUNT", "0") is None
        assert r.call("XREVRANGE", "s", "+", "-", "COUNT", "-5") is None
        assert r.call("XRANGE", "missing", "-", "+", "COUNT", "0") == []


def test_generated_ids(kv):
    c = kv.client()
    first = c.xadd("auto", {"f": "v"})
    ms, seq = map(int, first.split("-"))
    assert abs(ms - time.time() * 1000) < 60_000 and seq == 0
    previous = (ms, seq)
    for _ in range(50):
        nid = tuple(map(int, c.xadd("auto", {"f": "v"}).split("-")))
        assert nid > previous
        previous = nid
    # An explicit ID far ahead: "*" then continues from it.
    future = f"{previous[0] + 10**9}-5"
    assert c.xadd("auto", {"f": "v"}, id=future) == future
    assert c.xadd("auto", {"f": "v"}) == f"{previous[0] + 10**9}-6"
    assert c.xadd("ms", {"f": "v"}, id="7-*") == "7-0"
    assert c.xadd("ms", {"f": "v"}, id="7-*") == "7-1"
    assert c.xadd("ms", {"f": "v"}, id="9-*") == "9-0"
    with kv.raw() as r:
        for stale in ("8-*", "0-*", "9-0"):
            assert str(r.call("XADD", "ms", stale, "f", "v")) == (
                "ERR The ID specified in XADD is equal or smaller than the target stream top item")
        assert r.call("XADD", "top", "18446744073709551615-18446744073709551615", "f", "v") == (
            b"18446744073709551615-18446744073709551615")
        for idarg in ("*", "18446744073709551615-*"):
            assert str(r.call("XADD", "top", idarg, "f", "v")) == (
                "ERR The stream has exhausted the last possible ID, unable to add more items")
        assert r.call("XADD", "seqmax", "5-18446744073709551615", "f", "v") == (
            b"5-18446744073709551615")
        # Redis 7.0 answers a sequence run out under "<ms>-*" with this text.
        assert str(r.call("XADD", "seqmax", "5-*", "f", "v")) == (
            "ERR Elements are too large to be stored")


ERRORS = [
    (("XADD", "s", "0-0", "f", "v"), "ERR The ID specified in XADD must be greater than 0-0"),
    (("XADD", "s", "0", "f", "v"), "ERR The ID specified in XADD must be greater than 0-0"),
    (("XADD", "s", "1-1", "f", "v"),
     "ERR The ID specified in XADD is equal or smaller than the target stream top item"),
    (("XADD", "s", "x", "f", "v"), "ERR Invalid stream ID specified as stream command argument"),
    (("XADD", "s", "-", "f", "v"), "ERR Invalid stream ID specified as stream command argument"),
    (("XADD", "s", "+", "f", "v"), "ERR Invalid stream ID specified as stream command argument"),
    (("XADD", "s", "1-2-3", "f", "v"),
     "ERR Invalid stream ID specified as stream command argument"),
    (("XADD", "s", "*", "f"), "ERR wrong number of arguments for 'xadd' command"),
    (("XADD", "s", "*", "f", "v", "g"), "ERR wrong number of arguments for 'xadd' command"),
    (("XADD", "s", "NOMKSTREAM", "MAXLEN", "5"), "ERR wrong number of arguments for 'xadd' command"),
    (("XADD", "s", "MAXLEN", "5", "f", "v"),
     "ERR Invalid stream ID specified as stream command argument"),
    (("XADD", "s", "MAXLEN", "x", "*", "f", "v"), "ERR value is not an integer or out of range"),
    (("XADD", "s", "MAXLEN", "-1", "*", "f", "v"), "ERR The MAXLEN argument must be >= 0."),
    (("XADD", "s", "MINID", "x", "*", "f", "v"),
     "ERR Invalid stream ID specified as stream command argument"),
    (("XADD", "s", "MAXLEN", "1", "MINID", "1", "*", "f", "v"),
     "ERR syntax error, MAXLEN and MINID options at the same time are not compatible"),
    (("XADD", "s", "LIMIT", "5", "*", "f", "v"),
     "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"),
    (("XADD", "s", "MAXLEN", "5", "LIMIT", "5", "*", "f", "v"),
     "ERR syntax error, LIMIT cannot be used without the special ~ option"),
    (("XADD", "s", "MAXLEN", "=", "5", "LIMIT", "5", "*", "f", "v"),
     "ERR syntax error, LIMIT cannot be used without the special ~ option"),
    (("XADD", "s", "MAXLEN", "~", "5", "LIMIT", "-1", "*", "f", "v"),
     "ERR The LIMIT argument must be >= 0."),
    (("XADD", "s", "MAXLEN", "~", "5", "LIMIT", "x", "*", "f", "v"),
     "ERR value is not an integer or out of range"),
    (("XRANGE", "s", "x", "+"), "ERR Invalid stream ID specified as stream command argument"),
    (("XRANGE", "s", "(-", "+"), "ERR Invalid stream ID specified as stream command argument"),
    (("XRANGE", "s", "-", "(+"), "ERR Invalid stream ID specified as stream command argument"),
    (("XRANGE", "s", "(18446744073709551615-18446744073709551615", "+"),
     "ERR invalid start ID for the interval"),
    (("XRANGE", "s", "-", "(0-0"), "ERR invalid end ID for the interval"),
    (("XRANGE", "s", "-", "+", "COUNT"), "ERR syntax error"),
    (("XRANGE", "s", "-", "+", "COUNT", "x"), "ERR value is not an integer or out of range"),
    (("XRANGE", "s", "-", "+", "LIMIT", "1"), "ERR syntax error"),
    (("XRANGE", "s", "-"), "ERR wrong number of arguments for 'xrange' command"),
    (("XREVRANGE", "s", "+"), "ERR wrong number of arguments for 'xrevrange' command"),
    (("XLEN",), "ERR wrong number of arguments for 'xlen' command"),
    (("XDEL", "s"), "ERR wrong number of arguments for 'xdel' command"),
    (("XDEL", "s", "1-1", "bad"), "ERR Invalid stream ID specified as stream command argument"),
    (("XDEL", "s", "+"), "ERR Invalid stream ID specified as stream command argument"),
    (("XTRIM", "s", "MAXLEN"), "ERR wrong number of arguments for 'xtrim' command"),
    (("XTRIM", "s", "FOO", "1"), "ERR syntax error"),
    (("XTRIM", "s", "MAXLEN", "1", "FOO"), "ERR syntax error"),
    (("XTRIM", "s", "LIMIT", "1", "MAXLEN", "1"),
     "ERR syntax error, LIMIT cannot be used without the special ~ option"),
    (("XTRIM", "s", "LIMIT", "1", "LIMIT", "2"),
     "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"),
    (("XTRIM", "s", "LIMIT", "0", "LIMIT", "0"),
     "ERR syntax error, XTRIM must be called with a trimming strategy"),
    (("XSETID", "s", "x"), "ERR Invalid stream ID specified as stream command argument"),
    (("XSETID", "s", "1-0"),
     "ERR The ID specified in XSETID is smaller than the target stream top item"),
    (("XSETID", "s", "9-0", "ENTRIESADDED", "-1"), "ERR entries_added must be positive"),
    (("XSETID", "s", "9-0", "ENTRIESADDED", "x"), "ERR value is not an integer or out of range"),
    (("XSETID", "s", "9-0", "ENTRIESADDED", "1"),
     "ERR The entries_added specified in XSETID is smaller than the target stream length"),
    (("XSETID", "s", "9-0", "MAXDELETEDID", "10-0"),
     "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id"),
    (("XSETID", "s", "9-0", "FOO", "1"), "ERR syntax error"),
    (("XSETID", "s", "9-0", "ENTRIESADDED"), "ERR syntax error"),
    (("XSETID", "missing", "9-0"), "ERR no such key"),
    (("XSETID", "s"), "ERR wrong number of arguments for 'xsetid' command"),
]


def test_error_texts(kv):
    c = kv.client()
    c.xadd("s", {"f": "v"}, id="1-1")
    c.xadd("s", {"f": "v"}, id="2-1")
    with kv.raw() as r:
        for cmd, text in ERRORS:
            assert str(r.call(*cmd)) == text, cmd
        # Nothing was created or changed by a refused command.
        assert r.call("EXISTS", "missing") == 0
        assert r.call("XLEN", "s") == 2
        assert r.call("XRANGE", "s", "-", "+") == [[b"1-1", [b"f", b"v"]], [b"2-1", [b"f", b"v"]]]
        # The key is looked up before the IDs are parsed: a missing key answers 0.
        assert r.call("XDEL", "missing", "bad") == 0
        assert r.call("XTRIM", "missing", "MAXLEN", "0") == 0
        assert r.call("EXISTS", "missing") == 0


def test_wrongtype_both_ways(kv):
    c = kv.client()
    c.set("str", "x")
    c.xadd("s", {"f": "v"}, id="1-1")
    for call in (lambda: c.xadd("str", {"f": "v"}), lambda: c.xrange("str"),
                 lambda: c.xrevrange("str"), lambda: c.xlen("str"),
                 lambda: c.xdel("str", "1-1"), lambda: c.xtrim("str", maxlen=1),
                 lambda: c.execute_command("XSETID", "str", "5-5")):
        with pytest.raises(redis.ResponseError, match=WRONGTYPE):
            call()
    for call in (lambda: c.get("s"), lambda: c.lpush("s", "x"), lambda: c.hget("s", "f"),
                 lambda: c.sadd("s", "x"), lambda: c.zadd("s", {"x": 1}), lambda: c.incr("s")):
        with pytest.raises(redis.ResponseError, match=WRONGTYPE):
            call()
    # The type is checked before NOMKSTREAM's missing-key answer and before ID errors.
    with pytest.raises(redis.ResponseError, match=WRONGTYPE):
        c.execute_command("XADD", "str", "NOMKSTREAM", "1-1", "f", "v")


def test_nomkstream(kv):
    c = kv.client()
    assert c.xadd("s", {"f": "v"}, nomkstream=True) is None
    assert c.exists("s") == 0
    c.xadd("s", {"f": "v"}, id="1-1")
    assert c.xadd("s", {"f": "v"}, id="2-1", nomkstream=True) == "2-1"


def test_delete_and_trim(kv):
    c = kv.client()
    for i in range(1, 11):
        c.xadd("s", {"n": str(i)}, id=f"{i}-0")
    assert c.xdel("s", "3-0", "3-0", "4-0", "99-0") == 2
    assert c.xdel("s", "3-0") == 0
    assert c.xlen("s") == 8
    assert ids(c.xrange("s", "2", "5")) == ["2-0", "5-0"]
    # redis-py trims approximately unless told otherwise.
    assert c.xtrim("s", maxlen=6, approximate=False) == 2
    assert ids(c.xrange("s")) == ["5-0", "6-0", "7-0", "8-0", "9-0", "10-0"]
    assert c.xtrim("s", minid="8", approximate=False) == 3
    assert c.xtrim("s", minid="8", approximate=False) == 0
    # Approximate trimming only drops whole nodes: these few entries share one.
    assert c.xtrim("s", maxlen=1, approximate=True) == 0
    assert c.xlen("s") == 3
    # An emptied stream stays, with its last ID: a stale ID is still refused.
    assert c.xtrim("s", maxlen=0, approximate=False) == 3
    assert c.exists("s") == 1 and c.xlen("s") == 0 and c.type("s") == "stream"
    with pytest.raises(redis.ResponseError, match="equal or smaller"):
        c.xadd("s", {"f": "v"}, id="10-0")
    assert c.xadd("s", {"f": "v"}, id="10-1") == "10-1"
    assert c.xdel("s", "10-1") == 1
    assert c.exists("s") == 1 and c.xlen("s") == 0


def test_approximate_trimming_drops_whole_nodes(kv):
    c = kv.client()
    # Default nodes hold 100 entries.
    for i in range(1, 351):
        c.xadd("s", {"f": "v"}, id=f"{i}-1")
    assert c.xtrim("s", maxlen=120, approximate=True) == 200
    assert c.xrange("s", count=1)[0][0] == "201-1"
    assert c.xtrim("s", maxlen=120, approximate=True) == 0
    assert c.xtrim("s", minid="305", approximate=True) == 100
    assert c.xlen("s") == 50
    # LIMIT bounds the entries removed; a node that does not fit under it stays.
    for i in range(351, 651):
        c.xadd("s", {"f": "v"}, id=f"{i}-1")
    # Nodes now: 301-400 (the last one before, filled up), 401-500, 501-600, 601-650.
    assert c.xtrim("s", maxlen=0, approximate=True, limit=150) == 100
    assert c.xtrim("s", maxlen=0, approximate=True, limit=99) == 0
    assert c.xtrim("s", maxlen=0, approximate=True, limit=249) == 200
    # XADD trims after adding; exact trimming inside a node.
    assert c.execute_command("XADD", "s", "MAXLEN", "=", "3", "1000-1", "f", "v") == "1000-1"
    assert ids(c.xrange("s")) == ["649-1", "650-1", "1000-1"]
    assert c.execute_command("XADD", "s", "MINID", "1000", "1001-1", "f", "v") == "1001-1"
    assert ids(c.xrange("s")) == ["1000-1", "1001-1"]


def test_xsetid(kv):
    c = kv.client()
    c.xadd("s", {"f": "v"}, id="5-1")
    c.xadd("s", {"f": "v"}, id="6-1")
    c.xdel("s", "6-1")
    # At the last live entry or above; not below it.
    assert c.execute_command("XSETID", "s", "5-1") == "OK"
    with pytest.raises(redis.ResponseError, match="equal or smaller"):
        c.xadd("s", {"f": "v"}, id="5-1")
    assert c.xadd("s", {"f": "v"}, id="5-2") == "5-2"
    assert c.execute_command("XSETID", "s", "100-0", "ENTRIESADDED", "10",
                             "MAXDELETEDID", "50-0") == "OK"
    assert c.xadd("s", {"f": "v"}, id="100-*") == "100-1"
    # An empty stream may be set to any ID, even below its last one (Redis 7.0 allows it).
    c.xtrim("s", maxlen=0, approximate=False)
    assert c.execute_command("XSETID", "s", "1-1") == "OK"
    assert c.xadd("s", {"f": "v"}, id="1-*") == "1-2"


def test_generic_commands_on_a_stream(kv):
    c = kv.client()
    c.xadd("s", {"a": "1"}, id="1-1")
    c.xadd("s", {"b": "2"}, id="2-1")
    assert c.type("s") == "stream"
    assert c.object("encoding", "s") == "stream"
    assert c.exists("s") == 1
    assert c.memory_usage("s") > 0
    assert c.copy("s", "s2") is True
    c.xadd("s2", {"c": "3"}, id="3-1")
    assert c.xlen("s") == 2 and c.xlen("s2") == 3
    assert c.rename("s2", "s3") is True
    assert ids(c.xrange("s3")) == ["1-1", "2-1", "3-1"]
    c.set("str", "x")
    keys = set()
    cursor = 0
    while True:
        cursor, batch = c.scan(cursor, _type="stream")
        keys.update(batch)
        if cursor == 0:
            break
    assert keys == {"s", "s3"}
    assert c.delete("s", "s3") == 2
    assert c.exists("s") == 0
    # A copied empty stream keeps its last ID.
    c.xadd("e", {"f": "v"}, id="9-9")
    c.xdel("e", "9-9")
    c.copy("e", "e2")
    with pytest.raises(redis.ResponseError, match="equal or smaller"):
        c.xadd("e2", {"f": "v"}, id="9-9")


def test_multi_and_scripts(kv):
    c = kv.client()
    p = c.pipeline(transaction=True)
    p.xadd("s", {"f": "v"}, id="1-1")
    p.xadd("s", {"f": "w"}, id="1-*")
    p.xlen("s")
    p.xrange("s")
    assert p.execute() == ["1-1", "1-2", 2, [("1-1", {"f": "v"}), ("1-2", {"f": "w"})]]
    assert c.eval("return redis.call('XADD', KEYS[1], '5-5', 'a', 'b')", 1, "s") == "5-5"
    assert c.eval("return redis.call('XLEN', KEYS[1])", 1, "s") == 3


def test_keyspace_events(kv):
    c = kv.client()
    c.config_set("notify-keyspace-events", "Et")
    try:
        p = c.pubsub()
        p.psubscribe("__keyevent@0__:*")
        assert p.get_message(timeout=5)["type"] == "psubscribe"
        c.xadd("s", {"f": "v"}, id="1-1")
        c.xadd("s", {"f": "v"}, id="2-1", maxlen=1, approximate=False)  # xadd then xtrim
        c.xadd("s", {"f": "v"}, id="3-1", maxlen=5, approximate=False)  # no xtrim
        c.xdel("s", "2-1")
        c.xdel("s", "99-1")                          # nothing deleted: no event
        c.xtrim("s", maxlen=0, approximate=False)
        c.xtrim("s", maxlen=0, approximate=False)    # nothing left: no event
        c.execute_command("XSETID", "s", "10-0")
        c.set("done", "1")                           # not class t: not published
        c.config_set("notify-keyspace-events", "E$")
        c.set("done", "2")
        events = []
        while True:
            m = p.get_message(timeout=5)
            if m is None:
                break
            if m["type"] == "pmessage":
                events.append((m["channel"].split(":", 1)[1], m["data"]))
                if m["data"] == "done":
                    break
        assert events == [("xadd", "s"), ("xadd", "s"), ("xtrim", "s"), ("xadd", "s"),
                          ("xdel", "s"), ("xtrim", "s"), ("xsetid", "s"), ("set", "done")]
        p.close()
    finally:
        c.config_set("notify-keyspace-events", "")


def test_node_size_directives(kv):
    c = kv.client()
    assert c.config_get("stream-node-max-bytes") == {"stream-node-max-bytes": "4096"}
    assert c.config_get("stream-node-max-entries") == {"stream-node-max-entries": "100"}
    c.config_set("stream-node-max-entries", "10")
    try:
        for i in range(1, 36):
            c.xadd("s", {"f": "v"}, id=f"{i}-1")
        assert c.xtrim("s", maxlen=12, approximate=True) == 20
    finally:
        c.config_set("stream-node-max-entries", "100")
    with pytest.raises(redis.ResponseError):
        c.config_set("stream-node-max-entries", "x")


def test_big_stream_against_a_model(kv):
    c = kv.client()
    model = {}
    p = c.pipeline(transaction=False)
    for i in range(1, 3001):
        fields = {"type": "done", "job": str(i), "ts": "1700000000"} if i % 4 else \
                 {"payload": "p" * (i % 200), "n": str(-i)}
        model[f"{i}-{i % 5}"] = fields
        p.xadd("big", fields, id=f"{i}-{i % 5}")
    p.execute()
    for i in range(1, 3001, 7):
        c.xdel("big", f"{i}-{i % 5}")
        model.pop(f"{i}-{i % 5}")
    assert c.xlen("big") == len(model)
    assert dict(c.xrange("big")) == model
    keys = list(model)
    assert [k for k, _ in c.xrevrange("big", count=50)] == keys[::-1][:50]
    assert [k for k, _ in c.xrange("big", "1500", "1600")] == \
        [k for k in keys if 1500 <= int(k.split("-")[0]) <= 1600]
