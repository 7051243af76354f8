"""The Python client library (clients/python/kvclient) against the real server's native port.

Covers: every vector of test/vectors/native/vectors.txt encoded and decoded by the client (no
server), every Client method end to end, pipelining, locks, namespaces and AUTH from the URL,
errors as exceptions, and the Pool (threads, and recovery after the server restarts).
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from decimal import Decimal

import pytest

from conftest import REPO_ROOT
from native_client import load_vectors

sys.path.insert(0, str(REPO_ROOT / "clients" / "python"))
import kvclient  # noqa: E402
from kvclient import protocol as P  # noqa: E402
from kvclient.client import _Commands, _result  # noqa: E402

pytestmark = pytest.mark.kv_only

VECTORS = load_vectors(REPO_ROOT / "test" / "vectors" / "native" / "vectors.txt")
ERR_NOT_INT = "ERR value is not an integer or out of range"


# ---------------------------------------------------------------------------- client-side vectors
class _Recorder(_Commands):
    """Builds what a Client would send, without a connection."""

    def _run(self, op, payload, kind="value", post=None):
        return P.frame(op, payload), kind, post


R = _Recorder()
_RAW = ("raw", None)
# vector name -> (request built by the client, expected decoded result or exception class)
CLIENT_VECTORS = {
    "PING": (R.ping(), True),
    "GET hit": (R.get("user:1"), 42),
    "GET miss": (R.get("nope"), None),
    "GET typed map": (R.get("profile"), {"name": "Ada", "tags": ["x", None]}),
    "SET Int with ttl": (R.set("count", 42, ttl_ms=60000), True),
    "SET Decimal no ttl": (R.set("price", Decimal("19.99")), True),
    "SET Float": (R.set("ratio", 1.5), True),
    "DEL": (R.delete("count"), True),
    "EXISTS": (R.exists("count"), False),
    "INCR": (R.incr("hits"), 1),
    "INCR not an integer": (R.incr("name"), kvclient.ServerError),
    "DECR": (R.decr("hits"), 0),
    "CAS": (R.cas("k", "old", "new"), True),
    "INFO": (R.info(), "# Server\r\nkv_version:0.1.0\r\n"),
    "SETNX": (R.setnx("k", b"\x00\x01"), True),
    "LOCK acquired": (R.acquire_lock("res", 30000, "me"), 1),
    "LOCK held by another owner": (R.acquire_lock("res", 30000, "you"), None),
    "UNLOCK": (R.release_lock("res", "me"), True),
    "EXTEND": (R.extend_lock("res", 30000, "me"), True),
    "MGET": (R.mget(["a", "b"]), [1, None]),
    "MSET all-or-nothing": (R.mset([("a", 1), ("b", "x", 5000)]), [1, 1]),
    "MSET best-effort": (R.mset({"c": Decimal("0.10")}, atomic=False), [1]),
    "MDEL": (R.mdel(["a", "b"]), [1, 0]),
    "INCRBY": (R.incrby("n", -5), -5),
    "TTL": (R.ttl("count"), 59000),
    "TTL no expiry": (R.ttl("forever"), -1),
    "EXPIRE": (R.expire("count", 1500), True),
    "SELECT": ((P.frame(P.OP_SELECT, b"my_app"), "empty", None), True),
    "AUTH default user": ((P.frame(P.OP_AUTH, P.field16("") + P.field16("secret")), "empty", None),
                          True),
    "AUTH wrong password": ((P.frame(P.OP_AUTH, P.field16("") + P.field16("nope")), "empty",
                            None), kvclient.ServerError),
    "CALL echo": (R.call("echo", b"hi"), b"hi"),
    "CALL lrange": (R.call("lrange", "l", 0, -1), [b"a", b"b"]),
    # Frames the client never builds: only the response side is checked.
    "unknown command byte": (None, kvclient.ProtocolError),
    "malformed payload": (None, kvclient.ProtocolError),
    "payload over 64 MB": (None, kvclient.ProtocolError),
}


def test_every_vector_is_covered():
    assert {v.name for v in VECTORS} == set(CLIENT_VECTORS)


@pytest.mark.parametrize("vec", VECTORS, ids=[v.name for v in VECTORS])
def test_vector_client_side(vec):
    built, expected = CLIENT_VECTORS[vec.name]
    if built is not None:
        request, kind, post = built
        assert request.hex() == vec.request.hex()
    else:
        kind, post = "value", None
    status, payload = P.parse_frame(vec.response)
    if isinstance(expected, type) and issubclass(expected, Exception):
        with pytest.raises(expected) as ei:
            _result(status, payload, kind, post)
        assert str(ei.value) == payload.decode()
    else:
        got = _result(status, payload, kind, post)
        assert got == expected and type(got) is type(expected)
    if status == P.OK and kind == "value":
        # decode -> re-encode is byte for byte
        assert P.encode_value(P.decode_value(payload)) == payload


@pytest.mark.parametrize("value", [
    None, 0, 42, -1, 2**63 - 1, -2**63, 1.5, -0.0, Decimal("19.99"), Decimal("1E+5"),
    Decimal("-0.000001"), "", "hi", "žluťoučký 🐎", b"", b"\x00\x01\xff",
    [], [1, None, "x", [b"y", {"k": Decimal("1.0")}]], {}, {"a": 1, "b": [1.25, None]},
])
def test_codec_round_trip(value):
    data = P.encode_value(value)
    back = P.decode_value(data)
    assert back == value and type(back) is type(value)
    assert P.encode_value(back) == data


def test_codec_spec_examples():
    assert P.encode_value(None).hex() == "00"
    assert P.encode_value(42).hex() == "01000000000000002a"
    assert P.encode_value(-1).hex() == "01ffffffffffffffff"
    assert P.encode_value(1.5).hex() == "023ff8000000000000"
    assert P.encode_value(Decimal("19.99")).hex() == "030000000531392e3939"
    assert P.encode_value("hi").hex() == "04000000026869"
    assert P.encode_value(b"\x00\x01").hex() == "05000000020001"
    assert P.encode_value([1, None]).hex() == "0600000002010000000000000001" + "00"
    assert P.encode_value({"k": None}).hex() == "07000000010000000" + "16b00"
    assert P.decode_value(bytes.fromhex("0300000003316535")) == Decimal("1e5")


def test_codec_refuses_bad_input():
    with pytest.raises(ValueError):
        P.encode_value(2**63)
    with pytest.raises(ValueError):
        P.encode_value(Decimal("NaN"))
    with pytest.raises(TypeError):
        P.encode_value({1: "x"})
    with pytest.raises(TypeError):
        P.encode_value(object())
    for bad in ("08", "01000000", "0400000002ff", "03000000034e614e", "0600000009", "0000"):
        with pytest.raises(kvclient.ProtocolError):
            P.decode_value(bytes.fromhex(bad))
    nested = b"\x06\x00\x00\x00\x01" * 65 + b"\x00"
    with pytest.raises(kvclient.ProtocolError):
        P.decode_value(nested)
    assert P.decode_value(b"\x06\x00\x00\x00\x01" * 64 + b"\x00") is not None


def test_parse_url():
    assert kvclient.parse_url("kv://localhost") == {
        "host": "localhost", "port": 6380, "user": None, "password": None, "namespace": None}
    assert kvclient.parse_url("kv://s%40cret@10.0.0.1:7000/my_app") == {
        "host": "10.0.0.1", "port": 7000, "user": None, "password": "s@cret",
        "namespace": "my_app"}
    assert kvclient.parse_url("kv://bob:pw@[::1]:1/ns")["user"] == "bob"
    with pytest.raises(ValueError):
        kvclient.parse_url("redis://localhost")


# ---------------------------------------------------------------------------- fixtures
def url_of(server, ns: str | None = None, password: str | None = None) -> str:
    auth = f"{password}@" if password else ""
    return f"kv://{auth}{server.host}:{server.native_port}" + (f"/{ns}" if ns else "")


@pytest.fixture
def c(nkv):
    client = kvclient.connect(url_of(nkv))
    yield client
    client.close()


# ---------------------------------------------------------------------------- end to end
def test_user_story(c):
    c.set("price", Decimal("19.99"))
    assert c.get("price") == Decimal("19.99")
    assert isinstance(c.get("price"), Decimal)
    with c.lock("job:1", ttl_ms=30000) as token:
        assert isinstance(token, int) and token > 0
        with pytest.raises(kvclient.LockNotAcquired):
            with c.lock("job:1", ttl_ms=30000):
                pass
    # released on exit: another owner can take it, with a larger fencing token
    with c.lock("job:1", ttl_ms=30000) as token2:
        assert token2 > token


@pytest.mark.parametrize("value", [
    42, -7, 2**63 - 1, 1.5, -0.0, Decimal("19.99"), Decimal("1E+5"), "hello", "ünïcødé",
    b"\x00\xff bin", "", b"",
])
def test_typed_round_trip(c, value):
    assert c.set("k", value) is True
    got = c.get("k")
    assert got == value and type(got) is type(value)


def test_get_set_ttl_exists_delete(c, nkv):
    assert c.get("missing") is None
    assert c.exists("k") is False
    c.set("k", "v", ttl_ms=60000)
    assert c.exists("k") is True
    assert 0 < c.ttl("k") <= 60000
    c.set("forever", 1)
    assert c.ttl("forever") == -1
    assert c.ttl("missing") == -2
    assert c.expire("forever", 50000) is True
    assert 0 < c.ttl("forever") <= 50000
    assert c.expire("missing", 1000) is False
    assert c.delete("k") is True
    assert c.delete("k") is False
    # RESP sees the same keyspace
    r = nkv.client()
    assert r.get("forever") == "1"
    c.set("short", "x", ttl_ms=50)
    time.sleep(0.2)
    assert c.get("short") is None


def test_setnx(c):
    assert c.setnx("k", 1) is True
    assert c.setnx("k", 2) is False
    assert c.get("k") == 1


def test_incr_decr_incrby(c):
    assert c.incr("n") == 1
    assert c.incr("n") == 2
    assert c.decr("n") == 1
    assert c.incrby("n", 10) == 11
    assert c.incrby("n", -20) == -9
    c.set("name", "ada")
    with pytest.raises(kvclient.ServerError) as ei:
        c.incr("name")
    assert str(ei.value) == ERR_NOT_INT
    c.set("big", 2**63 - 1)
    with pytest.raises(kvclient.ServerError):
        c.incrby("big", 1)
    # the connection is still usable after an error
    assert c.ping() is True


def test_cas(c):
    c.set("k", "old")
    assert c.cas("k", "new-expected", "x") is False
    assert c.cas("k", "old", "new") is True
    # typed CAS: the new value keeps its type (a str is a String)
    assert c.get("k") == "new"
    assert c.cas("k", b"new", "x") is False  # Bytes is not String
    assert c.cas("k", "new", "ttl", ttl_ms=60000) is True
    assert 0 < c.ttl("k") <= 60000


def test_mget_mset_mdel(c):
    assert c.mset({"a": 1, "b": "x", "c": Decimal("0.10")}) == [1, 1, 1]
    assert c.mget(["a", "b", "c", "nope"]) == [1, "x", Decimal("0.10"), None]
    assert c.mset([("t", 1, 60000)], atomic=False) == [1]
    assert 0 < c.ttl("t") <= 60000
    assert c.mdel(["a", "b", "nope"]) == [1, 1, 0]
    assert c.mget(["a", "c"]) == [None, Decimal("0.10")]


def test_mset_reports_item_errors(kv_server):
    c = kvclient.connect(url_of(kv_server(strict_keys="yes", native_port="auto")))
    bad_key = "x" * 300  # longer than 256 characters: refused under --strict-keys yes
    # All-or-nothing: nothing is written; each item answers 0, the faulty one its error.
    res = c.mset([("good", 1), (bad_key, 2)], atomic=True)
    assert res[0] == 0 and isinstance(res[1], str) and "invalid key" in res[1]
    assert c.get("good") is None
    res = c.mset([("good", 1), ("list", [1, 2]), (bad_key, 3)], atomic=True)
    assert res[:2] == [0, 0] and "invalid key" in res[2]
    assert c.get("good") is None and c.get("list") is None
    res = c.mset([("good", 1), (bad_key, 2)], atomic=False)
    assert res[0] == 1 and isinstance(res[1], str) and "invalid key" in res[1]
    assert c.get("good") == 1
    res = c.mset([("other", 2), ("map", {"k": 1})], atomic=False)
    assert res == [1, 1] and c.get("map") == {"k": 1}


def test_lock_api(c):
    t1 = c.acquire_lock("res", 30000, "me")
    assert isinstance(t1, int)
    assert c.acquire_lock("res", 30000, "you") is None
    assert c.extend_lock("res", 60000, "me") is True
    assert c.extend_lock("res", 60000, "you") is False
    assert c.release_lock("res", "you") is False
    assert c.release_lock("res", "me") is True
    assert c.acquire_lock("res", 30000, "you") > t1


def test_lock_released_on_exception(c):
    with pytest.raises(RuntimeError):
        with c.lock("job", ttl_ms=30000, owner="worker-1"):
            raise RuntimeError("boom")
    assert c.acquire_lock("job", 1000, "worker-2") is not None


def test_ping_info_call(c):
    assert c.ping() is True
    info = c.info()
    assert isinstance(info, str) and "# Server" in info
    assert c.call("echo", "hi") == b"hi"
    assert c.call("SET", "s", 3) == "OK"  # simple string -> String
    assert c.call("incrby", "s", 4) == 7
    assert sorted(c.call("KEYS", "*")) == [b"s"]
    c.set("a", 1)
    c.set("b", "two")
    assert c.call("MGET", "a", "b") == [1, "two"]  # a List of the stored typed values
    assert c.call("MGET", "a", "nope") == [1, None]
    assert c.call("get", "nope") is None
    with pytest.raises(kvclient.ServerError):
        c.call("no-such-command")
    with pytest.raises(ValueError):
        c.call()


@pytest.mark.parametrize("value", [
    [1, 2], {"k": "v"}, [1, None, "x", [b"y", {"k": Decimal("1.0")}], 2.5],
    {"a": 1, "b": [1.25, None], "c": {"d": Decimal("2.50")}},
], ids=repr)
def test_containers_round_trip(c, value):
    c.set("k", value)
    back = c.get("k")
    assert back == value and type(back) is type(value)
    assert P.encode_value(back) == P.encode_value(value)  # types inside too (2.50 stays 2.50)
    assert c.mget(["k"]) == [value]


def test_empty_map_deletes_the_key(c):
    # A Map is the key's Redis hash, and Redis has no empty hashes either.
    c.set("k", {"a": 1})
    c.set("k", {})
    assert c.get("k") is None and c.exists("k") is False


def test_empty_list_deletes_the_key(c):
    # A List value is the key's Redis list, and Redis has no empty lists: storing [] removes the
    # key (docs/native-protocol.md), as popping the last element does.
    c.set("k", [1])
    c.set("k", [])
    assert c.get("k") is None and c.exists("k") is False


def test_null_round_trip(c):
    c.set("n", None)
    assert c.get("n") is None and c.exists("n") is True
    assert c.cas("n", None, [1]) is True
    assert c.get("n") == [1]
    assert c.cas("n", [1], {"x": None}) is True
    assert c.cas("n", {"x": 1}, 0) is False
    assert c.get("n") == {"x": None}


def test_protocol_error_for_invalid(c):
    # A frame the server refuses as INVALID (unknown command byte) through the raw roundtrip.
    with pytest.raises(kvclient.ProtocolError) as ei:
        c._run(0x7F, b"")
    assert "unknown command byte" in str(ei.value)
    assert c.ping() is True


def test_key_errors(kv_server):
    c = kvclient.connect(url_of(kv_server(strict_keys="yes", native_port="auto")))
    with pytest.raises(kvclient.ServerError):
        c.set("x" * 300, 1)  # refused under the opt-in --strict-keys yes
    with pytest.raises(ValueError):
        c.set("x" * 70000, 1)  # the native key frame holds at most 65535 bytes
    c.close()


def test_pipeline(c):
    c.set("name", "ada")
    with c.pipeline() as p:
        p.set("a", 1)
        p.incr("a")
        p.incr("name")
        p.get("a")
        p.get("missing")
        p.mget(["a", "name"])
        p.ping()
        assert len(p) == 7
        results = p.execute()
    assert results[:2] == [True, 2]
    assert isinstance(results[2], kvclient.ServerError) and str(results[2]) == ERR_NOT_INT
    assert results[3:] == [2, None, [2, "ada"], True]
    assert c.pipeline().execute() == []


def test_pipeline_single_write(c):
    sent = []
    orig = c._send
    c._send = lambda data: (sent.append(data), orig(data))[1]
    p = c.pipeline()
    for i in range(100):
        p.set(f"k{i}", i)
    for i in range(100):
        p.get(f"k{i}")
    res = p.execute()
    assert len(sent) == 1
    assert res == [True] * 100 + list(range(100))


def test_namespace_from_url_isolates_keys(nkv):
    with kvclient.connect(url_of(nkv, "app_one")) as a, \
            kvclient.connect(url_of(nkv, "app_two")) as b, kvclient.connect(url_of(nkv)) as d:
        a.set("k", "one")
        b.set("k", "two")
        assert a.get("k") == "one"
        assert b.get("k") == "two"
        assert d.get("k") is None
        d.select("app_one")
        assert d.get("k") == "one"
        with pytest.raises(kvclient.ServerError):
            d.select("bad namespace!")


def test_auth_from_url(kv_server):
    s = kv_server(native_port="auto", requirepass="s3cret")
    with kvclient.connect(url_of(s, password="s3cret")) as c:
        c.set("k", 1)
        assert c.get("k") == 1
    with pytest.raises(kvclient.ServerError) as ei:
        kvclient.connect(url_of(s, password="wrong"))
    assert "WRONGPASS" in str(ei.value)
    with kvclient.connect(url_of(s)) as c:  # no password: commands fail with ERROR
        with pytest.raises(kvclient.ServerError):
            c.get("k")
        c.auth("s3cret")
        assert c.get("k") == 1


def test_client_context_manager_and_close(nkv):
    with kvclient.connect(url_of(nkv)) as c:
        assert c.ping()
    with pytest.raises(kvclient.ConnectionError):
        c.ping()


def test_connection_errors():
    port = socket.socket()
    port.bind(("127.0.0.1", 0))
    n = port.getsockname()[1]
    port.close()
    with pytest.raises(kvclient.ConnectionError):
        kvclient.connect(f"kv://127.0.0.1:{n}", timeout=1)
    # a peer that accepts and never answers: a timeout is a ConnectionError too
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    try:
        c = kvclient.connect(f"kv://127.0.0.1:{srv.getsockname()[1]}", timeout=0.2)
        with pytest.raises(kvclient.ConnectionError):
            c.ping()
        assert not c.connected
        c.close()
    finally:
        srv.close()


def test_client_reconnects_after_server_restart(kv_server):
    s1 = kv_server(native_port="auto")
    c = kvclient.connect(url_of(s1, "ns1"))
    c.set("k", 1)
    s1.stop()
    with pytest.raises(kvclient.ConnectionError):
        c.get("k")
    s2 = kv_server(native_port=s1.native_port)
    c.set("k", 2)  # reconnected, SELECT ns1 again
    r = kvclient.connect(url_of(s2, "ns1"))
    assert r.get("k") == 2
    r.close()
    c.close()


# ---------------------------------------------------------------------------- pool
def test_pool_threads(nkv):
    pool = kvclient.Pool(url_of(nkv), size=4)
    errors = []

    def worker():
        try:
            for _ in range(50):
                with pool.client() as c:
                    c.incr("counter")
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    with pool.client() as c:
        assert c.get("counter") == 400
    assert pool._idle.qsize() <= 4
    pool.close()


def test_pool_recovers_after_server_restart(kv_server):
    s1 = kv_server(native_port="auto")
    port = s1.native_port
    pool = kvclient.Pool(f"kv://127.0.0.1:{port}/jobs", size=2)
    with pool.client() as c:
        c.set("k", "before")
    s1.stop()
    with pytest.raises(kvclient.ConnectionError):
        with pool.client() as c:
            c.get("k")
    assert pool._idle.qsize() == 0  # the broken connection was discarded
    s2 = kv_server(native_port=port)
    assert s2.native_port == port
    with pool.client() as c:
        assert c.get("k") is None  # a fresh server
        c.set("k", "after")
    # the idle connection dies with the server and is replaced transparently on checkout
    with pool.client() as c:
        assert c.get("k") == "after"
    pool.close()


def test_pool_discards_connection_broken_during_use(nkv):
    pool = kvclient.Pool(url_of(nkv), size=1)
    with pool.client() as c:
        first = c
        c._sock.close()  # simulate a dead socket
        with pytest.raises(kvclient.ConnectionError):
            c.ping()
    with pool.client() as c:
        assert c is not first
        assert c.ping() is True
    pool.close()
