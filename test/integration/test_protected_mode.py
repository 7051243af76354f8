"""Protected mode, as in Redis 7: with `protected-mode yes` (the default) and no password, only
loopback clients are served; others get -DENIED (a native ERROR frame on the native port) and
are disconnected. Tested by binding 0.0.0.0 and connecting to this machine's own non-loopback
address, which the server sees as a remote client."""

from __future__ import annotations

import socket
import struct

import pytest
import redis

from conftest import RawConn
from native_client import frame

pytestmark = pytest.mark.kv_only

DENIED = b"-DENIED kv-server is running in protected mode because protected mode is enabled"
NATIVE_PING = 0x01  # any request: the refusal comes before it is read


def refused_resp(host: str, port: int) -> bytes:
    with RawConn(host, port) as raw:
        raw.send(raw.encode("SET", "intruder", "1"))
        return raw.read_until_closed()


def test_remote_client_is_denied_without_password(kv_server, remote_address):
    s = kv_server(bind="0.0.0.0", native_port="auto")
    got = refused_resp(remote_address, s.port)
    assert got.startswith(DENIED), got
    assert b"'CONFIG SET protected-mode no'" in got and got.endswith(b"\r\n")
    # The native port answers in its own protocol: one ERROR frame (status 2), then close.
    with socket.create_connection((remote_address, s.native_port), timeout=10) as sock:
        sock.sendall(frame(NATIVE_PING))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    status, length = struct.unpack(">BI", data[:5])
    assert status == 2 and len(data) == 5 + length, data[:80]
    assert data[5:].startswith(DENIED[1:]), data[:120]
    # Loopback clients are served, and the refused write did not happen.
    c = s.client()
    assert c.exists("intruder") == 0
    assert int(c.info("stats")["rejected_connections"]) == 2
    assert "protected mode refuses every client that is not on loopback" in s.stderr_text()


def test_password_lifts_protected_mode(kv_server, remote_address):
    s = kv_server(bind="0.0.0.0", requirepass="pw")
    c = redis.Redis(host=remote_address, port=s.port, password="pw", decode_responses=True)
    assert c.set("k", "v") and c.get("k") == "v"
    c.close()
    assert "protected mode" not in s.stderr_text()


def test_protected_mode_is_a_runtime_setting(kv_server, remote_address):
    s = kv_server(bind="0.0.0.0")
    local = s.client()
    assert local.config_get("protected-mode") == {"protected-mode": "yes"}
    assert refused_resp(remote_address, s.port).startswith(DENIED)
    assert local.config_set("protected-mode", "no")
    remote = redis.Redis(host=remote_address, port=s.port, decode_responses=True)
    assert remote.set("k", "v")
    remote.close()
    # A password set at run time protects the next connections too.
    assert local.config_set("protected-mode", "yes")
    assert refused_resp(remote_address, s.port).startswith(DENIED)
    assert local.config_set("requirepass", "pw")
    remote = redis.Redis(host=remote_address, port=s.port, password="pw", decode_responses=True)
    assert remote.get("k") == "v"
    remote.close()


def test_disabled_protected_mode_warns_at_start(kv_server):
    s = kv_server(bind="0.0.0.0", protected_mode="no")
    assert "with protected-mode no: anyone who can reach the port" in s.stderr_text()
