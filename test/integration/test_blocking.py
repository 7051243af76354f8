"""Blocking pops (BLPOP BRPOP BRPOPLPUSH BLMOVE BLMPOP BZPOPMIN BZPOPMAX BZMPOP): served at
once when a key has elements, otherwise woken by a push from another connection (on any I/O
thread), first come first served among the waiters of a key, nil at the timeout, non-blocking
inside MULTI, with Redis 7.0's replies and errors. Every test not marked kv_only runs against
redis-server too."""

from __future__ import annotations

import threading
import time

import pytest
import redis

from conftest import wait_for


def error_of(fn, *args) -> str:
    with pytest.raises(redis.ResponseError) as e:
        fn(*args)
    return str(e.value)


class Blocked:
    """Runs one blocking command on a connection of its own, in a thread."""

    def __init__(self, server, *args):
        self.client = server.client()
        self.id = self.client.client_id()  # of the connection the command will block on
        self.result = None
        self.error = None
        self.thread = threading.Thread(target=self._run, args=args, daemon=True)
        self.thread.start()

    def _run(self, *args):
        try:
            self.result = self.client.execute_command(*args)
        except Exception as e:  # noqa: BLE001 - the test inspects it
            self.error = e

    def join(self, timeout=30):
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the blocked command never returned"
        # redis-py turns BLPOP's and BZPOPMIN's arrays into tuples.
        return list(self.result) if isinstance(self.result, tuple) else self.result


def blocked_clients(r) -> int:
    return int(r.info("clients")["blocked_clients"])


def wait_blocked(r, n: int) -> None:
    wait_for(lambda: blocked_clients(r) >= n, timeout=10, interval=0.01,
             what=f"{n} blocked clients")


def test_served_at_once_when_a_key_has_elements(kv):
    r = kv.client()
    r.rpush("l", "a", "b", "c")
    r.zadd("z", {"m": 1, "n": 2, "o": 3})
    assert r.blpop(["missing", "l"], 1) == ("l", "a")
    assert r.brpop(["l"], 1) == ("l", "c")
    assert r.brpoplpush("l", "dst", 1) == "b"
    assert r.lrange("dst", 0, -1) == ["b"]
    assert r.blmove("dst", "l", 1, "LEFT", "RIGHT") == "b"
    assert r.execute_command("BLMPOP", 1, 2, "x", "l", "LEFT", "COUNT", 5) == ["l", ["b"]]
    assert r.bzpopmin(["z"], 1) == ("z", "m", 1.0)
    assert r.bzpopmax(["x", "z"], 1) == ("z", "o", 3.0)
    assert r.execute_command("BZMPOP", 1, 1, "z", "MIN", "COUNT", 3) == ["z", [["n", "2"]]]
    assert r.exists("l", "z", "dst") == 0


def test_timeouts_answer_nil(kv):
    r = kv.client()
    start = time.monotonic()
    assert r.blpop(["a", "b"], 0.1) is None
    assert r.brpop(["a"], 0.1) is None
    assert r.brpoplpush("a", "b", 0.1) is None
    assert r.blmove("a", "b", 0.1, "LEFT", "LEFT") is None
    assert r.execute_command("BLMPOP", 0.1, 1, "a", "LEFT") is None
    assert r.bzpopmin(["z"], 0.1) is None
    assert r.execute_command("BZMPOP", 0.1, 1, "z", "MAX") is None
    assert time.monotonic() - start >= 0.6
    assert blocked_clients(r) == 0


def test_argument_errors(kv):
    r = kv.client()
    negative = "timeout is negative"
    not_float = "timeout is not a float or out of range"
    assert error_of(r.execute_command, "BLPOP", "k", "-1") == negative
    assert error_of(r.execute_command, "BLPOP", "k", "inf") == negative
    assert error_of(r.execute_command, "BLPOP", "k", "1e300") == negative
    assert error_of(r.execute_command, "BRPOP", "k", "abc") == not_float
    assert error_of(r.execute_command, "BRPOP", "k", "nan") == not_float
    assert error_of(r.execute_command, "BRPOP", "k", "") == not_float
    assert error_of(r.execute_command, "BRPOPLPUSH", "a", "b", "-1") == negative
    assert error_of(r.execute_command, "BLMOVE", "a", "b", "left", "up", "0") == "syntax error"
    assert error_of(r.execute_command, "BLMOVE", "a", "b", "up", "left", "x") == "syntax error"
    assert error_of(r.execute_command, "BLMOVE", "a", "b", "left", "left", "x") == not_float
    assert error_of(r.execute_command, "BLMPOP", "x", "0", "a", "left") == \
        "numkeys should be greater than 0"
    assert error_of(r.execute_command, "BLMPOP", "0.01", "2", "a", "left") == "syntax error"
    assert error_of(r.execute_command, "BLMPOP", "x", "1", "a", "up") == "syntax error"
    assert error_of(r.execute_command, "BLMPOP", "0.01", "1", "a", "left", "count", "0") == \
        "count should be greater than 0"
    assert error_of(r.execute_command, "BLMPOP", "0.01", "1", "a", "left", "count", "x") == \
        "count should be greater than 0"
    assert error_of(r.execute_command, "BLMPOP", "0.01", "1", "a", "left", "foo") == \
        "syntax error"
    assert error_of(r.execute_command, "BLMPOP", "x", "1", "a", "left") == not_float
    assert error_of(r.execute_command, "BLMPOP", "-1", "1", "a", "left") == negative
    assert error_of(r.execute_command, "BZPOPMIN", "k", "-1") == negative
    assert error_of(r.execute_command, "BZMPOP", "x", "1", "a", "mid") == "syntax error"
    assert error_of(r.execute_command, "BZMPOP", "0.01", "1", "a", "min", "count", "-1") == \
        "count should be greater than 0"
    assert error_of(r.execute_command, "BLPOP", "k") == \
        "wrong number of arguments for 'blpop' command"
    assert error_of(r.execute_command, "BZMPOP", "1", "1", "a") == \
        "wrong number of arguments for 'bzmpop' command"
    r.set("s", "v")
    wrongtype = "WRONGTYPE Operation against a key holding the wrong kind of value"
    assert error_of(r.execute_command, "BLPOP", "nope", "s", "0") == wrongtype
    assert error_of(r.execute_command, "BZPOPMIN", "s", "0") == wrongtype
    assert error_of(r.execute_command, "BLMOVE", "s", "d", "left", "left", "0") == wrongtype
    assert blocked_clients(r) == 0


def test_a_push_from_another_connection_wakes_the_waiter(kv):
    r = kv.client()
    w = Blocked(kv, "BLPOP", "q1", "q2", "0")
    wait_blocked(r, 1)
    assert r.rpush("q2", "x", "y") == 2
    assert w.join() == ["q2", "x"]
    assert r.lrange("q2", 0, -1) == ["y"]
    assert blocked_clients(r) == 0


def test_each_command_is_woken(kv):
    r = kv.client()
    cases = [
        (("BRPOP", "k", "0"), lambda: r.rpush("k", "a", "b"), ["k", "b"]),
        (("BRPOPLPUSH", "k", "d", "0"), lambda: r.rpush("k", "c"), "c"),
        (("BLMOVE", "k", "d", "RIGHT", "LEFT", "0"), lambda: r.lpush("k", "e"), "e"),
        (("BLMPOP", "0", "2", "x", "k", "RIGHT", "COUNT", "3"), lambda: r.rpush("k", 1, 2),
         ["k", ["2", "1"]]),
        (("BZPOPMIN", "z", "0"), lambda: r.zadd("z", {"m": 2, "n": 1}), ["z", "n", 1.0]),
        (("BZPOPMAX", "z2", "zz", "0"), lambda: r.zadd("z2", {"p": 5}), ["z2", "p", 5.0]),
        (("BZMPOP", "0", "1", "z3", "MAX", "COUNT", "2"),
         lambda: r.zadd("z3", {"a": 1, "b": 2, "c": 3}), ["z3", [["c", "3"], ["b", "2"]]]),
    ]
    for args, push, expected in cases:
        r.delete("k")
        w = Blocked(kv, *args)
        wait_blocked(r, 1)
        push()
        assert w.join() == expected, args
    assert r.lrange("d", 0, -1) == ["e", "c"]
    assert r.zrange("z", 0, -1) == ["m"]


def test_first_come_first_served(kv):
    r = kv.client()
    waiters = []
    for i in range(3):
        waiters.append(Blocked(kv, "BLPOP", "fifo", "0"))
        wait_blocked(r, i + 1)
    r.rpush("fifo", "1", "2", "3")
    assert [w.join() for w in waiters] == [["fifo", "1"], ["fifo", "2"], ["fifo", "3"]]
    assert r.exists("fifo") == 0


def test_multi_and_scripts_do_not_block(kv):
    r = kv.client()
    p = r.pipeline(transaction=True)
    p.blpop(["a"], 0)
    p.brpoplpush("a", "b", 0)
    p.bzpopmax(["z"], 0)
    p.execute_command("BLMPOP", 0, 1, "a", "LEFT")
    p.rpush("a", "x")
    p.blpop(["a"], 0)
    assert p.execute() == [None, None, None, None, 1, ("a", "x")]
    # Redis 7.0 refuses its noscript blocking commands in scripts, and runs BLMPOP and BZMPOP
    # (not noscript) as their non-blocking forms.
    for cmd in ("blpop", "brpop", "bzpopmin", "bzpopmax"):
        assert error_of(r.eval, f"return redis.call('{cmd}', KEYS[1], 0)", 1, "a").startswith(
            "This Redis command is not allowed from script")
    assert r.eval("return redis.call('blmpop', 0, 1, KEYS[1], 'LEFT')", 1, "a") is None
    assert r.eval("return redis.call('bzmpop', 0, 1, KEYS[1], 'MIN')", 1, "z") is None
    r.rpush("a", "y")
    assert r.eval("return redis.call('blmpop', 0, 1, KEYS[1], 'LEFT')", 1, "a") == ["a", ["y"]]
    assert blocked_clients(r) == 0


def test_disconnected_waiter_leaves_the_element(kv):
    r = kv.client()
    waiter = kv.raw()
    waiter.send_command("BLPOP", "gone", "0")
    wait_blocked(r, 1)
    waiter.close()
    wait_for(lambda: blocked_clients(r) == 0, timeout=10, interval=0.01,
             what="the waiter to go away")
    r.rpush("gone", "kept")
    assert r.lrange("gone", 0, -1) == ["kept"]


def test_a_waiter_keeps_waiting_when_its_key_becomes_another_type(kv):
    r = kv.client()
    w = Blocked(kv, "BLPOP", "t", "0")
    wait_blocked(r, 1)
    r.set("t", "string")
    r.zadd("other", {"m": 1})
    time.sleep(0.1)
    assert w.thread.is_alive() and blocked_clients(r) == 1
    r.delete("t")
    r.rpush("t", "finally")
    assert w.join() == ["t", "finally"]


def test_rename_and_swapdb_make_keys_ready(kv):
    r = kv.client()
    w = Blocked(kv, "BLPOP", "target", "0")
    wait_blocked(r, 1)
    r.rpush("source", "moved")
    r.rename("source", "target")
    assert w.join() == ["target", "moved"]

    w = Blocked(kv, "BRPOP", "swapped", "0")  # waits in db 0
    wait_blocked(r, 1)
    other = kv.client(db=1)
    other.rpush("swapped", "from-1")
    r.swapdb(0, 1)
    assert w.join() == ["swapped", "from-1"]
    r.swapdb(0, 1)


def test_client_unblock(kv):
    r = kv.client()
    w = Blocked(kv, "BLPOP", "ub", "0")
    wait_blocked(r, 1)
    wid = w.id
    assert r.execute_command("CLIENT", "UNBLOCK", wid) == 1
    assert w.join() is None  # as at the timeout

    w = Blocked(kv, "BZPOPMIN", "ub", "0")
    wait_blocked(r, 1)
    wid = w.id
    assert r.execute_command("CLIENT", "UNBLOCK", wid, "ERROR") == 1
    w.join()
    assert str(w.error) == "UNBLOCKED client unblocked via CLIENT UNBLOCK"
    assert blocked_clients(r) == 0
    # The unblocked client left its queue: a push stays in the list.
    r.rpush("ub", "kept")
    assert r.lrange("ub", 0, -1) == ["kept"]

    assert r.execute_command("CLIENT", "UNBLOCK", r.client_id()) == 0  # not blocked
    assert r.execute_command("CLIENT", "UNBLOCK", 999999, "error") == 0
    assert error_of(r.execute_command, "CLIENT", "UNBLOCK", "abc") == \
        "value is not an integer or out of range"
    assert error_of(r.execute_command, "CLIENT", "UNBLOCK", 999, "foo") == \
        "CLIENT UNBLOCK reason should be TIMEOUT or ERROR"
    assert error_of(r.execute_command, "CLIENT", "UNBLOCK") == \
        "wrong number of arguments for 'client|unblock' command"
    assert error_of(r.execute_command, "CLIENT", "unblock", 1, "timeout", "x") == \
        "unknown subcommand or wrong number of arguments for 'unblock'. Try CLIENT HELP."


BLOCKING = ["blpop", "brpop", "brpoplpush", "blmove", "blmpop", "bzpopmin", "bzpopmax",
            "bzmpop"]


@pytest.mark.kv_only
def test_command_info_and_acl_categories_match_redis(kv, redis_ref):
    def info(server):
        with server.raw() as r:
            entries = r.call("COMMAND", "INFO", *BLOCKING)
            cats = {c: set(r.call("ACL", "CAT", c)) & {x.encode() for x in BLOCKING}
                    for c in ("blocking", "list", "sortedset", "write", "fast", "slow")}
            keys = [r.call("COMMAND", "GETKEYS", *args) for args in (
                ("BLPOP", "a", "b", "0"), ("BLMOVE", "a", "b", "LEFT", "LEFT", "0"),
                ("BLMPOP", "0", "2", "a", "b", "LEFT"), ("BZMPOP", "0", "1", "z", "MIN"))]
        # name, arity, flags, first/last/step key
        return {e[0]: (e[1], sorted(e[2]), e[3:6]) for e in entries}, cats, keys

    assert info(kv) == info(redis_ref)


@pytest.mark.kv_only
def test_native_call_blocks_and_is_woken(kv_server):
    from native_client import NULL, OK, NativeConn
    s = kv_server(native_port="auto")
    r = s.client()
    c = NativeConn(s.host, s.native_port)
    got = {}
    t = threading.Thread(target=lambda: got.setdefault("r", c.call("BLPOP", "nq", "0")),
                         daemon=True)
    t.start()
    wait_blocked(r, 1)
    r.rpush("nq", "hello")
    t.join(30)
    assert got["r"].status == OK
    assert got["r"].value == [b"nq", b"hello"]
    timed_out = NativeConn(s.host, s.native_port).call("BLPOP", "nq", "0.05")
    assert timed_out.status == NULL


@pytest.mark.kv_only
def test_blocking_moves_survive_a_restart(kv_persist):
    s = kv_persist(appendfsync="always")
    r = s.client()
    w = Blocked(s, "BLMOVE", "src", "dst", "LEFT", "RIGHT", "0")
    wait_blocked(r, 1)
    r.rpush("src", "a", "b")
    assert w.join() == "a"
    assert r.blpop(["src"], 1) == ("src", "b")
    s.kill9()  # appendfsync always: both pops were acknowledged after their fsync
    s.restart()
    r = s.client()
    assert r.lrange("dst", 0, -1) == ["a"]
    assert r.exists("src") == 0


@pytest.mark.kv_only
@pytest.mark.parametrize("threads", [2, 4])
def test_every_pushed_element_is_popped_exactly_once(kv_server, threads):
    s = kv_server(threads=threads)
    r = s.client()
    keys = ["cq:a", "cq:b", "cq:c"]
    per_pusher, pushers, poppers = 300, 3, 6
    total = per_pusher * pushers
    popped: list[str] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def popper():
        c = s.client()
        try:
            while True:
                got = c.blpop(keys, 2)
                if got is None:
                    return
                if got[1] == "stop":
                    return
                with lock:
                    popped.append(got[1])
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    def pusher(n):
        c = s.client()
        try:
            for i in range(per_pusher):
                c.rpush(keys[i % len(keys)], f"{n}:{i}")
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    pop_threads = [threading.Thread(target=popper) for _ in range(poppers)]
    for t in pop_threads:
        t.start()
    wait_blocked(r, poppers)
    push_threads = [threading.Thread(target=pusher, args=(n,)) for n in range(pushers)]
    for t in push_threads:
        t.start()
    for t in push_threads:
        t.join(60)
    wait_for(lambda: len(popped) == total or errors, timeout=60, interval=0.05,
             what="every element to be popped")
    for _ in range(poppers):
        r.rpush(keys[0], "stop")
    for t in pop_threads:
        t.join(60)
    assert not errors, errors
    assert sorted(popped) == sorted(f"{n}:{i}" for n in range(pushers) for i in range(per_pusher))
    assert r.exists(*keys) == 0
