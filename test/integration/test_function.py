"""FUNCTION, FCALL and FCALL_RO with no library loaded: kv-server has no Lua engine yet, so it
must answer every call the way Redis 7 answers it on an empty library set (compared byte for
byte with Debian's redis-server), and refuse what needs an engine with a clear error."""

from __future__ import annotations

import pytest

from conftest import RespError

# Each case runs on a fresh connection of both servers; the raw replies must be identical.
CASES = {
    "list": [("FUNCTION", "LIST")],
    "list-withcode": [("FUNCTION", "LIST", "WITHCODE")],
    "list-libraryname": [("FUNCTION", "LIST", "LIBRARYNAME", "lib*", "WITHCODE")],
    "list-libraryname-missing": [("FUNCTION", "LIST", "LIBRARYNAME")],
    "list-unknown": [("FUNCTION", "LIST", "foo")],
    "list-twice": [("FUNCTION", "LIST", "WITHCODE", "withcode")],
    "list-libraryname-twice": [("FUNCTION", "LIST", "LIBRARYNAME", "a", "LIBRARYNAME", "b")],
    "flush": [("FUNCTION", "FLUSH"), ("FUNCTION", "FLUSH", "ASYNC"), ("FUNCTION", "flush", "sync")],
    "flush-bad-mode": [("FUNCTION", "FLUSH", "later")],
    "flush-too-many": [("FUNCTION", "FLUSH", "a", "b")],
    "delete": [("FUNCTION", "DELETE", "mylib")],
    "delete-arity": [("FUNCTION", "DELETE")],
    "kill": [("FUNCTION", "KILL")],
    "kill-arity": [("FUNCTION", "KILL", "x")],
    "stats-arity": [("FUNCTION", "STATS", "x")],
    "load-arity": [("FUNCTION", "LOAD")],
    "load-bad-option": [("FUNCTION", "LOAD", "foo", "code")],
    "restore-arity": [("FUNCTION", "RESTORE")],
    "restore-bad-payload": [("FUNCTION", "RESTORE", "x")],
    "restore-bad-policy": [("FUNCTION", "RESTORE", "x", "foo")],
    "restore-too-many": [("FUNCTION", "RESTORE", "x", "FLUSH", "y")],
    "dump": [("FUNCTION", "DUMP")],
    "dump-arity": [("FUNCTION", "DUMP", "x")],
    "unknown": [("FUNCTION", "Foo")],
    "arity": [("FUNCTION",)],
    "fcall": [("FCALL", "f", "0"), ("FCALL", "f", "1", "k", "a"), ("FCALL", "f", "x"),
              ("FCALL", "f", "-1"), ("FCALL", "f", "5")],
    "fcall-ro": [("FCALL_RO", "f", "0"), ("FCALL_RO", "f", "1", "k")],
    "fcall-arity": [("FCALL",), ("FCALL", "f"), ("FCALL_RO", "f")],
}


def _run(server, commands):
    with server.raw() as r:
        out = []
        for cmd in commands:
            r.send_command(*cmd)
            out.append(r.read_reply_bytes())
        return out


@pytest.mark.parametrize("name", list(CASES))
def test_same_reply_as_redis(kv, redis_ref, name):
    ours, theirs = _run(kv, CASES[name]), _run(redis_ref, CASES[name])
    for cmd, mine, ref in zip(CASES[name], ours, theirs):
        assert mine == ref, f"{' '.join(cmd)}\n  kv-server: {mine!r}\n  redis:     {ref!r}"


def test_dump_restores_on_either_server(kv, redis_ref):
    """The payload of an empty library set is Redis's, so a dump moves between the servers."""
    with kv.raw() as r:
        ours = r.call("FUNCTION", "DUMP")
    with redis_ref.raw() as r:
        theirs = r.call("FUNCTION", "DUMP")
        assert r.call("FUNCTION", "RESTORE", ours) == b"OK"
    assert ours == theirs
    with kv.raw() as r:
        for policy in ("FLUSH", "APPEND", "replace"):
            assert r.call("FUNCTION", "RESTORE", theirs, policy) == b"OK"
        assert r.call("FUNCTION", "LIST") == []


def test_command_info_matches_redis(kv, redis_ref):
    def info(server):
        with server.raw() as r:
            return {e[0]: e for e in r.call("COMMAND", "INFO", "function", "fcall", "fcall_ro")}

    ours, theirs = info(kv), info(redis_ref)
    assert set(ours) == {b"function", b"fcall", b"fcall_ro"}
    for name, mine in ours.items():
        ref = theirs[name]
        assert mine[1] == ref[1], f"arity of {name}"
        assert set(mine[2]) <= set(ref[2]), f"flags of {name}: {mine[2]} vs {ref[2]}"
        assert mine[3:6] == ref[3:6], f"key positions of {name}"
        assert sorted(mine[6]) == sorted(ref[6]), f"ACL categories of {name}"


@pytest.mark.kv_only
def test_load_and_restored_libraries_say_scripting_is_missing(kv):
    code = "#!lua name=mylib\nredis.register_function('f', function() return 1 end)"
    with kv.raw() as r:
        for args in (("FUNCTION", "LOAD", code), ("FUNCTION", "LOAD", "REPLACE", code)):
            reply = r.call(*args)
            assert isinstance(reply, RespError)
            assert str(reply).startswith("ERR Scripting is not available yet")
        # A payload that carries libraries (records before Redis 7.0's footer).
        empty = r.call("FUNCTION", "DUMP")
        reply = r.call("FUNCTION", "RESTORE", b"\xf5library-records" + empty)
        assert str(reply).startswith("ERR Scripting is not available yet")
        assert r.call("FUNCTION", "LIST") == []


@pytest.mark.kv_only
def test_stats_lists_no_engine(kv):
    with kv.raw() as r:
        assert r.call("FUNCTION", "STATS") == [b"running_script", None, b"engines", []]
        help_lines = r.call("FUNCTION", "HELP")
    assert help_lines[0].startswith(b"FUNCTION <subcommand>")
    assert any(line.startswith(b"RESTORE <PAYLOAD>") for line in help_lines)
