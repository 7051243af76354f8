"""LOCK.RESTORE is internal: clients cannot set a lock with any token (over RESP or the native
protocol's CALL), while the log's replay still restores locks after kill -9."""

from __future__ import annotations

import pytest
import redis

from native_client import NativeConn

pytestmark = pytest.mark.kv_only


def test_clients_cannot_call_lock_restore(kv_server):
    s = kv_server(native_port="auto")
    r = s.client()
    assert r.execute_command("LOCK", "job", "owner", 60000) > 0
    with pytest.raises(redis.ResponseError, match="^unknown command 'LOCK.RESTORE'"):
        r.execute_command("LOCK.RESTORE", "job", "intruder", 1, 9999999999999)
    assert r.get("job").endswith(":owner")  # the holder keeps it
    with s.raw() as c:
        assert c.call("COMMAND", "INFO", "lock.restore") == [None]
        names = c.call("COMMAND", "LIST")
    assert b"lock" in names and b"lock.restore" not in names
    with NativeConn(s.host, s.native_port) as n:
        reply = n.call("LOCK.RESTORE", "job", "intruder", "1", "9999999999999")
    assert reply.status == 2 and b"unknown command 'LOCK.RESTORE'" in reply.payload, reply
    assert r.get("job").endswith(":owner")


def test_replay_still_restores_locks(kv_persist):
    s = kv_persist(appendfsync="always")
    r = s.client()
    token = r.execute_command("LOCK", "job", "owner", 600000)
    s.kill9()
    s.restart()
    r = s.client()
    assert r.get("job") == f"{token}:owner"
    assert r.execute_command("LOCK", "other", "w", 1000) > token
    assert r.execute_command("UNLOCK", "job", "owner") == 1
