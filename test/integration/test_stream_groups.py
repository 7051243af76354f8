"""Consumer groups through redis-py and raw RESP: XGROUP (CREATE with MKSTREAM and ENTRIESREAD,
SETID, CREATECONSUMER, DELCONSUMER, DESTROY, HELP), XREADGROUP (">", history IDs, NOACK, COUNT),
XREAD, XACK, XPENDING (summary and extended, IDLE, consumer), XCLAIM (IDLE, TIME, RETRYCOUNT,
FORCE, JUSTID, LASTID), XAUTOCLAIM (COUNT, JUSTID, deleted IDs), XINFO (STREAM with FULL and
COUNT, GROUPS, CONSUMERS, HELP), with Redis 7.0's replies and error texts; keyspace events;
MULTI and scripts. These run against Debian's redis-server too (idle times aside, which only
bound); the WAL logging of groups is in test_stream_groups_kv.py."""

from __future__ import annotations

import time

import pytest
import redis

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


def error_of(c, *args) -> str:
    with pytest.raises(redis.ResponseError) as e:
        c.execute_command(*args)
    return str(e.value)


def seed(c, key="s", n=3):
    for i in range(1, n + 1):
        c.execute_command("XADD", key, f"{i}-1", "f", str(i))


def test_xgroup_create_setid_destroy(kv):
    c = kv.client()
    seed(c)
    assert c.execute_command("XGROUP", "CREATE", "s", "g", "$", "ENTRIESREAD", "5") == "OK"
    assert error_of(c, "XGROUP", "CREATE", "s", "g", "0") == \
        "BUSYGROUP Consumer Group name already exists"
    assert error_of(c, "XGROUP", "CREATE", "nos", "g", "0").startswith(
        "The XGROUP subcommand requires the key to exist. Note that for CREATE you may want "
        "to use the MKSTREAM option")
    assert c.execute_command("XGROUP", "CREATE", "nos", "g", "0", "MKSTREAM") == "OK"
    assert c.type("nos") == "stream" and c.xlen("nos") == 0
    assert c.execute_command("XGROUP", "CREATE", "s", "g2", "1-1", "ENTRIESREAD", "-1") == "OK"
    assert error_of(c, "XGROUP", "CREATE", "s", "g3", "1-1", "ENTRIESREAD", "-2") == \
        "value for ENTRIESREAD must be positive or -1"
    assert error_of(c, "XGROUP", "CREATE", "s", "g3", "1-1", "ENTRIESREAD", "x") == \
        "value is not an integer or out of range"
    assert error_of(c, "XGROUP", "CREATE", "s2", "g", "0", "foo") == \
        "unknown subcommand or wrong number of arguments for 'CREATE'. Try XGROUP HELP."
    assert error_of(c, "XGROUP", "CREATE", "s", "g3", "-") == \
        "Invalid stream ID specified as stream command argument"
    groups = {g["name"]: g for g in c.xinfo_groups("s")}
    assert groups["g"]["last-delivered-id"] == "3-1" and groups["g"]["entries-read"] == 5
    assert groups["g2"]["entries-read"] is None and groups["g2"]["lag"] == 2
    assert c.execute_command("XGROUP", "SETID", "s", "g", "0", "ENTRIESREAD", "3") == "OK"
    assert c.execute_command("XGROUP", "SETID", "s", "g2", "$") == "OK"
    groups = {g["name"]: g for g in c.xinfo_groups("s")}
    assert groups["g"]["last-delivered-id"] == "0-0" and groups["g"]["entries-read"] == 3
    assert groups["g2"]["last-delivered-id"] == "3-1"
    assert error_of(c, "XGROUP", "SETID", "s", "g", "0", "FOO", "3") == \
        "unknown subcommand or wrong number of arguments for 'SETID'. Try XGROUP HELP."
    assert error_of(c, "XGROUP", "SETID", "s", "g", "0", "ENTRIESREAD") == \
        "unknown subcommand or wrong number of arguments for 'SETID'. Try XGROUP HELP."
    assert error_of(c, "XGROUP", "SETID", "s", "nog", "0") == \
        "NOGROUP No such consumer group 'nog' for key name 's'"
    assert error_of(c, "XGROUP", "SETID", "s", "g", "x") == \
        "Invalid stream ID specified as stream command argument"
    assert c.execute_command("XGROUP", "DESTROY", "s", "g") == 1
    assert c.execute_command("XGROUP", "DESTROY", "s", "g") == 0
    assert [g["name"] for g in c.xinfo_groups("s")] == ["g2"]


def test_xgroup_consumers_help_and_errors(kv):
    c = kv.client()
    seed(c)
    c.xgroup_create("s", "g", "0")
    assert c.execute_command("XGROUP", "CREATECONSUMER", "s", "g", "c1") == 1
    assert c.execute_command("XGROUP", "CREATECONSUMER", "s", "g", "c1") == 0
    assert error_of(c, "XGROUP", "CREATECONSUMER", "s", "nog", "c1") == \
        "NOGROUP No such consumer group 'nog' for key name 's'"
    c.xreadgroup("g", "c1", {"s": ">"}, count=2)
    assert c.execute_command("XGROUP", "DELCONSUMER", "s", "g", "c1") == 2
    assert c.execute_command("XGROUP", "DELCONSUMER", "s", "g", "c9") == 0
    assert c.xpending("s", "g")["pending"] == 0
    help_lines = c.execute_command("XGROUP", "HELP")
    assert help_lines[0] == \
        "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert len(help_lines) == 17 and help_lines[-1] == "    Prints this help."
    assert error_of(c, "XGROUP", "FOO", "s") == "unknown subcommand 'FOO'. Try XGROUP HELP."
    assert error_of(c, "XGROUP") == "wrong number of arguments for 'xgroup' command"
    assert error_of(c, "XGROUP", "CREATE", "s") == \
        "wrong number of arguments for 'xgroup|create' command"
    assert error_of(c, "XGROUP", "DESTROY", "s", "g", "x") == \
        "wrong number of arguments for 'xgroup|destroy' command"
    c.set("str", "x")
    assert error_of(c, "XGROUP", "CREATE", "str", "g", "0") == WRONGTYPE
    assert error_of(c, "XGROUP", "CREATECONSUMER", "nokey", "g", "c") .startswith(
        "The XGROUP subcommand requires the key to exist")


def test_xreadgroup_delivers_once_and_history(kv):
    c = kv.client()
    seed(c)
    c.xgroup_create("s", "g", "0")
    got = c.xreadgroup("g", "alice", {"s": ">"}, count=2)
    assert got == [["s", [("1-1", {"f": "1"}), ("2-1", {"f": "2"})]]]
    assert c.xreadgroup("g", "bob", {"s": ">"}) == [["s", [("3-1", {"f": "3"})]]]
    assert c.xreadgroup("g", "bob", {"s": ">"}) == []  # nothing new: a null array
    # History: the consumer's own pending entries, each delivered once more.
    assert c.xreadgroup("g", "alice", {"s": "0"}) == \
        [["s", [("1-1", {"f": "1"}), ("2-1", {"f": "2"})]]]
    assert c.xreadgroup("g", "alice", {"s": "1-1"}, count=5) == [["s", [("2-1", {"f": "2"})]]]
    assert c.xreadgroup("g", "carol", {"s": "0"}) == [["s", []]]
    rows = c.xpending_range("s", "g", "-", "+", 10)
    assert [(r["message_id"], r["consumer"], r["times_delivered"]) for r in rows] == \
        [("1-1", "alice", 2), ("2-1", "alice", 3), ("3-1", "bob", 1)]
    # A pending entry deleted from the stream reads back as its ID with no fields.
    c.xdel("s", "1-1")
    with kv.raw() as r:
        assert r.call("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0") == \
            [[b"s", [[b"1-1", None], [b"2-1", [b"f", b"2"]]]]]
    assert c.xack("s", "g", "1-1", "2-1", "9-9") == 2
    info = {g["name"]: g for g in c.xinfo_groups("s")}["g"]
    assert info == {"name": "g", "consumers": 3, "pending": 1, "last-delivered-id": "3-1",
                    "entries-read": 3, "lag": 0}


def test_xreadgroup_noack_and_setid_back(kv):
    c = kv.client()
    seed(c)
    c.xgroup_create("s", "g", "0")
    assert len(c.xreadgroup("g", "a", {"s": ">"}, noack=True)[0][1]) == 3
    assert c.xpending("s", "g")["pending"] == 0
    # Moved back: entries already pending move to the new reader, counted once again.
    c.xgroup_create("s", "h", "0")
    c.xreadgroup("g" if False else "h", "a", {"s": ">"}, count=2)
    c.xgroup_setid("s", "h", "0")
    c.xreadgroup("h", "b", {"s": ">"}, count=1)
    rows = c.xpending_range("s", "h", "-", "+", 10)
    assert [(r["message_id"], r["consumer"], r["times_delivered"]) for r in rows] == \
        [("1-1", "b", 1), ("2-1", "a", 1)]


def test_xread_and_xreadgroup_errors(kv):
    c = kv.client()
    seed(c)
    c.xgroup_create("s", "g", "0")
    c.set("str", "x")
    cases = [
        (("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "$"),
         "The $ ID is meaningless in the context of XREADGROUP: you want to read the history "
         "of this consumer by specifying a proper ID, or use the > ID to get new messages. The "
         "$ ID would just return an empty result set."),
        (("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s"),
         "wrong number of arguments for 'xreadgroup' command"),
        (("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "s2", ">"),
         # Redis 7.0 names XREAD and '$' whichever the command.
         "Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."),
        (("XREADGROUP", "GROUP", "nog", "c", "STREAMS", "s", ">"),
         "NOGROUP No such key 's' or consumer group 'nog' in XREADGROUP with GROUP option"),
        (("XREADGROUP", "GROUP", "g", "c", "STREAMS", "nokey", ">"),
         "NOGROUP No such key 'nokey' or consumer group 'g' in XREADGROUP with GROUP option"),
        (("XREADGROUP", "GROUP", "g", "c", "STREAMS", "str", ">"), WRONGTYPE),
        (("XREADGROUP", "GROUP", "g", "c", "FOO", "STREAMS", "s", ">"), "syntax error"),
        (("XREADGROUP", "COUNT", "1", "NOACK", "STREAMS", "s", ">"),
         "Missing GROUP option for XREADGROUP"),
        (("XREADGROUP", "GROUP", "g", "c", "COUNT", "x", "STREAMS", "s", ">"),
         "value is not an integer or out of range"),
        (("XREADGROUP", "GROUP", "g", "c", "BLOCK", "x", "STREAMS", "s", ">"),
         "timeout is not an integer or out of range"),
        (("XREADGROUP", "GROUP", "g", "c", "BLOCK", "-1", "STREAMS", "s", ">"),
         "timeout is negative"),
        (("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "x"),
         "Invalid stream ID specified as stream command argument"),
        (("XREAD", "STREAMS", "s", ">"),
         "The > ID can be specified only when calling XREADGROUP using the GROUP <group> "
         "<consumer> option."),
        (("XREAD", "GROUP", "a", "b", "STREAMS", "s", "0"),
         "The GROUP option is only supported by XREADGROUP. You called XREAD instead."),
        (("XREAD", "NOACK", "STREAMS", "s", "0"),
         "The NOACK option is only supported by XREADGROUP. You called XREAD instead."),
        (("XREAD", "STREAMS", "s", "s", "0"),
         "Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."),
        (("XREAD", "COUNT", "1", "STREAMS"), "syntax error"),
        (("XREAD", "COUNT", "1", "BLOCK", "10"), "syntax error"),
        (("XREAD", "STREAMS", "str", "0"), WRONGTYPE),
    ]
    for args, message in cases:
        assert error_of(c, *args) == message, args


def test_xread(kv):
    c = kv.client()
    seed(c)
    assert c.xread({"s": "0"}, count=1) == [["s", [("1-1", {"f": "1"})]]]
    assert c.xread({"s": "1-1", "nokey": "0"}) == [["s", [("2-1", {"f": "2"}), ("3-1", {"f": "3"})]]]
    assert c.xread({"s": "$"}) == []
    c.xadd("t", {"x": "y"}, id="5-5")
    c.xdel("t", "5-5")
    assert c.xread({"t": "0"}) == []  # only deleted entries above the ID
    with kv.raw() as r:
        assert r.call("XREAD", "STREAMS", "s", "3-1") is None  # a null array
        r.call("HELLO", "3")
        assert r.call("XREAD", "COUNT", "1", "STREAMS", "s", "0") == \
            {b"s": [[b"1-1", [b"f", b"1"]]]}
        assert r.call("XREAD", "STREAMS", "s", "3-1") is None


def test_xpending(kv):
    c = kv.client()
    seed(c)
    c.xgroup_create("s", "g", "0")
    with kv.raw() as r:
        assert r.call("XPENDING", "s", "g") == [0, None, None, None]
    c.xreadgroup("g", "a", {"s": ">"}, count=2)
    c.xreadgroup("g", "b", {"s": ">"})
    c.execute_command("XGROUP", "CREATECONSUMER", "s", "g", "idle")
    with kv.raw() as r:
        # The per-consumer counts are bulk strings, consumers with nothing pending left out.
        assert r.call("XPENDING", "s", "g") == \
            [3, b"1-1", b"3-1", [[b"a", b"2"], [b"b", b"1"]]]
        rows = r.call("XPENDING", "s", "g", "-", "+", "10")
        assert [(row[0], row[1], row[3]) for row in rows] == \
            [(b"1-1", b"a", 1), (b"2-1", b"a", 1), (b"3-1", b"b", 1)]
        assert all(0 <= row[2] < 60_000 for row in rows)
        assert [row[0] for row in r.call("XPENDING", "s", "g", "(1-1", "+", "10", "a")] == \
            [b"2-1"]
        assert [row[0] for row in r.call("XPENDING", "s", "g", "-", "(3-1", "1")] == [b"1-1"]
        assert r.call("XPENDING", "s", "g", "-", "+", "10", "nobody") == []
        assert r.call("XPENDING", "s", "g", "-", "+", "-3") == []
        assert r.call("XPENDING", "s", "g", "IDLE", "3600000", "-", "+", "10") == []
        assert len(r.call("XPENDING", "s", "g", "IDLE", "0", "-", "+", "10", "a")) == 2
    c.set("str", "x")
    for args, message in [
        (("XPENDING", "s", "g", "-", "+"), "syntax error"),
        (("XPENDING", "s", "g", "IDLE", "5", "-", "+"), "syntax error"),
        (("XPENDING", "s", "g", "IDLE", "x", "-", "+", "10"),
         "value is not an integer or out of range"),
        (("XPENDING", "s", "g", "-", "+", "x"), "value is not an integer or out of range"),
        (("XPENDING", "s", "g", "(-", "+", "1"),
         "Invalid stream ID specified as stream command argument"),
        (("XPENDING", "s", "g", "(18446744073709551615-18446744073709551615", "+", "1"),
         "invalid start ID for the interval"),
        (("XPENDING", "s", "g", "-", "(0-0", "1"), "invalid end ID for the interval"),
        (("XPENDING", "s", "nog"), "NOGROUP No such key 's' or consumer group 'nog'"),
        (("XPENDING", "nokey", "g", "-", "+", "1"),
         "NOGROUP No such key 'nokey' or consumer group 'g'"),
        (("XPENDING", "str", "g"), WRONGTYPE),
    ]:
        assert error_of(c, *args) == message, args


def test_xack(kv):
    c = kv.client()
    seed(c)
    c.xgroup_create("s", "g", "0")
    c.xreadgroup("g", "a", {"s": ">"})
    assert c.xack("s", "nog", "1-1") == 0
    assert c.xack("nokey", "g", "1-1") == 0
    assert error_of(c, "XACK", "s", "g", "1-1", "x") == \
        "Invalid stream ID specified as stream command argument"
    assert error_of(c, "XACK", "s", "g", "-") == \
        "Invalid stream ID specified as stream command argument"
    assert c.xpending("s", "g")["pending"] == 3  # nothing acknowledged by a failed XACK
    assert c.xack("s", "g", "1-1", "1-1", "2-1", "7") == 2
    c.set("str", "x")
    assert error_of(c, "XACK", "str", "g", "1-1") == WRONGTYPE
    assert error_of(c, "XACK", "s", "g") == "wrong number of arguments for 'xack' command"


def test_xclaim(kv):
    c = kv.client()
    seed(c)
    c.xgroup_create("s", "g", "0")
    c.xreadgroup("g", "a", {"s": ">"}, count=2)
    with kv.raw() as r:
        assert r.call("XCLAIM", "s", "g", "b", "0", "1-1") == [[b"1-1", [b"f", b"1"]]]
        assert r.call("XCLAIM", "s", "g", "b", "3600000", "2-1") == []  # not idle enough
        assert r.call("XCLAIM", "s", "g", "b", "0", "2-1", "3-1", "JUSTID") == [b"2-1"]
        # FORCE creates a pending entry for an entry of the stream; a missing one is skipped.
        assert r.call("XCLAIM", "s", "g", "c", "0", "3-1", "9-9", "FORCE", "JUSTID") == [b"3-1"]
        assert r.call("XCLAIM", "s", "g", "c", "0", "1-1", "RETRYCOUNT", "7", "TIME",
                      "1000", "JUSTID") == [b"1-1"]
        rows = r.call("XPENDING", "s", "g", "-", "+", "10")
        assert [(row[0], row[1], row[3]) for row in rows] == \
            [(b"1-1", b"c", 7), (b"2-1", b"b", 1), (b"3-1", b"c", 1)]
        assert rows[0][2] > 10**12  # delivered at TIME 1000: idle since 1970
        r.call("XCLAIM", "s", "g", "d", "0", "2-1", "IDLE", "5000")
        idle = r.call("XPENDING", "s", "g", "2-1", "2-1", "1")[0][2]
        assert 5000 <= idle < 65_000
        # IDLE at either end of the integer range: a delivery time before 0 or after now
        # (Redis's subtraction wraps for the smallest) is taken as now.
        for extreme in ("-9223372036854775808", "9223372036854775807", "-1000000"):
            r.call("XCLAIM", "s", "g", "d", "0", "2-1", "IDLE", extreme, "JUSTID")
            assert r.call("XPENDING", "s", "g", "2-1", "2-1", "1")[0][2] < 60_000, extreme
        # LASTID moves the group forward, never back.
        assert r.call("XCLAIM", "s", "g", "d", "0", "2-1", "LASTID", "5-0", "JUSTID") == [b"2-1"]
        assert r.call("XCLAIM", "s", "g", "d", "0", "2-1", "LASTID", "1-0", "JUSTID") == [b"2-1"]
        assert c.xinfo_groups("s")[0]["last-delivered-id"] == "5-0"
        # A deleted entry leaves the PEL when claimed.
        c.xdel("s", "1-1")
        assert r.call("XCLAIM", "s", "g", "d", "0", "1-1") == []
        assert r.call("XPENDING", "s", "g")[0] == 2
    c.set("str", "x")
    for args, message in [
        (("XCLAIM", "s", "nog", "c", "0", "1-1"), "NOGROUP No such key 's' or consumer group 'nog'"),
        (("XCLAIM", "nokey", "g", "c", "0", "1-1"),
         "NOGROUP No such key 'nokey' or consumer group 'g'"),
        (("XCLAIM", "s", "g", "c", "x", "1-1"), "Invalid min-idle-time argument for XCLAIM"),
        (("XCLAIM", "s", "g", "c", "0", "1-1", "foo"), "Unrecognized XCLAIM option 'foo'"),
        (("XCLAIM", "s", "g", "c", "0", "1-1", "IDLE"), "Unrecognized XCLAIM option 'IDLE'"),
        (("XCLAIM", "s", "g", "c", "0", "1-1", "IDLE", "x"),
         "Invalid IDLE option argument for XCLAIM"),
        (("XCLAIM", "s", "g", "c", "0", "1-1", "TIME", "x"),
         "Invalid TIME option argument for XCLAIM"),
        (("XCLAIM", "s", "g", "c", "0", "1-1", "RETRYCOUNT", "x"),
         "Invalid RETRYCOUNT option argument for XCLAIM"),
        (("XCLAIM", "s", "g", "c", "0", "1-1", "LASTID", "x"),
         "Invalid stream ID specified as stream command argument"),
        (("XCLAIM", "str", "g", "c", "0", "1-1"), WRONGTYPE),
        (("XCLAIM", "s", "g", "c", "0"), "wrong number of arguments for 'xclaim' command"),
    ]:
        assert error_of(c, *args) == message, args


def test_xautoclaim(kv):
    c = kv.client()
    seed(c, n=5)
    c.xgroup_create("s", "g", "0")
    c.xreadgroup("g", "a", {"s": ">"})
    with kv.raw() as r:
        assert r.call("XAUTOCLAIM", "s", "g", "b", "0", "0", "COUNT", "2") == \
            [b"3-1", [[b"1-1", [b"f", b"1"]], [b"2-1", [b"f", b"2"]]], []]
        assert r.call("XAUTOCLAIM", "s", "g", "b", "0", "(2-1", "COUNT", "1", "JUSTID") == \
            [b"4-1", [b"3-1"], []]
        assert r.call("XAUTOCLAIM", "s", "g", "b", "3600000", "0") == [b"0-0", [], []]
        c.xdel("s", "4-1", "5-1")
        # Deleted entries leave the PEL and are listed third.
        assert r.call("XAUTOCLAIM", "s", "g", "c", "0", "3-1", "JUSTID") == \
            [b"0-0", [b"3-1"], [b"4-1", b"5-1"]]
        rows = r.call("XPENDING", "s", "g", "-", "+", "10")
        assert [(row[0], row[1], row[3]) for row in rows] == \
            [(b"1-1", b"b", 2), (b"2-1", b"b", 2), (b"3-1", b"c", 1)]  # JUSTID: not counted
    c.set("str", "x")
    for args, message in [
        (("XAUTOCLAIM", "s", "g", "c", "x", "0"), "Invalid min-idle-time argument for XAUTOCLAIM"),
        (("XAUTOCLAIM", "s", "g", "c", "0", "x"),
         "Invalid stream ID specified as stream command argument"),
        (("XAUTOCLAIM", "s", "g", "c", "0", "0", "COUNT", "0"), "COUNT must be > 0"),
        (("XAUTOCLAIM", "s", "g", "c", "0", "0", "COUNT", "2305843009213693952"),
         "COUNT must be > 0"),
        (("XAUTOCLAIM", "s", "g", "c", "0", "0", "foo"), "syntax error"),
        (("XAUTOCLAIM", "s", "nog", "c", "0", "0"),
         "NOGROUP No such key 's' or consumer group 'nog'"),
        (("XAUTOCLAIM", "s", "g", "c", "0", "(18446744073709551615-18446744073709551615"),
         "invalid start ID for the interval"),
        (("XAUTOCLAIM", "str", "g", "c", "0", "0"), WRONGTYPE),
    ]:
        assert error_of(c, *args) == message, args


def test_xinfo(kv):
    c = kv.client()
    with kv.raw() as r:
        assert r.call("XADD", "s", "1-1", "a", "1") == b"1-1"
        r.call("XADD", "s", "1-2", "b", "2", "c", "3")
        r.call("XGROUP", "CREATE", "s", "g", "0")
        assert r.call("XINFO", "STREAM", "s") == [
            b"length", 2, b"radix-tree-keys", 1, b"radix-tree-nodes", 2,
            b"last-generated-id", b"1-2", b"max-deleted-entry-id", b"0-0",
            b"entries-added", 2, b"recorded-first-entry-id", b"1-1", b"groups", 1,
            b"first-entry", [b"1-1", [b"a", b"1"]], b"last-entry", [b"1-2", [b"b", b"2", b"c", b"3"]]]
        r.call("XREADGROUP", "GROUP", "g", "c1", "COUNT", "1", "STREAMS", "s", ">")
        full = r.call("XINFO", "STREAM", "s", "FULL")
        assert full[:14] == [
            b"length", 2, b"radix-tree-keys", 1, b"radix-tree-nodes", 2,
            b"last-generated-id", b"1-2", b"max-deleted-entry-id", b"0-0",
            b"entries-added", 2, b"recorded-first-entry-id", b"1-1"]
        assert full[14:16] == [b"entries", [[b"1-1", [b"a", b"1"]], [b"1-2", [b"b", b"2", b"c", b"3"]]]]
        group = full[17][0]
        assert group[:10] == [b"name", b"g", b"last-delivered-id", b"1-1", b"entries-read", 1,
                              b"lag", 1, b"pel-count", 1]
        pending = group[11]
        assert pending[0][:2] == [b"1-1", b"c1"] and pending[0][3] == 1
        consumer = group[13][0]
        assert consumer[:6] == [b"name", b"c1", b"seen-time", consumer[3], b"pel-count", 1]
        assert consumer[7][0][0] == b"1-1" and consumer[7][0][2] == 1
        assert len(r.call("XINFO", "STREAM", "s", "FULL", "COUNT", "1")[15]) == 1
        assert len(r.call("XINFO", "STREAM", "s", "FULL", "COUNT", "0")[15]) == 2
        assert r.call("XINFO", "CONSUMERS", "s", "g")[0][:4] == [b"name", b"c1", b"pending", 1]
        assert r.call("XINFO", "GROUPS", "s") == [[
            b"name", b"g", b"consumers", 1, b"pending", 1, b"last-delivered-id", b"1-1",
            b"entries-read", 1, b"lag", 1]]
        r.call("XADD", "empty", "5-5", "x", "y")
        r.call("XDEL", "empty", "5-5")
        info = r.call("XINFO", "STREAM", "empty")
        assert info[-4:] == [b"first-entry", None, b"last-entry", None]
    help_lines = c.execute_command("XINFO", "HELP")
    assert help_lines[0] == "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert len(help_lines) == 9
    c.set("str", "x")
    syntax = "unknown subcommand or wrong number of arguments for 'STREAM'. Try XINFO HELP."
    for args, message in [
        (("XINFO", "STREAM", "s", "foo"), syntax),
        (("XINFO", "STREAM", "s", "FULL", "foo", "1"), syntax),
        (("XINFO", "STREAM", "s", "FULL", "COUNT", "1", "2"), syntax),
        (("XINFO", "STREAM", "s", "FULL", "COUNT", "x"), "value is not an integer or out of range"),
        (("XINFO", "STREAM", "nokey", "foo"), "no such key"),
        (("XINFO", "GROUPS", "nokey"), "no such key"),
        (("XINFO", "STREAM", "str"), WRONGTYPE),
        (("XINFO", "CONSUMERS", "s", "nog"), "NOGROUP No such consumer group 'nog' for key name 's'"),
        (("XINFO", "FOO", "s"), "unknown subcommand 'FOO'. Try XINFO HELP."),
        (("XINFO", "STREAM"), "wrong number of arguments for 'xinfo|stream' command"),
        (("XINFO", "HELP", "x"), "wrong number of arguments for 'xinfo|help' command"),
        (("XINFO", "GROUPS", "s", "x"), "wrong number of arguments for 'xinfo|groups' command"),
    ]:
        assert error_of(c, *args) == message, args


def test_radix_tree_figures_follow_nodes(kv):
    c = kv.client()
    for i in range(1, 1001):
        c.execute_command("XADD", "big", f"{i}-0", "f", "v")
    with kv.raw() as r:
        info = r.call("XINFO", "STREAM", "big")
        assert info[2:6] == [b"radix-tree-keys", 10, b"radix-tree-nodes", 26]


def test_keyspace_events(kv):
    c = kv.client()
    c.config_set("notify-keyspace-events", "KEt")
    try:
        p = c.pubsub()
        p.psubscribe("__keyspace@0__:s")
        assert p.get_message(timeout=5)["type"] == "psubscribe"
        c.xgroup_create("s", "g", "$", mkstream=True)
        c.execute_command("XGROUP", "CREATECONSUMER", "s", "g", "c")
        c.xgroup_setid("s", "g", "0")
        c.execute_command("XGROUP", "DELCONSUMER", "s", "g", "c")
        c.xadd("s", {"f": "v"}, id="1-1")
        c.xreadgroup("g", "new", {"s": ">"})
        c.execute_command("XCLAIM", "s", "g", "other", "0", "1-1")
        c.xgroup_destroy("s", "g")
        events = []
        deadline = time.time() + 5
        while len(events) < 8 and time.time() < deadline:
            m = p.get_message(timeout=1)
            if m and m["type"] == "pmessage":
                events.append(m["data"])
        assert events == ["xgroup-create", "xgroup-createconsumer", "xgroup-setid",
                          "xgroup-delconsumer", "xadd", "xgroup-createconsumer",
                          "xgroup-createconsumer", "xgroup-destroy"]
        p.close()
    finally:
        c.config_set("notify-keyspace-events", "")


def test_multi_and_scripts(kv):
    c = kv.client()
    seed(c)
    c.xgroup_create("s", "g", "0")
    with kv.raw() as r:
        assert r.call("MULTI") == b"OK"
        r.call("XREADGROUP", "GROUP", "g", "a", "COUNT", "1", "STREAMS", "s", ">")
        r.call("XACK", "s", "g", "1-1")
        r.call("XREADGROUP", "GROUP", "g", "a", "BLOCK", "0", "STREAMS", "s", ">")
        r.call("XREAD", "BLOCK", "0", "STREAMS", "s", "$")
        r.call("XPENDING", "s", "g")
        assert r.call("EXEC") == [
            [[b"s", [[b"1-1", [b"f", b"1"]]]]], 1,
            [[b"s", [[b"2-1", [b"f", b"2"]], [b"3-1", [b"f", b"3"]]]]], None,
            [2, b"2-1", b"3-1", [[b"a", b"2"]]]]
    # BullMQ's scripts call the group and read commands.
    script = """
        redis.call('XADD', KEYS[1], '9-1', 'f', '9')
        local got = redis.call('XREADGROUP', 'GROUP', 'g', 'b', 'STREAMS', KEYS[1], '>')
        local n = redis.call('XACK', KEYS[1], 'g', got[1][2][1][1])
        return {got[1][2][1][1], n, redis.call('XPENDING', KEYS[1], 'g')[1]}
    """
    assert c.eval(script, 1, "s") == ["9-1", 1, 2]
