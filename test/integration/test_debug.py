"""DEBUG (Redis 7's enable-debug-command gate, SLEEP, SET-ACTIVE-EXPIRE, OBJECT, RELOAD,
CHANGE-REPL-ID and the unknown-subcommand answers), against the real binary. Tests not marked
kv_only run against Debian's redis-server too, so the texts and behaviour are Redis's."""

from __future__ import annotations

import re
import threading
import time

import pytest
import redis

from conftest import RespError, non_loopback_address, wait_for
from persist_util import info, read_manifest

DEBUG_REFUSED = (
    'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you '
    "can run it from a local connection, otherwise you need to set this option in the "
    "configuration file, and then restart the server.")


def syntax_error(sub: str) -> str:
    return f"ERR unknown subcommand or wrong number of arguments for '{sub}'. Try DEBUG HELP."


# ---------------------------------------------------------------------------- the gate
def test_debug_is_refused_by_default(kv):
    with kv.raw() as r:
        for args in (("DEBUG", "HELP"), ("DEBUG", "SLEEP", "0"), ("DEBUG", "RELOAD"),
                     ("DEBUG", "NOSUCH")):
            reply = r.call(*args)
            assert isinstance(reply, RespError) and str(reply) == DEBUG_REFUSED, args
        reply = r.call("DEBUG")
        assert str(reply) == "ERR wrong number of arguments for 'debug' command"
        assert r.call("PING") == b"PONG"


@pytest.mark.parametrize("mode", ["yes", "local"])
def test_debug_is_allowed_when_enabled(kv_server, mode):
    s = kv_server(enable_debug_command=mode)
    with s.raw() as r:
        helps = r.call("DEBUG", "HELP")
        assert isinstance(helps, list) and helps[0].startswith(b"DEBUG <subcommand>")
        assert r.call("DEBUG", "SLEEP", "0") == b"OK"
        assert r.call("DEBUG", "CHANGE-REPL-ID") == b"OK"


@pytest.mark.kv_only
def test_debug_local_allows_loopback_only(kv_server):
    address = non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    s = kv_server(enable_debug_command="local", bind="0.0.0.0", requirepass="pw")
    assert s.client().execute_command("DEBUG", "SLEEP", "0") in (b"OK", "OK", True)
    remote = redis.Redis(host=address, port=s.port, password="pw", decode_responses=True)
    with pytest.raises(redis.ResponseError) as e:
        remote.execute_command("DEBUG", "SLEEP", "0")
    assert str(e.value) == DEBUG_REFUSED.removeprefix("ERR ")
    assert remote.ping()


# ---------------------------------------------------------------------------- subcommands
@pytest.fixture
def dbg(kv_server):
    return kv_server(enable_debug_command="yes")


def test_unknown_and_malformed_subcommands_answer_as_redis(dbg):
    with dbg.raw() as r:
        for args, sub in ((("DEBUG", "Foo"), "Foo"), (("DEBUG", "JMAP"), "JMAP"),
                          (("DEBUG", "STRINGMATCH-LEN"), "STRINGMATCH-LEN"),
                          (("DEBUG", "OBJECT"), "OBJECT"), (("DEBUG", "OBJECT", "a", "b"), "OBJECT"),
                          (("DEBUG", "SLEEP"), "SLEEP"), (("DEBUG", "HELP", "x"), "HELP"),
                          (("DEBUG", "CHANGE-REPL-ID", "x"), "CHANGE-REPL-ID"),
                          (("DEBUG", "set-active-expire"), "set-active-expire")):
            assert str(r.call(*args)) == syntax_error(sub), args
        assert str(r.call("DEBUG", "OBJECT", "missing")) == "ERR no such key"
        assert str(r.call("DEBUG", "LISTPACK", "missing")) == "ERR no such key"
        r.call("SET", "s", "v")
        assert str(r.call("DEBUG", "LISTPACK", "s")) == "ERR Not a listpack encoded object."
        assert str(r.call("DEBUG", "RELOAD", "NOPE")) == (
            "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.")
        assert r.call("PING") == b"PONG"


def test_debug_object_line(dbg):
    c = dbg.client()
    c.set("short", "hello")
    c.set("long", "x" * 100)
    line_re = re.compile(r"^Value at:0x[0-9a-f]+ refcount:1 encoding:(\S+) serializedlength:\d+ "
                         r"lru:\d+ lru_seconds_idle:\d+")
    with dbg.raw() as r:
        short = r.call("DEBUG", "OBJECT", "short").decode()
        long_ = r.call("DEBUG", "OBJECT", "long").decode()
        assert r.call("OBJECT", "ENCODING", "short") == b"embstr"
    assert line_re.match(short), short
    assert line_re.match(long_), long_
    # The encoding is the one OBJECT ENCODING answers.
    assert line_re.match(short).group(1) == "embstr"
    assert line_re.match(long_).group(1) == "raw"


def test_debug_sleep_takes_fractions_and_the_server_serves_on(dbg):
    with dbg.raw() as r:
        for arg in ("0.2", "0", "-1", "abc"):  # strtod's reading: no number sleeps 0
            r.send_command("DEBUG", "SLEEP", arg)
            assert r.read_reply() == b"OK", arg
    assert dbg.client().ping()


def test_command_info_matches_redis(kv, redis_ref):
    def info(server):
        with server.raw() as r:
            (entry,) = r.call("COMMAND", "INFO", "debug")
            return entry

    ours, theirs = info(kv), info(redis_ref)
    assert ours[1] == theirs[1] == -2
    assert sorted(ours[2]) == sorted(theirs[2])  # admin noscript loading stale
    assert ours[3:6] == theirs[3:6]
    assert sorted(ours[6]) == sorted(theirs[6])


# ---------------------------------------------------------------------------- SET-ACTIVE-EXPIRE
def test_set_active_expire_0_leaves_expired_keys_until_touched(kv_server):
    s = kv_server(enable_debug_command="yes", hz=50)
    c = s.client()
    assert c.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0") in ("OK", True)
    c.set("gone", "v", px=20)
    c.set("stays", "v")
    # Well past the expiry, dozens of cron ticks later (and without reading the key, which
    # would expire it lazily): nothing reclaimed it.
    time.sleep(0.5)
    assert c.dbsize() == 2
    # Touching it expires it lazily.
    assert c.get("gone") is None
    assert c.dbsize() == 1
    # Back on: the cron reclaims an untouched key by itself.
    assert c.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1") in ("OK", True)
    c.set("gone2", "v", px=20)
    wait_for(lambda: c.dbsize() == 1, what="the active cycle to reclaim the key")
    assert c.get("stays") == "v"


# ---------------------------------------------------------------------------- RELOAD
def test_debug_reload_keeps_data_and_ttls(dbg):
    c = dbg.client()
    c.set("plain", "hello")
    c.set("binary", b"\x00\xff\r\n")
    c.set("ttl", "v", ex=1000)
    c.set("pttl", "v", px=900_000)
    c.set("short", "v", px=20)
    wait_for(lambda: c.pttl("short") == -2, what="the short key to expire")
    before_ttl = c.ttl("ttl")
    assert c.execute_command("DEBUG", "RELOAD") in ("OK", True)
    assert c.get("plain") == "hello"
    assert dbg.client(decode_responses=False).get("binary") == b"\x00\xff\r\n"
    assert 0 < c.ttl("ttl") <= before_ttl
    assert 800_000 < c.pttl("pttl") <= 900_000
    assert c.exists("short") == 0
    assert c.dbsize() == 4
    assert c.ttl("plain") == -1


def test_debug_reload_loses_no_concurrent_write(kv_server):
    """A writer keeps incrementing while DEBUG RELOAD runs again and again: every increment it
    was answered for is in the counter afterwards, so none fell between the snapshot and the
    reload. Two I/O threads, so the writer can run beside the reload rather than between two."""
    dbg = kv_server(enable_debug_command="yes", threads=2)
    stop = threading.Event()
    acked = [0]
    errors: list[BaseException] = []

    def writer():
        w = dbg.client()
        try:
            while not stop.is_set():
                w.incr("counter")
                acked[0] += 1
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    c = dbg.client()
    wait_for(lambda: acked[0] > 0, what="the writer's first increment")
    for _ in range(5):
        assert c.execute_command("DEBUG", "RELOAD") in ("OK", True)
    stop.set()
    t.join(30)
    assert not t.is_alive() and not errors, errors
    assert int(c.get("counter")) == acked[0]


@pytest.mark.kv_only
def test_debug_reload_commits_a_snapshot_that_a_restart_loads(kv_persist):
    s = kv_persist(enable_debug_command="yes", appendfsync="always")
    c = s.client(single_connection_client=True)
    c.set("a", "1")
    c.set("t", "v", ex=1000)
    c.execute_command("SELECT", "other")
    c.set("b", "2")
    saves = int(info(s)["rdb_saves"])
    assert c.execute_command("DEBUG", "RELOAD") in ("OK", True)
    i = info(s)
    assert int(i["rdb_saves"]) == saves + 1
    assert i["snapshot_file"] != "-"
    assert read_manifest(s.data_dir).snapshot == i["snapshot_file"]
    c.set("after", "x")  # in the log after the snapshot
    assert c.get("b") == "2"
    s.kill9()
    s.restart()
    c = s.client(single_connection_client=True)
    assert c.get("a") == "1" and 0 < c.ttl("t") <= 1000 and c.get("b") is None
    c.execute_command("SELECT", "other")
    assert c.get("b") == "2" and c.get("after") == "x"


@pytest.mark.kv_only
def test_debug_reload_in_memory_only_touches_no_file(dbg):
    dbg.client().set("k", "v")
    before = sorted(p.name for p in dbg.data_dir.iterdir())
    assert dbg.client().execute_command("DEBUG", "RELOAD") in ("OK", True)
    assert sorted(p.name for p in dbg.data_dir.iterdir()) == before
    assert dbg.client().get("k") == "v"


@pytest.mark.kv_only
def test_debug_reload_options_are_refused_clearly(dbg):
    dbg.client().set("k", "v")
    with dbg.raw() as r:
        for opt in ("NOSAVE", "MERGE", "noflush"):
            reply = r.call("DEBUG", "RELOAD", opt)
            assert isinstance(reply, RespError) and "not supported by kv-server" in str(reply)
        assert r.call("GET", "k") == b"v"
