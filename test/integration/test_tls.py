"""TLS on RESP (tls-port) and on the native protocol (tls-native-port), driven by redis-cli
--tls, redis-py ssl=True, Python's ssl module and the native Python client; certificates come
from a throwaway CA made with the openssl command for this module."""

from __future__ import annotations

import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from conftest import (HOST, KV_BIN, REDIS_BIN, REDIS_CLI, REPO_ROOT, Server, free_port,
                      run_parallel, wait_for)

sys.path.insert(0, str(REPO_ROOT / "clients" / "python"))
import kvclient  # noqa: E402

pytestmark = pytest.mark.kv_only


# ---------------------------------------------------------------------------- certificates
def _openssl(*args, cwd: Path) -> None:
    res = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, f"openssl {' '.join(args)}: {res.stderr}"


class Certs:
    """ca: trusted CA; server / server2: two server certificates (SAN 127.0.0.1, localhost)
    with different subjects; client: a client certificate of the CA; rogue_client: a client
    certificate of another CA, which the server does not trust."""

    def __init__(self, d: Path):
        self.dir = d
        (d / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
        for ca in ("ca", "rogue_ca"):
            _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{ca}.key",
                     "-out", f"{ca}.crt", "-days", "2", "-subj", f"/CN=kv test {ca}", cwd=d)
        self._issue("server", "ca", "/CN=kv-server one", serial="1001", san=True)
        self._issue("server2", "ca", "/CN=kv-server two", serial="2002", san=True)
        self._issue("client", "ca", "/CN=kv client", serial="3003")
        self._issue("rogue_client", "rogue_ca", "/CN=rogue client", serial="4004")
        (d / "garbage.crt").write_text("this is not a certificate\n")
        _openssl("pkey", "-in", "server.key", "-aes256", "-passout", "pass:s3cret", "-out",
                 "server-enc.key", cwd=d)
        (d / "cadir").mkdir()
        (d / "cadir" / "ca.pem").write_bytes((d / "ca.crt").read_bytes())
        _openssl("rehash", str(d / "cadir"), cwd=d)

    def _issue(self, name: str, ca: str, subject: str, serial: str, san: bool = False) -> None:
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out",
                 f"{name}.csr", "-subj", subject, cwd=self.dir)
        args = ["x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key",
                "-set_serial", serial, "-out", f"{name}.crt", "-days", "2"]
        if san:
            args += ["-extfile", "san.ext"]
        _openssl(*args, cwd=self.dir)

    def path(self, name: str) -> str:
        return str(self.dir / name)


@pytest.fixture(scope="module")
def certs(tmp_path_factory) -> Certs:
    return Certs(tmp_path_factory.mktemp("tls-certs"))


def tls_options(certs: Certs, **extra) -> dict:
    opts = {"tls_port": free_port(), "tls_cert_file": certs.path("server.crt"),
            "tls_key_file": certs.path("server.key"),
            "tls_ca_cert_file": certs.path("ca.crt")}
    opts.update(extra)
    return opts


@pytest.fixture
def tls_server(certs):
    """factory: a kv-server with a plain RESP port and a TLS port (tls-auth-clients yes by
    default); keyword options as for kv_server."""
    started: list[Server] = []

    def start(**options) -> Server:
        s = Server(tls_options(certs, **options)).start()
        s.tls_port = int(s.options["tls-port"])
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop(check=True)


def client_context(certs: Certs, cert: str | None = "client", **kw) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=certs.path("ca.crt"))
    if cert:
        ctx.load_cert_chain(certs.path(f"{cert}.crt"), certs.path(f"{cert}.key"))
    for k, v in kw.items():
        setattr(ctx, k, v)
    return ctx


def tls_socket(port: int, ctx: ssl.SSLContext, timeout: float = 10.0) -> ssl.SSLSocket:
    raw = socket.create_connection((HOST, port), timeout=timeout)
    try:
        return ctx.wrap_socket(raw, server_hostname=HOST)
    except BaseException:
        raw.close()
        raise


def resp_call(sock, *args) -> bytes:
    """Sends one RESP command; returns its reply's bytes (a line, or a bulk string whole)."""
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    sock.sendall(out)
    data = b""

    def complete() -> bool:
        if b"\r\n" not in data:
            return False
        head = data.split(b"\r\n", 1)[0]
        if head[:1] == b"$" and int(head[1:]) >= 0:
            return len(data) >= len(head) + 2 + int(head[1:]) + 2
        return True

    while not complete():
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed by the server")
        data += chunk
    return data


def tls_ping(port: int, ctx: ssl.SSLContext) -> bytes:
    """PING over a new TLS connection. With TLS 1.3 a refused client certificate only shows on
    the first read, so a refusal raises here either way."""
    with tls_socket(port, ctx) as s:
        return resp_call(s, "PING")


def tls_redis(s: Server, certs: Certs, cert: str | None = "client", **kw) -> redis.Redis:
    return redis.Redis(host=HOST, port=s.tls_port, ssl=True, ssl_ca_certs=certs.path("ca.crt"),
                       ssl_certfile=certs.path(f"{cert}.crt") if cert else None,
                       ssl_keyfile=certs.path(f"{cert}.key") if cert else None,
                       socket_timeout=30, decode_responses=True, **kw)


def cli_tls(s: Server, certs: Certs, *args, cert: str | None = "client") -> subprocess.CompletedProcess:
    argv = [REDIS_CLI, "-h", HOST, "-p", str(s.tls_port), "--tls", "--cacert",
            certs.path("ca.crt")]
    if cert:
        argv += ["--cert", certs.path(f"{cert}.crt"), "--key", certs.path(f"{cert}.key")]
    return subprocess.run(argv + [str(a) for a in args], capture_output=True, text=True,
                          timeout=60)


REFUSED = (ssl.SSLError, ConnectionError, OSError)


# ---------------------------------------------------------------------------- tests
def test_plain_and_tls_ports_serve_the_same_data(tls_server, certs):
    s = tls_server(native_port="auto", tls_native_port=free_port())
    plain = s.client()
    plain.set("k", "from-plain")
    secure = tls_redis(s, certs)
    assert secure.get("k") == "from-plain"
    secure.set("k2", "from-tls")
    assert plain.get("k2") == "from-tls"

    res = cli_tls(s, certs, "GET", "k2")
    assert res.returncode == 0 and res.stdout.strip() == "from-tls", res.stderr
    assert cli_tls(s, certs, "SET", "k3", "from-cli").stdout.strip() == "OK"
    assert plain.get("k3") == "from-cli"

    # The native protocol over TLS: the same frames, the same keyspace.
    tls_native = int(s.options["tls-native-port"])
    with kvclient.Client(HOST, tls_native, ssl=client_context(certs)) as n:
        assert n.ping()
        assert n.get("k3") == b"from-cli"
        n.set("typed", 42)
    with kvclient.Client(HOST, s.native_port) as n:
        assert n.get("typed") == 42
    assert plain.get("typed") == "42"
    secure.close()
    plain.close()


def test_redis_cli_without_client_cert_is_refused_by_default(tls_server, certs):
    s = tls_server()
    res = cli_tls(s, certs, "PING", cert=None)
    assert "PONG" not in res.stdout
    assert cli_tls(s, certs, "PING").stdout.strip() == "PONG"
    # The refused client was logged, and the server goes on serving the plain port.
    wait_for(lambda: "TLS handshake with" in s.stderr_text(), what="the handshake failure log")
    assert s.client().ping()


@pytest.mark.parametrize("mode", ["yes", "no", "optional"])
def test_tls_auth_clients(tls_server, certs, mode):
    s = tls_server(tls_auth_clients=mode)
    # A certificate of the trusted CA is accepted in every mode.
    assert tls_ping(s.tls_port, client_context(certs)) == b"+PONG\r\n"
    if mode == "yes":
        with pytest.raises(REFUSED):
            tls_ping(s.tls_port, client_context(certs, cert=None))
    else:
        assert tls_ping(s.tls_port, client_context(certs, cert=None)) == b"+PONG\r\n"
    if mode == "no":
        # Not asked for, so not checked.
        assert tls_ping(s.tls_port, client_context(certs, cert="rogue_client")) == b"+PONG\r\n"
    else:
        # A certificate that is given must chain to tls-ca-cert-file, even when optional.
        with pytest.raises(REFUSED):
            tls_ping(s.tls_port, client_context(certs, cert="rogue_client"))
    assert s.alive()


def test_redis_py_without_cert_fails_and_with_cert_works(tls_server, certs):
    s = tls_server()
    with pytest.raises(redis.exceptions.ConnectionError):
        tls_redis(s, certs, cert=None).ping()
    r = tls_redis(s, certs)
    assert r.ping()
    r.close()


def test_tls_protocols_tlsv13_refuses_a_tlsv12_only_client(tls_server, certs):
    s = tls_server(tls_protocols="TLSv1.3")
    old = client_context(certs, maximum_version=ssl.TLSVersion.TLSv1_2)
    with pytest.raises(REFUSED):
        tls_ping(s.tls_port, old)
    with tls_socket(s.tls_port, client_context(certs)) as sock:
        assert sock.version() == "TLSv1.3"
        assert resp_call(sock, "PING") == b"+PONG\r\n"


def test_default_protocols_accept_tlsv12(tls_server, certs):
    s = tls_server()
    with tls_socket(s.tls_port,
                    client_context(certs, maximum_version=ssl.TLSVersion.TLSv1_2)) as sock:
        assert sock.version() == "TLSv1.2"
        assert resp_call(sock, "PING") == b"+PONG\r\n"


def test_plaintext_client_on_the_tls_port_is_closed_and_others_are_served(tls_server, certs):
    s = tls_server(native_port="auto", tls_native_port=free_port())
    good = tls_socket(s.tls_port, client_context(certs))
    assert resp_call(good, "SET", "k", "v") == b"+OK\r\n"
    for port in (s.tls_port, int(s.options["tls-native-port"])):
        for junk in (b"PING\r\n", b"*1\r\n$4\r\nPING\r\n", b"\x08\x00\x00\x00\x00",
                     b"GET / HTTP/1.1\r\n\r\n" + b"x" * 70000):
            with socket.create_connection((HOST, port), timeout=10) as raw:
                try:
                    raw.sendall(junk)
                    data = raw.recv(65536)
                    # At most a TLS alert record (content type 21), never a RESP reply.
                    assert data == b"" or data[0] == 21, data[:40]
                    while raw.recv(65536):
                        pass
                except (ConnectionResetError, BrokenPipeError):
                    pass
    # The open TLS connection and new ones keep working.
    assert resp_call(good, "GET", "k") == b"$1\r\nv\r\n"
    good.close()
    assert tls_ping(s.tls_port, client_context(certs)) == b"+PONG\r\n"
    assert s.client().get("k") == "v"


def plaintext_attempt(port: int) -> None:
    """A plaintext PING to a TLS port, read until the server closes (an alert or a reset)."""
    with socket.create_connection((HOST, port), timeout=10) as raw:
        raw.sendall(b"PING\r\n")
        try:
            while raw.recv(4096):
                pass
        except ConnectionResetError:
            pass


def test_handshake_failures_are_rate_limited_in_the_log(tls_server, certs):
    s = tls_server()
    attempts = 200
    for _ in range(attempts):
        plaintext_attempt(s.tls_port)
    assert s.client().ping()  # every bad connection has been handled by now
    log = s.stderr_text(limit=1_000_000)
    logged = log.count("TLS handshake with")
    assert 1 <= logged < attempts, log[-2000:]
    # The ones left out are counted once the next second's first failure is logged.
    time.sleep(1.1)
    plaintext_attempt(s.tls_port)
    wait_for(lambda: "TLS handshake failures were not logged" in s.stderr_text(limit=1_000_000),
             what="the count of unlogged failures")


@pytest.mark.parametrize("which,file", [("tls-cert-file", "missing.crt"),
                                        ("tls-cert-file", "garbage.crt"),
                                        ("tls-key-file", "missing.key"),
                                        ("tls-key-file", "server2.key"),
                                        ("tls-ca-cert-file", "missing-ca.crt")])
def test_bad_certificate_or_key_at_start_exits_1_naming_the_file(certs, which, file):
    s = Server(tls_options(certs, **{which.replace("-", "_"): certs.path(file)}))
    try:
        assert s.start_expecting_exit() == 1
        err = s.stderr_text()
        assert certs.path(file) in err, err
        assert which in err, err
    finally:
        s.stop(check=False)


def test_auth_clients_without_a_ca_is_refused_at_start(certs):
    opts = tls_options(certs)
    del opts["tls_ca_cert_file"]
    s = Server(opts)
    try:
        assert s.start_expecting_exit() == 1
        assert "tls-ca-cert-file" in s.stderr_text()
    finally:
        s.stop(check=False)


def test_tls_port_equal_to_another_listener_is_refused(certs):
    port = free_port()
    res = subprocess.run([KV_BIN, "--port", str(port), "--tls-port", str(port), "--appendonly",
                          "no"], capture_output=True, text=True, timeout=30)
    assert res.returncode == 2
    assert "--port and --tls-port" in res.stderr


def test_tls_port_alone_is_a_listener(certs, tmp_path):
    tls_port = free_port()
    argv = [KV_BIN, "--port", "0", "--native-port", "0", "--appendonly", "no", "--bind", HOST,
            "--dir", str(tmp_path), "--tls-port", str(tls_port),
            "--tls-cert-file", certs.path("server.crt"), "--tls-key-file",
            certs.path("server.key"), "--tls-ca-cert-file", certs.path("ca.crt")]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        def pong():
            try:
                return tls_ping(tls_port, client_context(certs)) == b"+PONG\r\n"
            except OSError:
                return False
        wait_for(pong, what="PONG on the TLS port of a server without plain ports")
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0


def peer_serial(port: int, certs: Certs) -> tuple[str, str]:
    with tls_socket(port, client_context(certs)) as sock:
        cert = sock.getpeercert()
        assert resp_call(sock, "PING") == b"+PONG\r\n"
    subject = dict(x[0] for x in cert["subject"])["commonName"]
    return cert["serialNumber"], subject


def test_config_set_reloads_certificates(tls_server, certs):
    s = tls_server()
    c = s.client()
    assert peer_serial(s.tls_port, certs) == ("03E9", "kv-server one")  # serial 1001
    old = tls_socket(s.tls_port, client_context(certs))
    assert resp_call(old, "SET", "k", "v") == b"+OK\r\n"

    # A certificate and its key change together, in one CONFIG SET.
    assert c.config_set("tls-cert-file", certs.path("server2.crt"),
                        "tls-key-file", certs.path("server2.key"))
    assert peer_serial(s.tls_port, certs) == ("07D2", "kv-server two")  # serial 2002
    # The connection opened before the reload carries on.
    assert resp_call(old, "GET", "k") == b"$1\r\nv\r\n"

    # A bad path: an error naming it, the old value and the old context stay.
    for bad in (certs.path("missing.crt"), certs.path("garbage.crt"), certs.path("server.crt")):
        with pytest.raises(redis.ResponseError) as e:
            c.config_set("tls-cert-file", bad)
        msg = str(e.value)
        # The cert of another key names both files.
        assert "tls-cert-file" in msg and bad in msg, msg
        assert c.config_get("tls-cert-file")["tls-cert-file"] == certs.path("server2.crt")
        assert peer_serial(s.tls_port, certs) == ("07D2", "kv-server two")
    # The other directives are checked the same way.
    with pytest.raises(redis.ResponseError):
        c.config_set("tls-ciphersuites", "NO_SUCH_SUITE")
    with pytest.raises(redis.ResponseError):
        c.config_set("tls-protocols", "SSLv3")
    with pytest.raises(redis.ResponseError):
        c.config_set("tls-auth-clients", "maybe")
    assert c.config_get("tls-protocols")["tls-protocols"] == "TLSv1.2 TLSv1.3"
    assert peer_serial(s.tls_port, certs) == ("07D2", "kv-server two")

    # Back to the first one, and a change of policy applies to new connections.
    assert c.config_set("tls-cert-file", certs.path("server.crt"),
                        "tls-key-file", certs.path("server.key"),
                        "tls-auth-clients", "no")
    assert peer_serial(s.tls_port, certs) == ("03E9", "kv-server one")
    assert tls_ping(s.tls_port, client_context(certs, cert=None)) == b"+PONG\r\n"
    assert resp_call(old, "GET", "k") == b"$1\r\nv\r\n"
    old.close()
    c.close()


def test_config_set_error_matches_redis(certs, tmp_path):
    """Debian's redis-server (built with TLS) answers a missing certificate with this error
    prefix too."""
    port, tls_port = free_port(), free_port()
    proc = subprocess.Popen(
        [REDIS_BIN, "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path), "--tls-port", str(tls_port),
         "--tls-cert-file", certs.path("server.crt"), "--tls-key-file", certs.path("server.key"),
         "--tls-ca-cert-file", certs.path("ca.crt")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        r = redis.Redis(host=HOST, port=port, decode_responses=True)
        wait_for(lambda: _pings(r), what="redis-server")
        with pytest.raises(redis.ResponseError) as redis_err:
            r.config_set("tls-cert-file", certs.path("missing.crt"))
        r.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
    s = Server(tls_options(certs)).start()
    try:
        c = s.client()
        with pytest.raises(redis.ResponseError) as kv_err:
            c.config_set("tls-cert-file", certs.path("missing.crt"))
        c.close()
    finally:
        s.stop()
    prefix = ("CONFIG SET failed (possibly related to argument 'tls-cert-file') - Unable to "
              "update TLS configuration")
    assert str(redis_err.value).startswith(prefix), str(redis_err.value)
    assert str(kv_err.value).startswith(prefix), str(kv_err.value)


def _pings(r) -> bool:
    try:
        return r.ping()
    except redis.ConnectionError:
        return False


def test_large_pipeline_round_trips_over_tls(tls_server, certs):
    s = tls_server(native_port="auto", tls_native_port=free_port())
    r = tls_redis(s, certs, cert="client")
    r2 = redis.Redis(host=HOST, port=s.tls_port, ssl=True, ssl_ca_certs=certs.path("ca.crt"),
                     ssl_certfile=certs.path("client.crt"), ssl_keyfile=certs.path("client.key"),
                     socket_timeout=60)
    values = {f"big:{i}": bytes([65 + i % 26]) * (1024 * 1024 + i) for i in range(12)}
    p = r2.pipeline(transaction=False)
    for k, v in values.items():
        p.set(k, v)
    for i in range(5000):
        p.incr("counter")
    for k in values:
        p.get(k)
    out = p.execute()
    assert out[:12] == [True] * 12
    assert out[12:5012] == list(range(1, 5001))
    assert out[5012:] == list(values.values())
    assert r.get("counter") == "5000"

    # The same values over the native protocol on its TLS port, pipelined too.
    with kvclient.Client(HOST, int(s.options["tls-native-port"]), ssl=client_context(certs),
                         timeout=60) as n:
        pipe = n.pipeline()
        for k in values:
            pipe.get(k)
        assert pipe.execute() == list(values.values())
    r.close()
    r2.close()


def test_client_that_stops_reading_over_tls_hits_the_output_limit(tls_server, certs):
    s = tls_server(output_buffer_limit="2mb")
    s.client().set("big", "x" * (512 * 1024))
    stalled = tls_socket(s.tls_port, client_context(certs))
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    req = b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n" * 200
    try:
        stalled.sendall(req)
    except OSError:
        pass
    wait_for(lambda: "output-buffer-limit" in s.stderr_text(), what="the stalled client closed")
    assert tls_ping(s.tls_port, client_context(certs)) == b"+PONG\r\n"
    stalled.close()


def test_quit_over_tls_ends_with_a_clean_close(tls_server, certs):
    s = tls_server()
    sock = tls_socket(s.tls_port, client_context(certs))
    assert resp_call(sock, "QUIT") == b"+OK\r\n"
    # close_notify: the ssl module reports a clean end of stream, not a truncation.
    assert sock.recv(100) == b""
    sock.close()


def test_maxclients_refusal_is_sent_over_tls(tls_server, certs):
    s = tls_server(maxclients=1)
    first = tls_socket(s.tls_port, client_context(certs))
    assert resp_call(first, "PING") == b"+PONG\r\n"
    second = tls_socket(s.tls_port, client_context(certs))
    assert resp_call(second, "PING").startswith(b"-ERR max number of clients reached")
    second.close()
    first.close()


def test_threads_2_with_concurrent_tls_clients(tls_server, certs):
    s = tls_server(threads=2, native_port="auto", tls_native_port=free_port())
    errors: list[str] = []
    native_port = int(s.options["tls-native-port"])

    def worker(i: int) -> None:
        try:
            if i % 2:
                r = tls_redis(s, certs)
                for j in range(200):
                    r.set(f"w{i}:{j}", f"{i}-{j}" * 50)
                    assert r.get(f"w{i}:{j}") == f"{i}-{j}" * 50
                r.close()
            else:
                with kvclient.Client(HOST, native_port, ssl=client_context(certs)) as n:
                    for j in range(200):
                        n.set(f"w{i}:{j}", j)
                        assert n.get(f"w{i}:{j}") == j
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(f"worker {i}: {e!r}")

    run_parallel(worker, 8, timeout=120)
    assert not errors, errors
    assert s.client().dbsize() == 8 * 200


def test_native_pool_over_tls_survives_session_tickets(tls_server, certs):
    """TLS 1.3 session tickets make an idle socket readable: the pool must not take that for
    a closed connection."""
    s = tls_server(tls_native_port=free_port())
    pool = kvclient.Pool(f"kv://{HOST}:{s.options['tls-native-port']}", size=1,
                         ssl=client_context(certs))
    with pool.client() as c:
        c.set("a", 1)
        first = c
    time.sleep(0.1)
    with pool.client() as c:
        assert c is first
        assert c.get("a") == 1
    pool.close()


def test_appendfsync_always_replies_over_tls(certs, tmp_path):
    """Replies held for the fsync leave through the TLS write path once it is done."""
    s = Server(tls_options(certs, appendonly="yes", appendfsync="always"),
               workdir=str(tmp_path)).start()
    s.tls_port = int(s.options["tls-port"])
    try:
        r = tls_redis(s, certs)
        p = r.pipeline(transaction=False)
        for i in range(300):
            p.set(f"k{i}", "v" * i)
        assert p.execute() == [True] * 300
        assert r.get("k299") == "v" * 299
        r.close()
    finally:
        s.stop()
    s.restart()
    try:
        assert s.client().get("k299") == "v" * 299
    finally:
        s.stop()


KV_CLI = str(Path(KV_BIN).parent / "kv-cli")


def kv_cli_tls(port: int, certs: Certs, *args, cert: str | None = "client", ca: str = "ca",
               host: str = HOST) -> subprocess.CompletedProcess:
    argv = [KV_CLI, "-h", host, "-p", str(port), "--raw", "--tls", "--cacert",
            certs.path(f"{ca}.crt")]
    if cert:
        argv += ["--cert", certs.path(f"{cert}.crt"), "--key", certs.path(f"{cert}.key")]
    return subprocess.run(argv + [str(a) for a in args], capture_output=True, text=True,
                          timeout=60)


def test_kv_cli_over_tls(tls_server, certs):
    s = tls_server(native_port="auto", tls_native_port=free_port())
    port = int(s.options["tls-native-port"])
    res = kv_cli_tls(port, certs, "set", "price", "19.99d")
    assert res.returncode == 0, res.stderr
    res = kv_cli_tls(port, certs, "get", "price")
    assert (res.returncode, res.stdout.strip()) == (0, "19.99"), res.stderr
    assert s.client().get("price") == "19.99"
    # The server's name is checked: localhost is in its certificate's SAN too.
    assert kv_cli_tls(port, certs, "ping", host="localhost").returncode == 0
    # A server certificate of an untrusted CA stops the client before anything is sent.
    res = kv_cli_tls(port, certs, "ping", ca="rogue_ca")
    assert res.returncode == 1 and "server certificate" in res.stderr, res.stderr
    # tls-auth-clients yes: no client certificate, no service.
    res = kv_cli_tls(port, certs, "ping", cert=None)
    assert res.returncode == 1, res.stdout
    # TLS options without --tls are a usage error.
    res = subprocess.run([KV_CLI, "-p", str(port), "--cacert", certs.path("ca.crt"), "ping"],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 2 and "need --tls" in res.stderr


def test_encrypted_key_with_tls_key_file_pass(certs):
    s = Server(tls_options(certs, tls_key_file=certs.path("server-enc.key"),
                           tls_key_file_pass="s3cret")).start()
    try:
        assert tls_ping(int(s.options["tls-port"]), client_context(certs)) == b"+PONG\r\n"
    finally:
        s.stop()
    # Without the passphrase: no prompt on a terminal, a start that fails and says why.
    s = Server(tls_options(certs, tls_key_file=certs.path("server-enc.key")))
    try:
        assert s.start_expecting_exit() == 1
        assert "tls-key-file-pass" in s.stderr_text(), s.stderr_text()
    finally:
        s.stop(check=False)


def test_ca_cert_dir_instead_of_a_file(tls_server, certs):
    s = tls_server(tls_ca_cert_file="", tls_ca_cert_dir=certs.path("cadir"))
    assert tls_ping(s.tls_port, client_context(certs)) == b"+PONG\r\n"
    with pytest.raises(REFUSED):
        tls_ping(s.tls_port, client_context(certs, cert="rogue_client"))


def test_ciphersuites_choose_the_tls13_suite(tls_server, certs):
    s = tls_server(tls_ciphersuites="TLS_CHACHA20_POLY1305_SHA256",
                   tls_prefer_server_ciphers="yes")
    with tls_socket(s.tls_port, client_context(certs)) as sock:
        assert sock.cipher()[0] == "TLS_CHACHA20_POLY1305_SHA256"
        assert resp_call(sock, "PING") == b"+PONG\r\n"
    c = s.client()
    assert c.config_get("tls-ciphersuites") == {
        "tls-ciphersuites": "TLS_CHACHA20_POLY1305_SHA256"}
    assert c.config_set("tls-ciphersuites", "TLS_AES_128_GCM_SHA256")
    with tls_socket(s.tls_port, client_context(certs)) as sock:
        assert sock.cipher()[0] == "TLS_AES_128_GCM_SHA256"
    c.close()
