"""Clients that try to make the server hold memory, and caches under write load.

A declared length costs the client nothing, so the server must not allocate it before the bytes
arrive; a client that has not authenticated may only send small requests (Redis's limits and
texts); client buffers stay out of the maxmemory figure, so one stalled client cannot make
everyone else's writes fail or evict the keyspace; and an allkeys-*/volatile-* cache evicts
rather than refusing writes however many I/O threads write at once.
"""

from __future__ import annotations

import socket
import struct
import subprocess
import time

import pytest

from conftest import RawConn, rss_bytes, wait_for

pytestmark = pytest.mark.kv_only

MB = 1024 * 1024


def info_field(server, section: str, field: str) -> int:
    return int(server.client().info(section)[field])


def declare_big_set(server, declared: int, sent: bytes = b"x" * 100) -> RawConn:
    """A connection that announces a `declared`-byte value, sends `sent` of it and stalls."""
    conn = RawConn(server.host, server.port)
    conn.send(b"*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$%d\r\n" % declared + sent)
    return conn


# ------------------------------------------------------------------ unauthenticated limits
def test_unauthenticated_bulk_length_is_refused(kv_server):
    s = kv_server(requirepass="pw")
    with RawConn(s.host, s.port) as c:
        c.send(b"*2\r\n$4\r\nAUTH\r\n$16385\r\n")
        assert c.read_until_closed() == b"-ERR Protocol error: unauthenticated bulk length\r\n"
    # Exactly the limit is still a request (a wrong password here).
    with RawConn(s.host, s.port) as c:
        c.send_command("AUTH", "x" * 16384)
        assert c.read_reply_bytes().startswith(b"-WRONGPASS")
    assert s.client().ping()


def test_unauthenticated_multibulk_length_is_refused(kv_server):
    s = kv_server(requirepass="pw")
    with RawConn(s.host, s.port) as c:
        c.send(b"*11\r\n")
        assert c.read_until_closed() == (
            b"-ERR Protocol error: unauthenticated multibulk length\r\n")
    with RawConn(s.host, s.port) as c:
        c.send_command(*(["ECHO"] * 10))  # ten arguments are allowed: NOAUTH, not a close
        assert c.read_reply_bytes().startswith(b"-NOAUTH")


def test_auth_lifts_the_limits_within_one_pipeline(kv_server):
    s = kv_server(requirepass="pw")
    value = b"v" * (1 * MB)
    with RawConn(s.host, s.port) as c:
        c.send(RawConn.encode("AUTH", "pw") + RawConn.encode("SET", "k", value)
               + RawConn.encode("STRLEN", "k"))
        assert c.read_reply_bytes() == b"+OK\r\n"
        assert c.read_reply_bytes() == b"+OK\r\n"
        assert c.read_reply_bytes() == b":%d\r\n" % len(value)


def test_native_unauthenticated_frame_over_16kb_is_refused(kv_server):
    s = kv_server(requirepass="pw", native_port="auto")
    with socket.create_connection((s.host, s.native_port), timeout=10) as sock:
        sock.sendall(b"\x01" + struct.pack(">I", 60 * MB))
        data = b""
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    status, length = data[0], struct.unpack(">I", data[1:5])[0]
    assert status == 3  # INVALID
    assert data[5:5 + length] == b"payload larger than 16 KB before authentication"
    assert s.client().ping()


# ------------------------------------------------------------------ memory a client pins
def test_declared_bulks_do_not_pin_memory(kv_server):
    s = kv_server()
    before = rss_bytes(s.pid)
    clients_before = info_field(s, "memory", "mem_clients_normal")
    conns = [declare_big_set(s, 512 * MB - 1) for _ in range(3)]
    try:
        # Each stalled connection's buffer was allocated: the server has read its header.
        wait_for(lambda: info_field(s, "memory", "mem_clients_normal") >= clients_before + 3 * 16384,
                 what="the three connections' input buffers")
        assert rss_bytes(s.pid) - before < 64 * MB
        assert s.client().set("other", "ok") and s.client().get("other") == "ok"
    finally:
        for c in conns:
            c.close()


def test_native_declared_frames_do_not_pin_memory(kv_server):
    s = kv_server(native_port="auto")
    before = rss_bytes(s.pid)
    clients_before = info_field(s, "memory", "mem_clients_normal")
    socks = []
    try:
        for _ in range(3):
            sock = socket.create_connection((s.host, s.native_port), timeout=10)
            sock.sendall(b"\x01" + struct.pack(">I", 64 * MB) + b"\x00" * 100)
            socks.append(sock)
        wait_for(lambda: info_field(s, "memory", "mem_clients_normal") >= clients_before + 3 * 16384,
                 what="the three connections' input buffers")
        assert rss_bytes(s.pid) - before < 32 * MB
    finally:
        for sock in socks:
            sock.close()


def test_memory_of_a_big_request_follows_its_bytes(kv_server):
    """A value sent in full still arrives whole (growth tracks the received bytes)."""
    s = kv_server()
    value = bytes(range(256)) * (40 * 1024)  # 10 MB
    r = s.client(decode_responses=False)
    assert r.set("big", value)
    assert r.get("big") == value
    # Once consumed, the connection does not keep a 10 MB buffer.
    wait_for(lambda: info_field(s, "memory", "mem_clients_normal") < 2 * MB,
             what="the input buffer to be released")


@pytest.mark.parametrize("policy", ["noeviction", "allkeys-lru"])
def test_stalled_client_buffer_is_outside_maxmemory(kv_server, policy):
    s = kv_server(maxmemory="24mb", maxmemory_policy=policy)
    r = s.client()
    for i in range(1000):
        r.set(f"key:{i}", "v" * 100)
    # 40 MB of a value that never completes: more than maxmemory by itself.
    stalled = declare_big_set(s, 100 * MB, b"x" * (40 * MB))
    try:
        wait_for(lambda: info_field(s, "memory", "mem_clients_normal") >= 40 * MB,
                 timeout=30, what="the stalled client's 40 MB to arrive")
        # The cron refreshes the allocator figure every 100 ms (hz 10): give it several ticks
        # to see the 40 MB, as a later write would.
        time.sleep(0.5)
        assert info_field(s, "memory", "used_memory") < 24 * MB
        assert r.set("after", "still writable")
        assert r.dbsize() == 1001  # nothing was evicted for the stalled client's sake
        assert info_field(s, "stats", "evicted_keys") == 0
    finally:
        stalled.close()


# ------------------------------------------------------------------ eviction under threads
VALUE = "v" * 100


def bench(port: int, *args: str) -> subprocess.Popen:
    return subprocess.Popen(["redis-benchmark", "-p", str(port), "-q", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


@pytest.mark.parametrize("threads", [2, 4])
@pytest.mark.parametrize("policy", ["allkeys-lru", "allkeys-random", "volatile-lru",
                                    "volatile-random", "volatile-ttl"])
def test_cache_evicts_instead_of_oom_under_concurrent_writers(kv_server, threads, policy):
    s = kv_server(threads=threads, maxmemory="50mb", maxmemory_policy=policy)
    ttl = ["EX", "100000"] if policy.startswith("volatile") else []
    small = bench(s.port, "-r", "2000000", "-n", "300000", "-c", "40", "-P", "4",
                  "SET", "small:__rand_int__", VALUE, *ttl)
    large = bench(s.port, "-r", "500000", "-n", "40000", "-c", "10",
                  "SET", "large:__rand_int__", "w" * 2000, *ttl)
    outs = [p.communicate(timeout=300)[0].decode(errors="replace") for p in (small, large)]
    for p, out in zip((small, large), outs):
        assert p.returncode == 0, out
        assert "OOM" not in out and "Error" not in out, out
    assert info_field(s, "stats", "evicted_keys") > 0
    assert s.client().dbsize() > 0


def test_volatile_policy_without_ttl_keys_still_answers_oom(kv_server):
    """OOM is what remains when nothing can be evicted: keys without a TTL under volatile-*."""
    s = kv_server(maxmemory="8mb", maxmemory_policy="volatile-lru")
    r = s.client()
    with pytest.raises(Exception, match="OOM command not allowed"):
        for i in range(200000):
            r.set(f"k{i}", VALUE)
    assert r.get("k0") == VALUE
