"""LOCK / UNLOCK / EXTEND / LOCK.RESTORE (src/modules/builtin/lock.c, docs/locks.md).

A lock is a key holding "<token>:<owner>" with the lock's TTL; fencing tokens come from one
process-wide counter, max(last + 1, Unix time in microseconds).
"""

from __future__ import annotations

import threading
import time

import pytest
import redis

from conftest import RespError, run_parallel

pytestmark = pytest.mark.kv_only


def lock_parts(value: str) -> tuple[int, str]:
    token, owner = value.split(":", 1)
    return int(token), owner


# ---------------------------------------------------------------------------- basic semantics
def test_user_story_with_redis_cli(kv):
    token = kv.cli("LOCK", "job:42", "worker-a", "30000").strip()
    assert token.isdigit() and int(token) > 0
    assert kv.cli("EXTEND", "job:42", "worker-a", "30000").strip() == "1"
    assert kv.cli("UNLOCK", "job:42", "worker-a").strip() == "1"
    assert kv.cli("UNLOCK", "job:42", "worker-a").strip() == "0"


def test_lock_lives_in_the_keyspace_as_token_colon_owner_with_its_ttl(kv):
    r = kv.client()
    token = r.execute_command("LOCK", "job:42", "worker-a", 30000)
    assert isinstance(token, int)
    assert r.get("job:42") == f"{token}:worker-a"
    assert r.type("job:42") == "string"
    assert 29000 < r.pttl("job:42") <= 30000
    assert r.exists("job:42") == 1
    # DEL releases it like any key.
    assert r.delete("job:42") == 1
    assert r.execute_command("LOCK", "job:42", "worker-b", 30000) > token


def test_owner_may_contain_colons_and_spaces(kv):
    r = kv.client()
    token = r.execute_command("LOCK", "k", "host:1 pid 7", 10000)
    assert r.get("k") == f"{token}:host:1 pid 7"
    assert r.execute_command("UNLOCK", "k", "host:1") == 0
    assert r.execute_command("UNLOCK", "k", "host:1 pid 7") == 1


def test_long_and_binary_owners(kv):
    r = kv.client(decode_responses=False)
    for owner in (b"o" * 5000, b"\x00\xff:\r\n"):
        token = r.execute_command("LOCK", "k", owner, 10000)
        assert r.get("k") == str(token).encode() + b":" + owner
        assert r.execute_command("LOCK", "k", owner + b"x", 10000) is None
        assert r.execute_command("EXTEND", "k", owner, 20000) == 1
        assert r.execute_command("UNLOCK", "k", owner) == 1


def test_same_owner_relock_refreshes_ttl_and_keeps_token(kv):
    r = kv.client()
    token = r.execute_command("LOCK", "k", "a", 1000)
    assert r.execute_command("LOCK", "k", "a", 60000) == token
    assert r.pttl("k") > 50000
    assert r.get("k") == f"{token}:a"


def test_other_owner_gets_nil_and_cannot_unlock_or_extend(kv):
    r = kv.client()
    token = r.execute_command("LOCK", "k", "a", 10000)
    assert r.execute_command("LOCK", "k", "b", 10000) is None
    assert r.execute_command("UNLOCK", "k", "b") == 0
    assert r.execute_command("EXTEND", "k", "b", 99999) == 0
    assert r.get("k") == f"{token}:a"
    assert r.pttl("k") <= 10000


def test_unlock_and_extend_of_a_free_key_answer_zero(kv):
    r = kv.client()
    assert r.execute_command("UNLOCK", "nolock", "a") == 0
    assert r.execute_command("EXTEND", "nolock", "a", 1000) == 0
    assert r.exists("nolock") == 0


def test_extend_sets_the_ttl_from_now_longer_or_shorter(kv):
    r = kv.client()
    token = r.execute_command("LOCK", "k", "a", 5000)
    assert r.execute_command("EXTEND", "k", "a", 60000) == 1
    assert 59000 < r.pttl("k") <= 60000
    assert r.execute_command("EXTEND", "k", "a", 2000) == 1
    assert 0 < r.pttl("k") <= 2000
    assert r.get("k") == f"{token}:a"


def test_unlock_releases_and_next_acquisition_gets_a_larger_token(kv):
    r = kv.client()
    t1 = r.execute_command("LOCK", "k", "a", 10000)
    assert r.execute_command("UNLOCK", "k", "a") == 1
    assert r.exists("k") == 0
    t2 = r.execute_command("LOCK", "k", "b", 10000)
    assert t2 > t1


def test_tokens_increase_across_keys_and_start_at_the_clock(kv):
    r = kv.client()
    before_us = int(time.time() * 1_000_000)
    tokens = [r.execute_command("LOCK", f"k{i % 5}", f"o{i}", 10000) for i in range(5)]
    for i in range(5):
        r.execute_command("UNLOCK", f"k{i}", f"o{i}")
    tokens += [r.execute_command("LOCK", f"k{i % 5}", "again", 10000) for i in range(5)]
    assert tokens == sorted(tokens) and len(set(tokens)) == len(tokens)
    # Microseconds since the epoch (the server's clock is this machine's clock); one second of
    # slack for scheduling.
    assert tokens[0] >= before_us - 1_000_000
    assert tokens[-1] <= int(time.time() * 1_000_000) + 1_000_000


def test_lock_expires_by_itself_and_the_next_owner_gets_a_larger_token(kv):
    r = kv.client()
    t1 = r.execute_command("LOCK", "k", "a", 100)
    time.sleep(0.2)
    assert r.get("k") is None
    assert r.execute_command("UNLOCK", "k", "a") == 0
    assert r.execute_command("EXTEND", "k", "a", 1000) == 0
    t2 = r.execute_command("LOCK", "k", "b", 1000)
    assert t2 > t1


def test_flushall_releases_locks(kv):
    r = kv.client()
    r.execute_command("LOCK", "k", "a", 10000)
    r.flushall()
    assert r.execute_command("LOCK", "k", "b", 10000) is not None


@pytest.mark.parametrize("setup", [
    ("SET", "k", "hello"),
    ("SET", "k", "0:a"),       # token must be positive
    ("SET", "k", "01:a"),      # and canonical
    ("SET", "k", "5:"),        # owner must not be empty
    ("SET", "k", "-5:a"),
    ("SET", "k", "99999999999999999999:a"),  # over 64 bits
    ("INCR", "k"),             # an Int is not a lock
    ("INCRBYFLOAT", "k", "1.5"),
])
def test_a_value_that_is_not_a_lock_is_wrongtype_for_all_three(kv, setup):
    r = kv.client()
    r.execute_command(*setup)
    before = r.get("k")
    for cmd in (("LOCK", "k", "a", 1000), ("UNLOCK", "k", "a"), ("EXTEND", "k", "a", 1000)):
        with pytest.raises(redis.ResponseError, match="^WRONGTYPE"):
            r.execute_command(*cmd)
    assert r.get("k") == before


def test_a_lock_shaped_value_is_a_lock(kv):
    r = kv.client()
    r.set("k", "12:a")
    assert r.execute_command("LOCK", "k", "a", 1000) == 12
    assert r.execute_command("LOCK", "k", "b", 1000) is None
    assert r.execute_command("UNLOCK", "k", "a") == 1


@pytest.mark.parametrize("args,error", [
    (("LOCK", "k", "a", "0"), "ERR invalid expire time in 'lock' command"),
    (("LOCK", "k", "a", "-5"), "ERR invalid expire time in 'lock' command"),
    (("LOCK", "k", "a", "abc"), "ERR value is not an integer or out of range"),
    (("LOCK", "k", "a", "1.5"), "ERR value is not an integer or out of range"),
    (("LOCK", "k", "a", "9223372036854775807"), "ERR invalid expire time in 'lock' command"),
    (("LOCK", "k", "", "1000"), "ERR the lock owner must not be empty"),
    (("LOCK", "k", "a", "1000", "WAIT"), "ERR syntax error"),
    (("LOCK", "k", "a", "1000", "NOWAIT", "5"), "ERR syntax error"),
    (("LOCK", "k", "a", "1000", "WAIT", "5", "x"), "ERR syntax error"),
    (("LOCK", "k", "a", "1000", "WAIT", "-1"), "ERR timeout is negative"),
    (("LOCK", "k", "a", "1000", "WAIT", "x"), "ERR timeout is not an integer or out of range"),
    (("LOCK", "k", "a"), "ERR wrong number of arguments for 'lock' command"),
    (("UNLOCK", "k"), "ERR wrong number of arguments for 'unlock' command"),
    (("UNLOCK", "k", "a", "b"), "ERR wrong number of arguments for 'unlock' command"),
    (("EXTEND", "k", "a"), "ERR wrong number of arguments for 'extend' command"),
    (("EXTEND", "k", "a", "0"), "ERR invalid expire time in 'extend' command"),
    (("EXTEND", "k", "a", "x"), "ERR value is not an integer or out of range"),
    # Internal: a client cannot reach it at all (its arguments are checked in replay, in
    # src/modules/lock_test.cc).
    (("LOCK.RESTORE", "k", "a", "1"),
     "ERR unknown command 'LOCK.RESTORE', with args beginning with: 'k' 'a' '1' "),
])
def test_argument_errors(kv, args, error):
    raw = kv.raw()
    reply = raw.call(*args)
    raw.close()
    assert isinstance(reply, RespError), reply
    assert str(reply) == error
    assert kv.client().exists("k") == 0


def test_commands_are_in_the_command_table(kv):
    raw = kv.raw()
    info = raw.call("COMMAND", "INFO", "lock", "unlock", "extend", "lock.restore")
    raw.close()
    by_name = {entry[0].decode(): entry for entry in info if entry is not None}
    flags = {name: {f.decode() for f in e[2]} for name, e in by_name.items()}
    assert by_name["lock"][1] == -4 and {"write", "blocking"} <= flags["lock"]
    assert by_name["unlock"][1] == 3 and "write" in flags["unlock"]
    assert by_name["extend"][1] == 4 and "write" in flags["extend"]
    assert info[3] is None  # lock.restore is internal: not listed
    for entry in info[:3]:
        assert entry[3:6] == [1, 1, 1], entry


# ---------------------------------------------------------------------------- LOCK.RESTORE
# Internal since clients could break fencing with it: its semantics (sets the lock exactly,
# raises the token counter, a past expiry deletes, argument errors) are tested through the
# replay path in src/modules/lock_test.cc; test_internal_commands.py checks clients are refused
# and that kill -9 + restart restores locks.


# ---------------------------------------------------------------------------- WAIT
def lock_in_thread(server, *args, results: list, timeout=30):
    def run():
        c = server.client(socket_timeout=timeout)
        start = time.monotonic()
        try:
            results.append((c.execute_command(*args), time.monotonic() - start))
        except Exception as e:  # noqa: BLE001 - reported by the test
            results.append((e, time.monotonic() - start))
        finally:
            c.close()
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def test_wait_acquires_when_the_holder_unlocks(kv):
    r = kv.client()
    t1 = r.execute_command("LOCK", "k", "a", 30000)
    results: list = []
    t = lock_in_thread(kv, "LOCK", "k", "b", 30000, "WAIT", 5000, results=results)
    time.sleep(0.3)
    assert results == []  # still waiting
    assert r.execute_command("UNLOCK", "k", "a") == 1
    t.join(10)
    token, elapsed = results[0]
    assert isinstance(token, int) and token > t1  # acquired, not the 5 s timeout's nil
    assert elapsed >= 0.25  # it waited for the unlock
    assert r.get("k") == f"{token}:b"


def test_wait_acquires_when_the_holder_expires(kv):
    r = kv.client()
    start = time.monotonic()
    t1 = r.execute_command("LOCK", "k", "a", 400)
    token = r.execute_command("LOCK", "k", "b", 30000, "WAIT", 5000)
    elapsed = time.monotonic() - start
    assert token > t1  # acquired, not the 5 s timeout's nil
    assert elapsed >= 0.38  # not before the holder's 400 ms expired


def test_a_waiter_runs_again_on_a_change_not_by_polling(kv):
    """A waiting LOCK is run again when its key changes or expires, and at its deadline: a few
    runs in all (INFO commandstats counts each), where polling every few ms would make ~100."""
    r = kv.client()
    r.config_resetstat()
    r.execute_command("LOCK", "k", "a", 30000)
    assert r.execute_command("LOCK", "k", "b", 30000, "WAIT", 500) is None  # times out
    r.execute_command("LOCK", "k2", "a", 300)
    assert r.execute_command("LOCK", "k2", "b", 30000, "WAIT", 5000) is not None  # expiry
    results: list = []
    t = lock_in_thread(kv, "LOCK", "k", "c", 30000, "WAIT", 5000, results=results)
    time.sleep(0.3)
    r.set("unrelated", "x")  # another key: wakes nobody
    assert r.execute_command("UNLOCK", "k", "a") == 1
    t.join(10)
    assert isinstance(results[0][0], int)
    assert r.info("commandstats")["cmdstat_lock"]["calls"] <= 10


def test_wait_times_out_with_nil(kv):
    r = kv.client()
    r.execute_command("LOCK", "k", "a", 30000)
    start = time.monotonic()
    assert r.execute_command("LOCK", "k", "b", 30000, "WAIT", 300) is None
    elapsed = time.monotonic() - start
    assert elapsed >= 0.28  # it waited for its 300 ms
    assert r.get("k").endswith(":a")


def test_wait_zero_does_not_wait(kv):
    r = kv.client()
    r.execute_command("LOCK", "k", "a", 30000)
    # Nil while the holder's 30 s lock stands: a wait would have ended only with the lock (or
    # past this client's 10 s socket timeout).
    quick = kv.client(socket_timeout=10)
    assert quick.execute_command("LOCK", "k", "b", 30000, "WAIT", 0) is None
    assert r.get("k").endswith(":a")


def test_wait_on_a_free_lock_acquires_at_once(kv):
    r = kv.client()
    # Pipelined behind the LOCK on one connection: the reply order shows LOCK answered with a
    # token (it did not park the connection until its 5 s WAIT ran out, which answers nil).
    p = r.pipeline(transaction=False)
    p.execute_command("LOCK", "k", "a", 30000, "WAIT", 5000)
    p.get("k")
    token, value = p.execute()
    assert isinstance(token, int) and value == f"{token}:a"


def test_wait_blocks_the_client_not_its_thread(kv_server):
    # One I/O thread: if waiting blocked the thread, nobody else would be served.
    server = kv_server(threads=1)
    r = server.client()
    r.execute_command("LOCK", "k", "a", 30000)
    results: list = []
    t = lock_in_thread(server, "LOCK", "k", "b", 30000, "WAIT", 1500, results=results)
    time.sleep(0.1)
    other = server.client()
    # Ordering, not speed: all of this is served while the waiter is still pending.
    for _ in range(20):
        assert other.ping() is True
    other.set("x", "1")
    assert other.get("x") == "1"
    assert isinstance(other.execute_command("LOCK", "k2", "c", 1000), int)
    assert results == []
    t.join(10)
    assert results[0][0] is None and results[0][1] >= 1.4


def test_a_waiting_client_keeps_its_later_requests_in_order(kv):
    r = kv.client()
    r.execute_command("LOCK", "k", "a", 30000)
    raw = kv.raw()
    raw.send(raw.encode("LOCK", "k", "b", "30000", "WAIT", "5000") + raw.encode("PING"))
    assert raw.read(timeout=0.3) == b""  # neither reply yet: PING waits behind the LOCK
    assert r.execute_command("UNLOCK", "k", "a") == 1
    token = raw.read_reply(timeout=5)
    assert isinstance(token, int)
    assert raw.read_reply(timeout=5) == b"PONG"
    raw.close()


def test_a_client_that_disconnects_while_waiting_never_gets_the_lock(kv):
    r = kv.client()
    # 1 s: long enough that b's request surely finds a's lock held and waits.
    r.execute_command("LOCK", "k", "a", 1000)
    locked_at = time.monotonic()
    raw = kv.raw()
    raw.send_command("LOCK", "k", "b", "30000", "WAIT", "5000")
    time.sleep(0.05)
    raw.close()
    time.sleep(max(0.0, locked_at + 1.2 - time.monotonic()))  # a's lock has expired
    assert r.get("k") is None
    assert isinstance(r.execute_command("LOCK", "k", "c", 1000), int)


def test_restart_keeps_tokens_growing(kv_server):
    first = kv_server()
    t1 = first.client().execute_command("LOCK", "k", "a", 10000)
    first.stop()
    second = kv_server()
    t2 = second.client().execute_command("LOCK", "k", "a", 10000)
    assert t2 > t1


# ---------------------------------------------------------------------------- contention
class Referee:
    """The shared view of who holds the lock, checked by every acquisition."""

    def __init__(self):
        self.mu = threading.Lock()
        self.holder: str | None = None
        self.tokens: list[int] = []
        self.violations: list[str] = []

    def acquired(self, who: str, token: int) -> None:
        with self.mu:
            if self.holder is not None:
                self.violations.append(f"{who} got token {token} while {self.holder} held it")
            if self.tokens and token <= self.tokens[-1]:
                self.violations.append(f"token {token} after {self.tokens[-1]}")
            self.holder = who
            self.tokens.append(token)

    def releasing(self, who: str) -> None:
        with self.mu:
            if self.holder != who:
                self.violations.append(f"{who} released, but the referee saw {self.holder}")
            self.holder = None


def test_contention_at_most_one_holder_and_increasing_tokens(kv):
    # Runs until the lock has changed hands `target` times; the cap is liveness, not speed.
    threads, target, cap = 8, 200, 60.0
    referee = Referee()
    errors: list[str] = []
    counts = [0] * threads
    kv.client().set("guarded", 0)
    stop_at = time.monotonic() + cap

    def worker(i: int) -> None:
        c = kv.client()
        me = f"worker-{i}"
        try:
            while sum(counts) < target and time.monotonic() < stop_at:
                if i % 2:
                    token = c.execute_command("LOCK", "hot", me, 5000, "WAIT", 2000)
                else:
                    token = c.execute_command("LOCK", "hot", me, 5000)
                if token is None:
                    time.sleep(0.0005)
                    continue
                referee.acquired(me, token)
                # A read-modify-write that loses updates if two holders overlap.
                v = int(c.get("guarded"))
                time.sleep(0.0005)
                c.set("guarded", v + 1)
                counts[i] += 1
                referee.releasing(me)
                if c.execute_command("UNLOCK", "hot", me) != 1:
                    errors.append(f"{me}: UNLOCK of a held lock answered 0")
        except Exception as e:  # noqa: BLE001
            errors.append(f"{me}: {e!r}")
        finally:
            c.close()

    run_parallel(worker, threads, cap + 30)
    assert not errors, errors
    assert not referee.violations, referee.violations[:5]
    total = sum(counts)
    assert total >= target, counts  # the lock kept changing hands
    assert sum(1 for n in counts if n) >= threads // 2, counts  # and many got it
    assert int(kv.client().get("guarded")) == total
    assert len(referee.tokens) == total


def test_contention_expiry_hands_over_never_early(kv):
    """Holders that 'crash' (never unlock) lose the lock by expiry; waiters take over, never
    before the crashed holder's TTL has run out."""
    threads, rounds, ttl_ms = 4, 4, 150
    mu = threading.Lock()
    grants: list[tuple[int, float, float, str]] = []  # token, sent, received, who
    errors: list[str] = []

    def worker(i: int) -> None:
        c = kv.client()
        me = f"crashy-{i}"
        try:
            for _ in range(rounds):
                sent = time.monotonic()
                token = c.execute_command("LOCK", "fragile", me, ttl_ms, "WAIT", 10000)
                received = time.monotonic()
                if token is None:
                    errors.append(f"{me}: timed out waiting")
                    continue
                with mu:
                    grants.append((token, sent, received, me))
                # "Crash": no UNLOCK; wait for the lock to expire before trying again, so the
                # same owner does not merely refresh its own lock.
                time.sleep(ttl_ms / 1000 * 1.5)
        except Exception as e:  # noqa: BLE001
            errors.append(f"{me}: {e!r}")
        finally:
            c.close()

    run_parallel(worker, threads, 120)
    assert not errors, errors
    grants.sort()
    assert len(grants) == threads * rounds
    assert len({g[0] for g in grants}) == len(grants)
    for prev, cur in zip(grants, grants[1:]):
        # prev was acquired at the latest when its reply arrived... and at the earliest when it
        # was sent, so its lock lasted at least until prev.sent + ttl. cur cannot have been
        # granted (and so cannot have received its reply) before that.
        assert cur[2] >= prev[1] + ttl_ms / 1000 - 0.005, (prev, cur)
        # Tokens order acquisitions: the larger token was received later.
        assert cur[2] >= prev[1]
