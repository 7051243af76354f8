"""A minimal raw client for kv-server's native binary protocol (docs/native-protocol.md).

Standard library only (socket + struct). Byte-exact by design: the tests use it to send both valid
and deliberately broken frames, so nothing here hides what went over the wire.

Values (section 3) map to Python as follows:

    Null     None
    Int      int                      (i64; out of range raises ValueError when encoding)
    Float    float                    (the binary64 bits, so -0.0 and NaN survive)
    Decimal  decimal.Decimal          (sent as its canonical text, str(Decimal))
    String   str                      (UTF-8)
    Bytes    bytes / bytearray
    List     list / tuple             (decoded as list)
    Map      dict, or MapPairs        (decoded as dict; decode_value(..., map_pairs=True) keeps
                                       the order and duplicate keys as a MapPairs)

Frames (section 1): ``request = [command u8][length u32][payload]``, ``response = [status u8]
[length u32][payload]``. :class:`NativeConn` sends frames and reads :class:`Response` objects;
the ``frame_*`` functions build request frames without sending them (for pipelining), and the
NativeConn methods of the same names send one and read its response.
"""

from __future__ import annotations

import socket
import struct
import time
from decimal import Decimal
from typing import NamedTuple

# ---------------------------------------------------------------------------- constants
OK, NULL, ERROR, INVALID = 0, 1, 2, 3
STATUS_NAMES = {OK: "OK", NULL: "NULL", ERROR: "ERROR", INVALID: "INVALID"}

T_NULL, T_INT, T_FLOAT, T_DECIMAL, T_STRING, T_BYTES, T_LIST, T_MAP = range(8)
TYPE_NAMES = {T_NULL: "Null", T_INT: "Int", T_FLOAT: "Float", T_DECIMAL: "Decimal",
              T_STRING: "String", T_BYTES: "Bytes", T_LIST: "List", T_MAP: "Map"}

OP_GET = 0x01
OP_SET = 0x02
OP_DEL = 0x03
OP_EXISTS = 0x04
OP_INCR = 0x05
OP_DECR = 0x06
OP_CAS = 0x07
OP_PING = 0x08
OP_INFO = 0x09
OP_SETNX = 0x0A
OP_LOCK = 0x0B
OP_UNLOCK = 0x0C
OP_EXTEND = 0x0D
OP_MGET = 0x0E
OP_MSET = 0x0F
OP_MDEL = 0x10
OP_INCRBY = 0x11
OP_TTL = 0x12
OP_EXPIRE = 0x13
OP_SELECT = 0x14
OP_AUTH = 0x15
OP_CALL = 0x16

MAX_PAYLOAD = 64 * 1024 * 1024  # 67108864: a header declaring more is INVALID and closes
MAX_DEPTH = 64

MSET_ALL_OR_NOTHING = 0
MSET_BEST_EFFORT = 1


class MapPairs(list):
    """A Map as an ordered list of (key, value) pairs; duplicate keys allowed."""


class NativeDecodeError(ValueError):
    pass


class ConnectionClosed(ConnectionError):
    """The server closed the connection (possibly in the middle of a response)."""

    def __init__(self, msg: str, partial: bytes = b""):
        super().__init__(msg)
        self.partial = partial


# ---------------------------------------------------------------------------- values
def _u32(n: int) -> bytes:
    return struct.pack(">I", n)


def _text(b: bytes | str) -> bytes:
    return b.encode("utf-8") if isinstance(b, str) else bytes(b)


def encode_value(v) -> bytes:
    """One Value: type byte + body."""
    if v is None:
        return b"\x00"
    if isinstance(v, bool):
        raise TypeError("bool has no native type; use int")
    if isinstance(v, int):
        return b"\x01" + struct.pack(">q", v)
    if isinstance(v, float):
        return b"\x02" + struct.pack(">d", v)
    if isinstance(v, Decimal):
        t = str(v).encode("ascii")
        return b"\x03" + _u32(len(t)) + t
    if isinstance(v, str):
        t = v.encode("utf-8")
        return b"\x04" + _u32(len(t)) + t
    if isinstance(v, (bytes, bytearray, memoryview)):
        t = bytes(v)
        return b"\x05" + _u32(len(t)) + t
    if isinstance(v, MapPairs):
        pairs = list(v)
    elif isinstance(v, dict):
        pairs = list(v.items())
    elif isinstance(v, (list, tuple)):
        return b"\x06" + _u32(len(v)) + b"".join(encode_value(x) for x in v)
    else:
        raise TypeError(f"no native encoding for {type(v).__name__}")
    out = [b"\x07", _u32(len(pairs))]
    for k, x in pairs:
        kb = _text(k)
        out += [_u32(len(kb)), kb, encode_value(x)]
    return b"".join(out)


def _need(buf: bytes, off: int, n: int, what: str) -> None:
    if off + n > len(buf):
        raise NativeDecodeError(f"truncated {what} at offset {off}")


def decode_value(buf: bytes, off: int = 0, *, map_pairs: bool = False, depth: int = 0):
    """Decodes one Value at `off`; returns (value, next offset)."""
    _need(buf, off, 1, "type byte")
    t = buf[off]
    off += 1
    if t == T_NULL:
        return None, off
    if t == T_INT:
        _need(buf, off, 8, "i64")
        return struct.unpack_from(">q", buf, off)[0], off + 8
    if t == T_FLOAT:
        _need(buf, off, 8, "f64")
        return struct.unpack_from(">d", buf, off)[0], off + 8
    if t in (T_DECIMAL, T_STRING, T_BYTES):
        _need(buf, off, 4, "length")
        n = struct.unpack_from(">I", buf, off)[0]
        off += 4
        _need(buf, off, n, "body")
        body = bytes(buf[off:off + n])
        off += n
        if t == T_BYTES:
            return body, off
        if t == T_STRING:
            try:
                return body.decode("utf-8"), off
            except UnicodeDecodeError as e:
                raise NativeDecodeError(f"String is not UTF-8: {body!r}") from e
        try:
            return Decimal(body.decode("ascii")), off
        except Exception as e:  # noqa: BLE001
            raise NativeDecodeError(f"bad Decimal text {body!r}") from e
    if t in (T_LIST, T_MAP):
        if depth + 1 > MAX_DEPTH:
            raise NativeDecodeError("nesting deeper than 64")
        _need(buf, off, 4, "count")
        n = struct.unpack_from(">I", buf, off)[0]
        off += 4
        if t == T_LIST:
            out = []
            for _ in range(n):
                x, off = decode_value(buf, off, map_pairs=map_pairs, depth=depth + 1)
                out.append(x)
            return out, off
        pairs = MapPairs()
        for _ in range(n):
            _need(buf, off, 4, "map key length")
            kn = struct.unpack_from(">I", buf, off)[0]
            off += 4
            _need(buf, off, kn, "map key")
            k = bytes(buf[off:off + kn]).decode("utf-8")
            off += kn
            x, off = decode_value(buf, off, map_pairs=map_pairs, depth=depth + 1)
            pairs.append((k, x))
        return (pairs if map_pairs else dict(pairs)), off
    raise NativeDecodeError(f"unknown value type byte {t:#04x} at offset {off - 1}")


def decode_one(buf: bytes, **kw):
    """Decodes a payload that must hold exactly one Value."""
    v, end = decode_value(buf, 0, **kw)
    if end != len(buf):
        raise NativeDecodeError(f"{len(buf) - end} trailing bytes after the value")
    return v


def value_type(buf: bytes) -> int | None:
    """The type byte of an encoded value (None for an empty payload)."""
    return buf[0] if buf else None


# ---------------------------------------------------------------------------- frames
def frame(op: int, payload: bytes = b"") -> bytes:
    return struct.pack(">BI", op, len(payload)) + payload


def key16(k: bytes | str) -> bytes:
    kb = _text(k)
    if len(kb) > 0xFFFF:
        raise ValueError("key16 longer than 65535 bytes")
    return struct.pack(">H", len(kb)) + kb


def ttl(ms: int) -> bytes:
    return struct.pack(">Q", ms)


def frame_get(key) -> bytes:
    return frame(OP_GET, _text(key))


def frame_set(key, value, ttl_ms: int = 0) -> bytes:
    return frame(OP_SET, key16(key) + ttl(ttl_ms) + encode_value(value))


def frame_del(key) -> bytes:
    return frame(OP_DEL, _text(key))


def frame_exists(key) -> bytes:
    return frame(OP_EXISTS, _text(key))


def frame_incr(key) -> bytes:
    return frame(OP_INCR, _text(key))


def frame_decr(key) -> bytes:
    return frame(OP_DECR, _text(key))


def frame_cas(key, expected, new, ttl_ms: int = 0) -> bytes:
    return frame(OP_CAS, key16(key) + ttl(ttl_ms) + encode_value(expected) + encode_value(new))


def frame_ping() -> bytes:
    return frame(OP_PING)


def frame_info() -> bytes:
    return frame(OP_INFO)


def frame_setnx(key, value, ttl_ms: int = 0) -> bytes:
    return frame(OP_SETNX, key16(key) + ttl(ttl_ms) + encode_value(value))


def frame_lock(key, owner, ttl_ms: int) -> bytes:
    return frame(OP_LOCK, key16(key) + key16(owner) + ttl(ttl_ms))


def frame_unlock(key, owner) -> bytes:
    return frame(OP_UNLOCK, key16(key) + key16(owner))


def frame_extend(key, owner, ttl_ms: int) -> bytes:
    return frame(OP_EXTEND, key16(key) + key16(owner) + ttl(ttl_ms))


def frame_mget(keys) -> bytes:
    return frame(OP_MGET, _u32(len(keys)) + b"".join(key16(k) for k in keys))


def frame_mset(items, mode: int = MSET_ALL_OR_NOTHING) -> bytes:
    """items: (key, value) or (key, value, ttl_ms) tuples."""
    body = [struct.pack(">BI", mode, len(items))]
    for it in items:
        k, v = it[0], it[1]
        t = it[2] if len(it) > 2 else 0
        body += [key16(k), ttl(t), encode_value(v)]
    return frame(OP_MSET, b"".join(body))


def frame_mdel(keys) -> bytes:
    return frame(OP_MDEL, _u32(len(keys)) + b"".join(key16(k) for k in keys))


def frame_incrby(key, delta: int) -> bytes:
    return frame(OP_INCRBY, key16(key) + struct.pack(">q", delta))


def frame_ttl(key) -> bytes:
    return frame(OP_TTL, _text(key))


def frame_expire(key, ttl_ms: int) -> bytes:
    return frame(OP_EXPIRE, key16(key) + ttl(ttl_ms))


def frame_select(name) -> bytes:
    return frame(OP_SELECT, _text(name))


def frame_auth(password, user="") -> bytes:
    return frame(OP_AUTH, key16(user) + key16(password))


def frame_call(*args) -> bytes:
    """CALL: argument 0 is the command name; each argument is any encodable value (a str name
    is sent as String)."""
    return frame(OP_CALL, struct.pack(">H", len(args)) + b"".join(encode_value(a) for a in args))


# ---------------------------------------------------------------------------- responses
class Response(NamedTuple):
    status: int
    payload: bytes

    @property
    def value(self):
        """The payload decoded as exactly one Value (OK responses of value-shaped opcodes)."""
        return decode_one(self.payload)

    @property
    def text(self) -> str:
        """The payload as UTF-8 (ERROR / INVALID messages, PING, INFO)."""
        return self.payload.decode("utf-8")

    @property
    def type(self) -> int | None:
        return value_type(self.payload)

    def raw(self) -> bytes:
        return struct.pack(">BI", self.status, len(self.payload)) + self.payload

    def __repr__(self):
        name = STATUS_NAMES.get(self.status, str(self.status))
        return f"Response({name}, {self.payload[:200]!r})"


def parse_response(data: bytes) -> tuple[Response, bytes]:
    """One response from the front of `data`; returns (response, rest). Raises ValueError if
    `data` does not hold a whole response."""
    if len(data) < 5:
        raise ValueError("incomplete response header")
    status, n = struct.unpack_from(">BI", data, 0)
    if len(data) < 5 + n:
        raise ValueError("incomplete response payload")
    return Response(status, bytes(data[5:5 + n])), data[5 + n:]


# ---------------------------------------------------------------------------- connection
class NativeConn:
    """One TCP connection speaking the native protocol."""

    def __init__(self, host: str, port: int, timeout: float = 10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout
        self.buf = b""
        self.eof = False

    # -- raw I/O
    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send_frame(self, op: int, payload: bytes = b"") -> None:
        self.send(frame(op, payload))

    def _fill(self, deadline: float) -> None:
        if self.eof:
            raise ConnectionClosed("connection closed by the server", self.buf)
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no complete response within {self.timeout}s; "
                               f"buffered {self.buf[:200]!r}")
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(1 << 16)
        except socket.timeout as e:
            raise TimeoutError(f"no complete response in time; buffered {self.buf[:200]!r}") from e
        except (ConnectionResetError, BrokenPipeError):
            chunk = b""
        if not chunk:
            self.eof = True
            raise ConnectionClosed("connection closed by the server", self.buf)
        self.buf += chunk

    def _need(self, n: int, deadline: float) -> None:
        while len(self.buf) < n:
            self._fill(deadline)

    def read_response(self, timeout: float | None = None) -> Response:
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        self._need(5, deadline)
        status, n = struct.unpack_from(">BI", self.buf, 0)
        self._need(5 + n, deadline)
        r = Response(status, self.buf[5:5 + n])
        self.buf = self.buf[5 + n:]
        return r

    def read_responses(self, count: int, timeout: float | None = None) -> list[Response]:
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        return [self.read_response(max(0.001, deadline - time.monotonic())) for _ in range(count)]

    def request(self, op: int, payload: bytes = b"") -> Response:
        self.send_frame(op, payload)
        return self.read_response()

    def roundtrip(self, frame_bytes: bytes) -> Response:
        self.send(frame_bytes)
        return self.read_response()

    def is_closed(self, timeout: float = 2.0) -> bool:
        """True if the server closes the connection within `timeout` (discarding any data)."""
        deadline = time.monotonic() + timeout
        while not self.eof and time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(1 << 16)
            except socket.timeout:
                continue
            except (ConnectionResetError, BrokenPipeError):
                chunk = b""
            if not chunk:
                self.eof = True
        self.buf = b""
        return self.eof

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- one helper per opcode (0x01-0x16): send the frame, return its Response
    def get(self, key) -> Response:
        return self.roundtrip(frame_get(key))

    def set(self, key, value, ttl_ms: int = 0) -> Response:
        return self.roundtrip(frame_set(key, value, ttl_ms))

    def delete(self, key) -> Response:
        return self.roundtrip(frame_del(key))

    def exists(self, key) -> Response:
        return self.roundtrip(frame_exists(key))

    def incr(self, key) -> Response:
        return self.roundtrip(frame_incr(key))

    def decr(self, key) -> Response:
        return self.roundtrip(frame_decr(key))

    def cas(self, key, expected, new, ttl_ms: int = 0) -> Response:
        return self.roundtrip(frame_cas(key, expected, new, ttl_ms))

    def ping(self) -> Response:
        return self.roundtrip(frame_ping())

    def info(self) -> Response:
        return self.roundtrip(frame_info())

    def setnx(self, key, value, ttl_ms: int = 0) -> Response:
        return self.roundtrip(frame_setnx(key, value, ttl_ms))

    def lock(self, key, owner, ttl_ms: int) -> Response:
        return self.roundtrip(frame_lock(key, owner, ttl_ms))

    def unlock(self, key, owner) -> Response:
        return self.roundtrip(frame_unlock(key, owner))

    def extend(self, key, owner, ttl_ms: int) -> Response:
        return self.roundtrip(frame_extend(key, owner, ttl_ms))

    def mget(self, keys) -> Response:
        return self.roundtrip(frame_mget(keys))

    def mset(self, items, mode: int = MSET_ALL_OR_NOTHING) -> Response:
        return self.roundtrip(frame_mset(items, mode))

    def mdel(self, keys) -> Response:
        return self.roundtrip(frame_mdel(keys))

    def incrby(self, key, delta: int) -> Response:
        return self.roundtrip(frame_incrby(key, delta))

    def ttl(self, key) -> Response:
        return self.roundtrip(frame_ttl(key))

    def expire(self, key, ttl_ms: int) -> Response:
        return self.roundtrip(frame_expire(key, ttl_ms))

    def select(self, name) -> Response:
        return self.roundtrip(frame_select(name))

    def auth(self, password, user="") -> Response:
        return self.roundtrip(frame_auth(password, user))

    def call(self, *args) -> Response:
        return self.roundtrip(frame_call(*args))


# ---------------------------------------------------------------------------- vectors file
class Vector(NamedTuple):
    name: str
    request: bytes
    response: bytes
    close: bool


def load_vectors(path) -> list[Vector]:
    """Parses test/vectors/native/vectors.txt (format at its top)."""
    out: list[Vector] = []
    cur: dict | None = None

    def flush():
        if cur is not None:
            out.append(Vector(cur["name"], cur["request"], cur["response"],
                              cur.get("close", False)))

    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            field, _, rest = line.partition(":")
            field, rest = field.strip(), rest.strip()
            if field == "name":
                flush()
                cur = {"name": rest}
            elif field in ("request", "response"):
                cur[field] = bytes.fromhex(rest.replace(" ", ""))
            elif field == "close":
                cur["close"] = rest.lower() == "yes"
            else:
                raise ValueError(f"unknown vector field {field!r}")
    flush()
    return out
