"""EVAL / EVALSHA / EVAL_RO / EVALSHA_RO / SCRIPT as Redis 7.0 answers them: numkeys errors,
NOSCRIPT, read-only scripts, commands refused from scripts, reply conversions end to end,
redis-py's register_script and Lock (which run Lua), the shared script cache, atomicity of
scripts across I/O threads, SCRIPT KILL / -BUSY / -UNKILLABLE, and a script's writes kept whole
through kill -9 (one WAL record). Runs against Redis too, but for the tests marked kv_only."""

from __future__ import annotations

import re
import subprocess
import threading
import time
from pathlib import Path

import pytest
import redis

from conftest import KV_BIN, run_parallel, wait_for

NOSCRIPT = "No matching script. Please use EVAL."


def error_of(fn, *args) -> str:
    with pytest.raises(redis.ResponseError) as e:
        fn(*args)
    return str(e.value)


def sha_suffix(body: str) -> str:
    import hashlib
    return f" script: {hashlib.sha1(body.encode()).hexdigest()}, on @user_script:1."


# ---------------------------------------------------------------------------------------------
# Arguments and errors
# ---------------------------------------------------------------------------------------------

def test_numkeys_errors(kv):
    r = kv.client()
    assert error_of(r.execute_command, "EVAL", "return 1", "x") == \
        "value is not an integer or out of range"
    assert error_of(r.execute_command, "EVAL", "return 1", "2", "a") == \
        "Number of keys can't be greater than number of args"
    assert error_of(r.execute_command, "EVAL", "return 1", "-1") == \
        "Number of keys can't be negative"
    assert error_of(r.execute_command, "EVAL") == "wrong number of arguments for 'eval' command"
    assert error_of(r.execute_command, "EVALSHA", "x") == \
        "wrong number of arguments for 'evalsha' command"


def test_noscript_and_numkeys_order(kv):
    """A SHA1 that is not 40 characters long is refused before numkeys is read; a well-formed
    unknown one after."""
    r = kv.client()
    for numkeys in ("0", "x", "5", "-1"):
        assert error_of(r.execute_command, "EVALSHA_RO", "abc", numkeys) == NOSCRIPT
    assert error_of(r.execute_command, "EVALSHA", "a" * 40, 0) == NOSCRIPT
    assert error_of(r.execute_command, "EVALSHA", "a" * 40, "x") == \
        "value is not an integer or out of range"
    assert error_of(r.execute_command, "EVALSHA", "a" * 40, 1) == \
        "Number of keys can't be greater than number of args"
    assert error_of(r.execute_command, "EVALSHA", "a" * 40, -1) == \
        "Number of keys can't be negative"


def test_keys_and_argv(kv):
    r = kv.client()
    assert r.eval("return {KEYS[1], KEYS[2], ARGV[1], #KEYS, #ARGV}", 2, "a", "b", "c") == \
        ["a", "b", "c", 2, 1]
    assert r.eval("return #KEYS + #ARGV", 0) == 0


def test_read_only_scripts_refuse_writes(kv):
    r = kv.client()
    body = "return redis.call('set', KEYS[1], 'v')"
    assert error_of(r.execute_command, "EVAL_RO", body, 1, "k") == \
        "Write commands are not allowed from read-only scripts." + sha_suffix(body)
    assert r.get("k") is None
    r.set("k", "v")
    assert r.execute_command("EVAL_RO", "return redis.call('get', KEYS[1])", 1, "k") == "v"
    sha = r.script_load(body)
    assert error_of(r.execute_command, "EVALSHA_RO", sha, 1, "k2").startswith(
        "Write commands are not allowed from read-only scripts.")
    assert r.get("k2") is None


@pytest.mark.parametrize("call", ["'multi'", "'exec'", "'watch', 'x'", "'script', 'flush'",
                                  "'eval', 'return 1', 0", "'subscribe', 'c'"])
def test_commands_not_allowed_from_scripts(kv, call):
    r = kv.client()
    body = f"return redis.call({call})"
    assert error_of(r.eval, body, 0) == \
        "This Redis command is not allowed from script" + sha_suffix(body)


def test_unknown_command_and_arity_from_script(kv):
    r = kv.client()
    body = "return redis.call('nosuch')"
    assert error_of(r.eval, body, 0) == "Unknown Redis command called from script" + \
        sha_suffix(body)
    body = "return redis.call('get')"
    assert error_of(r.eval, body, 0) == \
        "Wrong number of args calling Redis command from script" + sha_suffix(body)


def test_pcall_returns_the_error(kv):
    r = kv.client()
    r.set("s", "x")
    assert r.eval("local e = redis.pcall('incr', KEYS[1]); return e['err']", 1, "s") == \
        "ERR value is not an integer or out of range"
    assert error_of(r.eval, "return redis.pcall('incr', KEYS[1])", 1, "s") == \
        "value is not an integer or out of range"


# ---------------------------------------------------------------------------------------------
# Conversions, end to end
# ---------------------------------------------------------------------------------------------

def test_reply_conversions(kv):
    r = kv.client()
    r.rpush("l", "a", "b")
    r.hset("h", "f", "v")
    assert r.eval("return 3.99", 0) == 3
    assert r.eval("return 'str'", 0) == "str"
    assert r.eval("return {1, 'two', {3, 'four'}, false, 5}", 0) == \
        [1, "two", [3, "four"], None, 5]
    assert r.eval("return {1, nil, 3}", 0) == [1]
    assert r.eval("return redis.call('lrange', KEYS[1], 0, -1)", 1, "l") == ["a", "b"]
    assert r.eval("return redis.call('get', 'missing')", 0) is None
    assert r.eval("return redis.call('get', 'missing') == false", 0) == 1
    assert r.eval("return redis.call('set', 'x', 1)", 0) == "OK"
    assert r.eval("return redis.call('set', 'x', 1)['ok']", 0) == "OK"
    assert r.eval("return {ok='FINE'}", 0) == "FINE"
    assert error_of(r.eval, "return {err='MYERR bad'}", 0) == "MYERR bad"
    assert r.eval("return redis.call('hgetall', KEYS[1])", 1, "h") == ["f", "v"]
    assert r.eval("return redis.call('incrbyfloat', 'fl', '1.5')", 0) == "1.5"
    assert r.eval("return true", 0) == 1
    assert r.eval("return false", 0) is None
    assert r.eval("return cjson.encode({1, 2})", 0) == "[1,2]"


def test_resp3_script_reply_to_resp2_client(kv):
    r = kv.client()
    r.hset("h", "f", "v")
    body = "redis.setresp(3); local m = redis.call('hgetall', KEYS[1]); return m['map']['f']"
    assert r.eval(body, 1, "h") == "v"
    assert r.eval("redis.setresp(3); return redis.call('hgetall', KEYS[1])", 1, "h") == \
        ["f", "v"]


def test_resp3_client_scripts_see_resp2_score_pairs(kv):
    """A script runs in RESP2 whatever its client speaks: score pairs come flat to Lua (BullMQ,
    whose ioredis speaks RESP3, reads the next delayed job's score as result[2])."""
    with kv.raw() as r:
        r.call("HELLO", "3")
        r.call("ZADD", "z", "5", "a", "7", "b")
        body = ("local r = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES') "
                "return {#r, r[1], r[2]}")
        assert r.call("EVAL", body, "1", "z") == [2, b"a", b"5"]
        body = ("local r = redis.call('ZPOPMIN', KEYS[1]) return {#r, r[1], r[2]}")
        assert r.call("EVAL", body, "1", "z") == [2, b"a", b"5"]
        body = ("redis.setresp(3) local r = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES') "
                "return {#r, r[1][1], tostring(r[1][2]['double'])}")
        assert r.call("EVAL", body, "1", "z") == [1, b"b", b"7"]


def test_redis_cli_eval(kv):
    out = kv.cli("EVAL", "redis.call('set', KEYS[1], ARGV[1]); return redis.call('get', KEYS[1])",
                 "1", "k", "hello")
    assert out.strip() == "hello"
    sha = kv.cli("SCRIPT", "LOAD", "return ARGV[1] .. ARGV[2]").strip()
    assert kv.cli("EVALSHA", sha, "0", "a", "b").strip() == "ab"


# ---------------------------------------------------------------------------------------------
# The script cache
# ---------------------------------------------------------------------------------------------

def test_script_load_exists_flush(kv):
    r = kv.client()
    r.script_flush()
    sha = r.script_load("return 'loaded'")
    import hashlib
    assert sha == hashlib.sha1(b"return 'loaded'").hexdigest()
    assert r.evalsha(sha, 0) == "loaded"
    assert r.evalsha(sha.upper(), 0) == "loaded"
    assert r.script_exists(sha, "0" * 40, sha.upper()) == [True, False, True]
    # EVAL caches its body too.
    r.eval("return 'by eval'", 0)
    eval_sha = hashlib.sha1(b"return 'by eval'").hexdigest()
    assert r.evalsha(eval_sha, 0) == "by eval"
    assert r.script_flush() is True
    assert r.script_exists(sha, eval_sha) == [False, False]
    assert error_of(r.evalsha, sha, 0) == NOSCRIPT
    assert r.execute_command("SCRIPT", "FLUSH", "ASYNC") == "OK"
    assert r.execute_command("SCRIPT", "FLUSH", "sync") == "OK"


def test_script_subcommand_errors(kv):
    r = kv.client()
    assert error_of(r.execute_command, "SCRIPT", "FLUSH", "foo") == \
        "SCRIPT FLUSH only support SYNC|ASYNC option"
    assert error_of(r.execute_command, "SCRIPT", "LOAD") == \
        "wrong number of arguments for 'script|load' command"
    assert error_of(r.execute_command, "SCRIPT", "EXISTS") == \
        "wrong number of arguments for 'script|exists' command"
    assert error_of(r.execute_command, "SCRIPT", "foo") == \
        "unknown subcommand 'foo'. Try SCRIPT HELP."
    assert error_of(r.execute_command, "SCRIPT") == \
        "wrong number of arguments for 'script' command"
    assert error_of(r.execute_command, "SCRIPT", "LOAD", "return +") .startswith(
        "Error compiling script (new function): user_script:1:")
    assert error_of(r.execute_command, "SCRIPT", "KILL") == \
        "NOTBUSY No scripts in execution right now."
    help_lines = r.execute_command("SCRIPT", "HELP")
    assert help_lines[0] == "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert help_lines[-1] == "    Prints this help." and len(help_lines) == 17


def test_cache_shared_by_connections(kv_server):
    """SCRIPT LOAD on one connection, EVALSHA on others (with two I/O threads, connections are
    spread over both, so some run on the other thread's engine)."""
    s = kv_server(threads=2)
    sha = s.client().script_load("return redis.call('incr', KEYS[1])")
    for _ in range(8):
        assert s.client().evalsha(sha, 1, "n") > 0
    assert int(s.client().get("n")) == 8
    s.client().script_flush()
    for _ in range(4):
        assert error_of(s.client().evalsha, sha, 1, "n") == NOSCRIPT


def test_eval_body_cached_again_after_flush(kv_server):
    """Each I/O thread's engine remembers the bodies EVAL ran there (and skips their SHA1); after
    SCRIPT FLUSH from any connection, EVAL of such a body on either thread stores it again."""
    import hashlib
    s = kv_server(threads=2)
    body = "return redis.call('incr', KEYS[1])"
    sha = hashlib.sha1(body.encode()).hexdigest()
    clients = [s.client() for _ in range(4)]
    for c in clients:
        assert c.eval(body, 1, "n") > 0
        assert c.evalsha(sha, 1, "n") > 0
    for _ in range(2):
        s.client().script_flush()
        for c in clients:
            assert error_of(c.evalsha, sha, 1, "n") == NOSCRIPT
        for c in clients:
            assert c.eval(body, 1, "n") > 0
            assert c.script_exists(sha) == [True]
            assert c.evalsha(sha, 1, "n") > 0
            s.client().script_flush()
            assert error_of(c.evalsha, sha, 1, "n") == NOSCRIPT
            assert c.eval(body, 1, "n") > 0
    assert int(s.client().get("n")) == 8 + 2 * 4 * 3


# ---------------------------------------------------------------------------------------------
# Clients that use Lua
# ---------------------------------------------------------------------------------------------

def test_register_script(kv):
    r = kv.client()
    script = r.register_script("return redis.call('incrby', KEYS[1], ARGV[1])")
    assert script(keys=["c"], args=[5]) == 5
    r.script_flush()  # redis-py falls back to EVAL on NOSCRIPT
    assert script(keys=["c"], args=[2]) == 7


def test_redis_py_lock(kv):
    r = kv.client()
    lock = r.lock("resource", timeout=100)
    assert lock.acquire(blocking=False)
    assert not r.lock("resource", timeout=100).acquire(blocking=False)
    assert lock.extend(50)
    assert 100 < r.pttl("resource") <= 150_000
    assert lock.owned()
    lock.release()
    assert r.get("resource") is None
    # Releasing or extending a lock another owner holds: the scripts refuse (token mismatch).
    holder = r.lock("resource", timeout=100)
    assert holder.acquire(blocking=False)
    lock.local.token = b"stale-token"
    with pytest.raises(redis.exceptions.LockNotOwnedError):
        lock.release()
    lock.local.token = b"stale-token"  # release() forgot it
    with pytest.raises(redis.exceptions.LockNotOwnedError):
        lock.extend(10)
    assert holder.owned()


def test_script_touching_undeclared_key(kv):
    r = kv.client()
    r.set("hidden", 41)
    assert r.eval("return redis.call('incr', 'hidden')", 0) == 42
    assert r.eval("redis.call('set', 'made:' .. ARGV[1], 'x'); return redis.call('keys', 'made:*')",
                  0, "1") == ["made:1"]


def test_publish_from_script(kv):
    r = kv.client()
    p = r.pubsub()
    p.subscribe("news")
    assert p.get_message(timeout=10)["type"] == "subscribe"
    assert r.eval("return redis.call('publish', KEYS[1], ARGV[1])", 1, "news", "hello") == 1
    msg = p.get_message(timeout=10)
    assert msg["type"] == "message" and msg["data"] == "hello"
    p.close()


# ---------------------------------------------------------------------------------------------
# Atomicity, busy scripts, durability
# ---------------------------------------------------------------------------------------------

ACCOUNTS = [f"acct:{i}" for i in range(16)]
START = 1000
TRANSFER = """
local a = tonumber(redis.call('get', KEYS[1]))
local b = tonumber(redis.call('get', KEYS[2]))
redis.call('set', KEYS[1], a - 1)
redis.call('set', KEYS[2], b + 1)
return redis.call('incr', 'transfers')
"""
# Reads every account without declaring them: the total must never move.
TOTAL = """
local t = 0
for i = 0, 15 do t = t + tonumber(redis.call('get', 'acct:' .. i)) end
return t
"""


def test_scripts_are_atomic_across_threads(kv_server):
    s = kv_server(threads=2)
    r = s.client()
    r.mset({k: START for k in ACCOUNTS})
    per_worker = 300
    totals: list[int] = []

    def worker(w: int) -> None:
        c = s.client()
        if w < 3:
            transfer = c.register_script(TRANSFER)
            for i in range(per_worker):
                a, b = ACCOUNTS[(w + i) % 16], ACCOUNTS[(3 * w + 2 * i + 1) % 16]
                if a != b:
                    transfer(keys=[a, b])
                else:
                    c.incr("transfers")
        else:
            for _ in range(per_worker):
                totals.append(c.eval(TOTAL, 0))
                vals = c.mget(ACCOUNTS)
                totals.append(sum(int(v) for v in vals))

    run_parallel(worker, 5, timeout=300)
    assert set(totals) == {START * 16}
    assert int(r.get("transfers")) == 3 * per_worker
    assert sum(int(v) for v in r.mget(ACCOUNTS)) == START * 16


def io_thread(c) -> str | None:
    info = c.execute_command("CLIENT", "INFO")
    if isinstance(info, bytes):
        info = info.decode()
    m = re.search(r"io-thread=(\d+)", info)
    return m.group(1) if m else None  # Redis: one thread, every client answers


def runner_and_watchers(s, count: int = 8):
    """A connection to run the script on, and connections made before it runs that another I/O
    thread serves (the script's thread answers nobody while it runs; Redis answers everyone)."""
    runner = s.client()
    thread = io_thread(runner)
    watchers = [c for c in (s.client() for _ in range(count))
                if thread is None or io_thread(c) != thread]
    assert watchers, "every connection landed on the runner's thread"
    return runner, watchers


def run_until_busy(clients) -> redis.Redis:
    """Polls PING on the clients until one answers -BUSY; returns it (bounded attempts)."""
    for _ in range(20000):
        for c in clients:
            try:
                c.ping()
            except redis.ResponseError as e:
                if "Redis is busy running a script" in str(e):
                    return c
                raise
    raise AssertionError("no client saw -BUSY")


def busy_error(c) -> str:
    try:
        c.ping()
    except redis.ResponseError as e:
        return str(e)
    return "no error"


def test_script_kill_stops_a_busy_script(kv_server):
    s = kv_server(threads=2)
    s.client().config_set("busy-reply-threshold", 50)
    assert s.client().config_get("lua-time-limit") == {"lua-time-limit": "50"}
    runner, clients = runner_and_watchers(s)
    result: list[str] = []

    def run_script() -> None:
        try:
            runner.eval("while true do end", 0)
        except redis.ResponseError as e:
            result.append(str(e))

    t = threading.Thread(target=run_script)
    t.start()
    c = run_until_busy(clients)
    assert busy_error(c) == \
        "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
    assert c.execute_command("SCRIPT", "KILL") in (True, "OK")
    t.join(timeout=60)
    assert not t.is_alive()
    assert result and result[0].startswith("Script killed by user with SCRIPT KILL")
    assert s.client().ping()
    assert error_of(s.client().execute_command, "SCRIPT", "KILL") == \
        "NOTBUSY No scripts in execution right now."


def test_script_that_wrote_is_unkillable(kv_server):
    s = kv_server(threads=2)
    s.client().config_set("busy-reply-threshold", 50)
    runner, clients = runner_and_watchers(s)
    done: list[object] = []

    def run_script() -> None:
        done.append(runner.eval(
            "redis.call('set', KEYS[1], 'w'); local x = 0; "
            "for i = 1, 300000000 do x = x + 1 end; return x", 1, "wk"))

    t = threading.Thread(target=run_script)
    t.start()
    c = run_until_busy(clients)
    assert error_of(c.execute_command, "SCRIPT", "KILL").startswith(
        "UNKILLABLE Sorry the script already executed write commands against the dataset.")
    t.join(timeout=300)
    assert done == [300000000]
    assert s.client().get("wk") == "w"


BUSY = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."


@pytest.mark.kv_only  # I/O threads
def test_a_busy_script_on_another_loop_does_not_stop_new_connections(kv_server):
    """Loop 0 accepts every connection and runs the cron (active expiry): a script busy on
    loop 1 holds its namespace, and the cron must not wait for it, or nobody could connect to
    send SCRIPT KILL until the script ended."""
    s = kv_server(threads=2)
    setup = s.client()
    setup.config_set("busy-reply-threshold", 50)
    for i in range(200):
        setup.set(f"ttl:{i}", "v", px=3_600_000)  # keys for the active expiry cycle to sample
    runner = next(c for c in (s.client() for _ in range(8)) if io_thread(c) == "1")
    result: list[str] = []

    def run_script() -> None:
        result.append(error_of(runner.eval, "local x = 0; while true do x = x + 1 end", 0))

    t = threading.Thread(target=run_script, daemon=True)
    t.start()
    wait_for(lambda: busy_error(s.client()).startswith("BUSY"), what="-BUSY on a new connection")
    # Several cron periods pass with the script running; new connections still get in.
    time.sleep(0.5)
    killer = s.client()
    assert killer.execute_command("SCRIPT", "KILL") == "OK"
    t.join(timeout=30)
    assert result and result[0].startswith("Script killed by user with SCRIPT KILL")


def run_in_thread(fn) -> threading.Thread:
    t = threading.Thread(target=fn, daemon=True)
    t.start()
    return t


def test_script_kill_reaches_a_server_with_one_io_thread(kv_server):
    """One I/O thread (the default on two cores): every client shares the busy script's loop,
    which answers them from inside the script, clients that connect meanwhile included
    (`redis-cli SCRIPT KILL` from another terminal)."""
    s = kv_server(threads=1)
    s.client().config_set("busy-reply-threshold", 50)
    runner, before = s.client(), s.client()
    assert before.ping()
    result: list[str] = []

    def run_script() -> None:
        try:
            runner.eval("while true do end", 0)
        except redis.ResponseError as e:
            result.append(str(e))

    t = run_in_thread(run_script)
    run_until_busy([before])
    assert error_of(before.get, "k") == BUSY
    if not s.is_redis:  # docs/commands.md: WATCH is refused on the busy script's own loop
        assert error_of(before.execute_command, "WATCH", "k") == BUSY
    late = s.client()  # connects while the script runs
    assert error_of(late.set, "k", "v") == BUSY
    assert s.cli("SCRIPT", "KILL").strip() == "OK"
    t.join(timeout=60)
    assert not t.is_alive()
    assert result and result[0].startswith("Script killed by user with SCRIPT KILL")
    assert before.ping() and late.ping()
    assert late.get("k") is None  # refused while busy, so never applied


@pytest.mark.kv_only
def test_shutdown_nosave_ends_an_unkillable_script(kv_persist):
    """A script that wrote cannot be killed; SHUTDOWN NOSAVE (the way out its error names)
    stops the server at once, with every acknowledged write in the log and nothing of the
    script, whose effects were never logged."""
    s = kv_persist(threads=1)
    r = s.client()
    r.config_set("busy-reply-threshold", 50)
    r.set("before", "1")
    runner = s.client()
    ended: list[str] = []

    def run_script() -> None:
        try:
            runner.eval("redis.call('set', KEYS[1], 'w'); while true do end", 1, "wk")
        except redis.ConnectionError as e:  # the server went away under it
            ended.append(str(e))

    t = run_in_thread(run_script)
    run_until_busy([r])
    assert error_of(r.execute_command, "SCRIPT", "KILL").startswith("UNKILLABLE")
    assert error_of(r.execute_command, "SHUTDOWN") == BUSY
    with s.raw() as c:
        c.send_command("SHUTDOWN", "NOSAVE")
        assert c.read_until_closed() == b""
    assert s.proc.wait(30) == 0, s.stderr_text()
    s._stopped = True
    t.join(timeout=30)
    assert ended, "the script's client got an answer"
    s.restart()
    r = s.client()
    assert r.get("before") == "1"
    assert r.get("wk") is None


def test_a_reply_due_before_a_script_started_arrives_once_it_is_busy(kv_server):
    """Replies leave at the end of a loop turn, and a script's turn ends only with the script:
    a reply of a command processed earlier in that turn must still reach its client once the
    script goes busy (Redis writes pending replies while it serves events inside a script)."""
    s = kv_server(threads=1, enable_debug_command="yes")
    admin = s.client()
    admin.config_set("busy-reply-threshold", 100)
    with s.raw() as early, s.raw() as runner, s.raw() as sleeper:
        for c in (early, runner):
            assert c.call("PING") == b"PONG"
        # While the loop sleeps, the early client's command and then the script arrive: the
        # next turn of the loop reads both, the early one first.
        sleeper.send_command("DEBUG", "SLEEP", "0.3")
        time.sleep(0.1)
        early.send_command("INCR", "early")
        time.sleep(0.05)
        runner.send_command("EVAL", "while true do end", "0")
        assert early.read_reply(timeout=10) == 1
        assert sleeper.read_reply(timeout=10) == b"OK"
        assert error_of(admin.get, "k") == BUSY
        assert admin.execute_command("SCRIPT", "KILL") == "OK"
        assert "Script killed by user" in str(runner.read_reply(timeout=30))


@pytest.mark.kv_only
def test_script_writes_are_one_wal_record(kv_persist):
    s = kv_persist(appendfsync="always")
    r = s.client()
    r.mset({"a": 10, "b": 0})
    assert r.eval("redis.call('decrby', KEYS[1], 3); redis.call('get', KEYS[1]); "
                  "redis.call('incrby', KEYS[2], 3); redis.call('set', 'undeclared', 'u'); "
                  "return 1", 2, "a", "b") == 1
    r.eval("return redis.call('get', 'a')", 0)  # reads only: nothing logged
    s.kill9()
    dump = subprocess.run([str(Path(KV_BIN).parent / "kv-check"), "--dump", str(s.data_dir)],
                          capture_output=True, text=True, timeout=60).stdout
    logged = re.findall(r"lsn=(\d+) time_ms=\d+ ns=(\S+) (.*)", dump)
    script = [e for e in logged if "MSET" not in e[2]]
    assert [cmd.split()[0].upper() for _, _, cmd in script] == ['"DECRBY"', '"INCRBY"', '"SET"'], \
        dump
    assert len({lsn for lsn, _, _ in script}) == 1, dump
    assert "eval" not in dump.lower()
    s.restart()
    r = s.client()
    assert r.mget("a", "b", "undeclared") == ["7", "3", "u"]


@pytest.mark.kv_only
def test_select_is_refused_inside_scripts(kv):
    r = kv.client()
    body = "return redis.call('select', '1')"
    assert error_of(r.eval, body, 0) == \
        "This Redis command is not allowed from script" + sha_suffix(body)


def test_eval_inside_multi_uses_the_transaction(kv):
    r = kv.client()
    p = r.pipeline(transaction=True)
    p.set("m", 1).eval("return redis.call('incr', KEYS[1])", 1, "m").get("m")
    assert p.execute() == [True, 2, "2"]
