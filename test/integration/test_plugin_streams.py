"""The plugin API's stream calls (version 6) through test/modules/streamops.c, a plugin built
against include/kvmodule.h alone: entries it adds are the ones XRANGE and XLEN see and the other
way round; IDs follow XADD's rules (above the last ID, never 0-0, the clock's for a NULL ID);
ranges walk both ways with COUNT and a callback that stops; XDEL and XTRIM (exact, `~`, MINID)
through the API; another type is KV_WRONGTYPE and left untouched; a write inside a walk is
refused; the plugin's writes, clock-chosen IDs included, replay from the log after kill -9; and an entry
the plugin adds wakes a blocked XREAD."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import redis

from conftest import KV_BIN, wait_for

pytestmark = pytest.mark.kv_only

STREAMOPS = Path(KV_BIN).resolve().parent / "test" / "modules" / "streamops.so"


@pytest.fixture
def c(kv_server):
    assert STREAMOPS.is_file(), "test plugin not built"
    return kv_server(loadmodule=str(STREAMOPS)).client()


def cmd(c, name, *args):
    return c.execute_command(f"STREAMOPS.{name}", *args)


def as_pairs(entries):
    return [(i, list(fv)) for i, fv in entries]


def xrange_pairs(c, *args):
    """XRANGE / XREVRANGE as [(id, [field, value, ...])], redis-py's dicts flattened."""
    return [(i, [x for kv in fv.items() for x in kv]) for i, fv in c.execute_command(*args)]


def test_plugin_entries_are_the_stream_commands_entries(c):
    assert cmd(c, "ADD", "s", "1-1", "type", "done", "job", "7") == "1-1"
    assert cmd(c, "ADD", "s", "1-2", "type", "done", "job", "8") == "1-2"
    c.xadd("s", {"other": "x"}, id="5-0")
    assert cmd(c, "LEN", "s") == 3 == c.xlen("s")
    assert c.type("s") == "stream"
    got = as_pairs(cmd(c, "RANGE", "s", "-", "+"))
    assert got == xrange_pairs(c, "XRANGE", "s", "-", "+")
    assert got == [("1-1", ["type", "done", "job", "7"]),
                            ("1-2", ["type", "done", "job", "8"]), ("5-0", ["other", "x"])]
    assert as_pairs(cmd(c, "RANGE", "s", "-", "+", "REV", "COUNT", "2")) == \
        xrange_pairs(c, "XREVRANGE", "s", "+", "-", "COUNT", "2")
    assert as_pairs(cmd(c, "RANGE", "s", "1-2", "4-0")) == [("1-2", ["type", "done", "job", "8"])]
    # The callback's non-zero return stops the walk.
    assert len(cmd(c, "RANGE", "s", "-", "+", "MAX", "1")) == 1
    assert cmd(c, "RANGE", "nokey", "-", "+") == []
    assert cmd(c, "LEN", "nokey") == 0


def test_ids_follow_xadds_rules(c):
    cmd(c, "ADD", "s", "10-5", "f", "v")
    for bad in ("10-5", "10-4", "9-99", "0-0"):
        with pytest.raises(redis.ResponseError, match="^api$"):
            cmd(c, "ADD", "s", bad, "f", "v")
    with pytest.raises(redis.ResponseError, match="^api$"):
        cmd(c, "ADD", "fresh", "0-0", "f", "v")
    assert c.exists("fresh") == 0
    auto = cmd(c, "ADD", "s", "*", "f", "v")
    ms, seq = map(int, auto.split("-"))
    assert (ms, seq) > (10, 5)
    # XADD's own next ID comes after the plugin's.
    nxt = c.xadd("s", {"f": "w"})
    assert tuple(map(int, nxt.split("-"))) > (ms, seq)
    # Trimming or deleting everything keeps the last ID: IDs never go back.
    assert cmd(c, "TRIM", "s", "MAXLEN", "0") == 3
    assert c.xlen("s") == 0 and c.exists("s") == 1
    with pytest.raises(redis.ResponseError, match="^api$"):
        cmd(c, "ADD", "s", auto, "f", "v")


def test_delete_and_trim_through_the_api(c):
    for i in range(1, 301):
        c.xadd("s", {"i": str(i)}, id=f"{i}-0")
    assert cmd(c, "DEL", "s", "2-0") == 1
    assert cmd(c, "DEL", "s", "2-0") == 0
    assert cmd(c, "DEL", "nokey", "1-0") == 0
    assert c.xlen("s") == 299
    assert cmd(c, "TRIM", "s", "MINID", "11-0") == 9
    assert c.xrange("s", count=1)[0][0] == "11-0"
    # `~` removes whole nodes only (100 entries a node by default), so fewer or as many.
    approx = cmd(c, "TRIM", "s", "MAXLEN", "~", "150")
    assert 0 <= approx <= 140 and c.xlen("s") == 290 - approx >= 150
    before = c.xlen("s")
    assert cmd(c, "TRIM", "s", "MAXLEN", "100") == before - 100
    assert c.xlen("s") == 100
    assert c.xrange("s", count=1)[0][0] == "201-0"
    with pytest.raises(redis.ResponseError, match="^api$"):
        cmd(c, "TRIM", "s", "MAXLEN", "-1")


def test_another_type_is_wrongtype_and_untouched(c):
    c.set("str", "x")
    c.rpush("list", "a")
    for key in ("str", "list"):
        for name, args in (("ADD", ("1-1", "f", "v")), ("LEN", ()), ("RANGE", ("-", "+")),
                           ("DEL", ("1-1",)), ("TRIM", ("MAXLEN", "0"))):
            with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
                cmd(c, name, key, *args)
    assert c.get("str") == "x" and c.lrange("list", 0, -1) == ["a"]


def test_a_write_inside_a_walk_is_refused(c):
    cmd(c, "ADD", "s", "1-1", "f", "v")
    assert cmd(c, "WALKWRITE", "s") == 1  # KV_ERR
    assert c.xlen("s") == 1


def test_plugin_writes_replay_after_kill9(kv_persist):
    assert STREAMOPS.is_file(), "test plugin not built"
    s = kv_persist(appendfsync="always", loadmodule=str(STREAMOPS))
    c = s.client()
    ids = [cmd(c, "ADD", "s", "*", "n", str(i), "payload", "x" * 40) for i in range(250)]
    cmd(c, "ADD", "s", "99999999999999-7", "last", "1")
    cmd(c, "DEL", "s", ids[3])
    cmd(c, "TRIM", "s", "MINID", ids[10])
    cmd(c, "ADD", "gone", "1-1", "f", "v")
    cmd(c, "TRIM", "gone", "MAXLEN", "0")
    want = c.xrange("s")
    assert len(want) == 251 - 1 - 9
    s.kill9()
    s.restart()
    c = s.client()
    assert c.xrange("s") == want
    assert c.xlen("gone") == 0 and c.type("gone") == "stream"
    # The last ID survived the restart: the next one is above it.
    with pytest.raises(redis.ResponseError, match="^api$"):
        cmd(c, "ADD", "s", "99999999999999-7", "f", "v")
    with pytest.raises(redis.ResponseError, match="^api$"):
        cmd(c, "ADD", "gone", "1-1", "f", "v")


def test_a_plugin_add_wakes_a_blocked_xread(kv_server):
    assert STREAMOPS.is_file(), "test plugin not built"
    server = kv_server(threads=2, loadmodule=str(STREAMOPS))
    reader, writer = server.client(), server.client()
    cmd(writer, "ADD", "s", "1-1", "f", "old")
    result = {}

    def read():
        result["got"] = reader.xread({"s": "$"}, block=10000)

    t = threading.Thread(target=read)
    t.start()
    # The reader is blocked once CLIENT LIST shows it waiting in XREAD.
    wait_for(lambda: "cmd=xread" in writer.execute_command("CLIENT", "LIST", "TYPE", "normal")
             and writer.info("clients")["blocked_clients"] == 1, what="a blocked XREAD")
    cmd(writer, "ADD", "s", "2-1", "f", "new")
    t.join(10)
    assert not t.is_alive()
    assert result["got"] == [["s", [("2-1", {"f": "new"})]]]
