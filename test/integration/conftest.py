"""Fixtures for kv-server's integration tests.

Fixture API
-----------
kv          a running server shared by the test module, flushed (FLUSHALL) before each test.
            Its type is :class:`Server`.
kv_server   factory: ``kv_server(requirepass="pw", strict_keys="no", maxmemory="16mb", ...)``
            starts a dedicated server for one test (keyword names map to ``--dashed-names``;
            ``True``/``False`` map to ``yes``/``no``) and stops it at teardown.
            ``native_port=N`` listens for the native protocol on N (``"auto"``: a free port,
            chosen like ``.port``); the default stays ``--native-port 0`` (off).
kv_persist  factory like kv_server for durability tests: ``appendonly=yes``, a workdir that survives
            stop()/kill9() for restarts (see Server below).
redis_ref   Debian's /usr/bin/redis-server (module scope, flushed before each test), for
            side-by-side comparisons.

Server: ``.port``, ``.native_port`` (0 = off), ``.host``, ``.pid``, ``.client(**kw)``
(redis.Redis, ``decode_responses=True`` by default, the server's password by default), ``.raw()``
(:class:`RawConn`), ``.cli(*args)`` (redis-cli stdout), ``.stderr_text()``, ``.alive()``.
Stopping sends SIGTERM and asserts exit code 0 within 10 s. For durability tests: ``.kill9()``
(SIGKILL, the workdir stays), ``.restart()`` (same workdir, same port if free), ``.data_dir``,
``.start_expecting_exit()`` (a start that must fail; returns the exit code) and ``env=`` (extra
environment, e.g. LD_PRELOAD). A server that is restarted must get a ``workdir`` of the test's
own (``stop()`` deletes a workdir the Server created itself).

Environment
-----------
KV_SERVER_BIN            kv-server binary (default <repo>/build/kv-server)
KV_TEST_AGAINST_REDIS=1  ``kv`` and ``kv_server`` start /usr/bin/redis-server instead (with the
                         options Redis understands); tests marked ``kv_only`` are skipped.
KV_TEST_THREADS=N        kv-server runs N I/O threads unless a test sets ``threads`` itself.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
import redis

REPO_ROOT = Path(__file__).resolve().parents[2]
KV_BIN = os.environ.get("KV_SERVER_BIN", str(REPO_ROOT / "build" / "kv-server"))
REDIS_BIN = "/usr/bin/redis-server"
REDIS_CLI = "/usr/bin/redis-cli"
AGAINST_REDIS = os.environ.get("KV_TEST_AGAINST_REDIS", "") == "1"
# I/O threads for servers whose test does not choose (scripts/tsan.sh runs the suite with 2).
TEST_THREADS = os.environ.get("KV_TEST_THREADS", "")

# A sanitizer report in the server's stderr fails the test even when the process survives it
# (halt_on_error=0, recoverable UBSan checks) or exits 0 regardless (exitcode=0).
SANITIZER_REPORT = re.compile(
    rb"ERROR: (?:Address|Leak|Memory|UndefinedBehavior)Sanitizer|WARNING: ThreadSanitizer"
    rb"|runtime error:")

START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0
HOST = "127.0.0.1"

# Options redis-server understands (with the same meaning); the others are kv-server only.
REDIS_OPTIONS = {
    "requirepass", "maxmemory", "maxmemory-policy", "maxclients", "proto-max-bulk-len",
    "client-query-buffer-limit", "hz", "maxmemory-samples", "timeout", "enable-debug-command",
    "client-output-buffer-limit", "cluster-enabled", "cluster-config-file",
    "cluster-require-full-coverage",
}
# kv-server option -> redis-server option with another name
REDIS_RENAMED = {"log-level": "loglevel"}


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "kv_only: kv-server specific behaviour (strict keys, namespace names, ...); "
        "skipped with KV_TEST_AGAINST_REDIS=1",
    )


def pytest_collection_modifyitems(config, items):
    if not AGAINST_REDIS:
        return
    skip = pytest.mark.skip(reason="kv-server only behaviour (KV_TEST_AGAINST_REDIS=1)")
    for item in items:
        if "kv_only" in item.keywords:
            item.add_marker(skip)


def _die_with_parent():
    """Runs in the child before exec: SIGTERM it if pytest dies, so no server outlives a run."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - best effort
        pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def cluster_port() -> int:
    """A free port whose cluster bus port (+10000) exists: redis-server refuses others in
    cluster mode, and a kv-server map with such a port is refused too."""
    while True:
        port = free_port()
        if port <= 55535:
            return port


def _opt_value(v) -> str:
    if v is True:
        return "yes"
    if v is False:
        return "no"
    return str(v)


# ---------------------------------------------------------------------------- raw socket
class RawConn:
    """A plain TCP connection for byte-exact protocol tests."""

    def __init__(self, host: str, port: int, timeout: float = 10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.eof = False
        self.timeout = timeout

    # -- sending
    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    @staticmethod
    def encode(*args) -> bytes:
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            if isinstance(a, str):
                a = a.encode()
            elif isinstance(a, int):
                a = str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)

    def send_command(self, *args) -> None:
        self.send(self.encode(*args))

    # -- receiving
    def _fill(self, timeout: float | None) -> bool:
        """Reads more bytes into the buffer; False on EOF or timeout."""
        if self.eof:
            return False
        self.sock.settimeout(timeout)
        try:
            chunk = self.sock.recv(1 << 16)
        except socket.timeout:
            return False
        except (ConnectionResetError, BrokenPipeError):
            chunk = b""
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def read(self, timeout: float = 1.0) -> bytes:
        """Everything that arrives until `timeout` seconds of silence or the peer closes."""
        while self._fill(timeout):
            pass
        data, self.buf = self.buf, b""
        return data

    def read_until_closed(self, timeout: float = 10.0) -> bytes:
        """Everything until the peer closes; fails if it is still open after `timeout`."""
        deadline = time.monotonic() + timeout
        while not self.eof:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"connection still open after {timeout}s; got {self.buf[:200]!r}")
            self._fill(left)
        data, self.buf = self.buf, b""
        return data

    def _need(self, n: int, deadline: float) -> None:
        while len(self.buf) < n:
            left = deadline - time.monotonic()
            if left <= 0 or not self._fill(left):
                raise AssertionError(
                    f"incomplete reply (eof={self.eof}); buffered {self.buf[:200]!r}")

    def _line_end(self, start: int, deadline: float) -> int:
        while True:
            i = self.buf.find(b"\r\n", start)
            if i >= 0:
                return i
            left = deadline - time.monotonic()
            if left <= 0 or not self._fill(left):
                raise AssertionError(
                    f"incomplete reply line (eof={self.eof}); buffered {self.buf[:200]!r}")

    def _reply_end(self, pos: int, deadline: float) -> int:
        """Returns the offset just past the complete RESP2/RESP3 reply starting at pos."""
        self._need(pos + 1, deadline)
        t = self.buf[pos:pos + 1]
        eol = self._line_end(pos, deadline)
        head = self.buf[pos + 1:eol]
        nxt = eol + 2
        if t in (b"+", b"-", b":", b",", b"_", b"#", b"("):
            return nxt
        if t in (b"$", b"=", b"!"):
            n = int(head)
            if n < 0:
                return nxt
            self._need(nxt + n + 2, deadline)
            return nxt + n + 2
        if t in (b"*", b"~", b">", b"%", b"|"):
            n = int(head)
            if n < 0:
                return nxt
            if t in (b"%", b"|"):
                n *= 2
            for _ in range(n):
                nxt = self._reply_end(nxt, deadline)
            return nxt
        raise AssertionError(f"not a RESP reply: {self.buf[pos:pos + 100]!r}")

    def read_reply_bytes(self, timeout: float | None = None) -> bytes:
        """The raw bytes of exactly one complete reply."""
        deadline = time.monotonic() + (timeout or self.timeout)
        end = self._reply_end(0, deadline)
        data, self.buf = self.buf[:end], self.buf[end:]
        return data

    def read_reply(self, timeout: float | None = None):
        """One reply, parsed: simple/bulk strings -> bytes, errors -> RespError, ints -> int,
        doubles -> float, null -> None, arrays/sets/pushes -> list, maps -> dict."""
        return parse_resp(self.read_reply_bytes(timeout))

    def call(self, *args):
        self.send_command(*args)
        return self.read_reply()

    def is_closed(self, timeout: float = 2.0) -> bool:
        """True if the peer closes the connection within `timeout` (discarding any data)."""
        deadline = time.monotonic() + timeout
        while not self.eof and time.monotonic() < deadline:
            self._fill(max(0.01, deadline - time.monotonic()))
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


class RespError(Exception):
    pass


def parse_resp(data: bytes):
    value, end = _parse(data, 0)
    assert end == len(data), f"trailing bytes after reply: {data[end:][:100]!r}"
    return value


def _parse(data: bytes, pos: int):
    t = data[pos:pos + 1]
    eol = data.index(b"\r\n", pos)
    head = data[pos + 1:eol]
    nxt = eol + 2
    if t == b"+":
        return head, nxt
    if t == b"-":
        return RespError(head.decode(errors="replace")), nxt
    if t == b":":
        return int(head), nxt
    if t == b",":
        return float(head), nxt
    if t == b"_":
        return None, nxt
    if t == b"#":
        return head == b"t", nxt
    if t == b"(":
        return int(head), nxt
    if t in (b"$", b"=", b"!"):
        n = int(head)
        if n < 0:
            return None, nxt
        return data[nxt:nxt + n], nxt + n + 2
    if t in (b"*", b"~", b">"):
        n = int(head)
        if n < 0:
            return None, nxt
        out = []
        for _ in range(n):
            v, nxt = _parse(data, nxt)
            out.append(v)
        return out, nxt
    if t in (b"%", b"|"):
        n = int(head)
        out = {}
        for _ in range(n):
            k, nxt = _parse(data, nxt)
            v, nxt = _parse(data, nxt)
            out[k] = v
        return out, nxt
    raise ValueError(f"bad RESP type byte at {pos}: {data[pos:pos + 50]!r}")


# ---------------------------------------------------------------------------- server
class Server:
    """A kv-server (or redis-server) process on a free port."""

    def __init__(self, options: dict | None = None, *, redis_ref: bool = False,
                 workdir: str | None = None, binary: str | None = None,
                 env: dict | None = None):
        self.options = {k.replace("_", "-"): v for k, v in (options or {}).items()}
        self.env = dict(env or {})
        self.is_redis = redis_ref or AGAINST_REDIS
        self.binary = binary or (REDIS_BIN if self.is_redis else KV_BIN)
        self._own_dir = None
        if workdir is None:
            self._own_dir = tempfile.TemporaryDirectory(prefix="kv-it-")
            workdir = self._own_dir.name
        self.workdir = Path(workdir)
        self.password = self.options.get("requirepass")
        self.host = HOST
        self.port = 0
        native = self.options.pop("native-port", 0)
        self._native_auto = native == "auto"
        self.native_port = 0 if self._native_auto else int(native)
        self.proc: subprocess.Popen | None = None
        self.stderr_path = self.workdir / "server.stderr"
        self._stopped = False
        self._sanitizer_checked = 0  # stderr offset up to which sanitizer reports were reported

    # -- command line
    def argv(self, port: int) -> list[str]:
        data_dir = self.workdir / "data"
        data_dir.mkdir(exist_ok=True)
        if self.is_redis:
            argv = [self.binary, "--port", str(port), "--bind", HOST, "--save", "",
                    "--appendonly", "no", "--dir", str(data_dir), "--loglevel", "warning",
                    "--daemonize", "no"]
            if "config" in self.options:  # redis-server takes the file as its first argument
                argv.insert(1, str(self.options["config"]))
            for k, v in self.options.items():
                if k in REDIS_RENAMED:
                    argv += ["--" + REDIS_RENAMED[k], _opt_value(v)]
                elif k in REDIS_OPTIONS:
                    argv += ["--" + k, _opt_value(v)]
            return argv
        argv = [self.binary, "--port", str(port), "--native-port", str(self.native_port)]
        # In-memory by default, so tests do not pay for a WAL; kv-server takes each option once.
        # No metrics endpoint unless a test asks: its default port would be shared by every
        # server a run starts.
        defaults = [("bind", HOST), ("dir", str(data_dir)), ("appendonly", "no"),
                    ("log-level", "warning"), ("metrics-port", "0")]
        if TEST_THREADS:
            defaults.append(("threads", TEST_THREADS))
        for k, v in defaults:
            if k not in self.options:
                argv += ["--" + k, v]
        for k, v in self.options.items():
            argv += ["--" + k, _opt_value(v)]
        return argv

    @property
    def data_dir(self) -> Path:
        return self.workdir / "data"

    def _popen(self, port: int) -> None:
        stderr = open(self.stderr_path, "wb")
        env = None
        if self.env:
            env = dict(os.environ)
            env.update(self.env)
        self.proc = subprocess.Popen(self.argv(port), stdout=stderr, stderr=stderr,
                                     stdin=subprocess.DEVNULL, cwd=self.workdir, env=env,
                                     preexec_fn=_die_with_parent)
        stderr.close()
        self.port = port
        self._stopped = False
        self._sanitizer_checked = 0  # a new stderr file

    # -- life cycle
    def start(self, port: int | None = None) -> "Server":
        """Starts the server (again, after stop()/kill9(), on the same workdir). `port`: try
        that port first (a restart keeps the address clients know), then free ones."""
        last_err = ""
        for _attempt in range(5):
            if not (port and _attempt == 0):
                port = free_port()
            if self._native_auto and not self.is_redis:
                self.native_port = free_port()
                while self.native_port == port:
                    self.native_port = free_port()
            self._popen(port)
            if self._wait_ready():
                return self
            # It exited before accepting connections: retry on a port collision only.
            last_err = self.stderr_text()
            if self.proc.poll() is None:
                self._kill()
                raise RuntimeError(
                    f"{self.binary} did not accept connections on port {port} within "
                    f"{START_TIMEOUT}s; stderr:\n{last_err}")
            if "in use" not in last_err.lower():
                break
        raise RuntimeError(
            f"{self.binary} exited with code {self.proc.returncode} before accepting "
            f"connections; argv: {self.argv(self.port)}\nstderr:\n{last_err}")

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    pass
                if self.native_port and not self.is_redis:
                    with socket.create_connection((self.host, self.native_port), timeout=0.5):
                        pass
                if self.proc.poll() is None:
                    return self._wait_loaded(deadline)
                return False
            except OSError:
                time.sleep(0.02)
        return False

    def _wait_loaded(self, deadline: float) -> bool:
        """kv-server accepts connections while it loads its data directory (answering -LOADING);
        a started server is one that finished loading."""
        if self.is_redis or not self.port:
            return True
        request = b""
        if self.password:
            request += RawConn.encode("AUTH", self.password)
        request += RawConn.encode("INFO", "persistence")
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with socket.create_connection((self.host, self.port), timeout=2) as s:
                    s.sendall(request)
                    reply = b""
                    while not reply.startswith(b"-") and (
                            b"loading:" not in reply
                            or b"\r\n" not in reply.split(b"loading:", 1)[1]):
                        chunk = s.recv(65536)
                        if not chunk:
                            break
                        reply += chunk
                # NOAUTH: a password from a config file; such servers here load nothing.
                # "\nloading:0": not the "async_loading:0" that follows "loading:1".
                if b"\nloading:0\r\n" in reply or reply.startswith(b"-NOAUTH"):
                    return True
            except OSError:
                pass
            time.sleep(0.02)
        return False

    def restart(self) -> "Server":
        """Starts again on the same workdir (and, if it is still free, the same port)."""
        return self.start(port=self.port)

    def spawn(self) -> None:
        """Starts the process on a free port without waiting for it (e.g. to connect while it
        still loads its data)."""
        self._popen(free_port())

    def children(self) -> list[int]:
        pids = []
        for task in Path(f"/proc/{self.pid}/task").glob("*"):
            try:
                pids += [int(p) for p in (task / "children").read_text().split()]
            except OSError:
                pass
        return pids

    def kill9(self, children: bool = False) -> None:
        """SIGKILL, as a crash: nothing is flushed; the workdir stays for a restart. Fails on a
        sanitizer report the run printed before it died. `children`: its child processes too
        (a snapshot writer), as when the whole machine stops."""
        assert self.alive(), f"{self.binary} had already exited; stderr:\n{self.stderr_text()}"
        doomed = []
        if children:
            os.kill(self.pid, signal.SIGSTOP)  # no new child between the listing and the kill
            doomed = self.children()
            for pid in doomed:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.proc.send_signal(signal.SIGKILL)
        deadline = time.monotonic() + STOP_TIMEOUT
        for pid in doomed:  # dead (a zombie or gone), so it writes nothing more
            while time.monotonic() < deadline:
                try:
                    if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in "ZX":
                        break
                except (OSError, IndexError):
                    break
                time.sleep(0.001)
        self.proc.wait(STOP_TIMEOUT)
        self._stopped = True
        self.check_sanitizers()

    def start_expecting_exit(self, timeout: float = START_TIMEOUT) -> int:
        """Starts a server that must refuse to run (bad data directory); returns its exit code."""
        self._popen(free_port())
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._kill()
            raise AssertionError(
                f"{self.binary} still ran after {timeout}s; stderr:\n{self.stderr_text()}")
        self._stopped = True
        self.check_sanitizers()
        return rc

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stderr_text(self, limit: int = 8000) -> str:
        try:
            data = self.stderr_path.read_bytes()
        except OSError:
            return ""
        if len(data) > limit:
            data = b"...\n" + data[-limit:]
        return data.decode(errors="replace")

    def sanitizer_report(self) -> str | None:
        """The stderr text from the first sanitizer report not reported before, else None.
        Each report is returned once, so one bad test does not fail every later one."""
        try:
            data = self.stderr_path.read_bytes()
        except OSError:
            return None
        m = SANITIZER_REPORT.search(data, self._sanitizer_checked)
        if m is None:
            return None
        self._sanitizer_checked = len(data)
        start = data.rfind(b"\n", 0, max(0, m.start() - 200)) + 1
        return data[start:start + 16000].decode(errors="replace")

    def check_sanitizers(self) -> None:
        """Fails (AssertionError) if the server's stderr holds a new sanitizer report."""
        report = self.sanitizer_report()
        if report is not None:
            raise AssertionError(f"{self.binary} stderr holds a sanitizer report:\n{report}")

    def _kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def stop(self, check: bool = True) -> int | None:
        """SIGTERM; asserts a clean exit (code 0 within STOP_TIMEOUT) when `check`."""
        if self._stopped or self.proc is None:
            return self.proc.returncode if self.proc else None
        self._stopped = True
        try:
            if self.proc.poll() is not None:
                rc = self.proc.returncode
                if check:
                    raise AssertionError(
                        f"{self.binary} had already exited (code {rc}) before shutdown; "
                        f"stderr:\n{self.stderr_text()}")
                return rc
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._kill()
                if check:
                    raise AssertionError(
                        f"{self.binary} did not exit within {STOP_TIMEOUT}s of SIGTERM; "
                        f"stderr:\n{self.stderr_text()}")
                return None
            if check and rc != 0:
                how = f"signal {-rc}" if rc < 0 else f"code {rc}"
                raise AssertionError(
                    f"{self.binary} exited with {how} after SIGTERM (expected 0); "
                    f"stderr:\n{self.stderr_text()}")
            if check:
                # Leaks are reported at exit, after the process looked healthy all along.
                self.check_sanitizers()
            return rc
        finally:
            if self._own_dir is not None:
                self._own_dir.cleanup()
                self._own_dir = None

    # -- clients
    _UNSET = object()

    def client(self, decode_responses: bool = True, password=_UNSET, **kw) -> redis.Redis:
        if password is Server._UNSET:
            password = self.password
        kw.setdefault("socket_timeout", 30)
        kw.setdefault("socket_connect_timeout", 10)
        return redis.Redis(host=self.host, port=self.port, password=password,
                           decode_responses=decode_responses, **kw)

    def raw(self, timeout: float = 10.0) -> RawConn:
        return RawConn(self.host, self.port, timeout)

    def cli(self, *args, auth: bool = True, timeout: float = 60, check: bool = True) -> str:
        argv = [REDIS_CLI, "-h", self.host, "-p", str(self.port)]
        if auth and self.password:
            argv += ["-a", str(self.password), "--no-auth-warning"]
        argv += [str(a) for a in args]
        res = subprocess.run(argv, capture_output=True, timeout=timeout, text=True)
        if check:
            assert res.returncode == 0, f"redis-cli {args} exited {res.returncode}: {res.stderr}"
        return res.stdout

    def flushall(self) -> None:
        c = self.client()
        try:
            c.flushall()
        finally:
            c.close()

    def __repr__(self):
        return f"<Server {self.binary} port={self.port}>"


# ---------------------------------------------------------------------------- fixtures
class _ModuleServer:
    """Keeps one server per module; restarts it if a test killed it (that test fails)."""

    def __init__(self, options=None, redis_ref=False):
        self.options = options
        self.redis_ref = redis_ref
        self.server: Server | None = None
        self.crashes: list[str] = []

    def get(self) -> Server:
        if self.server is None or not self.server.alive():
            if self.server is not None:
                self.server.stop(check=False)
            self.server = Server(self.options, redis_ref=self.redis_ref).start()
        return self.server

    def check_alive(self) -> None:
        if self.server is not None and not self.server.alive():
            rc = self.server.proc.returncode
            text = self.server.stderr_text()
            self.crashes.append(f"exit {rc}")
            self.server.stop(check=False)
            self.server = None
            pytest.fail(f"server died during this test (exit code {rc}); stderr:\n{text}")
        if self.server is not None:
            report = self.server.sanitizer_report()
            if report is not None:
                pytest.fail(f"sanitizer report in the server's stderr during this test:\n{report}")


def run_parallel(worker, count: int, timeout: float) -> None:
    """Runs worker(0) ... worker(count - 1) on threads of their own and joins them all (waiting
    at most `timeout` s in total: a liveness cap, not a speed check). Fails if a worker is still
    running after that, and re-raises the first exception a worker raised, so a worker that hung
    or died cannot leave the test passing on the others' results."""
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        try:
            worker(i)
        except BaseException as e:  # noqa: BLE001 - re-raised in the test's thread
            with lock:
                errors.append(e)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(count)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + timeout
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    alive = sum(1 for t in threads if t.is_alive())
    assert alive == 0, f"{alive} of {count} workers still running after {timeout}s"
    if errors:
        raise errors[0]


@pytest.fixture(scope="module")
def _kv_module():
    holder = _ModuleServer()
    yield holder
    if holder.server is not None:
        holder.server.stop(check=True)


@pytest.fixture
def kv(_kv_module) -> Server:
    server = _kv_module.get()
    server.flushall()
    yield server
    _kv_module.check_alive()


@pytest.fixture(scope="module")
def _native_module():
    holder = _ModuleServer({"native_port": "auto"})
    yield holder
    if holder.server is not None:
        holder.server.stop(check=True)


@pytest.fixture
def nkv(_native_module) -> Server:
    """A kv-server listening on a free native port too, shared by a module's tests; flushed
    before each test."""
    server = _native_module.get()
    assert server.native_port, "the server has no native port"
    server.flushall()
    yield server
    _native_module.check_alive()


def _stop_all(started: list) -> None:
    """Fixture teardown: stops every server (checked), failing the test with all the errors."""
    errors = []
    for s in started:
        try:
            s.stop(check=True)
        except AssertionError as e:
            errors.append(str(e))
    if errors:
        pytest.fail("\n".join(errors))


@pytest.fixture
def kv_server():
    started: list[Server] = []

    def start(**options) -> Server:
        s = Server(options).start()
        started.append(s)
        return s

    yield start
    _stop_all(started)


@pytest.fixture
def kv_persist(tmp_path):
    """factory: ``kv_persist(env=None, start=True, **options)`` -> a :class:`Server` with
    ``appendonly=yes`` (unless given) in a workdir of its own under the test's tmp_path, which
    outlives stop() and kill9() so the server can be restarted on the same data directory.
    Running servers are stopped (checked) at teardown."""
    started: list[Server] = []

    def make(env: dict | None = None, start: bool = True, **options) -> Server:
        options.setdefault("appendonly", "yes")
        workdir = tmp_path / f"server{len(started)}"
        workdir.mkdir()
        s = Server(options, workdir=str(workdir), env=env)
        started.append(s)
        return s.start() if start else s

    yield make
    _stop_all(started)


@pytest.fixture(scope="module")
def _redis_ref_module():
    holder = _ModuleServer(redis_ref=True)
    yield holder
    if holder.server is not None:
        holder.server.stop(check=True)


@pytest.fixture
def redis_ref(_redis_ref_module) -> Server:
    server = _redis_ref_module.get()
    server.flushall()
    yield server
    _redis_ref_module.check_alive()


def rss_bytes(pid: int) -> int:
    """Resident set size of a process (VmRSS), for tests that bound what a client can pin."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.05, what: str = "condition"):
    """Polls `predicate` until it returns a truthy value (liveness, not speed)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last value {last!r}")


def non_loopback_address() -> str | None:
    """An IPv4 address of this machine that is not loopback: connecting to it plays a remote
    client (protected mode, the `local` security switches). None when there is none."""
    out = subprocess.run(["hostname", "-I"], capture_output=True, text=True).stdout.split()
    for a in out:
        if "." in a and not a.startswith("127."):
            return a
    return None


@pytest.fixture
def remote_address() -> str:
    """non_loopback_address, or a skip (listed as machine-dependent in test/skip-allowlist.txt)."""
    a = non_loopback_address()
    if a is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    return a
