"""Pub/Sub: SUBSCRIBE / PSUBSCRIBE / SSUBSCRIBE and their UNSUBSCRIBEs, PUBLISH, SPUBLISH,
PUBSUB introspection, RESP2 subscribed mode and RESP3 push frames, delivery order across I/O
threads, client-output-buffer-limit for slow subscribers, ACL channel rules, INFO and CLIENT
LIST fields. Replies are compared byte for byte with what Redis 7.0 sends; every test except
the kv_only ones also passes against redis-server (KV_TEST_AGAINST_REDIS=1)."""

from __future__ import annotations

import socket
import subprocess
import threading
import time

import pytest
import redis

from conftest import AGAINST_REDIS, REDIS_CLI, RawConn, run_parallel, wait_for


def raw(server) -> RawConn:
    return server.raw()


def numsub(c, channel) -> int:
    return dict(c.pubsub_numsub(channel)).get(channel, 0)


# ---------------------------------------------------------------------------- replies, RESP2
def test_subscribe_and_unsubscribe_replies(kv):
    with raw(kv) as r:
        assert r.call("UNSUBSCRIBE") == [b"unsubscribe", None, 0]
        assert r.call("PUNSUBSCRIBE") == [b"punsubscribe", None, 0]
        assert r.call("SUNSUBSCRIBE") == [b"sunsubscribe", None, 0]
        r.send_command("SUBSCRIBE", "a", "b", "a")
        assert r.read_reply() == [b"subscribe", b"a", 1]
        assert r.read_reply() == [b"subscribe", b"b", 2]
        assert r.read_reply() == [b"subscribe", b"a", 2]  # already subscribed: count unchanged
        r.send_command("PSUBSCRIBE", "x*", "y?")
        assert r.read_reply() == [b"psubscribe", b"x*", 3]  # channels and patterns together
        assert r.read_reply() == [b"psubscribe", b"y?", 4]
        assert r.call("SSUBSCRIBE", "s1") == [b"ssubscribe", b"s1", 1]  # shard channels apart
        assert r.call("UNSUBSCRIBE", "nosuch") == [b"unsubscribe", b"nosuch", 4]
        # Without arguments: every pattern, in subscription order.
        r.send_command("PUNSUBSCRIBE")
        assert r.read_reply() == [b"punsubscribe", b"x*", 3]
        assert r.read_reply() == [b"punsubscribe", b"y?", 2]
        # Every channel (in no particular order).
        r.send_command("UNSUBSCRIBE")
        got = [r.read_reply(), r.read_reply()]
        assert sorted(g[1] for g in got) == [b"a", b"b"]
        assert sorted(g[2] for g in got) == [0, 1]
        # Still subscribed to a shard channel: still in subscribed mode.
        assert r.call("PING") == [b"pong", b""]
        assert r.call("SUNSUBSCRIBE") == [b"sunsubscribe", b"s1", 0]
        assert r.call("PING") == b"PONG"


def test_subscribed_mode_allows_only_pubsub_commands(kv):
    with raw(kv) as r:
        r.call("SUBSCRIBE", "ch")
        assert r.call("PING") == [b"pong", b""]
        assert r.call("PING", "hi") == [b"pong", b"hi"]
        for cmd, name in [(("GET", "x"), "get"), (("CONFIG", "GET", "x"), "config|get"),
                          (("HELLO", "3"), "hello"), (("PUBLISH", "ch", "m"), "publish")]:
            err = r.call(*cmd)
            assert str(err) == (
                f"ERR Can't execute '{name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / "
                "QUIT / RESET are allowed in this context")
        # Arity is checked first, as in Redis.
        assert str(r.call("GET")) == "ERR wrong number of arguments for 'get' command"
        # RESET leaves subscribed mode without an UNSUBSCRIBE reply.
        assert r.call("RESET") == b"RESET"
        assert r.call("GET", "x") is None
        c = kv.client()
        assert c.publish("ch", "m") == 0


def test_arity_and_pubsub_errors(kv):
    c = kv.client()
    for args, text in [
        (("SUBSCRIBE",), "ERR wrong number of arguments for 'subscribe' command"),
        (("PSUBSCRIBE",), "ERR wrong number of arguments for 'psubscribe' command"),
        (("SSUBSCRIBE",), "ERR wrong number of arguments for 'ssubscribe' command"),
        (("PUBLISH", "a"), "ERR wrong number of arguments for 'publish' command"),
        (("SPUBLISH", "a", "b", "c"), "ERR wrong number of arguments for 'spublish' command"),
        (("PUBSUB",), "ERR wrong number of arguments for 'pubsub' command"),
        (("PUBSUB", "NUMPAT", "x"), "ERR wrong number of arguments for 'pubsub|numpat' command"),
        (("PUBSUB", "HELP", "x"), "ERR wrong number of arguments for 'pubsub|help' command"),
        (("PUBSUB", "foo"), "ERR unknown subcommand 'foo'. Try PUBSUB HELP."),
        (("PUBSUB", "channels", "a", "b"),
         "ERR unknown subcommand or wrong number of arguments for 'channels'. Try PUBSUB HELP."),
        (("PUBSUB", "SHARDCHANNELS", "a", "b"),
         "ERR unknown subcommand or wrong number of arguments for 'SHARDCHANNELS'. "
         "Try PUBSUB HELP."),
    ]:
        with pytest.raises(redis.ResponseError) as e:
            c.execute_command(*args)
        assert "ERR " + str(e.value) == text, args
    help_lines = c.execute_command("PUBSUB", "HELP")
    assert help_lines[0] == "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert "SHARDNUMSUB [<shardchannel> ...]" in help_lines
    assert help_lines[-1] == "    Prints this help."


# ---------------------------------------------------------------------------- delivery
def test_publish_reaches_channel_and_pattern_subscribers(kv):
    c = kv.client()
    with raw(kv) as s1, raw(kv) as s2:
        s1.call("SUBSCRIBE", "news.art")
        s1.call("PSUBSCRIBE", "news.*")
        s2.call("PSUBSCRIBE", "n?ws.[ab]rt")
        # A client with the channel and a matching pattern counts (and receives) twice.
        assert c.publish("news.art", "hello") == 3
        assert s1.read_reply() == [b"message", b"news.art", b"hello"]
        assert s1.read_reply() == [b"pmessage", b"news.*", b"news.art", b"hello"]
        assert s2.read_reply() == [b"pmessage", b"n?ws.[ab]rt", b"news.art", b"hello"]
        assert c.publish("news.zrt", "x") == 1
        assert s1.read_reply() == [b"pmessage", b"news.*", b"news.zrt", b"x"]
        assert c.publish("sport", "x") == 0
        # Binary-safe channel and payload.
        s2.call("SUBSCRIBE", b"\x00\xff ch")
        assert c.publish(b"\x00\xff ch", b"\r\n\x00") == 1
        assert s2.read_reply() == [b"message", b"\x00\xff ch", b"\r\n\x00"]


def test_shard_channels_are_apart(kv):
    c = kv.client()
    with raw(kv) as s:
        s.call("SSUBSCRIBE", "orders")
        s.call("PSUBSCRIBE", "*")
        assert c.execute_command("SPUBLISH", "orders", "o1") == 1
        assert s.read_reply() == [b"smessage", b"orders", b"o1"]
        # PUBLISH reaches the pattern only; SPUBLISH never reaches patterns.
        assert c.publish("orders", "p1") == 1
        assert s.read_reply() == [b"pmessage", b"*", b"orders", b"p1"]
        assert c.execute_command("SPUBLISH", "other", "o2") == 0
        assert c.execute_command("PUBSUB", "SHARDCHANNELS") == ["orders"]
        assert c.execute_command("PUBSUB", "SHARDCHANNELS", "ord*") == ["orders"]
        assert c.execute_command("PUBSUB", "SHARDCHANNELS", "x*") == []
        assert c.execute_command("PUBSUB", "SHARDNUMSUB", "orders", "x") == ["orders", 1, "x", 0]
        assert c.pubsub_channels() == []
        assert s.call("SUNSUBSCRIBE", "orders") == [b"sunsubscribe", b"orders", 0]
        assert c.execute_command("PUBSUB", "SHARDCHANNELS") == []


def test_pubsub_introspection_and_info(kv):
    c = kv.client()
    p1, p2 = c.pubsub(), c.pubsub()
    p1.subscribe("a", "b")
    p1.psubscribe("x*", "y*")
    p2.subscribe("a")
    p2.psubscribe("x*")
    p2.execute_command("SSUBSCRIBE", "s")
    wait_for(lambda: numsub(c, "a") == 2, what="both subscriptions")
    assert sorted(c.pubsub_channels()) == ["a", "b"]
    assert c.pubsub_channels("a*") == ["a"]
    assert c.pubsub_numsub("a", "b", "nosuch") == [("a", 2), ("b", 1), ("nosuch", 0)]
    assert c.execute_command("PUBSUB", "NUMSUB") == []
    assert c.pubsub_numpat() == 2  # distinct patterns
    stats = c.info("stats")
    assert stats["pubsub_channels"] == 2
    assert stats["pubsub_patterns"] == 2
    assert stats["pubsubshard_channels"] == 1
    lines = {e["name"] if e.get("name") else e["id"]: e for e in c.client_list()}
    subs = [e for e in c.client_list() if e["sub"] != "0"]
    assert sorted((e["sub"], e["psub"], e["ssub"], e["flags"]) for e in subs) == [
        ("1", "1", "1", "P"), ("2", "2", "0", "P")]
    assert lines  # the caller itself is listed with flags=N
    p1.close()
    p2.close()
    wait_for(lambda: c.info("stats")["pubsub_channels"] == 0, what="subscriptions dropped")
    assert c.pubsub_numpat() == 0
    assert c.info("stats")["pubsubshard_channels"] == 0


def test_redis_py_pubsub_with_patterns(kv):
    c = kv.client()
    p = c.pubsub(ignore_subscribe_messages=True)
    p.subscribe("jobs")
    p.psubscribe("events.*")
    wait_for(lambda: numsub(c, "jobs") == 1, what="subscription")
    assert c.publish("jobs", "j1") == 1
    assert c.publish("events.start", "e1") == 1

    def next_message():
        return wait_for(lambda: p.get_message(timeout=0.1), what="a message")

    assert next_message() == {"type": "message", "pattern": None, "channel": "jobs",
                              "data": "j1"}
    assert next_message() == {"type": "pmessage", "pattern": "events.*",
                              "channel": "events.start", "data": "e1"}
    p.punsubscribe("events.*")
    p.unsubscribe("jobs")
    wait_for(lambda: numsub(c, "jobs") == 0, what="unsubscribed")
    assert c.publish("jobs", "j2") == 0
    p.close()


def test_redis_py_run_in_thread(kv):
    c = kv.client()
    got = []
    done = threading.Event()
    n = 200

    def handler(msg):
        got.append(msg["data"])
        if len(got) == n:
            done.set()

    p = c.pubsub()
    p.subscribe(**{"work": handler})
    p.psubscribe(**{"w*k": handler})
    worker = p.run_in_thread(sleep_time=0.01, daemon=True)
    try:
        wait_for(lambda: numsub(c, "work") == 1, what="subscription")
        for i in range(n // 2):
            assert c.publish("work", str(i)) == 2
        assert done.wait(30), f"received {len(got)} of {n}"
        # Per message: the channel delivery, then the pattern's.
        assert got == [str(i) for i in range(n // 2) for _ in range(2)]
    finally:
        worker.stop()
        worker.join(10)
        p.close()


def test_redis_cli_subscribe(kv):
    proc = subprocess.Popen([REDIS_CLI, "-h", kv.host, "-p", str(kv.port), "subscribe", "cli"],
                            stdout=subprocess.PIPE, text=True)
    try:
        c = kv.client()
        wait_for(lambda: numsub(c, "cli") == 1, what="redis-cli subscribed")
        assert c.publish("cli", "from-test") == 1
        lines = []
        while "from-test" not in lines:
            line = proc.stdout.readline()
            assert line, f"redis-cli ended early: {lines}"
            lines.append(line.strip())
        assert lines == ["subscribe", "cli", "1", "message", "cli", "from-test"]
    finally:
        proc.kill()
        proc.wait(10)


def test_subscribers_that_vanish(kv):
    c = kv.client()
    socks = []
    for _ in range(5):
        s = socket.create_connection((kv.host, kv.port))
        s.sendall(RawConn.encode("SUBSCRIBE", "gone") + RawConn.encode("PSUBSCRIBE", "go*"))
        socks.append(s)
    wait_for(lambda: numsub(c, "gone") == 5 and c.pubsub_numpat() == 1, what="subscriptions")
    assert c.publish("gone", "x") == 10
    for s in socks[:3]:
        s.close()
    # Reset rather than closed politely: the server sees an error, not EOF.
    socks[3].setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    socks[3].close()
    wait_for(lambda: numsub(c, "gone") == 1, what="vanished subscribers dropped")
    assert c.publish("gone", "y") == 2
    socks[4].close()
    wait_for(lambda: c.pubsub_numpat() == 0, what="last subscriber dropped")
    assert c.publish("gone", "z") == 0
    assert c.pubsub_channels() == []


def test_no_message_after_unsubscribe_reply(kv_server):
    """A message published while the subscriber's UNSUBSCRIBE waited to be read must not follow
    the UNSUBSCRIBE reply (in RESP2 the client would read a message outside subscribed mode).
    kv-server: the subscriber's loop is held by DEBUG SLEEP on another client of that loop, its
    UNSUBSCRIBE is sent, then a publisher on the other loop publishes (counted: the UNSUBSCRIBE
    has not run yet) and the message is queued behind it. Redis runs everything in one thread:
    the PUBLISH runs after the UNSUBSCRIBE and reaches nobody; the replies are the same."""
    s = kv_server(threads=2, enable_debug_command="yes")
    c = s.client()

    def loop_of(conn):
        return conn.call("CLIENT", "INFO").decode().split("io-thread=")[1].split()[0] \
            if not s.is_redis else "0"

    # Connections go round-robin to the two loops: take a subscriber and a sleeper that share
    # one, and a publisher on the other.
    conns = [s.raw() for _ in range(4)]
    try:
        by_loop = {}
        for conn in conns:
            by_loop.setdefault(loop_of(conn), []).append(conn)
        if s.is_redis:
            sub, sleeper, pub_conn = conns[0], conns[1], conns[2]
        else:
            assert len(by_loop) == 2
            (a, b) = by_loop.values()
            sub, sleeper, pub_conn = a[0], a[1], b[0]
        sub.call("SUBSCRIBE", "race")
        sleeper.send_command("DEBUG", "SLEEP", "1")
        if not s.is_redis:
            # The other loop answers CLIENT LIST while the sleeper's loop is inside DEBUG SLEEP.
            wait_for(lambda: "cmd=debug" in pub_conn.call("CLIENT", "LIST").decode(),
                     what="the sleeper's loop held")
        sub.send_command("UNSUBSCRIBE", "race")
        pub_conn.send_command("PUBLISH", "race", "late")
        published = pub_conn.read_reply()
        assert published == (0 if s.is_redis else 1)
        assert sleeper.read_reply(timeout=30) == b"OK"
        assert sub.read_reply(timeout=30) == [b"unsubscribe", b"race", 0]
        # Nothing else arrived for it: the next reply is PING's plain PONG.
        assert sub.call("PING") == b"PONG"
    finally:
        for conn in conns:
            conn.close()


# ---------------------------------------------------------------------------- RESP3
def test_resp3_push_frames_and_commands_while_subscribed(kv):
    with raw(kv) as s:
        s.call("HELLO", "3")
        s.send_command("SUBSCRIBE", "ch")
        assert s.read_reply_bytes() == b">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"
        # Any command runs while subscribed, with its ordinary reply.
        assert s.call("SET", "k", "v") == b"OK"
        assert s.call("GET", "k") == b"v"
        assert s.call("PING") == b"PONG"
        # Its own PUBLISH: the push arrives before the reply, as in Redis.
        s.send_command("PUBLISH", "ch", "self")
        assert s.read_reply_bytes() == b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$4\r\nself\r\n"
        assert s.read_reply() == 1
        s.call("PSUBSCRIBE", "c*")
        kv.client().publish("ch", "other")
        assert s.read_reply_bytes() == b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$5\r\nother\r\n"
        assert s.read_reply_bytes() == (
            b">4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nch\r\n$5\r\nother\r\n")
        s.send_command("UNSUBSCRIBE", "nosuch")
        assert s.read_reply_bytes() == b">3\r\n$11\r\nunsubscribe\r\n$6\r\nnosuch\r\n:2\r\n"
        s.call("PUNSUBSCRIBE")
        s.call("UNSUBSCRIBE")
        s.send_command("UNSUBSCRIBE")
        assert s.read_reply_bytes() == b">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n"


# ---------------------------------------------------------------------------- threads
@pytest.mark.parametrize("threads", [2, 4])
def test_publish_order_across_threads(kv_server, threads):
    s = kv_server(threads=threads)
    c = s.client()
    n = 3000
    subs = [s.raw() for _ in range(2 * threads)]
    try:
        for i, sub in enumerate(subs):
            sub.call("SUBSCRIBE", "seq")
            sub.call("PSUBSCRIBE", "se?")
        if not s.is_redis:
            loops = {e["io-thread"] for e in c.client_list() if e["sub"] == "1"}
            assert len(loops) == threads  # subscribers on every loop
        publishers = 2
        pubs = [s.client(decode_responses=False) for _ in range(publishers)]

        def publish(p):
            pipe = pubs[p].pipeline(transaction=False)
            for i in range(n):
                pipe.publish("seq", f"{p}:{i}")
            assert pipe.execute() == [2 * len(subs)] * n

        run_parallel(publish, publishers, timeout=120)
        for sub in subs:
            last = {("message", p): -1 for p in range(publishers)}
            last.update({("pmessage", p): -1 for p in range(publishers)})
            for _ in range(2 * n * publishers):
                msg = sub.read_reply(timeout=30)
                kind = msg[0].decode()
                p, i = map(int, msg[-1].decode().split(":"))
                # Each publisher's messages arrive in publish order, none lost or doubled.
                assert i == last[(kind, p)] + 1, (kind, p, i, last)
                last[(kind, p)] = i
            assert all(v == n - 1 for v in last.values())
    finally:
        for sub in subs:
            sub.close()


# ---------------------------------------------------------------------------- limits
def test_client_output_buffer_limit_config(kv):
    c = kv.client()
    prefix = ("CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - ")
    original = c.config_get("client-output-buffer-limit")["client-output-buffer-limit"]
    try:
        for value, err in [
            ("pubsub 1 2", "Wrong number of arguments in buffer limit configuration."),
            ("foo 1 2 3", "Invalid client class specified in buffer limit configuration."),
            ("master 1 2 3", "Invalid client class specified in buffer limit configuration."),
            ("pubsub x 2 3",
             "Error in hard, soft or soft_seconds setting in buffer limit configuration."),
            ("pubsub 1mb 2 -3",
             "Error in hard, soft or soft_seconds setting in buffer limit configuration."),
            # All or nothing: the good first group is not applied either.
            ("pubsub 1mb 1mb 1 replica x 1 1",
             "Error in hard, soft or soft_seconds setting in buffer limit configuration."),
        ]:
            with pytest.raises(redis.ResponseError) as e:
                c.config_set("client-output-buffer-limit", value)
            assert str(e.value) == prefix + err, value
        assert c.config_get("client-output-buffer-limit")["client-output-buffer-limit"] == original
        assert c.config_set("client-output-buffer-limit", "replica 1mb 2 3 PUBSUB 4mb 1kb 7")
        got = c.config_get("client-output-buffer-limit")["client-output-buffer-limit"]
        normal = original.split(" slave ")[0]
        assert got == f"{normal} slave 1048576 2 3 pubsub 4194304 1024 7"
    finally:
        c.config_set("client-output-buffer-limit", original)


@pytest.mark.kv_only
def test_client_output_buffer_limit_defaults(kv_server):
    s = kv_server()
    c = s.client()
    # Redis's defaults, except normal: kv-server's output-buffer-limit (256 MB) is its hard limit.
    assert c.config_get("client-output-buffer-limit")["client-output-buffer-limit"] == (
        "normal 268435456 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60")
    assert c.config_set("client-output-buffer-limit", "normal 2mb 0 0")
    assert c.config_get("output-buffer-limit")["output-buffer-limit"] == "2097152"
    assert c.config_set("output-buffer-limit", "0")  # no hard limit, as Redis's normal 0
    assert c.config_get("client-output-buffer-limit")["client-output-buffer-limit"].startswith(
        "normal 0 0 0 ")


def fill_slow_subscriber(s, channel: bytes, payload: bytes, max_messages: int):
    """Subscribes a client that never reads, then publishes until the server drops it (PUBLISH
    answers 0). Returns how many messages reached it, or fails after max_messages."""
    slow = socket.socket()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.connect((s.host, s.port))
    slow.sendall(RawConn.encode("SUBSCRIBE", channel))
    c = s.client(decode_responses=False)
    wait_for(lambda: numsub(c, channel) == 1, what="slow subscriber")
    other = s.client()
    for i in range(max_messages):
        if c.publish(channel, payload) == 0:
            slow.close()
            return i
        # Other clients keep being served while the subscriber falls behind.
        assert other.set(f"k{i % 10}", i)
    slow.close()
    raise AssertionError(f"slow subscriber still connected after {max_messages} messages")


def test_slow_subscriber_disconnected_at_hard_limit(kv_server):
    s = kv_server(client_output_buffer_limit="pubsub 1mb 0 0")
    payload = b"x" * (64 * 1024)
    # 1 MB of pending output plus what the socket buffers took: well under 1000 messages.
    delivered = fill_slow_subscriber(s, b"slow", payload, max_messages=1000)
    assert delivered >= 1
    c = s.client()
    assert c.ping()
    assert c.pubsub_numsub("slow") == [("slow", 0)]
    # A subscriber that reads is not affected by the same limit.
    p = c.pubsub(ignore_subscribe_messages=True)
    p.subscribe("fast")
    wait_for(lambda: numsub(c, "fast") == 1, what="fast subscriber")
    for i in range(100):
        assert c.publish("fast", payload) == 1
        msg = wait_for(lambda: p.get_message(timeout=0.1), what="a message")
        assert len(msg["data"]) == len(payload)
    p.close()


@pytest.mark.kv_only
def test_slow_subscriber_disconnected_at_soft_limit(kv_server):
    # Soft limit only, with no grace: past 256 KB for longer than 0 s closes the client on the
    # next message after that.
    s = kv_server(client_output_buffer_limit="pubsub 0 256kb 0")
    delivered = fill_slow_subscriber(s, b"soft", b"y" * (16 * 1024), max_messages=200000)
    assert delivered >= 1
    assert s.client().pubsub_numsub("soft") == [("soft", 0)]
    assert "soft limit" in s.stderr_text()


# ---------------------------------------------------------------------------- ACL
def test_acl_channel_permissions(kv):
    c = kv.client()
    try:
        # A new user starts with no channels (Redis 7's acl-pubsub-default resetchannels).
        c.execute_command("ACL", "SETUSER", "psuser", "on", "nopass", "+@all", "~*")
        assert "resetchannels" in c.execute_command("ACL", "LIST")[-1] or any(
            "psuser" in u and "resetchannels" in u for u in c.execute_command("ACL", "LIST"))
        c.execute_command("ACL", "SETUSER", "psuser", "&news.*", "&pat*")
        u = kv.client(username="psuser", password="x")
        nope = "this user has no permissions to access one of the channels used as arguments"
        with pytest.raises(redis.exceptions.NoPermissionError) as e:
            u.publish("sport", "x")
        assert str(e.value) == nope
        assert u.publish("news.today", "x") == 0
        with raw(kv) as r:
            r.call("AUTH", "psuser", "x")
            assert str(r.call("SUBSCRIBE", "news.a", "sport")) == "NOPERM " + nope
            assert r.call("SUBSCRIBE", "news.a") == [b"subscribe", b"news.a", 1]
            # A pattern must be one of the user's patterns literally.
            assert str(r.call("PSUBSCRIBE", "pa*")) == "NOPERM " + nope
            assert r.call("PSUBSCRIBE", "pat*") == [b"psubscribe", b"pat*", 2]
            assert r.call("UNSUBSCRIBE", "sport") == [b"unsubscribe", b"sport", 2]
        log = c.execute_command("ACL", "LOG", "1")[0]
        log = dict(zip(log[::2], log[1::2])) if isinstance(log, list) else log
        assert log["reason"] == "channel"
        assert log["object"] == "pa*"
        assert c.execute_command("ACL", "DRYRUN", "psuser", "PUBLISH", "sport", "x") == (
            "This user has no permissions to access the 'sport' channel")
        assert c.execute_command("ACL", "DRYRUN", "psuser", "PUBLISH", "news.x", "x") == "OK"
    finally:
        c.execute_command("ACL", "DELUSER", "psuser")
        c.execute_command("ACL", "LOG", "RESET")


# ---------------------------------------------------------------------------- idle timeout
def test_idle_timeout_spares_subscribers(kv_server):
    s = kv_server(timeout=1)
    with s.raw() as sub, s.raw() as idle:
        sub.call("SUBSCRIBE", "quiet")
        idle.call("PING")
        # The idle client goes; the subscriber, idle as long, stays and still gets messages.
        assert idle.is_closed(timeout=10)
        c = s.client()
        assert c.publish("quiet", "still here") == 1
        assert sub.read_reply() == [b"message", b"quiet", b"still here"]


# ---------------------------------------------------------------------------- native protocol
@pytest.mark.kv_only
def test_native_clients_publish_but_cannot_subscribe(nkv):
    from native_client import ERROR, OK, NativeConn

    c = NativeConn(nkv.host, nkv.native_port, 10.0)
    try:
        r = c.call("SUBSCRIBE", "ch")
        assert r.status == ERROR
        assert r.text == "ERR pub/sub needs RESP: the native protocol has no pushed messages"
        with nkv.raw() as sub:
            sub.call("SUBSCRIBE", "ch")
            r = c.call("PUBLISH", "ch", "from native")
            assert r.status == OK and r.value == 1
            assert sub.read_reply() == [b"message", b"ch", b"from native"]
        r = c.call("PUBSUB", "NUMPAT")
        assert r.status == OK and r.value == 0
    finally:
        c.close()


def test_acl_change_disconnects_subscribers_it_no_longer_allows(kv):
    c = kv.client()
    try:
        c.execute_command("ACL", "SETUSER", "subuser", "on", "nopass", "+@all", "~*",
                          "&news.*", "&sport")
        with raw(kv) as keep, raw(kv) as lose, raw(kv) as pat:
            for r in (keep, lose, pat):
                r.call("AUTH", "subuser", "x")
            keep.call("SUBSCRIBE", "sport")
            lose.call("SUBSCRIBE", "news.a")
            pat.call("PSUBSCRIBE", "news.*")
            # news.* goes: its subscribers are closed at once, without sending anything.
            c.execute_command("ACL", "SETUSER", "subuser", "resetchannels", "&sport")
            assert lose.is_closed(timeout=10)
            assert pat.is_closed(timeout=10)
            assert c.publish("sport", "still") == 1
            assert keep.read_reply() == [b"message", b"sport", b"still"]
            # Deleting the user closes the rest.
            c.execute_command("ACL", "DELUSER", "subuser")
            assert keep.is_closed(timeout=10)
            assert c.publish("sport", "gone") == 0
    finally:
        c.execute_command("ACL", "DELUSER", "subuser")
