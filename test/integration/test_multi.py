"""MULTI / EXEC / DISCARD / WATCH / UNWATCH as Redis 7.0 answers them: queueing, queue-time
errors (EXECABORT), runtime errors per command, WATCH invalidation by every kind of change,
RESP2 and RESP3 replies, and redis-py's transaction helpers. Runs against Redis too."""

from __future__ import annotations

import subprocess
import time

import pytest
import redis

from conftest import REDIS_CLI, RespError

EXECABORT = "EXECABORT Transaction discarded because of previous errors."


def err(reply) -> str:
    assert isinstance(reply, RespError), reply
    return str(reply)


# ---------------------------------------------------------------------------------------------
# Queueing and EXEC
# ---------------------------------------------------------------------------------------------

def test_pipeline_transaction(kv):
    r = kv.client()
    p = r.pipeline(transaction=True)
    p.set("a", 1).incr("a").rpush("l", "x", "y").get("a").lrange("l", 0, -1)
    assert p.execute() == [True, 2, 2, "2", ["x", "y"]]


def test_queued_replies_and_exec_array(kv):
    with kv.raw() as c:
        assert c.call("MULTI") == b"OK"
        assert c.call("SET", "k", "v") == b"QUEUED"
        assert c.call("GET", "k") == b"QUEUED"
        # Nothing ran yet: another client does not see k.
        assert kv.client().get("k") is None
        assert c.call("EXEC") == [b"OK", b"v"]
        assert err(c.call("EXEC")) == "ERR EXEC without MULTI"


def test_empty_exec(kv):
    with kv.raw() as c:
        c.call("MULTI")
        assert c.call("EXEC") == []


def test_runtime_errors_are_per_command(kv):
    with kv.raw() as c:
        c.call("MULTI")
        assert c.call("SET", "a", "1", "BAD") == b"QUEUED"  # syntax: found only when it runs
        c.call("INCR", "a")
        c.call("LPUSH", "a", "x")
        c.call("GET", "a")
        reply = c.call("EXEC")
    assert err(reply[0]) == "ERR syntax error"
    assert reply[1] == 1
    assert err(reply[2]).startswith("WRONGTYPE")
    assert reply[3] == b"1"


@pytest.mark.parametrize("bad", [
    ("SET", "a"),                      # arity
    ("NOSUCHCOMMAND", "x"),            # unknown command
    ("GET",),                          # arity
])
def test_queue_time_error_aborts(kv, bad):
    with kv.raw() as c:
        assert c.call("MULTI") == b"OK"
        assert c.call("SET", "x", "1") == b"QUEUED"
        assert isinstance(c.call(*bad), RespError)
        assert c.call("SET", "y", "1") == b"QUEUED"
        assert err(c.call("EXEC")) == EXECABORT
        # The client left MULTI; nothing of the transaction was applied.
        assert c.call("EXISTS", "x", "y") == 0
        assert err(c.call("EXEC")) == "ERR EXEC without MULTI"


@pytest.mark.parametrize("refused", [("SAVE",), ("SHUTDOWN",), ("SHUTDOWN", "NOSAVE"), ("SYNC",),
                                     ("PSYNC", "?", "-1")])
def test_commands_not_allowed_inside_a_transaction(kv, refused):
    """SAVE, SHUTDOWN, SYNC and PSYNC (no_multi) are refused when queued, which dooms the
    transaction: the server goes on serving and nothing of the transaction is applied."""
    with kv.raw() as c:
        assert c.call("MULTI") == b"OK"
        assert c.call("SET", "x", "1") == b"QUEUED"
        assert err(c.call(*refused)) == "ERR Command not allowed inside a transaction"
        assert err(c.call("EXEC")) == EXECABORT
        assert c.call("EXISTS", "x") == 0
        assert c.call("PING") == b"PONG"


def test_control_errors(kv):
    with kv.raw() as c:
        assert err(c.call("EXEC")) == "ERR EXEC without MULTI"
        assert err(c.call("DISCARD")) == "ERR DISCARD without MULTI"
        assert c.call("MULTI") == b"OK"
        assert err(c.call("MULTI")) == "ERR MULTI calls can not be nested"
        assert err(c.call("WATCH", "k")) == "ERR WATCH inside MULTI is not allowed"
        # Neither error dooms the transaction.
        assert c.call("SET", "k", "1") == b"QUEUED"
        assert c.call("EXEC") == [b"OK"]
        assert err(c.call("MULTI", "x")) == "ERR wrong number of arguments for 'multi' command"
        assert err(c.call("WATCH")) == "ERR wrong number of arguments for 'watch' command"
        # A refused EXEC says EXECABORT, in MULTI or not.
        assert err(c.call("EXEC", "x")) == (
            "EXECABORT Transaction discarded because of: "
            "wrong number of arguments for 'exec' command")
        c.call("MULTI")
        c.call("SET", "k", "2")
        assert err(c.call("EXEC", "x")).startswith("EXECABORT")
        assert err(c.call("EXEC")) == "ERR EXEC without MULTI"
        assert c.call("GET", "k") == b"1"


def test_discard(kv):
    with kv.raw() as c:
        c.call("MULTI")
        c.call("SET", "k", "1")
        assert c.call("DISCARD") == b"OK"
        assert c.call("GET", "k") is None  # runs at once: no longer in MULTI
        assert err(c.call("EXEC")) == "ERR EXEC without MULTI"


def test_unwatch_and_ping_are_queued(kv):
    with kv.raw() as c:
        c.call("MULTI")
        assert c.call("UNWATCH") == b"QUEUED"
        assert c.call("PING") == b"QUEUED"
        assert c.call("EXEC") == [b"OK", b"PONG"]


def test_reset_leaves_multi(kv):
    with kv.raw() as c:
        c.call("MULTI")
        c.call("SET", "k", "1")
        assert c.call("RESET") == b"RESET"
        assert err(c.call("EXEC")) == "ERR EXEC without MULTI"
        assert c.call("GET", "k") is None


def test_select_inside_multi_stays_selected(kv):
    with kv.raw() as c:
        c.call("MULTI")
        c.call("SELECT", "1")
        c.call("SET", "z", "in1")
        assert c.call("EXEC") == [b"OK", b"OK"]
        assert c.call("GET", "z") == b"in1"
    r = kv.client()
    assert r.get("z") is None
    assert kv.client(db=1).get("z") == "in1"


def test_whole_keyspace_commands_inside_multi(kv):
    r = kv.client()
    r.mset({"a": 1, "b": 2})
    p = r.pipeline(transaction=True)
    p.dbsize().keys("*").flushdb().dbsize().set("c", 3).randomkey().scan(0)
    res = p.execute()
    assert res[0] == 2 and sorted(res[1]) == ["a", "b"]
    assert res[2] is True and res[3] == 0 and res[5] == "c"
    assert res[6] == (0, ["c"])


def test_cross_namespace_commands_inside_multi(kv):
    r = kv.client()
    r.set("m", "moved")
    r.set("c", "copied")
    p = r.pipeline(transaction=True)
    p.move("m", 1).copy("c", "c2", destination_db=1).swapdb(0, 1).get("m").get("c2")
    assert p.execute() == [True, True, True, "moved", "copied"]
    p = r.pipeline(transaction=True)
    p.flushall().dbsize()
    assert p.execute() == [True, 0]
    assert kv.client(db=1).dbsize() == 0


def test_client_info_inside_exec(kv):
    with kv.raw() as c:
        c.call("MULTI")
        c.call("CLIENT", "INFO")
        info = c.call("EXEC")[0].decode()
    assert " flags=x " in info and " multi=1 " in info
    with kv.raw() as c:
        info = c.call("CLIENT", "INFO").decode()
    assert " flags=N " in info and " multi=-1 " in info


def test_resp3_replies(kv):
    with kv.raw() as c:
        c.call("HELLO", "3")
        c.call("MULTI")
        c.call("SET", "k", "1")
        c.call("HSET", "h", "f", "v")
        c.call("HGETALL", "h")
        assert c.call("EXEC") == [b"OK", 1, {b"f": b"v"}]
        c.call("WATCH", "k")
        kv.client().set("k", "2")
        c.call("MULTI")
        c.call("GET", "k")
        c.send_command("EXEC")
        assert c.read_reply_bytes() == b"_\r\n"
        c.call("HELLO", "2")
        c.call("WATCH", "k")
        kv.client().set("k", "3")
        c.call("MULTI")
        c.send_command("EXEC")
        assert c.read_reply_bytes() == b"*-1\r\n"


def test_redis_cli_transaction(kv):
    args = [REDIS_CLI, "-p", str(kv.port)]
    if getattr(kv, "password", None):
        args += ["-a", kv.password, "--no-auth-warning"]
    out = subprocess.run(args, input="MULTI\nINCR n\nINCR n\nEXEC\n", capture_output=True,
                         text=True, timeout=30, check=True).stdout
    assert out.split() == ["OK", "QUEUED", "QUEUED", "1", "2"]


# ---------------------------------------------------------------------------------------------
# Refusals at queue time: ACL, memory
# ---------------------------------------------------------------------------------------------

def test_acl_denied_at_queue_time(kv):
    r = kv.client()
    r.execute_command("ACL", "SETUSER", "limited", "on", "nopass", "~*", "+@all", "-incr")
    try:
        with kv.raw() as c:
            assert c.call("AUTH", "limited", "x") == b"OK"
            c.call("MULTI")
            assert err(c.call("INCR", "a")) == (
                "NOPERM this user has no permissions to run the 'incr' command")
            assert c.call("SET", "a", "1") == b"QUEUED"
            assert err(c.call("EXEC")) == EXECABORT
        assert r.get("a") is None
    finally:
        r.execute_command("ACL", "DELUSER", "limited")


def test_acl_denied_exec(kv):
    r = kv.client()
    r.execute_command("ACL", "SETUSER", "noexec", "on", "nopass", "~*", "+@all", "-exec")
    try:
        with kv.raw() as c:
            c.call("AUTH", "noexec", "x")
            c.call("MULTI")
            c.call("SET", "a", "1")
            assert err(c.call("EXEC")) == (
                "EXECABORT Transaction discarded because of: "
                "NOPERM this user has no permissions to run the 'exec' command")
            assert c.call("GET", "a") is None  # the transaction is gone, not pending
        assert r.get("a") is None
    finally:
        r.execute_command("ACL", "DELUSER", "noexec")


def test_oom_at_queue_time_and_exec(kv_server):
    s = kv_server()
    r = s.client()
    r.set("a", "1")
    with s.raw() as c:
        c.call("MULTI")
        assert c.call("GET", "a") == b"QUEUED"
        c.call("CONFIG", "SET", "maxmemory", "1")  # queued: runs inside EXEC
        assert c.call("EXEC") == [b"1", b"OK"]
        try:
            c.call("MULTI")
            # Over maxmemory every queued command is refused, even a read.
            assert err(c.call("GET", "a")).startswith("OOM command not allowed")
            assert err(c.call("EXEC")) == EXECABORT
        finally:
            r.config_set("maxmemory", "0")


def test_exec_refused_when_queue_may_grow_memory(kv_server):
    s = kv_server()
    r = s.client()
    with s.raw() as c:
        c.call("MULTI")
        c.call("SET", "a", "1")
        r.config_set("maxmemory", "1")
        try:
            assert err(c.call("EXEC")) == (
                "EXECABORT Transaction discarded because of: "
                "OOM command not allowed when used memory > 'maxmemory'.")
            assert err(c.call("EXEC")) == "ERR EXEC without MULTI"
        finally:
            r.config_set("maxmemory", "0")
        # A queue that cannot grow memory runs, whatever the limit became after it was queued.
        c.call("MULTI")
        c.call("GET", "a")
        c.call("DEL", "a")
        r.config_set("maxmemory", "1")
        try:
            assert c.call("EXEC") == [None, 0]
        finally:
            r.config_set("maxmemory", "0")
    assert r.get("a") is None


# ---------------------------------------------------------------------------------------------
# WATCH
# ---------------------------------------------------------------------------------------------

def watched_exec(kv, key, change, setup=None, db=0):
    """WATCH key, run `change` from another client, then MULTI/SET/EXEC. Returns EXEC's reply."""
    r = kv.client(db=db)
    if setup:
        setup(r)
    with kv.raw() as c:
        if db:
            c.call("SELECT", str(db))
        assert c.call("WATCH", key) == b"OK"
        change(kv.client(db=db))
        c.call("MULTI")
        c.call("SET", "result", "done")
        return c.call("EXEC")


def test_watch_unchanged_key_runs(kv):
    assert watched_exec(kv, "k", lambda o: o.set("other", 1)) == [b"OK"]


@pytest.mark.parametrize("change", [
    lambda o: o.set("k", "new"),
    lambda o: o.set("k", "v"),  # the same value is still a write
    lambda o: o.delete("k"),
    lambda o: o.append("k", "x"),
    lambda o: o.expire("k", 100),
    lambda o: o.rename("k", "k2"),
    lambda o: o.move("k", 1),
    lambda o: o.flushdb(),
    lambda o: o.flushall(),
    lambda o: o.swapdb(0, 1),
    lambda o: o.setrange("k", 0, "V"),
], ids=["set", "same-value", "del", "append", "expire", "rename", "move",
        "flushdb", "flushall", "swapdb", "setrange"])
def test_watch_invalidated(kv, change):
    assert watched_exec(kv, "k", change, setup=lambda r: r.set("k", "v")) is None
    assert kv.client().get("result") is None


# Writes that change nothing: whether Redis 7.0 signals the key modified (aborting a WATCH) is
# per command, and these are its answers (checked against redis-server in the Redis pass).
NOOP_WRITES = [
    # (id, setup, change, aborts)
    ("sadd-existing", lambda r: r.sadd("k", "m"), lambda o: o.sadd("k", "m"), False),
    ("zadd-same-score", lambda r: r.zadd("k", {"m": 1}), lambda o: o.zadd("k", {"m": 1}), False),
    ("zincrby-0", lambda r: r.zadd("k", {"m": 1}), lambda o: o.zincrby("k", 0, "m"), False),
    ("srem-missing", lambda r: r.sadd("k", "m"), lambda o: o.srem("k", "zz"), False),
    ("hdel-missing", lambda r: r.hset("k", "f", "v"), lambda o: o.hdel("k", "zz"), False),
    ("zrem-missing", lambda r: r.zadd("k", {"m": 1}), lambda o: o.zrem("k", "zz"), False),
    ("lrem-missing", lambda r: r.rpush("k", "a"), lambda o: o.lrem("k", 0, "zz"), False),
    ("hsetnx-existing", lambda r: r.hset("k", "f", "v"), lambda o: o.hsetnx("k", "f", "w"), False),
    ("setbit-same", lambda r: r.setbit("k", 3, 1), lambda o: o.setbit("k", 3, 1), False),
    ("pfadd-known", lambda r: r.pfadd("k", "a"), lambda o: o.pfadd("k", "a"), False),
    ("smove-missing", lambda r: r.sadd("k", "m"), lambda o: o.smove("k", "k2", "zz"), False),
    ("persist-no-ttl", lambda r: r.set("k", "v"), lambda o: o.persist("k"), False),
    ("setnx-existing", lambda r: r.set("k", "v"), lambda o: o.setnx("k", "w"), False),
    ("hset-same", lambda r: r.hset("k", "f", "v"), lambda o: o.hset("k", "f", "v"), True),
    ("ltrim-whole", lambda r: r.rpush("k", "a"), lambda o: o.ltrim("k", 0, -1), True),
    ("append-empty", lambda r: r.set("k", "v"), lambda o: o.append("k", ""), True),
    ("incrby-0", lambda r: r.set("k", "1"), lambda o: o.incrby("k", 0), True),
    ("lset-same", lambda r: r.rpush("k", "a"), lambda o: o.lset("k", 0, "a"), True),
    ("sinterstore-self", lambda r: r.sadd("k", "m"), lambda o: o.sinterstore("k", ["k"]), True),
]


@pytest.mark.parametrize("setup,change,aborts", [c[1:] for c in NOOP_WRITES],
                         ids=[c[0] for c in NOOP_WRITES])
def test_watch_and_writes_that_change_nothing(kv, setup, change, aborts):
    reply = watched_exec(kv, "k", change, setup=setup)
    assert (reply is None) == aborts, reply


def test_watch_missing_key_created(kv):
    assert watched_exec(kv, "k", lambda o: o.lpush("k", "x")) is None


def test_watch_missing_key_flushall_is_no_change(kv):
    # Redis 7.0: FLUSHALL and SWAPDB only touch watched keys that exist on either side.
    assert watched_exec(kv, "k", lambda o: o.flushall(),
                        setup=lambda r: r.set("other", 1)) == [b"OK"]
    assert watched_exec(kv, "k", lambda o: o.swapdb(0, 1)) == [b"OK"]


def test_watch_expiry_counts_as_change(kv):
    # The key must still be alive when WATCH runs (one already expired then is no change: the
    # next test), and then run out before EXEC with nothing touching it. PTTL after WATCH shows
    # it was alive; a TTL that ran out first (a stalled machine) is retried with a longer one.
    r = kv.client()
    ttl_ms = 200
    for _ in range(6):
        r.set("k", "v", px=ttl_ms)
        with kv.raw() as c:
            assert c.call("WATCH", "k") == b"OK"
            left_ms = r.pttl("k")
            if left_ms <= 0:
                ttl_ms *= 4
                continue
            time.sleep(left_ms / 1000 + 0.05)  # past the deadline; nothing reads the key
            c.call("MULTI")
            c.call("SET", "result", "done")
            assert c.call("EXEC") is None
            return
    pytest.fail("the key had expired before WATCH in every attempt")


def test_watch_key_already_expired(kv):
    r = kv.client()
    r.set("k", "v", px=1)
    time.sleep(0.05)
    with kv.raw() as c:
        c.call("WATCH", "k")
        c.call("MULTI")
        c.call("SET", "result", "done")
        assert c.call("EXEC") == [b"OK"]


def test_watch_change_in_other_db_is_no_change(kv):
    assert watched_exec(kv, "k", lambda o: kv.client(db=1).set("k", "x")) == [b"OK"]


def test_watch_in_selected_db(kv):
    assert watched_exec(kv, "k", lambda o: o.set("k", "x"), db=1) is None


def test_unwatch_forgets(kv):
    with kv.raw() as c:
        c.call("WATCH", "k")
        assert c.call("UNWATCH") == b"OK"
        kv.client().set("k", "x")
        c.call("MULTI")
        c.call("PING")
        assert c.call("EXEC") == [b"PONG"]


def test_exec_and_discard_unwatch(kv):
    r = kv.client()
    with kv.raw() as c:
        c.call("WATCH", "k")
        c.call("MULTI")
        assert c.call("EXEC") == []
        r.set("k", "1")  # no longer watched
        c.call("MULTI")
        assert c.call("EXEC") == []
        c.call("WATCH", "k")
        c.call("MULTI")
        c.call("DISCARD")
        r.set("k", "2")
        c.call("MULTI")
        assert c.call("EXEC") == []


def test_aborted_exec_unwatches(kv):
    r = kv.client()
    with kv.raw() as c:
        c.call("WATCH", "k")
        r.set("k", "1")
        c.call("MULTI")
        assert c.call("EXEC") is None
        c.call("MULTI")
        assert c.call("EXEC") == []


def test_watch_dirty_survives_more_watches(kv):
    r = kv.client()
    with kv.raw() as c:
        c.call("WATCH", "a")
        r.set("a", "1")
        c.call("WATCH", "b")
        c.call("MULTI")
        assert c.call("EXEC") is None


def test_watch_from_closed_connection(kv):
    c = kv.raw()
    c.call("WATCH", "k")
    c.close()
    r = kv.client()
    for i in range(50):
        r.set("k", i)
    assert r.get("k") == "49"


def test_watch_with_redis_py_transaction_retries(kv):
    r = kv.client()
    r.set("counter", 0)
    other = kv.client()
    attempts = []

    def incr(pipe):
        value = int(pipe.get("counter"))
        attempts.append(value)
        if len(attempts) == 1:
            other.incr("counter")  # a concurrent change: this first attempt must be retried
        pipe.multi()
        pipe.set("counter", value + 1)

    r.transaction(incr, "counter")
    assert len(attempts) == 2
    assert r.get("counter") == "2"


def test_watch_error_in_pipeline(kv):
    r = kv.client()
    r.set("k", "1")
    with r.pipeline() as pipe:
        pipe.watch("k")
        pipe.multi()
        pipe.incr("k")
        kv.client().set("k", "5")
        with pytest.raises(redis.WatchError):
            pipe.execute()
    assert r.get("k") == "5"
