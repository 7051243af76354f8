"""The native binary protocol through the real server (docs/native-protocol.md).

The server runs with ``--native-port <free port>`` (conftest: ``native_port="auto"``); the client is
native_client.py, a raw codec, so every byte on the wire is the test's. Covers: the shared vectors
(test/vectors/native/vectors.txt) byte for byte, typed round trips and the mapping to RESP,
pipelining, malformed input and the 64 MB rule, CALL, SELECT and AUTH.
"""

from __future__ import annotations

import struct
import time
from decimal import Decimal

import pytest
import redis

from conftest import REPO_ROOT, RespError, run_parallel
from native_client import (ERROR, INVALID, NULL, OK, STATUS_NAMES, T_BYTES, T_DECIMAL, T_INT,
                           T_LIST, T_MAP, T_STRING, MapPairs, NativeConn, encode_value, frame,
                           frame_call, frame_get, frame_incr, frame_lock, frame_select,
                           frame_set, key16, load_vectors)

pytestmark = pytest.mark.kv_only

VECTORS_PATH = REPO_ROOT / "test" / "vectors" / "native" / "vectors.txt"
VECTORS = load_vectors(VECTORS_PATH)
VECTORS_BY_NAME = {v.name: v for v in VECTORS}

ERR_NOT_INT = "ERR value is not an integer or out of range"
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled."


# ---------------------------------------------------------------------------- fixtures
@pytest.fixture
def connect():
    """connect(server) -> NativeConn on the server's native port; all closed at teardown."""
    conns: list[NativeConn] = []

    def open_conn(server, timeout: float = 10.0) -> NativeConn:
        c = NativeConn(server.host, server.native_port, timeout)
        conns.append(c)
        return c

    yield open_conn
    for c in conns:
        c.close()


def show(r) -> str:
    return f"{STATUS_NAMES.get(r.status, r.status)} {r.payload[:300]!r} (raw {r.raw()[:300].hex()})"


def expect_ok(r, value=...):
    assert r.status == OK, show(r)
    if value is not ...:
        assert r.value == value, show(r)
    return r


def expect_status(r, status, text: str | None = None, prefix: str | None = None):
    assert r.status == status, f"expected {STATUS_NAMES[status]}, got {show(r)}"
    if text is not None:
        assert r.text == text, show(r)
    if prefix is not None:
        assert r.text.startswith(prefix), show(r)
    return r


def same_value(a, b) -> bool:
    """Equal and of the same Python type (Float compared by its bits, so -0.0 != 0.0)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return struct.pack(">d", a) == struct.pack(">d", b)
    if isinstance(a, Decimal):
        return str(a) == str(b)
    if isinstance(a, list):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same_value(a[k], b[k]) for k in a)
    return a == b


# ---------------------------------------------------------------------------- 1. vectors
# What each vector's story needs before its request (sent on the same connection, after SELECT of
# a namespace no other vector uses). Names not listed need nothing: the key is simply absent.
VECTOR_SETUP = {
    "GET hit": [frame_set("user:1", 42)],
    "GET typed map": [frame_set("profile", MapPairs([("name", "Ada"), ("tags", ["x", None])]))],
    "DEL": [frame_set("count", 1)],
    "INCR not an integer": [frame_set("name", "Ada")],
    "DECR": [frame_set("hits", 1)],
    "CAS": [frame_set("k", "old")],
    "LOCK held by another owner": [frame_lock("res", "me", 30000)],
    "UNLOCK": [frame_lock("res", "me", 30000)],
    "EXTEND": [frame_lock("res", "me", 30000)],
    "MGET": [frame_set("a", 1)],
    "MDEL": [frame_set("a", 1)],
    "TTL": [frame_set("count", 1, 60000)],
    "TTL no expiry": [frame_set("forever", 1)],
    "EXPIRE": [frame_set("count", 1)],
    "CALL lrange": [frame_call("rpush", "l", "a", "b")],
}
# Vectors whose response holds a server-dependent value: status and type only (plus a sanity
# check of the value).
LOOSE_VECTORS = {"INFO", "LOCK acquired", "TTL"}
# Vectors that need a server started with --requirepass secret (and no SELECT before them).
AUTH_VECTORS = {"AUTH default user", "AUTH wrong password"}


def test_vector_file_is_as_expected():
    names = [v.name for v in VECTORS]
    assert len(names) == len(set(names)), "duplicate vector names"
    for name in list(VECTOR_SETUP) + sorted(LOOSE_VECTORS) + sorted(AUTH_VECTORS):
        assert name in VECTORS_BY_NAME, f"vector {name!r} is gone from {VECTORS_PATH}"
    for v in VECTORS:
        assert len(v.request) >= 5 and len(v.response) >= 5, v.name


def _check_vector_response(v, r):
    if v.name not in LOOSE_VECTORS:
        assert r.raw() == v.response, (
            f"vector {v.name!r}: expected {v.response.hex()}, got {r.raw().hex()} ({show(r)})")
        return
    assert r.status == v.response[0], f"vector {v.name!r}: {show(r)}"
    if v.name == "INFO":
        text = r.text  # raw UTF-8 text, not a Value (its fields are the server's, not the vector's)
        assert text.startswith("# Server\r\n"), show(r)
    else:
        assert r.type == v.response[5] == T_INT, f"vector {v.name!r}: {show(r)}"
        n = r.value
        if v.name == "TTL":
            assert 0 < n <= 60000, show(r)
        else:
            assert n >= 1, show(r)


@pytest.mark.parametrize("name", [v.name for v in VECTORS if v.name not in AUTH_VECTORS])
def test_vector(nkv, connect, name):
    v = VECTORS_BY_NAME[name]
    c = connect(nkv)
    ns = f"vec{VECTORS.index(v)}"
    r = expect_ok(c.select(ns))
    assert r.payload == b"", show(r)
    for f in VECTOR_SETUP.get(name, []):
        r = c.roundtrip(f)
        if r.status == ERROR and r.text.startswith("ERR unknown command"):
            pytest.skip(f"the vector's story needs a command this server lacks: {show(r)}")
        assert r.status == OK, f"setup for {name!r}: {show(r)}"
    c.send(v.request)
    r = c.read_response()
    _check_vector_response(v, r)
    if name == "INFO":
        with nkv.raw() as resp:
            resp_text = resp.call("INFO")
        fields = lambda t: [ln.split(b":")[0] for ln in t.split(b"\r\n")]  # noqa: E731
        assert fields(r.payload) == fields(resp_text), "native INFO differs from RESP INFO"
    if v.close:
        assert c.is_closed(5.0), f"vector {name!r}: the server did not close the connection"
    else:
        expect_ok(c.ping())


def test_auth_vectors(kv_server, connect):
    server = kv_server(requirepass="secret", native_port="auto")
    for name in sorted(AUTH_VECTORS):
        v = VECTORS_BY_NAME[name]
        c = connect(server)
        c.send(v.request)
        r = c.read_response()
        _check_vector_response(v, r)
        assert not c.is_closed(0.2), f"{name}: connection closed"


# ---------------------------------------------------------------------------- 2. typed values
ROUND_TRIP_VALUES = [
    0, 42, -1, 2**63 - 1, -2**63,
    1.5, -0.0, 0.1, 1e300, -2.5e-300,
    Decimal("19.99"), Decimal("1E+5"), Decimal("-0.000123"), Decimal("0"),
    Decimal("1234567890123456789012345678901234"),
    "hi", "", "héllo ✓ 𝄞",
    b"\x00\x01", b"", bytes(range(256)),
]


@pytest.mark.parametrize("value", ROUND_TRIP_VALUES, ids=repr)
def test_typed_round_trip(nkv, connect, value):
    c = connect(nkv)
    r = expect_ok(c.set("rt", value))
    assert r.payload == b"", show(r)
    r = expect_ok(c.get("rt"))
    assert r.payload == encode_value(value), show(r)
    assert same_value(r.value, value), show(r)


@pytest.mark.parametrize("value", [
    [1, None, "x", b"y", 1.5, Decimal("2.50")],
    [[[]], {}],
    MapPairs([("name", "Ada"), ("tags", ["x", None]), ("n", 7)]),
], ids=["list", "nested", "map"])
def test_container_round_trip(nkv, connect, value):
    c = connect(nkv)
    expect_ok(c.set("ct", value))
    r = expect_ok(c.get("ct"))
    assert r.payload == encode_value(value), show(r)


@pytest.mark.parametrize("value,resp", [
    (42, b"42"), (-7, b"-7"), (1.5, b"1.5"), (Decimal("19.99"), b"19.99"),
    (Decimal("1E+5"), b"1E+5"), ("hi ✓", "hi ✓".encode()), (b"\x00\x01\xff", b"\x00\x01\xff"),
], ids=repr)
def test_native_value_reads_over_resp_as_canonical_string(nkv, connect, value, resp):
    c = connect(nkv)
    expect_ok(c.set("x", value))
    r = nkv.client(decode_responses=False)
    try:
        assert r.get("x") == resp
    finally:
        r.close()


def test_resp_value_reads_natively_as_bytes(nkv, connect):
    r = nkv.client(decode_responses=False)
    try:
        r.set("s", "v")
        r.set("n", "42")
        r.set("b", b"\x00\xff")
    finally:
        r.close()
    c = connect(nkv)
    for key, want in (("s", b"v"), ("n", b"42"), ("b", b"\x00\xff")):
        got = expect_ok(c.get(key))
        assert got.type == T_BYTES and got.value == want, show(got)


def test_typed_values_over_the_other_opcodes(nkv, connect):
    c = connect(nkv)
    expect_ok(c.incr("ctr"), 1)
    expect_ok(c.incrby("ctr", 41), 42)
    expect_ok(c.decr("ctr"), 41)
    r = expect_ok(c.get("ctr"))
    assert r.type in (T_INT, T_BYTES), show(r)  # INCR's result: Int (or its text as Bytes)
    expect_ok(c.set("f", 1.5))
    expect_status(c.incr("f"), ERROR, ERR_NOT_INT)
    expect_ok(c.cas("f", 1.5, 2.5), 1)
    expect_ok(c.setnx("f", 1), 0)
    expect_ok(c.exists("f"), 1)
    r = expect_ok(c.mget(["f", "nope", "ctr"]))
    assert r.type == T_LIST and len(r.value) == 3 and r.value[1] is None, show(r)
    expect_ok(c.delete("f"), 1)
    expect_status(c.get("f"), NULL)
    expect_ok(c.ttl("nope"), -2)


@pytest.mark.parametrize("new", [7, 2.5, Decimal("2.5"), b"raw"], ids=repr)
def test_cas_new_value_keeps_its_type(nkv, connect, new):
    """As SET: the value CAS stores reads back natively with its type."""
    c = connect(nkv)
    expect_ok(c.set("f", 1))
    expect_ok(c.cas("f", 1, new), 1)
    r = expect_ok(c.get("f"))
    assert same_value(r.value, new), show(r)


@pytest.mark.parametrize("stored,expected", [
    (2.5, Decimal("2.5")), (Decimal("2.5"), 2.5), (42, b"42"), (b"42", 42), (1.5, "1.5"),
], ids=repr)
def test_cas_differs_in_type_is_not_swapped(nkv, connect, stored, expected):
    """Spec 0x07: Int 0 when the current value differs in type or value."""
    c = connect(nkv)
    expect_ok(c.set("f", stored))
    expect_ok(c.cas("f", expected, b"new"), 0)
    r = expect_ok(c.get("f"))
    assert same_value(r.value, stored), show(r)
    expect_ok(c.cas("f", stored, b"new"), 1)


# ---------------------------------------------------------------------------- 2b. nested values
NESTED = MapPairs([("name", "Ada"), ("n", 7), ("tags", ["x", None, 1.5, Decimal("2.50")]),
                   ("raw", b"\x00")])


def test_stored_null_is_a_value_not_a_missing_key(nkv, connect):
    """Spec: GET of a stored Null is OK with the Null value; NULL status is for a missing key."""
    c = connect(nkv)
    expect_ok(c.set("n", None))
    r = expect_ok(c.get("n"))
    assert r.raw() == b"\x00\x00\x00\x00\x01\x00", show(r)
    expect_ok(c.exists("n"), 1)
    expect_status(c.get("missing"), NULL)
    expect_ok(c.mget(["n", "missing"]), [None, None])


def test_nested_over_the_other_writes(nkv, connect):
    c = connect(nkv)
    expect_ok(c.setnx("l", [1, [2]]), 1)
    expect_ok(c.setnx("l", [3]), 0)
    expect_ok(c.mset([("m", {"k": [None]}), ("x", None, 60000), ("s", 1)]), [1, 1, 1])
    r = expect_ok(c.mget(["l", "m", "x", "s"]))
    assert r.payload == encode_value([[1, [2]], {"k": [None]}, None, 1]), show(r)
    assert 0 < expect_ok(c.ttl("x")).value <= 60000
    r = expect_ok(c.call("GETDEL", "m"))
    assert r.type == T_MAP and r.value == {"k": [None]}, show(r)
    expect_ok(c.call("RENAME", "l", "l2"))
    r = expect_ok(c.get("l2"))
    assert r.payload == encode_value([1, [2]]), show(r)


def test_nested_with_ttl_expires(nkv, connect):
    c = connect(nkv)
    # 1 s: long enough that the value surely still exists for the TTL and GET below.
    expect_ok(c.set("t", [1, {"a": None}], ttl_ms=1000))
    assert 0 < expect_ok(c.ttl("t")).value <= 1000
    expect_ok(c.get("t"), [1, {"a": None}])
    time.sleep(1.1)  # started after the SET's reply: the deadline has passed when it ends
    expect_status(c.get("t"), NULL)
    expect_ok(c.exists("t"), 0)


def test_nested_reads_over_resp2_resp3_and_redis_cli(nkv, connect):
    c = connect(nkv)
    expect_ok(c.set("m", NESTED))
    expect_ok(c.set("l", [1, "a", [None, -2]]))
    expect_ok(c.set("n", None))
    r = nkv.client(decode_responses=False)
    try:  # RESP2 (redis-py): arrays, a map as a flat key/value array, ints as integers
        # A List is the key's Redis list: LRANGE reads it, an element as its text or (nested)
        # as an aggregate; GET answers WRONGTYPE and MGET nil, as Redis does for a list.
        assert r.lrange("l", 0, -1) == [b"1", b"a", [None, -2]]
        with pytest.raises(redis.ResponseError, match="^WRONGTYPE"):
            r.get("l")
        # A Map is the key's Redis hash: HGETALL reads it (a value as its text, a nested value
        # as an aggregate), GET answers WRONGTYPE, as Redis does for a hash.
        assert r.hgetall("m") == {b"name": b"Ada", b"n": b"7",
                                  b"tags": [b"x", None, b"1.5", b"2.50"], b"raw": b"\x00"}
        with pytest.raises(redis.ResponseError, match="^WRONGTYPE"):
            r.get("m")
        assert r.get("n") is None and r.exists("n") == 1
        assert r.mget("l", "m", "nope") == [None, None, None]
        assert [r.type(k) for k in ("l", "m", "n", "nope")] == [b"list", b"hash", b"null", b"none"]
        assert sorted(r.scan_iter(_type="list")) == [b"l"]
        assert sorted(r.scan_iter(_type="hash")) == [b"m"]
        assert sorted(r.scan_iter(_type="null")) == [b"n"]
        assert sorted(r.scan_iter(_type="map")) == []
        assert sorted(r.scan_iter(_type="string")) == []
    finally:
        r.close()
    with nkv.raw() as resp3:
        resp3.call("HELLO", "3")
        assert resp3.call("HGETALL", "m") == {b"name": b"Ada", b"n": b"7",
                                              b"tags": [b"x", None, 1.5, b"2.50"],
                                              b"raw": b"\x00"}
        assert resp3.call("GET", "n") is None
        resp3.send_command("LRANGE", "l", "0", "-1")
        assert resp3.read_reply_bytes() == b"*3\r\n$1\r\n1\r\n$1\r\na\r\n*2\r\n_\r\n:-2\r\n"
    out = nkv.cli("LRANGE", "l", "0", "-1")
    assert out.split("\n")[:4] == ["1", "a", "", "-2"], out


@pytest.mark.parametrize("cmd", [
    ("APPEND", "{k}", "x"), ("INCR", "{k}"), ("DECRBY", "{k}", "1"), ("INCRBYFLOAT", "{k}", "1"),
    ("STRLEN", "{k}"), ("GETRANGE", "{k}", "0", "-1"), ("SETRANGE", "{k}", "0", "x"),
    ("SETRANGE", "{k}", "0", ""), ("DECIMAL.INCRBY", "{k}", "1"), ("DECIMAL.GET", "{k}"),
], ids=lambda c: " ".join(c[:1] + c[2:]))
@pytest.mark.parametrize("key", ["l", "m", "n"])
def test_string_commands_on_nested_are_wrongtype(nkv, connect, cmd, key):
    c = connect(nkv)
    stored = {"l": [1, 2], "m": {"a": 1}, "n": None}[key]
    expect_ok(c.set(key, stored))
    args = [a.replace("{k}", key) for a in cmd]
    with nkv.raw() as resp:
        err = resp.call(*args)
        assert isinstance(err, RespError) and str(err).startswith("WRONGTYPE"), err
    expect_status(c.call(*args), ERROR, prefix="WRONGTYPE")
    r = expect_ok(c.get(key))  # untouched
    assert r.payload == encode_value(stored), show(r)


def test_native_incr_on_nested_is_wrongtype(nkv, connect):
    c = connect(nkv)
    expect_ok(c.set("l", [1]))
    expect_status(c.incr("l"), ERROR, WRONGTYPE)
    expect_status(c.incrby("l", 2), ERROR, WRONGTYPE)
    expect_ok(c.get("l"), [1])


def test_resp_writes_replace_nested(nkv, connect):
    c = connect(nkv)
    expect_ok(c.set("l", [1]))
    r = nkv.client()
    try:
        assert r.set("l", "v") is True
        assert r.getset("l", "w") == "v"
    finally:
        r.close()
    r = expect_ok(c.get("l"))
    assert r.type == T_BYTES and r.value == b"w", show(r)


@pytest.mark.parametrize("stored,expected,swapped", [
    ([1, [2, None]], [1, [2, None]], 1), ([1, 2], [2, 1], 0), ([1], [1.0], 0),
    (MapPairs([("a", 1), ("b", 2)]), MapPairs([("b", 2), ("a", 1)]), 0), ({"a": 1}, [], 0),
    (None, None, 1), (None, b"", 0), (None, [], 0),
    (Decimal("2.50"), Decimal("2.50"), 1), (Decimal("2.50"), Decimal("2.5"), 0),
    (Decimal("1E+5"), Decimal("1e5"), 1), (0.0, -0.0, 0), ("hi", b"hi", 0), (b"hi", "hi", 0),
], ids=repr)
def test_typed_cas(nkv, connect, stored, expected, swapped):
    """CAS compares type and value; a Decimal by its canonical string (2.50 is not 2.5)."""
    c = connect(nkv)
    expect_ok(c.set("k", stored))
    expect_ok(c.cas("k", expected, {"new": [1]}), swapped)
    r = expect_ok(c.get("k"))
    assert r.payload == encode_value({"new": [1]} if swapped else stored), show(r)


def test_typed_cas_missing_key_and_ttl(nkv, connect):
    c = connect(nkv)
    expect_ok(c.cas("nope", None, 1), 0)  # a missing key is not a stored Null
    expect_status(c.get("nope"), NULL)
    expect_ok(c.set("k", [1]))
    expect_ok(c.cas("k", [1], [2], ttl_ms=60000), 1)
    assert 0 < expect_ok(c.ttl("k")).value <= 60000
    r = nkv.client()
    try:  # over RESP, CAS compares text: a List has none, so it never matches
        assert r.execute_command("CAS", "k", "", "x") == 0
        assert r.execute_command("CAS", "k", "[2]", "x") == 0
    finally:
        r.close()
    expect_ok(c.get("k"), [2])


def test_bad_nested_input_is_invalid_and_connection_stays(nkv, connect):
    c = connect(nkv)
    deep65 = None
    for _ in range(65):
        deep65 = [deep65]
    expect_status(c.cas("k", deep65, 1), INVALID, prefix="CAS: invalid value at offset")
    expect_status(c.cas("k", 1, deep65), INVALID)
    expect_status(c.mset([("a", 1), ("b", deep65)]), INVALID)
    expect_status(c.setnx("k", {"k": deep65}), INVALID)
    bad_map = b"\x07\x00\x00\x00\x01\x00\x00\x00\x02\xc3\x28\x00"  # key not UTF-8
    expect_status(c.request(0x02, key16("k") + b"\x00" * 8 + bad_map), INVALID)
    expect_status(c.get("a"), NULL)  # nothing ran
    expect_ok(c.set("k", [1]))
    expect_ok(c.get("k"), [1])


def test_big_nested_value(nkv, connect):
    c = connect(nkv)
    big = [{"i": i, "s": "x" * 10} for i in range(50000)]
    expect_ok(c.set("big", big))
    r = expect_ok(c.get("big"), big)
    assert r.payload == encode_value(big)
    r = nkv.client()
    try:  # a list of 50,000 maps: each element reads over RESP as a flat key/value array
        assert r.llen("big") == 50000
        assert r.lindex("big", 49999) == ["i", 49999, "s", "x" * 10]
        got = r.lrange("big", 0, -1)
        assert len(got) == 50000 and got[0] == ["i", 0, "s", "x" * 10]
    finally:
        r.close()


# ---------------------------------------------------------------------------- 3. pipelining
def test_pipeline_1000_frames_in_one_write(nkv, connect):
    c = connect(nkv)
    frames = []
    for j in range(500):
        frames.append(frame_set(f"p:{j}", j))
        frames.append(frame_get(f"p:{j}"))
    c.send(b"".join(frames))
    rs = c.read_responses(1000, timeout=30)
    for j in range(500):
        assert rs[2 * j].status == OK and rs[2 * j].payload == b"", (j, show(rs[2 * j]))
        assert rs[2 * j + 1].raw() == b"\x00\x00\x00\x00\x09" + encode_value(j), (
            j, show(rs[2 * j + 1]))
    assert not c.buf, f"extra bytes after 1000 responses: {c.buf[:100]!r}"


def test_pipeline_incr_order_and_mixed_statuses(nkv, connect):
    c = connect(nkv)
    frames = [frame_incr("ctr") for _ in range(1000)]
    frames[500] = frame(0x7F)  # an INVALID in the middle changes nothing around it
    frames[501] = frame_get("missing")  # NULL
    c.send(b"".join(frames))
    rs = c.read_responses(1000, timeout=30)
    n = 0
    for i, r in enumerate(rs):
        if i == 500:
            expect_status(r, INVALID, "unknown command byte 127")
        elif i == 501:
            expect_status(r, NULL)
            assert r.payload == b""
        else:
            n += 1
            assert r.status == OK and r.value == n, (i, show(r))


# ---------------------------------------------------------------------------- 4. bad input
@pytest.mark.parametrize("op", [0x00, 0x17, 0x7F, 0xFF])
def test_unknown_opcode_is_invalid_and_connection_stays(nkv, connect, op):
    c = connect(nkv)
    expect_status(c.request(op, b"abc"), INVALID, f"unknown command byte {op}")
    r = c.ping()
    assert r.raw() == b"\x00\x00\x00\x00\x04PONG", show(r)


@pytest.mark.parametrize("op,payload", [
    (0x02, b"\x00\x01k\x00\x00"),                                     # ttl cut short
    (0x02, b"\x00\x05ab"),                                            # key16 longer than payload
    (0x02, key16("k") + b"\x00" * 8),                                 # no value
    (0x02, key16("k") + b"\x00" * 8 + b"\x04\x00\x00\x00\x10ab"),     # String beyond the frame
    (0x02, key16("k") + b"\x00" * 8 + b"\x09"),                       # unknown value type
    (0x02, key16("k") + b"\x00" * 8 + b"\x01\x00\x00"),               # Int cut short
    (0x02, key16("k") + b"\x00" * 8 + b"\x01" + b"\x00" * 8 + b"!"),  # trailing byte
    (0x02, key16("k") + b"\x00" * 8 + b"\x04\x00\x00\x00\x02\xc3\x28"),  # String not UTF-8
    (0x02, key16("k") + b"\x00" * 8 + b"\x03\x00\x00\x00\x03NaN"),    # Decimal NaN
    (0x02, key16("k") + b"\x00" * 8 + b"\x03\x00\x00\x00\x03abc"),    # Decimal not a number
    (0x02, key16("k") + b"\x00" * 8 + b"\x06\xff\xff\xff\xff"),       # List count too large
    (0x08, b"x"),                                                     # PING with a payload
    (0x0F, b"\x02\x00\x00\x00\x00"),                                  # MSET mode 2
    (0x0E, b"\x00\x00\x00\x05\x00\x01a"),                              # MGET count too large
    (0x16, b"\x00\x00"),                                              # CALL argc 0
    (0x16, b"\x00\x01" + encode_value(5)),                            # CALL name not text
    (0x11, key16("n") + b"\x00\x01"),                                 # INCRBY delta cut short
])
def test_malformed_payload_is_invalid_and_connection_stays(nkv, connect, op, payload):
    c = connect(nkv)
    r = expect_status(c.request(op, payload), INVALID)
    assert r.payload and r.text, show(r)  # a UTF-8 message
    expect_ok(c.ping())
    expect_status(c.get("k"), NULL)  # nothing ran


def test_malformed_payload_message(nkv, connect):
    c = connect(nkv)
    expect_status(c.request(0x02, b"\x00\x01k\x00\x00"), INVALID,
                  "SET: truncated payload: u64 at offset 3")


def test_nesting_limit(nkv, connect):
    c = connect(nkv)
    deep64 = None
    for _ in range(64):
        deep64 = [deep64]
    r = c.set("deep", deep64)
    assert r.status != INVALID, show(r)  # depth 64 decodes (storing it is another matter)
    expect_status(c.set("deep", [deep64]), INVALID)  # depth 65
    expect_status(c.call("ECHO", [deep64]), INVALID)
    expect_ok(c.ping())


def test_nested_64_round_trip(nkv, connect):
    c = connect(nkv)
    deep64 = None
    for _ in range(64):
        deep64 = [deep64]
    expect_ok(c.set("deep", deep64))
    r = expect_ok(c.get("deep"))
    assert r.payload == encode_value(deep64)


def test_header_over_64mb_closes_only_that_connection(nkv, connect):
    other = connect(nkv)
    expect_ok(other.set("k", 1))
    bad = connect(nkv)
    bad.send(b"\x02" + struct.pack(">I", 64 * 1024 * 1024 + 1))  # header only, no body
    r = bad.read_response(5.0)
    expect_status(r, INVALID, "payload larger than 64 MB")
    assert bad.is_closed(5.0), "the server kept the connection open"
    expect_ok(other.get("k"), 1)
    expect_ok(connect(nkv).get("k"), 1)
    assert nkv.alive()


def test_header_of_exactly_64mb_waits_for_the_body(nkv, connect):
    c = connect(nkv)
    c.send(b"\x02" + struct.pack(">I", 64 * 1024 * 1024))
    with pytest.raises(TimeoutError):
        c.read_response(0.5)  # no answer from the header alone
    c.close()
    expect_ok(connect(nkv).ping())


@pytest.mark.parametrize("key", [b"\xff\xfe", b"a\xc0\xafb", b"\xed\xa0\x80", "a" * 257],
                         ids=["ff", "overlong", "surrogate", "257chars"])
def test_bad_key_is_error_under_strict_keys(kv_server, connect, key):
    c = connect(kv_server(strict_keys="yes", native_port="auto"))
    expect_status(c.get(key), ERROR, prefix="ERR invalid key")
    expect_status(c.set(key, 1), ERROR, prefix="ERR invalid key")
    expect_status(c.exists(key), ERROR, prefix="ERR invalid key")
    expect_ok(c.ping())


def test_key_of_256_characters_is_fine(nkv, connect):
    c = connect(nkv)
    key = "é" * 256
    expect_ok(c.set(key, 1))
    expect_ok(c.get(key), 1)


def test_disconnect_mid_frame_does_not_disturb_others(nkv, connect):
    steady = connect(nkv)
    expect_ok(steady.set("k", 1))
    partial = [
        b"\x02\x00",                                         # half a header
        b"\x02\x00\x00\x00\x20" + key16("k") + b"\x00\x00",  # a third of a payload
        b"\x02" + struct.pack(">I", 1 << 20) + b"x" * 1000,  # 1 MB promised, 1000 bytes sent
    ]
    for _ in range(10):
        for p in partial:
            c = connect(nkv)
            c.send(p)
            expect_ok(steady.get("k"), 1)
            c.close()
    # A frame split across writes, interleaved with another client's, still works.
    slow = connect(nkv)
    f = frame_set("slow", b"v")
    slow.send(f[:3])
    expect_ok(steady.incr("ctr"), 1)
    slow.send(f[3:10])
    expect_ok(steady.incr("ctr"), 2)
    slow.send(f[10:])
    expect_ok(slow.read_response())
    expect_ok(steady.get("slow"), b"v")
    assert nkv.alive()


def test_concurrent_clients(nkv, connect):
    errors = []

    def work(i):
        try:
            with NativeConn(nkv.host, nkv.native_port) as c:
                c.send(b"".join(frame_incr(f"c:{i}") for _ in range(200)))
                rs = c.read_responses(200, timeout=30)
                assert [r.value for r in rs] == list(range(1, 201))
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))

    run_parallel(work, 8, 60)
    assert not errors, errors


# ---------------------------------------------------------------------------- 5. CALL
def test_call_ping_set_get(nkv, connect):
    c = connect(nkv)
    r = expect_ok(c.call("PING"))
    assert r.type == T_STRING and r.value == "PONG", show(r)
    r = expect_ok(c.call("SET", "ck", "hello"))
    assert r.type == T_STRING and r.value == "OK", show(r)
    r = expect_ok(c.call(b"get", "ck"))
    assert r.type == T_BYTES and r.value == b"hello", show(r)
    r = expect_ok(c.call("GeT", b"ck"))
    assert r.value == b"hello", show(r)
    expect_status(c.call("GET", "missing"), NULL)
    # Int / Float / Decimal / Null arguments go as their canonical text.
    expect_ok(c.call("SET", "n", 41))
    expect_ok(c.call("INCRBY", "n", Decimal("1")), 42)
    expect_status(c.call("NOSUCHCOMMAND"), ERROR, prefix="ERR")
    expect_status(c.call("GET", ["x"]), ERROR)
    expect_ok(c.ping())


def test_call_null_argument_is_empty_string(nkv, connect):
    """Spec 0x16: Null is passed as the empty string."""
    c = connect(nkv)
    r = expect_ok(c.call("ECHO", None))
    assert r.type == T_BYTES and r.value == b"", show(r)


def test_call_plugin_command_returns_decimal(nkv, connect):
    c = connect(nkv)
    r = expect_ok(c.call("DECIMAL.SET", "price", "19.99"))
    assert r.value == "OK", show(r)
    r = expect_ok(c.call("DECIMAL.GET", "price"))
    assert r.type == T_DECIMAL and same_value(r.value, Decimal("19.99")), show(r)
    r = expect_ok(c.get("price"))
    assert r.type == T_DECIMAL and r.value == Decimal("19.99"), show(r)


def test_call_reply_types(nkv, connect):
    c = connect(nkv)
    expect_ok(c.call("SET", "l", "a"))
    r = expect_ok(c.call("KEYS", "*"))  # array -> List of Bytes
    assert r.type == T_LIST and r.value == [b"l"], show(r)
    r = expect_ok(c.call("EXISTS", "l"))  # integer -> Int
    assert r.type == T_INT and r.value == 1, show(r)
    expect_status(c.call("INCR", "l"), ERROR, ERR_NOT_INT)


# ---------------------------------------------------------------------------- 6. SELECT, AUTH
def test_select_isolates_namespaces(nkv, connect):
    a, b, d = connect(nkv), connect(nkv), connect(nkv)
    expect_ok(a.select("ns_a"))
    expect_ok(b.select("ns_b"))
    expect_ok(a.set("k", 1))
    expect_status(b.get("k"), NULL)
    expect_status(d.get("k"), NULL)
    expect_ok(b.set("k", b"b"))
    expect_ok(a.get("k"), 1)
    expect_ok(b.get("k"), b"b")
    # The same namespace over RESP.
    r = nkv.client()
    try:
        r.execute_command("SELECT", "ns_a")
        assert r.get("k") == "1"
    finally:
        r.close()
    # SELECT applies to the frames after it, within one pipeline too.
    d.send(frame_select("ns_a") + frame_get("k") + frame_select("ns_b") + frame_get("k"))
    rs = d.read_responses(4)
    assert [x.status for x in rs] == [OK, OK, OK, OK], rs
    assert rs[1].value == 1 and rs[3].value == b"b", rs


@pytest.mark.parametrize("name", ["bad name", "x" * 65, "", "a/b"])
def test_select_invalid_namespace_is_error(nkv, connect, name):
    c = connect(nkv)
    expect_ok(c.set("k", 1))
    expect_status(c.select(name), ERROR, prefix="ERR")
    expect_ok(c.get("k"), 1)  # still in the namespace it was in


def test_auth_with_requirepass(kv_server, connect):
    server = kv_server(requirepass="secret", native_port="auto")
    c = connect(server)
    expect_status(c.get("k"), ERROR, prefix="NOAUTH")
    expect_status(c.set("k", 1), ERROR, prefix="NOAUTH")
    expect_status(c.auth("nope"), ERROR, WRONGPASS)
    expect_status(c.get("k"), ERROR, prefix="NOAUTH")
    r = expect_ok(c.auth("secret"))
    assert r.payload == b"", show(r)
    expect_ok(c.set("k", 1))
    expect_ok(c.get("k"), 1)
    c2 = connect(server)
    expect_ok(c2.auth("secret", user="default"))
    expect_ok(c2.get("k"), 1)
    c3 = connect(server)
    expect_status(c3.auth("secret", user="nobody"), ERROR, WRONGPASS)


def test_auth_without_requirepass_is_error(nkv, connect):
    c = connect(nkv)
    expect_status(c.auth("whatever"), ERROR, prefix="ERR")
    expect_ok(c.ping())


def test_plain_resp_port_unaffected(nkv, connect):
    c = connect(nkv)
    expect_ok(c.set("both", 7))
    r = nkv.client()
    try:
        assert r.ping() is True
        assert r.get("both") == "7"
    finally:
        r.close()
