"""SLOWLOG GET/LEN/RESET/HELP with slowlog-log-slower-than and slowlog-max-len, as Redis 7.

Thresholds of 0 (log every command) and -1 (log none) make every check independent of timing.
The tests on the `kv` fixture pass against redis-server too (KV_TEST_AGAINST_REDIS=1).
"""

from __future__ import annotations

import threading
import time

import pytest
import redis

from conftest import RawConn


@pytest.fixture
def slow(kv):
    """A client of `kv` with every command logged; the defaults are restored afterwards."""
    c = kv.client()
    c.config_set("slowlog-log-slower-than", 0)
    c.config_set("slowlog-max-len", 128)
    c.execute_command("SLOWLOG", "RESET")
    yield c
    c.config_set("slowlog-log-slower-than", 10000)
    c.config_set("slowlog-max-len", 128)
    c.execute_command("SLOWLOG", "RESET")
    c.close()


def entries(c, count=None):
    args = ["SLOWLOG", "GET"] + ([] if count is None else [count])
    return c.execute_command(*args)


def test_every_command_is_logged_with_redis_fields(kv, slow):
    slow.client_setname("watcher")
    addr = slow.client_info()["addr"]
    before = int(time.time())
    slow.set("k", "v")
    got = entries(slow, 2)
    assert len(got) == 2
    newest, older = got  # SET, then the CLIENT INFO before it
    assert newest[0] == older[0] + 1  # ids grow, newest first
    eid, ts, duration, argv, peer, name = newest
    assert argv == ["set", "k", "v"] or argv == ["SET", "k", "v"]
    # Redis stamps the entry from its cached clock (server.unixtime, refreshed by its cron every
    # 100 ms), which can still show the previous second when `before` was read.
    assert before - 1 <= ts <= int(time.time()) + 1
    assert duration >= 0
    assert peer == addr
    assert name == "watcher"


def test_get_count_len_reset(kv, slow):
    for i in range(15):
        slow.get(f"k{i}")
    assert len(entries(slow)) == 10  # default count
    assert len(entries(slow, 3)) == 3
    assert len(entries(slow, -1)) >= 16
    assert entries(slow, 0) == []
    # The count of entries LEN reports includes the commands of this test so far.
    n = slow.execute_command("SLOWLOG", "LEN")
    assert n >= 16
    assert slow.execute_command("SLOWLOG", "RESET") in (True, b"OK", "OK")
    # RESET empties the log, then is logged itself (it ran past the threshold of 0).
    assert slow.execute_command("SLOWLOG", "LEN") == 1
    assert [e[3][:2] for e in entries(slow)][-1] == ["SLOWLOG", "RESET"] or \
        [e[3][:2] for e in entries(slow)][-1] == ["slowlog", "reset"]


def test_max_len_keeps_the_newest(kv, slow):
    slow.config_set("slowlog-max-len", 5)
    for i in range(12):
        slow.set(f"m{i}", i)
    assert slow.execute_command("SLOWLOG", "LEN") == 5
    got = entries(slow, -1)
    assert [e[3][1] for e in got[1:]] == ["m11", "m10", "m9", "m8"]  # got[0]: the LEN


def test_minus_one_logs_nothing_and_a_high_threshold_only_slow_commands(kv, slow):
    slow.config_set("slowlog-log-slower-than", -1)
    slow.execute_command("SLOWLOG", "RESET")
    for i in range(5):
        slow.set(f"x{i}", i)
    assert slow.execute_command("SLOWLOG", "LEN") == 0
    slow.config_set("slowlog-log-slower-than", 10_000_000)  # 10 s: nothing here is that slow
    slow.set("y", 1)
    assert slow.execute_command("SLOWLOG", "LEN") == 0
    assert slow.config_get("slowlog-log-slower-than") == {"slowlog-log-slower-than": "10000000"}


def test_long_commands_are_cut_as_redis_cuts_them(kv, slow):
    slow.rpush("l", *range(1, 41))  # 42 arguments
    slow.set("big", "a" * 200)
    big, push = entries(slow, 2)
    assert len(push[3]) == 32
    assert push[3][:3] == ["rpush", "l", "1"] or push[3][:3] == ["RPUSH", "l", "1"]
    assert push[3][30] == "29"
    assert push[3][31] == "... (11 more arguments)"
    assert big[3][2] == "a" * 128 + "... (72 more bytes)"


def test_secrets_are_redacted(kv, slow):
    with pytest.raises(redis.ResponseError):
        slow.execute_command("AUTH", "hunter2")
    slow.execute_command("HELLO", "2", "AUTH", "default", "hunter2")
    hello, auth = entries(slow, 2)
    assert [a.lower() for a in auth[3]] == ["auth", "(redacted)"]
    assert [a.lower() for a in hello[3]] == ["hello", "2", "auth", "(redacted)", "(redacted)"]


def test_exec_is_not_logged_but_what_it_ran_is(kv, slow):
    p = slow.pipeline(transaction=True)
    p.set("t1", 1)
    p.execute_command("INCR", "t1")
    p.execute()
    names = [e[3][0].lower() for e in entries(slow, 4)]
    assert names == ["incr", "set", "multi", "slowlog"]


def test_errors_as_redis(kv, slow):
    for args, text in [
        (["SLOWLOG", "GET", "-2"], "count should be greater than or equal to -1"),
        (["SLOWLOG", "GET", "x"], "count should be greater than or equal to -1"),
        (["SLOWLOG", "LEN", "1"], "wrong number of arguments for 'slowlog|len' command"),
        (["SLOWLOG", "RESET", "1"], "wrong number of arguments for 'slowlog|reset' command"),
        (["SLOWLOG", "GET", "1", "2"],
         "unknown subcommand or wrong number of arguments for 'GET'. Try SLOWLOG HELP."),
        (["SLOWLOG", "FOO"], "unknown subcommand 'FOO'. Try SLOWLOG HELP."),
        (["SLOWLOG"], "wrong number of arguments for 'slowlog' command"),
    ]:
        with pytest.raises(redis.ResponseError) as e:
            slow.execute_command(*args)
        assert str(e.value) == text, args
    with pytest.raises(redis.ResponseError):
        slow.config_set("slowlog-log-slower-than", -2)
    with pytest.raises(redis.ResponseError):
        slow.config_set("slowlog-max-len", -1)
    help_lines = slow.execute_command("SLOWLOG", "HELP")
    assert help_lines[0].startswith("SLOWLOG <subcommand>")
    assert "LEN" in help_lines and "RESET" in help_lines


@pytest.mark.kv_only
def test_one_log_across_io_threads(kv_server):
    s = kv_server(threads=2, slowlog_log_slower_than=0, slowlog_max_len=10000)
    conns = [s.raw() for _ in range(6)]  # spread over both loops
    per_conn = 50

    def run(i, conn):
        for j in range(per_conn):
            assert conn.call("SET", f"c{i}:{j}", "v") == b"OK"

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    c = s.client()
    got = entries(c, -1)
    sets = [e for e in got if e[3][0] == "SET"]
    assert len(sets) == 6 * per_conn
    ids = [e[0] for e in got]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids)
    assert len({e[4] for e in sets}) == 6  # six peers
    loops = {line.split("io-thread=")[1].split()[0]
             for line in c.execute_command("CLIENT", "LIST").splitlines() if "io-thread=" in line}
    assert len(loops) == 2
    for conn in conns:
        conn.close()
