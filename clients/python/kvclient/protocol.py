"""Codec for kv-server's native binary protocol (docs/native-protocol.md). Standard library only."""

from __future__ import annotations

import struct
from decimal import Decimal, InvalidOperation

from .errors import ProtocolError

# Status codes (section 2)
OK, NULL, ERROR, INVALID = 0, 1, 2, 3

# Value types (section 3)
T_NULL, T_INT, T_FLOAT, T_DECIMAL, T_STRING, T_BYTES, T_LIST, T_MAP = range(8)

# Opcodes (section 5)
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

MAX_PAYLOAD = 64 * 1024 * 1024
MAX_DEPTH = 64
I64_MIN, I64_MAX = -(1 << 63), (1 << 63) - 1
U64_MAX = (1 << 64) - 1

_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")
_U64 = struct.Struct(">Q")
_I64 = struct.Struct(">q")
_F64 = struct.Struct(">d")
HEADER = struct.Struct(">BI")


# ---------------------------------------------------------------------------- encoding
def as_bytes(s) -> bytes:
    """A key, owner, namespace, ...: str -> UTF-8; bytes-like as is."""
    if isinstance(s, str):
        return s.encode("utf-8")
    if isinstance(s, (bytes, bytearray, memoryview)):
        return bytes(s)
    raise TypeError(f"expected str or bytes, got {type(s).__name__}")


def field16(s) -> bytes:
    b = as_bytes(s)
    if len(b) > 0xFFFF:
        raise ValueError(f"field longer than 65535 bytes ({len(b)})")
    return _U16.pack(len(b)) + b


def u64(n: int) -> bytes:
    n = int(n)
    if not 0 <= n <= U64_MAX:
        raise ValueError(f"ttl_ms out of range: {n}")
    return _U64.pack(n)


def i64(n: int) -> bytes:
    n = int(n)
    if not I64_MIN <= n <= I64_MAX:
        raise ValueError(f"integer out of the i64 range: {n}")
    return _I64.pack(n)


def _len32(b: bytes) -> bytes:
    return _U32.pack(len(b)) + b


def encode_value(v, _depth: int = 0) -> bytes:
    """One Value (type byte + body) for a Python object."""
    if v is None:
        return b"\x00"
    if isinstance(v, bool):
        return b"\x01" + i64(int(v))
    if isinstance(v, int):
        return b"\x01" + i64(v)
    if isinstance(v, float):
        return b"\x02" + _F64.pack(v)
    if isinstance(v, Decimal):
        if not v.is_finite():
            raise ValueError(f"Decimal {v} cannot be sent (NaN and Infinity are refused)")
        return b"\x03" + _len32(str(v).encode("ascii"))
    if isinstance(v, str):
        return b"\x04" + _len32(v.encode("utf-8"))
    if isinstance(v, (bytes, bytearray, memoryview)):
        return b"\x05" + _len32(bytes(v))
    if isinstance(v, (list, tuple)):
        if _depth >= MAX_DEPTH:
            raise ValueError(f"values nest deeper than {MAX_DEPTH} containers")
        return b"\x06" + _U32.pack(len(v)) + b"".join(encode_value(x, _depth + 1) for x in v)
    if isinstance(v, dict):
        if _depth >= MAX_DEPTH:
            raise ValueError(f"values nest deeper than {MAX_DEPTH} containers")
        parts = [b"\x07", _U32.pack(len(v))]
        for k, x in v.items():
            if not isinstance(k, str):
                raise TypeError(f"map keys must be str, got {type(k).__name__}")
            parts.append(_len32(k.encode("utf-8")))
            parts.append(encode_value(x, _depth + 1))
        return b"".join(parts)
    raise TypeError(f"cannot encode a {type(v).__name__} as a kv value")


def frame(op: int, payload: bytes = b"") -> bytes:
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"payload larger than 64 MB ({len(payload)} bytes)")
    return HEADER.pack(op, len(payload)) + payload


# ---------------------------------------------------------------------------- decoding
class _Reader:
    __slots__ = ("buf", "pos")

    def __init__(self, buf: bytes, pos: int = 0):
        self.buf = buf
        self.pos = pos

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.buf):
            raise ProtocolError(f"truncated value at offset {self.pos}")
        b = self.buf[self.pos:self.pos + n]
        self.pos += n
        return b

    def u32(self) -> int:
        return _U32.unpack(self.take(4))[0]


def _decode(r: _Reader, depth: int):
    t = r.take(1)[0]
    if t == T_NULL:
        return None
    if t == T_INT:
        return _I64.unpack(r.take(8))[0]
    if t == T_FLOAT:
        return _F64.unpack(r.take(8))[0]
    if t == T_DECIMAL:
        text = r.take(r.u32())
        try:
            d = Decimal(text.decode("ascii"))
        except (UnicodeDecodeError, InvalidOperation):
            raise ProtocolError(f"invalid decimal text {text[:60]!r}") from None
        if not d.is_finite():
            raise ProtocolError(f"invalid decimal text {text[:60]!r}")
        return d
    if t == T_STRING:
        return _utf8(r.take(r.u32()))
    if t == T_BYTES:
        return r.take(r.u32())
    if t in (T_LIST, T_MAP):
        if depth >= MAX_DEPTH:
            raise ProtocolError(f"values nest deeper than {MAX_DEPTH} containers")
        n = r.u32()
        if n > len(r.buf) - r.pos:  # every element takes at least one byte
            raise ProtocolError(f"container count {n} larger than the remaining bytes")
        if t == T_LIST:
            return [_decode(r, depth + 1) for _ in range(n)]
        out = {}
        for _ in range(n):
            k = _utf8(r.take(r.u32()))
            out[k] = _decode(r, depth + 1)
        return out
    raise ProtocolError(f"unknown value type byte {t} at offset {r.pos - 1}")


def _utf8(b: bytes) -> str:
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError("invalid UTF-8 text in a value") from None


def decode_value(buf: bytes):
    """The one Value filling `buf` (an OK payload); trailing bytes are a ProtocolError."""
    r = _Reader(bytes(buf))
    v = _decode(r, 0)
    if r.pos != len(r.buf):
        raise ProtocolError(f"trailing bytes after a value at offset {r.pos}")
    return v


def decode_value_at(buf: bytes, pos: int = 0):
    """(value, next offset) for the Value at `pos`."""
    r = _Reader(bytes(buf), pos)
    return _decode(r, 0), r.pos


def parse_frame(data: bytes):
    """(status or command, payload) of one whole frame."""
    if len(data) < HEADER.size:
        raise ProtocolError("truncated frame header")
    code, n = HEADER.unpack_from(data)
    if len(data) != HEADER.size + n:
        raise ProtocolError(f"frame length {n} does not match {len(data) - HEADER.size} bytes")
    return code, bytes(data[HEADER.size:])
