"""The dispatcher runs a container's subcommand (CONFIG HELP, XGROUP CREATE, OBJECT ENCODING...)
by the subcommand's own flags and keys, as Redis 7 does: a script may call CONFIG HELP but not
CONFIG GET, XGROUP CREATE is a write (refused on a read-only replica, held by CLIENT PAUSE WRITE,
replicated) and grows memory (refused over maxmemory) while XGROUP HELP is neither, MONITOR
shows CONFIG HELP but not the admin CONFIG GET. Compared with redis-server 7.0 where it runs."""
from __future__ import annotations

import pytest
import redis

from conftest import RespError, wait_for

LIB = ("#!lua name=sublib\nredis.register_function{function_name='subf', "
       "callback=function() return 'f' end, flags={'no-writes'}}")

# Script calls of containers' subcommands; `k` is a string key.
SCRIPT_CALLS = [
    "'config', 'help'", "'config', 'get', 'maxmemory'", "'config', 'get'", "'config', 'nosuch'",
    "'function', 'help'", "'function', 'list'", "'object', 'help'",
    "'object', 'encoding', KEYS[1]", "'object', 'encoding', 'missing'", "'xinfo', 'help'",
    "'xgroup', 'help'", "'acl', 'whoami'", "'acl', 'help'", "'memory', 'help'",
    "'memory', 'usage', 'missing'", "'client', 'help'", "'client', 'id'", "'script', 'help'",
    "'latency', 'help'", "'pubsub', 'help'", "'command', 'help'",
]


def script_answer(server, script, *args):
    """A script's reply, reduced to what both servers share: an error's text without Redis's
    'script: ...' suffix, a table's first element."""
    with server.raw() as r:
        reply = r.call("EVAL", script, *args)
    if isinstance(reply, RespError):
        return "error", str(reply).split(" script:")[0]
    if isinstance(reply, list):
        return "table", reply[0] if reply else None
    return "value", reply


@pytest.mark.parametrize("call", SCRIPT_CALLS)
def test_script_calls_a_subcommand_by_its_flags_and_arity(kv, redis_ref, call):
    script = f"local r = redis.call({call}) if type(r) == 'table' then return r[1] end return r"
    answers = []
    for server in (kv, redis_ref):
        server.client().set("k", "v")
        answers.append(script_answer(server, script, "1", "k"))
    assert answers[0] == answers[1]


def test_read_only_script_refuses_a_write_subcommand(kv, redis_ref):
    script = "return redis.call('xgroup', 'create', KEYS[1], 'g', '$', 'MKSTREAM')"
    with kv.raw() as r:
        ours = r.call("EVAL_RO", script, "1", "s")
    with redis_ref.raw() as r:
        theirs = r.call("EVAL_RO", script, "1", "s")
    assert isinstance(ours, RespError)
    assert str(ours).split(" script:")[0] == str(theirs).split(" script:")[0]
    assert kv.client().exists("s") == 0
    # The same call from a script that may write creates the group.
    assert kv.client().eval(script, 1, "s") == "OK"
    assert kv.client().xinfo_groups("s")[0]["name"] == "g"


def attach(replica, primary):
    r, p = replica.client(), primary.client()
    assert r.execute_command("REPLICAOF", primary.host, primary.port) == "OK"

    def synced():
        ri = r.info("replication")
        return (ri.get("master_link_status") == "up"
                and ri["slave_repl_offset"] == p.info("replication")["master_repl_offset"])

    wait_for(synced, timeout=20.0, what="replica in sync")
    return synced


def test_write_subcommands_replicate_and_are_refused_on_the_replica(kv_server):
    primary = kv_server(enable_debug_command="yes")
    replica = kv_server(enable_debug_command="yes")
    synced = attach(replica, primary)
    p, r = primary.client(), replica.client()
    p.xadd("s", {"f": "v"}, id="1-1")
    assert p.execute_command("XGROUP", "CREATE", "s", "g", "0") == "OK"
    assert p.execute_command("XGROUP", "CREATE", "s", "gone", "$") == "OK"
    assert p.execute_command("XGROUP", "CREATECONSUMER", "s", "g", "alice") == 1
    assert p.execute_command("XGROUP", "SETID", "s", "g", "1-1") == "OK"
    assert p.execute_command("XGROUP", "DESTROY", "s", "gone") == 1
    assert p.execute_command("FUNCTION", "LOAD", LIB) == "sublib"
    wait_for(synced, timeout=20.0, what="replica in sync")
    groups = r.xinfo_groups("s")
    assert [(g["name"], g["consumers"], g["last-delivered-id"]) for g in groups] == [
        ("g", 1, "1-1")]
    assert r.fcall_ro("subf", 0) == "f"
    # The replica's own clients may not write, subcommands included; reads and HELP run.
    with replica.raw() as raw:
        for call in (("XGROUP", "CREATE", "s", "g2", "$"), ("XGROUP", "SETID", "s", "g", "0"),
                     ("XGROUP", "DESTROY", "s", "g"), ("FUNCTION", "LOAD", LIB),
                     ("FUNCTION", "FLUSH")):
            raw.send_command(*call)
            assert raw.read_reply_bytes() == (
                b"-READONLY You can't write against a read only replica.\r\n"), call
        assert isinstance(raw.call("XGROUP", "HELP"), list)
        assert isinstance(raw.call("XINFO", "STREAM", "s"), (list, dict))
        assert raw.call("OBJECT", "ENCODING", "s") == b"stream"
    assert [g["name"] for g in r.xinfo_groups("s")] == ["g"]
    r.execute_command("REPLICAOF", "NO", "ONE")


def test_write_pause_holds_write_subcommands_not_reads(kv):
    c = kv.client()
    c.xadd("s", {"f": "v"})
    admin, writer = kv.raw(), kv.raw()
    try:
        assert admin.call("CLIENT", "PAUSE", "100000", "WRITE") == b"OK"
        writer.send_command("XGROUP", "CREATE", "s", "g", "$")
        # Reads, HELPs and keyed reads of containers run during the pause.
        assert c.execute_command("XINFO", "HELP")
        assert c.execute_command("CONFIG", "HELP")
        assert c.object("encoding", "s") == "stream"
        assert c.xinfo_groups("s") == []
        assert writer.read(timeout=0.2) == b""  # held while paused
        assert admin.call("CLIENT", "UNPAUSE") == b"OK"
        assert writer.read_reply_bytes() == b"+OK\r\n"
        assert [g["name"] for g in c.xinfo_groups("s")] == ["g"]
    finally:
        c.execute_command("CLIENT", "UNPAUSE")
        admin.close()
        writer.close()


def test_denyoom_subcommands_refused_over_maxmemory(kv_server):
    s = kv_server()
    c = s.client()
    c.xadd("s", {"f": "v"}, id="1-1")
    c.execute_command("XGROUP", "CREATE", "s", "old", "0")
    c.config_set("maxmemory", "1")
    try:
        oom = "^OOM command not allowed when used memory"
        with pytest.raises(redis.ResponseError, match=oom):
            c.execute_command("XGROUP", "CREATE", "s", "g", "$")
        with pytest.raises(redis.ResponseError, match=oom):
            c.execute_command("XGROUP", "CREATECONSUMER", "s", "old", "bob")
        # Writes that are not deny-oom, and what only reads, run.
        assert c.execute_command("XGROUP", "SETID", "s", "old", "1-1") == "OK"
        assert c.execute_command("XGROUP", "DELCONSUMER", "s", "old", "nobody") == 0
        assert c.execute_command("XGROUP", "HELP")
        assert c.object("encoding", "s") == "stream"
        assert c.execute_command("XGROUP", "DESTROY", "s", "old") == 1
    finally:
        c.config_set("maxmemory", "0")


def monitored(server, *calls):
    """What MONITOR shows of `calls` (the quoted arguments of each line)."""
    mon = server.raw()
    try:
        assert mon.call("MONITOR") == b"OK"
        with server.raw() as r:
            for call in calls:
                r.call(*call)
            r.call("ECHO", "end-of-calls")
        lines = []
        while True:
            line = mon.read_reply()
            text = line.decode() if isinstance(line, bytes) else str(line)
            shown = text.split("] ", 1)[1]
            if "end-of-calls" in shown:
                return lines
            lines.append(shown.lower())
    finally:
        mon.close()


def test_monitor_shows_a_subcommand_unless_it_is_admin(kv, redis_ref):
    calls = [("CONFIG", "HELP"), ("CONFIG", "GET", "maxmemory"), ("OBJECT", "HELP"),
             ("CLIENT", "LIST"), ("CLIENT", "ID"), ("SLOWLOG", "LEN"), ("XINFO", "HELP")]
    assert monitored(kv, *calls) == monitored(redis_ref, *calls)
