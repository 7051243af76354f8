"""FUNCTION, FCALL and FCALL_RO: every case runs on both kv-server and Debian's redis-server
(7.0) from an empty library set, and the raw replies must be identical byte for byte."""

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

LIB = (
    "#!lua name=mylib\n"
    "local function put(k, v) return redis.call('SET', k, v) end\n"
    "redis.register_function('setter', function(keys, args) return put(keys[1], args[1]) end)\n"
    "redis.register_function{function_name='getter', callback=function(keys)\n"
    "  return redis.call('GET', keys[1]) end, flags={'no-writes'}, description='reads'}\n"
    "redis.register_function{function_name='sneaky', callback=function(keys)\n"
    "  return redis.call('SET', keys[1], 'x') end, flags={'no-writes'}}\n"
    "redis.register_function{function_name='flagged', callback=function() return 1 end,\n"
    "  flags={'allow-cross-slot-keys', 'no-cluster', 'allow-stale', 'allow-oom', 'no-writes'}}\n"
    "redis.register_function('boom', function() error('bad') end)\n"
    "redis.register_function('reg', function() redis.register_function('x', function() end) end)\n"
    "redis.register_function('args', function(keys, args) return {#keys, #args, keys, args} end)\n"
    "redis.register_function('glob', function() return KEYS end)\n"
)


SMALL = ("#!lua name=small\n"
         "redis.register_function{function_name='only', callback=function() return 1 end,\n"
         "  flags={'allow-cross-slot-keys', 'no-cluster', 'allow-stale', 'allow-oom', 'no-writes'},\n"
         "  description='the only one'}\n")


def load(body: str, name: str = "l") -> tuple:
    return ("FUNCTION", "LOAD", f"#!lua name={name}\n{body}")


CASES.update({
    # Redis lists a library's functions in its dictionary's order: one function per library.
    "load-list-withcode": [("FUNCTION", "LOAD", SMALL), ("FUNCTION", "LIST", "WITHCODE"),
                           ("FUNCTION", "LIST", "LIBRARYNAME", "sm*"),
                           ("FUNCTION", "LIST", "LIBRARYNAME", "other*"), ("FUNCTION", "STATS")],
    "load-exists": [("FUNCTION", "LOAD", LIB), ("FUNCTION", "LOAD", LIB),
                    ("FUNCTION", "LOAD", "REPLACE", LIB), ("FUNCTION", "LOAD", "replace", LIB)],
    "lib-fcall": [("FUNCTION", "LOAD", LIB), ("FCALL", "setter", "1", "k", "v"),
              ("FCALL", "getter", "1", "k"), ("FCALL_RO", "getter", "1", "k"),
              ("FCALL_RO", "setter", "1", "k", "v"), ("FCALL", "sneaky", "1", "k"),
              ("FCALL_RO", "sneaky", "1", "k"), ("FCALL", "boom", "0"), ("FCALL", "reg", "0"),
              ("FCALL", "args", "2", "a", "b", "c"), ("FCALL", "getter", "x"),
              ("FCALL", "getter", "3", "k"), ("FCALL", "getter", "-1"), ("FCALL", "nope", "0"),
              ("fcall", "GETTER", "1", "k"), ("FCALL_RO", "flagged", "0"),
              ("FCALL", "glob", "1", "k")],
    "lib-delete": [("FUNCTION", "LOAD", LIB), ("FUNCTION", "DELETE", "MYLIB"),
               ("FUNCTION", "DELETE", "mylib"), ("FCALL", "getter", "1", "k"),
               ("FUNCTION", "DELETE", "mylib"), ("FUNCTION", "LIST")],
    "lib-flush": [("FUNCTION", "LOAD", LIB), ("FUNCTION", "FLUSH", "SYNC"), ("FUNCTION", "LIST"),
              ("FCALL", "getter", "1", "k"), ("FUNCTION", "LOAD", LIB), ("FUNCTION", "FLUSH"),
              ("FUNCTION", "STATS")],
    "function-clash": [("FUNCTION", "LOAD", LIB),
                       load("redis.register_function('getter', function() end)"),
                       ("FUNCTION", "LIST", "LIBRARYNAME", "l")],
    "metadata": [("FUNCTION", "LOAD", "redis.register_function('f', function() end)"),
                 ("FUNCTION", "LOAD", "#!lua"), ("FUNCTION", "LOAD", "#!lua name=x"),
                 ("FUNCTION", "LOAD", "#!js name=x\n"),
                 ("FUNCTION", "LOAD", "#!lua name=x foo=1\n"),
                 ("FUNCTION", "LOAD", "#!lua name=x name=y\n"),
                 ("FUNCTION", "LOAD", "#!lua\n"), ("FUNCTION", "LOAD", "#!lua name=a-b\n"),
                 ("FUNCTION", "LOAD", "#!lua name=\n"), ("FUNCTION", "LOAD", "#! name=x\n"),
                 ("FUNCTION", "LOAD", "#!LUA NAME=up\nredis.register_function('u', function() end)"),
                 ("FUNCTION", "LIST")],
    "load-errors": [load("foo = 1"), load("return 1"), load("x y"), load("redis.call('PING')"),
                    load("local x = pairs"), load("while true do end"),
                    load("redis.log(redis.LOG_WARNING, redis.REDIS_VERSION)\n"
                         "redis.register_function('v', function() return redis.REDIS_VERSION_NUM > 0 end)")],
    "register-errors": [
        load("redis.register_function()"), load("redis.register_function('a')"),
        load("redis.register_function('a', 1)"),
        load("redis.register_function(1, function() end)", "n1"),
        load("redis.register_function('a', function() end, 3)"),
        load("redis.register_function{function_name='a'}"),
        load("redis.register_function{callback=function() end}"),
        load("redis.register_function{function_name='a', callback=function() end, foo=1}"),
        load("redis.register_function{function_name='a', callback=function() end, flags='no-writes'}"),
        load("redis.register_function{function_name='a', callback=function() end, flags={'bad'}}"),
        load("redis.register_function{function_name='a', callback=function() end, flags={1}}"),
        load("redis.register_function{function_name='a', callback=1}"),
        load("redis.register_function('a-b', function() end)"),
        load("redis.register_function('', function() end)"),
        load("redis.register_function('a', function() end) redis.register_function('a', function() end)"),
        load("redis.register_function{1, 2}"),
        load("redis.register_function({function_name='a', callback=function() end}, 2)"),
        ("FUNCTION", "LIST")],
    "from-script": [("EVAL", "return redis.pcall('FUNCTION', 'LIST')", "0"),
                    ("EVAL", "return redis.pcall('FUNCTION', 'FLUSH')", "0"),
                    ("EVAL", "return redis.pcall('FCALL', 'f', '0')", "0")],
    "restore-errors": [("FUNCTION", "RESTORE", b"\xf5\x01a\n\x00" + b"\x00" * 8)],
})


def _run(server, commands):
    with server.raw() as r:
        r.call("FUNCTION", "FLUSH")
        r.call("DEL", "k")
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
    """The payload is Redis 7.0's, so a dump of either server restores into the other."""
    other = "#!lua name=second\nredis.register_function('f2', function() return 2 end)"
    for server in (kv, redis_ref):
        with server.raw() as r:
            r.call("FUNCTION", "FLUSH")
            assert r.call("FUNCTION", "LOAD", LIB) == b"mylib"
    with kv.raw() as r:
        ours = r.call("FUNCTION", "DUMP")
    with redis_ref.raw() as r:
        theirs = r.call("FUNCTION", "DUMP")
    assert ours == theirs  # one library: the same bytes
    for src, dst in ((ours, redis_ref), (theirs, kv)):
        with dst.raw() as r:
            listed = r.call("FUNCTION", "LIST", "WITHCODE")
            assert str(r.call("FUNCTION", "RESTORE", src)) == "ERR Library mylib already exists"
            assert str(r.call("FUNCTION", "RESTORE", src, "APPEND")) == "ERR Library mylib already exists"
            assert r.call("FUNCTION", "RESTORE", src, "REPLACE") == b"OK"
            assert r.call("FUNCTION", "LOAD", other) == b"second"
            assert r.call("FUNCTION", "RESTORE", src, "FLUSH") == b"OK"
            assert r.call("FUNCTION", "LIST", "WITHCODE") == listed
            assert r.call("FCALL", "setter", "1", "k", "v") == b"OK"
            r.call("FUNCTION", "DELETE", "mylib")
            r.call("FUNCTION", "LOAD", LIB.replace("mylib", "clash"))
            # Which clashing function Redis names depends on its dictionary's order.
            for args in ((), ("REPLACE",)):
                err = str(r.call("FUNCTION", "RESTORE", src, *args))
                assert err.startswith("ERR Function ") and err.endswith(" already exists")
            assert r.call("FUNCTION", "LIST", "LIBRARYNAME", "mylib") == []
            bad = src[:-1] + bytes([src[-1] ^ 1])
            assert str(r.call("FUNCTION", "RESTORE", bad)) == \
                "ERR DUMP payload version or checksum are wrong"
            r.call("FUNCTION", "FLUSH")


def test_two_libraries_dump_and_restore(kv, redis_ref):
    """Two libraries: the order in the payload may differ, the restored set may not."""
    other = "#!lua name=second\nredis.register_function('f2', function() return 2 end)"
    dumps = []
    for server in (kv, redis_ref):
        with server.raw() as r:
            r.call("FUNCTION", "FLUSH")
            r.call("FUNCTION", "LOAD", LIB)
            r.call("FUNCTION", "LOAD", other)
            dumps.append(r.call("FUNCTION", "DUMP"))
    for server in (kv, redis_ref):
        for payload in dumps:
            with server.raw() as r:
                assert r.call("FUNCTION", "RESTORE", payload, "FLUSH") == b"OK"
                assert sorted(lib[1] for lib in r.call("FUNCTION", "LIST")) == [b"mylib", b"second"]
                assert r.call("FCALL", "f2", "0") == 2
                r.call("FUNCTION", "FLUSH")


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


def test_help(kv):
    with kv.raw() as r:
        help_lines = r.call("FUNCTION", "HELP")
    assert help_lines[0].startswith(b"FUNCTION <subcommand>")
    assert any(line.startswith(b"RESTORE <PAYLOAD>") for line in help_lines)


def test_functions_run_atomically_on_two_threads(kv_server):
    """FCALL moving units between keys on different shards from many clients: a reader never
    sees the sum change."""
    import threading

    server = kv_server(threads=2)
    lib = ("#!lua name=bank\n"
           "redis.register_function('move', function(keys, args)\n"
           "  local n = tonumber(args[1])\n"
           "  redis.call('DECRBY', keys[1], n)\n"
           "  redis.call('INCRBY', keys[2], n)\n"
           "  return 1 end)\n"
           "redis.register_function{function_name='total', flags={'no-writes'}, callback=function(keys)\n"
           "  local s = 0 for _, k in ipairs(keys) do s = s + tonumber(redis.call('GET', k) or 0) end\n"
           "  return s end}\n")
    keys = [f"acct:{i}" for i in range(8)]
    c = server.client()
    c.execute_command("FUNCTION", "LOAD", lib)
    for k in keys:
        c.set(k, 1000)
    stop = threading.Event()
    errors = []

    def mover(seed):
        cl = server.client()
        i = seed
        while not stop.is_set():
            a, b = keys[i % 8], keys[(i * 3 + 1) % 8]
            if a != b:
                cl.execute_command("FCALL", "move", 2, a, b, 1 + i % 5)
            i += 1

    threads = [threading.Thread(target=mover, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    try:
        reader = server.client()
        for _ in range(300):
            total = reader.execute_command("FCALL_RO", "total", len(keys), *keys)
            if total != 8000:
                errors.append(total)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert errors == []


def test_function_kill_stops_a_busy_function(kv_server):
    import threading

    import redis
    from test_scripting import busy_error, error_of, run_until_busy, runner_and_watchers

    s = kv_server(threads=2)
    s.client().config_set("busy-reply-threshold", 50)
    s.client().execute_command(
        "FUNCTION", "LOAD",
        "#!lua name=spin\nredis.register_function('spin', function() while true do end end)")
    runner, clients = runner_and_watchers(s)
    result: list[str] = []

    def run() -> None:
        try:
            runner.execute_command("FCALL", "spin", 0)
        except redis.ResponseError as e:
            result.append(str(e))

    t = threading.Thread(target=run)
    t.start()
    c = run_until_busy(clients)
    assert busy_error(c) == ("BUSY Redis is busy running a script. You can only call FUNCTION "
                             "KILL or SHUTDOWN NOSAVE.")
    # SCRIPT KILL does not stop a function (Redis 7.0 names the right command).
    assert error_of(c.execute_command, "SCRIPT", "KILL") == busy_error(c)
    stats = c.execute_command("FUNCTION", "STATS")
    assert stats[0] == "running_script"
    running = stats[1]
    assert running[:5] == ["name", "spin", "command", ["FCALL", "spin", "0"], "duration_ms"]
    assert running[5] >= 0
    assert c.execute_command("FUNCTION", "KILL") in (True, "OK")
    t.join(timeout=60)
    assert not t.is_alive()
    assert result and result[0].startswith("Script killed by user with SCRIPT KILL")
    assert error_of(s.client().execute_command, "FUNCTION", "KILL") == \
        "NOTBUSY No scripts in execution right now."
    assert s.client().execute_command("FUNCTION", "STATS")[1] is None


def test_function_kill_does_not_stop_eval(kv_server):
    import threading

    from test_scripting import error_of, run_until_busy, runner_and_watchers

    s = kv_server(threads=2)
    s.client().config_set("busy-reply-threshold", 50)
    runner, clients = runner_and_watchers(s)
    t = threading.Thread(target=lambda: error_of(runner.eval, "while true do end", 0))
    t.start()
    c = run_until_busy(clients)
    assert error_of(c.execute_command, "FUNCTION", "KILL") == \
        "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
    # FUNCTION STATS reports functions only: during a busy EVAL it answers -BUSY, as Redis.
    assert error_of(c.execute_command, "FUNCTION", "STATS") == \
        "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
    assert c.execute_command("SCRIPT", "KILL") in (True, "OK")
    t.join(timeout=60)
    assert not t.is_alive()


def test_acl_categories_of_subcommands_match_redis(kv, redis_ref):
    """The permission check uses each subcommand's categories (function|load is @write, stats
    is not...): ACL DRYRUN answers the same on both servers for every rule and call."""
    calls = [("FUNCTION", sub, *rest) for sub, *rest in
             (("LOAD", "x"), ("DELETE", "x"), ("LIST",), ("STATS",), ("KILL",), ("FLUSH",),
              ("DUMP",), ("RESTORE", "x"), ("HELP",))]
    calls += [("FCALL", "f", "0"), ("FCALL_RO", "f", "0")]
    rules = [("+@all", "-@write"), ("-@all", "+@scripting"), ("-@all", "+@slow"),
             ("+@all", "-@scripting"), ("-@all", "+@read"), ("-@all", "+function|stats")]

    def replies(server):
        out = []
        with server.raw() as r:
            for i, rule in enumerate(rules):
                user = f"fnacl{i}"
                r.call("ACL", "SETUSER", user, "reset", "on", "nopass", "~*", *rule)
                for call in calls:
                    out.append((rule, call, r.call("ACL", "DRYRUN", user, *call)))
                r.call("ACL", "DELUSER", user)
        return out

    ours, theirs = replies(kv), replies(redis_ref)
    assert [o for o, t in zip(ours, theirs) if o != t] == []
