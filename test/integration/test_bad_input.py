"""Bad input and limits: protocol errors, oversized lengths, strict keys, slow readers,
abrupt disconnects, connection caps, wrong arity and unknown commands."""

import socket
import struct
import time

import pytest

from conftest import AGAINST_REDIS, rss_bytes, wait_for


def _abort(sock: socket.socket) -> None:
    """Closes with a TCP RST instead of a FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


PROTOCOL_ERRORS = [
    (b"*abc\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
    (b"*1\r\nxyz\r\n", b"-ERR Protocol error: expected '$', got 'x'\r\n"),
    (b"*1\r\n$abc\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*1\r\n$-5\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*99999999999\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
    (b"*3\r\n$3\r\nSET\r\n$99999999999\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*2\r\n$3\r\nGET\r\n$-1\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
]


@pytest.mark.parametrize("garbage,reply", PROTOCOL_ERRORS, ids=[repr(g)[2:20] for g, _ in PROTOCOL_ERRORS])
def test_protocol_error_closes_only_that_connection(kv, garbage, reply):
    c = kv.client(single_connection_client=True)
    c.set("k", "v")
    with kv.raw() as bystander, kv.raw() as bad:
        assert bystander.call("PING") == b"PONG"
        bad.send(garbage)
        assert bad.read_until_closed() == reply
        # the other connections are untouched
        assert bystander.call("GET", "k") == b"v"
        assert c.get("k") == "v"
    assert kv.client().ping()


def test_protocol_error_after_valid_pipelined_commands(kv):
    with kv.raw() as r:
        r.send(r.encode("SET", "before", "1") + r.encode("PING") + b"*1\r\nBAD\r\n"
               + r.encode("SET", "after", "1"))
        out = r.read_until_closed()
        assert out == (b"+OK\r\n+PONG\r\n"
                       b"-ERR Protocol error: expected '$', got 'B'\r\n")
    c = kv.client()
    assert c.get("before") == "1"
    assert c.get("after") is None  # nothing after the error is executed


def test_empty_and_negative_multibulk_are_ignored(kv):
    with kv.raw() as r:
        r.send(b"*0\r\n*-1\r\n*-5\r\n" + r.encode("PING"))
        assert r.read_reply_bytes() == b"+PONG\r\n"


def test_inline_commands(kv):
    with kv.raw() as r:
        r.send(b"PING\r\nECHO hi\r\nSET inl 'b c'\r\nGET inl\r\n\r\nEXISTS inl\n")
        assert r.read_reply_bytes() == b"+PONG\r\n"
        assert r.read_reply_bytes() == b"$2\r\nhi\r\n"
        assert r.read_reply_bytes() == b"+OK\r\n"
        assert r.read_reply_bytes() == b"$3\r\nb c\r\n"
        assert r.read_reply_bytes() == b":1\r\n"


def test_inline_unbalanced_quotes(kv):
    with kv.raw() as r:
        r.send(b'ECHO "unbalanced\r\n')
        assert r.read_until_closed() == b"-ERR Protocol error: unbalanced quotes in request\r\n"


def test_huge_multibulk_count_then_disconnect(kv):
    """A declared count of 2^31-1 arguments must not make the server allocate them up front."""
    for _ in range(3):
        s = socket.create_connection((kv.host, kv.port))
        s.sendall(b"*2147483647\r\n$3\r\nSET\r\n")
        time.sleep(0.05)
        _abort(s)
    c = kv.client()
    assert c.ping()
    assert rss_bytes(kv.pid) < 1 << 30


def test_bulk_over_proto_max_bulk_len(kv_server):
    s = kv_server(proto_max_bulk_len=1048576)
    with s.raw() as bad:
        bad.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048577\r\n")
        assert bad.read_until_closed() == b"-ERR Protocol error: invalid bulk length\r\n"
    with s.raw() as good:
        value = b"v" * 1048576  # exactly at the limit is fine
        good.send_command("SET", "k", value)
        assert good.read_reply_bytes() == b"+OK\r\n"
        good.send_command("STRLEN", "k")
        assert good.read_reply_bytes() == b":1048576\r\n"


def test_query_buffer_limit(kv_server):
    s = kv_server(client_query_buffer_limit="1mb")
    c = s.client()
    value = b"x" * (2 << 20)
    bad = s.raw()
    try:
        bad.send(b"*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$%d\r\n" % len(value) + value + b"\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server may close while we are still sending
    assert bad.is_closed(timeout=10), "connection over client-query-buffer-limit stayed open"
    bad.close()
    assert c.exists("big") == 0
    assert c.set("small", "x" * 1000)
    assert c.ping()


@pytest.fixture
def strict_kv(kv_server):
    """A server with the opt-in --strict-keys yes (the default follows Redis's rules)."""
    return kv_server(strict_keys="yes")


@pytest.mark.kv_only
def test_long_key_rejected_under_strict_keys(strict_kv):
    kv = strict_kv
    key = "k" * 300
    with kv.raw() as r:
        for cmd in (("SET", key, "v"), ("GET", key), ("EXISTS", key), ("DEL", key),
                    ("MSET", "ok", "1", key, "2")):
            reply = r.call(*cmd)
            assert isinstance(reply, Exception), f"{cmd[0]} accepted a 300-character key"
            assert str(reply).startswith("ERR invalid key"), str(reply)
        assert r.call("PING") == b"PONG"  # the connection stays usable
    c = kv.client()
    assert c.dbsize() == 0  # MSET with one bad key stored nothing


@pytest.mark.kv_only
def test_key_length_counts_characters_not_bytes(strict_kv):
    kv = strict_kv
    c = kv.client()
    ok = "é" * 256  # 256 characters, 512 bytes
    assert c.set(ok, "v")
    assert c.get(ok) == "v"
    with kv.raw() as r:
        reply = r.call("SET", "é" * 257, "v")
        assert isinstance(reply, Exception) and str(reply).startswith("ERR invalid key")
    assert c.dbsize() == 1


@pytest.mark.kv_only
@pytest.mark.parametrize("key", [b"\xff\xfe", b"abc\x80", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80"],
                         ids=["ff-fe", "lone-continuation", "overlong", "surrogate", "above-10ffff"])
def test_invalid_utf8_key_rejected(strict_kv, key):
    kv = strict_kv
    with kv.raw() as r:
        reply = r.call("SET", key, "v")
        assert isinstance(reply, Exception) and str(reply).startswith("ERR invalid key"), reply
        reply = r.call("GET", key)
        assert isinstance(reply, Exception) and str(reply).startswith("ERR invalid key"), reply
        assert r.call("DBSIZE") == 0


def test_relaxed_keys_by_default(kv_server):
    s = kv_server()
    c = s.client(decode_responses=False)
    long_key = b"k" * 300
    binary_key = b"\xff\xfe\x00\r\n"
    big_key = b"b" * 100_000
    assert c.set(long_key, b"1")
    assert c.set(binary_key, b"2")
    assert c.set(big_key, b"3")
    assert c.mget(long_key, binary_key, big_key) == [b"1", b"2", b"3"]
    assert set(c.keys(b"*")) == {long_key, binary_key, big_key}
    assert c.delete(binary_key) == 1


def test_empty_key_is_valid(kv):
    c = kv.client()
    assert c.set("", "empty key")
    assert c.get("") == "empty key"
    assert c.exists("") == 1


def test_slow_reader_does_not_block_others(kv):
    """A client that pipelines 100k GETs of a big value and never reads must not stall the
    server for others, nor make it buffer without bound."""
    c = kv.client()
    if AGAINST_REDIS:
        # Redis's default for normal clients is no limit at all (it would buffer 6.4 GB here)
        c.config_set("client-output-buffer-limit", "normal 64mb 0 0")
    value = b"v" * (64 * 1024)
    c.set("big", value)
    slow = socket.create_connection((kv.host, kv.port))
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.setblocking(False)
    request = b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n" * 100_000
    sent = 0
    try:
        other = kv.client(decode_responses=False, socket_timeout=10)
        deadline = time.monotonic() + 5
        i = 0
        while time.monotonic() < deadline:
            if sent < len(request):
                try:
                    sent += slow.send(request[sent:])
                except BlockingIOError:
                    pass
                except (BrokenPipeError, ConnectionResetError):
                    sent = len(request)  # the server dropped the slow client: allowed
            i += 1
            assert other.set(f"other:{i}", i)
            assert other.get(f"other:{i}") == str(i).encode()
            assert other.strlen("big") == len(value)
            assert rss_bytes(kv.pid) < 1 << 30, "server buffers replies for a client that never reads"
            time.sleep(0.02)
        assert sent > 0
        assert other.get("big") == value
    finally:
        _abort(slow)
    wait_for(lambda: c.info("clients")["connected_clients"] <= 2, timeout=10,
             what="slow client to be gone")
    assert c.ping()


def test_reading_resumes_when_a_big_reply_leaves_in_one_write(kv):
    """A reply over the 4 MB back-pressure mark pauses the client's input. When the socket
    takes the whole reply at once (a reader with a big receive buffer), input must still
    resume: the next command is answered."""
    value = b"x" * (8 << 20)
    kv.client(decode_responses=False).set("big", value)
    for _ in range(3):
        with kv.raw(timeout=10) as r:
            try:  # root may pass net.core.rmem_max: room for the whole reply
                r.sock.setsockopt(socket.SOL_SOCKET, 33, 64 << 20)  # SO_RCVBUFFORCE
            except OSError:
                r.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 20)
            r.send_command("GET", "big")
            time.sleep(0.05)  # let the reply land in the receive buffer before reading it
            assert r.read_reply_bytes(timeout=30) == b"$%d\r\n%s\r\n" % (len(value), value)
            assert r.call("PING") == b"PONG"


def test_abrupt_disconnects_mid_request(kv):
    c = kv.client()
    base = c.info("clients")["connected_clients"]
    c.set("big", "x" * 200_000)
    partial = [
        b"*3\r\n$3\r\nSET\r\n$1\r\nk",                          # inside a bulk
        b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100000\r\nabc",          # inside a big value
        b"*2\r\n$3\r\nGE",                                       # inside the command name
        b"*2",                                                   # inside the header
        b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n" * 50,                # full requests, big replies unread
        b"PING\r\nPI",                                           # inline, cut
    ]
    socks = []
    for i in range(200):
        s = socket.create_connection((kv.host, kv.port))
        s.sendall(partial[i % len(partial)])
        socks.append(s)
    for i, s in enumerate(socks):
        if i % 2:
            _abort(s)
        else:
            s.close()
    assert c.ping()
    assert c.get("k") is None
    wait_for(lambda: c.info("clients")["connected_clients"] <= base, timeout=10,
             what="server to drop the aborted connections")
    assert c.strlen("big") == 200_000


def test_maxclients(kv_server):
    s = kv_server(maxclients=10)
    conns = []

    def connect():
        r = s.raw()
        if r.call("PING") == b"PONG":
            return r
        r.close()  # an earlier connection's close may not be processed yet: retry
        return None

    try:
        for _ in range(10):
            conns.append(wait_for(connect, timeout=5, what="a connection below maxclients"))
        with s.raw() as extra:
            out = extra.read_until_closed()
            assert out == b"-ERR max number of clients reached\r\n"
        for r in conns:
            assert r.call("PING") == b"PONG"
    finally:
        for r in conns:
            r.close()
    wait_for(lambda: s.client().ping(), what="a connection slot after closing the others")


def test_wrong_arity(kv):
    with kv.raw() as r:
        for cmd in (("GET",), ("GET", "a", "b"), ("SET", "k"), ("MGET",), ("EXPIRE", "k"),
                    ("INCRBY", "k"), ("GETRANGE", "k", "0"), ("DEL",), ("ECHO",)):
            r.send_command(*cmd)
            want = b"-ERR wrong number of arguments for '%s' command\r\n" % cmd[0].lower().encode()
            assert r.read_reply_bytes() == want
        r.send_command("CLIENT", "SETNAME")
        assert r.read_reply_bytes() == b"-ERR wrong number of arguments for 'client|setname' command\r\n"
        r.send_command("ping")
        assert r.read_reply_bytes() == b"+PONG\r\n"  # connection still fine


def test_unknown_command(kv):
    with kv.raw() as r:
        r.send_command("FOOBAR", "a", "b")
        assert r.read_reply_bytes() == (
            b"-ERR unknown command 'FOOBAR', with args beginning with: 'a' 'b' \r\n")
        r.send_command("NOPE")
        assert r.read_reply_bytes() == b"-ERR unknown command 'NOPE', with args beginning with: \r\n"
        r.send_command("")
        assert r.read_reply_bytes() == b"-ERR unknown command '', with args beginning with: \r\n"
        r.send_command("get", "k")  # commands are case-insensitive
        assert r.read_reply_bytes() == b"$-1\r\n"
        r.send_command("gEt", "k")
        assert r.read_reply_bytes() == b"$-1\r\n"


def test_invalid_numbers(kv):
    c = kv.client()
    c.set("k", "v")
    with kv.raw() as r:
        for cmd in (("EXPIRE", "k", "abc"), ("EXPIRE", "k", "1.5"), ("INCRBY", "n", "1x"),
                    ("SETEX", "k", "ten", "v"), ("GETRANGE", "k", "a", "1"),
                    ("SETRANGE", "k", "x", "v"), ("PEXPIRE", "k", "99999999999999999999")):
            assert r.call(*cmd).args[0] == "ERR value is not an integer or out of range", cmd
        assert str(r.call("INCRBYFLOAT", "n", "1.2.3")) == "ERR value is not a valid float"
        assert str(r.call("INCRBYFLOAT", "n", "nan")) == "ERR value is not a valid float"
        assert str(r.call("SCAN", "0", "COUNT", "-1")) == "ERR syntax error"
    assert c.get("k") == "v"
    assert c.ttl("k") == -1
