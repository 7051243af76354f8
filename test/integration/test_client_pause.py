"""CLIENT PAUSE / UNPAUSE: a WRITE pause holds writers (and EVAL, PUBLISH, EXEC of writes) while
readers go on, across I/O threads; UNPAUSE releases the held clients; ALL holds everything;
error texts as Redis 7.0. Ordering is asserted through server state, never wall-clock limits."""

import pytest

from conftest import wait_for


def test_pause_errors(kv):
    with kv.raw() as r:
        for args, err in [
            (("CLIENT", "PAUSE"), b"-ERR wrong number of arguments for 'client|pause' command\r\n"),
            (("CLIENT", "PAUSE", "abc"), b"-ERR timeout is not an integer or out of range\r\n"),
            (("CLIENT", "PAUSE", "1.5"), b"-ERR timeout is not an integer or out of range\r\n"),
            (("CLIENT", "PAUSE", "-1"), b"-ERR timeout is negative\r\n"),
            (("CLIENT", "PAUSE", "10", "READ"), b"-ERR CLIENT PAUSE mode must be WRITE or ALL\r\n"),
            (("CLIENT", "Pause", "10", "WRITE", "x"),
             b"-ERR unknown subcommand or wrong number of arguments for 'Pause'. "
             b"Try CLIENT HELP.\r\n"),
            (("CLIENT", "UNPAUSE", "x"),
             b"-ERR wrong number of arguments for 'client|unpause' command\r\n"),
        ]:
            r.send_command(*args)
            assert r.read_reply_bytes() == err, args
        # zero: no pause at all
        r.send_command("CLIENT", "PAUSE", "0")
        assert r.read_reply_bytes() == b"+OK\r\n"
        r.send_command("SET", "k", "v")
        assert r.read_reply_bytes() == b"+OK\r\n"


@pytest.fixture
def paused_server(kv_server):
    s = kv_server(threads=2)
    yield s
    s.client().execute_command("CLIENT", "UNPAUSE")


def test_write_pause_holds_writers_not_readers(paused_server):
    s = paused_server
    admin = s.client()
    admin.set("k", "old")
    assert admin.execute_command("CLIENT", "PAUSE", "100000", "WRITE") == "OK"
    # writers on several connections (spread over both I/O threads)
    writers = [s.raw() for _ in range(4)]
    for i, w in enumerate(writers):
        w.send_command("SET", "k", f"new{i}")
    evaler = s.raw()
    evaler.send_command("EVAL", "return redis.call('SET', KEYS[1], 'e')", "1", "ek")
    pub = s.raw()
    pub.send_command("PUBLISH", "ch", "m")
    tx = s.raw()
    tx.send_command("MULTI")
    assert tx.read_reply_bytes() == b"+OK\r\n"
    # inside MULTI a write is held already when queued, as Redis 7.0 does
    tx.send_command("INCR", "counter")
    # readers go on, on fresh connections of both threads, and see nothing written
    for _ in range(4):
        r = s.client()
        assert r.get("k") == "old"
        assert r.exists("ek") == 0
        assert r.execute_command("EVAL_RO", "return 1", 0) == 1
    for w in writers + [evaler, pub, tx]:
        assert w.read(timeout=0.2) == b""  # nothing answered while paused
    assert admin.execute_command("CLIENT", "UNPAUSE") == "OK"
    for w in writers:
        assert w.read_reply_bytes() == b"+OK\r\n"
    assert evaler.read_reply_bytes() == b"+OK\r\n"
    assert pub.read_reply_bytes() == b":0\r\n"
    assert tx.read_reply_bytes() == b"+QUEUED\r\n"
    tx.send_command("EXEC")
    assert tx.read_reply_bytes() == b"*1\r\n:1\r\n"
    assert admin.get("k").startswith("new")
    assert admin.get("ek") == "e"
    for w in writers + [evaler, pub, tx]:
        w.close()


def test_read_only_commands_pass_a_write_pause(kv):
    c = kv.client()
    c.set("k", "v")
    c.execute_command("CLIENT", "PAUSE", "100000", "WRITE")
    try:
        assert c.get("k") == "v"
        assert c.execute_command("EVAL_RO", "return redis.call('GET', KEYS[1])", 1, "k") == "v"
        p = c.pipeline(transaction=True)
        p.get("k")
        assert p.execute() == ["v"]  # EXEC of reads only
    finally:
        assert c.execute_command("CLIENT", "UNPAUSE") == "OK"
    assert c.set("k", "w") is True


def test_all_pause_holds_every_command(kv_server):
    s = kv_server(threads=2)
    s.client().set("k", "v")
    admin, reader = s.raw(), s.raw()
    admin.send_command("CLIENT", "PAUSE", "100000", "ALL")
    assert admin.read_reply_bytes() == b"+OK\r\n"
    reader.send_command("GET", "k")
    assert reader.read(timeout=0.2) == b""
    # under ALL even UNPAUSE waits, as in Redis: only the timer ends such a pause
    admin.send_command("CLIENT", "UNPAUSE")
    assert admin.read(timeout=0.2) == b""
    admin.close()
    reader.close()


def test_pause_ends_by_its_timer(kv):
    with kv.raw() as admin, kv.raw() as writer:
        admin.send_command("CLIENT", "PAUSE", "300", "WRITE")
        assert admin.read_reply_bytes() == b"+OK\r\n"
        writer.send_command("SET", "t", "1")
        # released by the pause's end, with no UNPAUSE and no other traffic
        assert writer.read_reply_bytes(timeout=10) == b"+OK\r\n"
    assert kv.client().get("t") == "1"


def test_pause_keeps_expired_keys_until_it_ends(kv):
    c = kv.client()
    c.set("gone", "v", px=1)
    c.execute_command("CLIENT", "PAUSE", "100000", "WRITE")
    try:
        wait_for(lambda: c.get("gone") is None, what="the key to expire")
        # read as missing, but not deleted while paused: DBSIZE still counts it
        assert c.dbsize() == 1
    finally:
        c.execute_command("CLIENT", "UNPAUSE")
    assert c.get("gone") is None
    wait_for(lambda: c.dbsize() == 0, what="the expired key to be reclaimed")
