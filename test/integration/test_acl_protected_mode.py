"""Protected mode asks the ACL: remote clients are refused while the default user is `on` and
`nopass`, whichever way it got a password (requirepass, ACL SETUSER, an aclfile)."""

from __future__ import annotations

import socket

import pytest
import redis

from conftest import RawConn

pytestmark = pytest.mark.kv_only

DENIED = b"-DENIED kv-server is running in protected mode"


def first_reply(host: str, port: int) -> bytes:
    """The first reply line to a PING (a refusal closes the connection after its line)."""
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(RawConn.encode("PING"))
        data = b""
        while not data.endswith(b"\r\n"):
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
        return data


def test_acl_password_on_default_lifts_protected_mode(kv_server, remote_address):
    s = kv_server(bind="0.0.0.0")
    assert first_reply(remote_address, s.port).startswith(DENIED)
    c = s.client()
    c.execute_command("ACL", "SETUSER", "default", "resetpass", ">pw")
    # Served now: it must authenticate like any client.
    assert first_reply(remote_address, s.port) == b"-NOAUTH Authentication required.\r\n"
    redis.Redis(host=remote_address, port=s.port, password="pw").ping()
    c2 = redis.Redis(host="127.0.0.1", port=s.port, password="pw")
    c2.execute_command("ACL", "SETUSER", "default", "nopass")
    assert first_reply(remote_address, s.port).startswith(DENIED)


def test_aclfile_default_with_password_lifts_protected_mode(kv_server, remote_address, tmp_path):
    acl = tmp_path / "users.acl"
    acl.write_text("user default on >pw ~* &* +@all\n")
    s = kv_server(bind="0.0.0.0", aclfile=str(acl))
    assert first_reply(remote_address, s.port) == b"-NOAUTH Authentication required.\r\n"
