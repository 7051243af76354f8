"""A refused connection (maxclients, protected mode) reads its refusal even when it had already
sent a request: the server half-closes and drops the input instead of closing with unread bytes,
which makes the kernel send a reset that can discard the refusal before the client reads it."""

from __future__ import annotations

import socket
import pytest

from conftest import wait_for

pytestmark = pytest.mark.kv_only

REFUSAL = b"-ERR max number of clients reached\r\n"


def read_all(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):  # a reset raises: the test fails on it
        data += chunk
    return data


def test_refusal_survives_a_request_sent_with_it(kv_server):
    s = kv_server()
    held = s.raw()
    wait_for(lambda: b"connected_clients:1\r\n" in held.call("INFO", "clients"),
             what="only the held client connected")
    assert held.call("CONFIG", "SET", "maxclients", "1") == b"OK"
    for attempt in range(100):
        with socket.create_connection((s.host, s.port), timeout=10) as sock:
            # The request races the refusal: when it reaches the server first, a plain close
            # (with bytes unread) sends a reset instead of the end of the stream.
            sock.sendall(b"PING\r\n" * 100)
            try:
                got = read_all(sock)
            except ConnectionResetError:
                raise AssertionError(f"attempt {attempt}: reset instead of a clean close")
            assert got == REFUSAL, (attempt, got)
    # Refused connections are not clients, and the server serves the held one.
    assert b"connected_clients:1\r\n" in held.call("INFO", "clients")
    assert held.call("PING") == b"PONG"
    held.close()
