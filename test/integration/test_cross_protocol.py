"""Cross-protocol requests: a web page can make a browser POST to a local port with a RESP
command in the body. Like Redis, the server closes a connection whose command is POST or Host:
before reading anything after it; compared side by side with Debian's redis-server."""

from __future__ import annotations

import pytest

from conftest import RawConn

pytestmark = pytest.mark.kv_only  # runs against both servers itself


def http_post(port: int) -> bytes:
    body = b"*3\r\n$3\r\nSET\r\n$6\r\nhacked\r\n$3\r\nyes\r\n"
    return (b"POST / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: text/plain\r\n"
            b"Content-Length: %d\r\n\r\n" % (port, len(body))) + body


@pytest.mark.parametrize("which", ["kv", "redis"])
def test_http_post_runs_nothing_and_closes(kv, redis_ref, which):
    server = kv if which == "kv" else redis_ref
    with RawConn(server.host, server.port) as c:
        c.send(http_post(server.port))
        assert c.read_until_closed() == b""  # closed without a reply
    r = server.client()
    assert r.exists("hacked") == 0
    assert r.ping()


@pytest.mark.parametrize("which", ["kv", "redis"])
@pytest.mark.parametrize("first", [b"host: example.com", b"HOST: x", b"post /x"])
def test_host_and_post_lines_close_the_connection(kv, redis_ref, which, first):
    server = kv if which == "kv" else redis_ref
    with RawConn(server.host, server.port) as c:
        c.send(first + b"\r\n" + RawConn.encode("SET", "hacked", "yes"))
        assert c.read_until_closed() == b""
    assert server.client().exists("hacked") == 0


def test_the_attempt_is_logged(kv_server):
    s = kv_server(log_level="warning")
    with RawConn(s.host, s.port) as c:
        c.send(http_post(s.port))
        c.read_until_closed()
    assert "Possible SECURITY ATTACK detected" in s.stderr_text()
    # A command merely named like a header field elsewhere in the line is unaffected.
    assert s.client().set("post", "fine") and s.client().get("post") == "fine"
