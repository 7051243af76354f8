"""Client, Pipeline and Pool for kv-server's native protocol."""

from __future__ import annotations

import contextlib
import queue
import select
import socket
import ssl as _ssl
import struct
import threading
import uuid
from urllib.parse import unquote, urlsplit

from . import protocol as P
from .errors import ConnectionError, LockNotAcquired, ProtocolError, ServerError

DEFAULT_PORT = 6380

# How an OK payload becomes the result.
_VALUE, _EMPTY, _TEXT = "value", "empty", "text"


def parse_url(url: str) -> dict:
    """kv://[[user:]password@]host[:port][/namespace] -> dict(host, port, user, password, namespace)."""
    parts = urlsplit(url)
    if parts.scheme != "kv":
        raise ValueError(f"not a kv:// URL: {url!r}")
    user = password = None
    if parts.username is not None or parts.password is not None:
        if parts.password is None:  # kv://secret@host: the part before @ is the password
            password = unquote(parts.username)
        else:
            user = unquote(parts.username or "")
            password = unquote(parts.password)
    host = parts.hostname or "127.0.0.1"
    port = parts.port or DEFAULT_PORT
    ns = unquote(parts.path.lstrip("/")) or None
    return {"host": host, "port": port, "user": user, "password": password, "namespace": ns}


def _check(status: int, payload: bytes):
    """Raises for ERROR / INVALID / unknown statuses; otherwise returns nothing."""
    if status == P.ERROR:
        raise ServerError(payload.decode("utf-8", "replace"))
    if status == P.INVALID:
        raise ProtocolError(payload.decode("utf-8", "replace"))
    if status not in (P.OK, P.NULL):
        raise ProtocolError(f"unknown status byte {status}")


def _result(status: int, payload: bytes, kind: str, post):
    _check(status, payload)
    if status == P.NULL:
        return None
    if kind == _EMPTY:
        if payload:
            raise ProtocolError(f"unexpected payload for an empty OK: {payload[:60]!r}")
        value = True
    elif kind == _TEXT:
        value = payload.decode("utf-8", "replace")
    else:
        value = P.decode_value(payload)
    return post(value) if post is not None else value


def _bool(v):
    return bool(v)


def _ttl(ttl_ms) -> bytes:
    return P.u64(ttl_ms or 0)


def _items(items):
    """mset items: a dict, or (key, value) / (key, value, ttl_ms) tuples."""
    if isinstance(items, dict):
        items = items.items()
    for it in items:
        if len(it) == 2:
            yield it[0], it[1], 0
        elif len(it) == 3:
            yield it[0], it[1], it[2]
        else:
            raise ValueError("mset items are (key, value) or (key, value, ttl_ms)")


class _Commands:
    """Command methods shared by Client (runs at once) and Pipeline (queues)."""

    def _run(self, op: int, payload: bytes, kind: str = _VALUE, post=None):
        raise NotImplementedError

    def get(self, key):
        return self._run(P.OP_GET, P.as_bytes(key))

    def set(self, key, value, ttl_ms: int = 0):
        return self._run(P.OP_SET, P.field16(key) + _ttl(ttl_ms) + P.encode_value(value), _EMPTY)

    def setnx(self, key, value, ttl_ms: int = 0):
        return self._run(P.OP_SETNX, P.field16(key) + _ttl(ttl_ms) + P.encode_value(value),
                         post=_bool)

    def delete(self, key):
        return self._run(P.OP_DEL, P.as_bytes(key), post=_bool)

    def exists(self, key):
        return self._run(P.OP_EXISTS, P.as_bytes(key), post=_bool)

    def incr(self, key):
        return self._run(P.OP_INCR, P.as_bytes(key))

    def decr(self, key):
        return self._run(P.OP_DECR, P.as_bytes(key))

    def incrby(self, key, delta: int):
        return self._run(P.OP_INCRBY, P.field16(key) + P.i64(delta))

    def ttl(self, key):
        return self._run(P.OP_TTL, P.as_bytes(key))

    def expire(self, key, ttl_ms: int):
        return self._run(P.OP_EXPIRE, P.field16(key) + _ttl(ttl_ms), post=_bool)

    def cas(self, key, expected, new, ttl_ms: int = 0):
        return self._run(P.OP_CAS, P.field16(key) + _ttl(ttl_ms) + P.encode_value(expected)
                         + P.encode_value(new), post=_bool)

    def mget(self, keys):
        keys = list(keys)
        body = struct.pack(">I", len(keys)) + b"".join(P.field16(k) for k in keys)
        return self._run(P.OP_MGET, body)

    def mset(self, items, atomic: bool = True):
        items = list(_items(items))
        body = [bytes([0 if atomic else 1]), struct.pack(">I", len(items))]
        for k, v, ttl in items:
            body.append(P.field16(k) + _ttl(ttl) + P.encode_value(v))
        return self._run(P.OP_MSET, b"".join(body))

    def mdel(self, keys):
        keys = list(keys)
        body = struct.pack(">I", len(keys)) + b"".join(P.field16(k) for k in keys)
        return self._run(P.OP_MDEL, body)

    def acquire_lock(self, key, ttl_ms: int, owner):
        """The fencing token (int), or None when another owner holds the lock."""
        return self._run(P.OP_LOCK, P.field16(key) + P.field16(owner) + _ttl(ttl_ms))

    def release_lock(self, key, owner):
        return self._run(P.OP_UNLOCK, P.field16(key) + P.field16(owner), post=_bool)

    def extend_lock(self, key, ttl_ms: int, owner):
        return self._run(P.OP_EXTEND, P.field16(key) + P.field16(owner) + _ttl(ttl_ms),
                         post=_bool)

    def ping(self):
        return self._run(P.OP_PING, b"", _TEXT, post=lambda t: t == "PONG")

    def info(self):
        return self._run(P.OP_INFO, b"", _TEXT)

    def call(self, *args):
        if not args:
            raise ValueError("call() needs at least the command name")
        if len(args) > 0xFFFF:
            raise ValueError("too many arguments")
        body = struct.pack(">H", len(args)) + b"".join(P.encode_value(a) for a in args)
        return self._run(P.OP_CALL, body)


class Client(_Commands):
    """One connection to kv-server's native port. Thread-safe (one request at a time)."""

    def __init__(self, host: str = "127.0.0.1", port: int = DEFAULT_PORT, *, password=None,
                 user=None, namespace=None, timeout: float | None = 5.0,
                 ssl: _ssl.SSLContext | None = None, server_hostname: str | None = None):
        """`ssl`: connect over TLS (kv-server's tls-native-port) with this context; the
        server's certificate is checked against `server_hostname` (default: `host`) when the
        context's check_hostname is on."""
        self.host = host
        self.ssl = ssl
        self.server_hostname = server_hostname
        self.port = port
        self.user = user
        self.password = password
        self.namespace = namespace
        self.timeout = timeout
        self._sock: socket.socket | None = None
        self._buf = bytearray()
        self._lock = threading.RLock()
        self._closed = False
        self._connect()

    # -- connection
    @property
    def connected(self) -> bool:
        return self._sock is not None

    def _connect(self) -> None:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.ssl is not None:
                try:
                    sock = self.ssl.wrap_socket(sock,
                                                server_hostname=self.server_hostname or self.host)
                except BaseException:
                    sock.close()
                    raise
        except OSError as e:
            raise ConnectionError(f"cannot connect to {self.host}:{self.port}: {e}") from e
        self._sock = sock
        self._buf.clear()
        try:
            if self.password is not None:
                self._roundtrip(P.OP_AUTH, P.field16(self.user or "") + P.field16(self.password),
                                _EMPTY)
            if self.namespace is not None:
                self._roundtrip(P.OP_SELECT, P.as_bytes(self.namespace), _EMPTY)
        except BaseException:
            self._drop()
            raise

    def _drop(self) -> None:
        sock, self._sock = self._sock, None
        self._buf.clear()
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass

    def _ensure(self) -> None:
        if self._closed:
            raise ConnectionError("client is closed")
        if self._sock is None:  # broken earlier: reconnect (AUTH and SELECT again)
            self._connect()

    def is_stale(self) -> bool:
        """True if the idle connection is gone or the server closed (or wrote to) it."""
        if self._sock is None:
            return True
        try:
            readable, _, _ = select.select([self._sock], [], [], 0)
        except (OSError, ValueError):
            return True
        if not readable:
            return False
        if isinstance(self._sock, _ssl.SSLSocket):
            # TLS 1.3 session tickets arrive after the handshake and make the socket readable
            # with no application data: only a close or unsolicited bytes mean stale.
            try:
                self._sock.setblocking(False)
                self._sock.recv(1)
            except (_ssl.SSLWantReadError, BlockingIOError):
                return False
            except OSError:
                return True
            finally:
                try:
                    self._sock.settimeout(self.timeout)
                except OSError:
                    pass
        return True

    def _send(self, data: bytes) -> None:
        try:
            self._sock.sendall(data)
        except OSError as e:
            self._drop()
            raise ConnectionError(f"send to {self.host}:{self.port} failed: {e}") from e

    def _recv_exact(self, n: int) -> bytes:
        try:
            while len(self._buf) < n:
                chunk = self._sock.recv(max(65536, n - len(self._buf)))
                if not chunk:
                    raise ConnectionError(f"{self.host}:{self.port} closed the connection")
                self._buf += chunk
        except ConnectionError:
            self._drop()
            raise
        except OSError as e:  # includes socket.timeout
            self._drop()
            raise ConnectionError(f"receive from {self.host}:{self.port} failed: {e}") from e
        data = bytes(self._buf[:n])
        del self._buf[:n]
        return data

    def _read_frame(self):
        status, n = P.HEADER.unpack(self._recv_exact(P.HEADER.size))
        if n > P.MAX_PAYLOAD:
            self._drop()
            raise ProtocolError(f"response payload of {n} bytes exceeds 64 MB")
        payload = self._recv_exact(n) if n else b""
        if status == P.INVALID and payload == b"payload larger than 64 MB":
            self._drop()  # the server closes this connection
        return status, payload

    def _roundtrip(self, op, payload, kind=_VALUE, post=None):
        self._send(P.frame(op, payload))
        status, body = self._read_frame()
        return _result(status, body, kind, post)

    def _run(self, op, payload, kind=_VALUE, post=None):
        with self._lock:
            self._ensure()
            return self._roundtrip(op, payload, kind, post)

    def _run_batch(self, commands):
        """Sends every frame in one write; returns results (exceptions as objects)."""
        if not commands:
            return []
        data = b"".join(P.frame(op, payload) for op, payload, _, _ in commands)
        with self._lock:
            self._ensure()
            self._send(data)
            results = []
            for _op, _payload, kind, post in commands:
                status, body = self._read_frame()
                try:
                    results.append(_result(status, body, kind, post))
                except (ServerError, ProtocolError) as e:
                    results.append(e)
            return results

    # -- commands that change the connection
    def select(self, namespace):
        with self._lock:
            self._ensure()
            self._roundtrip(P.OP_SELECT, P.as_bytes(namespace), _EMPTY)
            self.namespace = namespace  # re-selected after a reconnect
        return True

    def auth(self, password, user=None):
        with self._lock:
            self._ensure()
            self._roundtrip(P.OP_AUTH, P.field16(user or "") + P.field16(password), _EMPTY)
            self.user, self.password = user, password
        return True

    # -- locks
    @contextlib.contextmanager
    def lock(self, key, ttl_ms: int, owner=None):
        """with c.lock("job:1", ttl_ms=30000) as token: ... (UNLOCK on exit)."""
        owner = owner if owner is not None else str(uuid.uuid4())
        token = self.acquire_lock(key, ttl_ms, owner)
        if token is None:
            raise LockNotAcquired(f"lock {key!r} is held by another owner")
        try:
            yield token
        finally:
            self.release_lock(key, owner)

    def pipeline(self) -> "Pipeline":
        return Pipeline(self)

    # -- life cycle
    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._drop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        state = "closed" if self._closed else ("connected" if self._sock else "disconnected")
        return f"<kvclient.Client {self.host}:{self.port} ns={self.namespace!r} {state}>"


class Pipeline(_Commands):
    """Queues commands; execute() sends them in one write and returns the results in order
    (a failed command's ServerError / ProtocolError is returned in its place, not raised)."""

    def __init__(self, client: Client):
        self._client = client
        self._commands: list = []

    def _run(self, op, payload, kind=_VALUE, post=None):
        self._commands.append((op, payload, kind, post))
        return self

    def __len__(self):
        return len(self._commands)

    def execute(self) -> list:
        commands, self._commands = self._commands, []
        return self._client._run_batch(commands)

    def reset(self) -> None:
        self._commands = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._commands = []


def connect(url: str, timeout: float | None = 5.0, ssl: _ssl.SSLContext | None = None) -> Client:
    """kvclient.connect("kv://[password@]host:port[/namespace]") -> Client; `ssl` connects
    over TLS with that context."""
    cfg = parse_url(url)
    return Client(cfg["host"], cfg["port"], password=cfg["password"], user=cfg["user"],
                  namespace=cfg["namespace"], timeout=timeout, ssl=ssl)


class Pool:
    """A thread-safe pool of at most `size` connections: ``with pool.client() as c: ...``.
    A connection that broke (or that the server closed while idle) is discarded; the next
    checkout opens a new one."""

    def __init__(self, url: str, size: int = 8, timeout: float | None = 5.0,
                 ssl: _ssl.SSLContext | None = None):
        if size < 1:
            raise ValueError("pool size must be at least 1")
        parse_url(url)  # validate early
        self.url = url
        self.size = size
        self.timeout = timeout
        self.ssl = ssl
        self._idle: queue.LifoQueue = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(size)
        self._closed = False

    def _checkout(self) -> Client:
        while True:
            try:
                c = self._idle.get_nowait()
            except queue.Empty:
                return connect(self.url, self.timeout, self.ssl)
            if c.is_stale():
                c.close()
                continue
            return c

    @contextlib.contextmanager
    def client(self, wait: float | None = None):
        if self._closed:
            raise ConnectionError("pool is closed")
        if not self._slots.acquire(timeout=wait):
            raise ConnectionError(f"no free connection in the pool within {wait}s")
        c = None
        try:
            c = self._checkout()
            yield c
        except ConnectionError:
            if c is not None:
                c.close()
                c = None
            raise
        finally:
            if c is not None:
                if self._closed or not c.connected or c._closed:
                    c.close()
                else:
                    self._idle.put(c)
            self._slots.release()

    def close(self) -> None:
        self._closed = True
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                break

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
