"""OBJECT on kv-server's own encodings (docs/commands.md): typed scalars and native values. The
cases shared with Redis are in test_compare_redis.py."""

from __future__ import annotations

import pytest

from conftest import wait_for
from native_client import NativeConn

pytestmark = pytest.mark.kv_only


def test_encodings_of_typed_values(kv_server):
    s = kv_server(native_port="auto")
    n = NativeConn(s.host, s.native_port)
    try:
        assert n.set("i", 7).status == 0
        assert n.set("f", 1.5).status == 0
        assert n.set("l", [1, "a"]).status == 0
        assert n.set("m", {"k": 1}).status == 0
        assert n.set("z", None).status == 0
    finally:
        n.close()
    c = s.client()
    c.execute_command("DECIMAL.SET", "d", "1.25")
    c.incr("counter")
    c.set("digits", "123")  # RESP writes bytes, even when they look like a number
    got = {k: c.object("encoding", k) for k in ("i", "f", "l", "m", "z", "d", "counter", "digits")}
    assert got == {"i": "int", "f": "float", "l": "listpack", "m": "listpack", "z": "null",
                   "d": "decimal", "counter": "int", "digits": "embstr"}
    assert c.object("refcount", "counter") == 1


def test_idletime_grows_and_object_does_not_touch(kv_server):
    s = kv_server()
    c = s.client()
    c.set("k", "v")
    assert c.object("idletime", "k") <= 1
    # LRU clock in seconds: idle time grows while nothing reads the key, OBJECT included.
    wait_for(lambda: c.object("idletime", "k") >= 2, timeout=10, interval=0.5,
             what="idle time to reach 2 s")
    c.get("k")
    assert c.object("idletime", "k") <= 1
