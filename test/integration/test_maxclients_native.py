"""maxclients on the native port answers a native ERROR frame, not RESP text (which a native
client would read as a 1.1 GB frame header); the RESP port keeps Redis's text."""

from __future__ import annotations

import socket
import struct

import pytest

from conftest import RawConn

pytestmark = pytest.mark.kv_only


def read_all(sock: socket.socket) -> bytes:
    data = b""
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            return data
        data += chunk


def test_native_refusal_is_a_native_frame(kv_server):
    s = kv_server(maxclients=1, native_port="auto")
    with RawConn(s.host, s.port) as first:
        assert first.call("PING") == b"PONG"  # the one allowed client
        with socket.create_connection((s.host, s.native_port), timeout=10) as sock:
            data = read_all(sock)
        status, length = data[0], struct.unpack(">I", data[1:5])[0]
        assert status == 2  # ERROR
        assert data[5:5 + length] == b"ERR max number of clients reached"
        assert len(data) == 5 + length
        with RawConn(s.host, s.port) as second:
            assert second.read_until_closed() == b"-ERR max number of clients reached\r\n"
        assert first.call("PING") == b"PONG"
