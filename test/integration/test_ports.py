"""One server per port: a port another process listens on fails the start.

With SO_REUSEPORT listeners a second kv-server started with the same command bound the same
port, and the kernel split the clients between the two processes (each with its own data).
Now each port has one socket, accepted on loop 0 and handed to every loop.
"""

from __future__ import annotations

import socket
import subprocess

import pytest

from conftest import HOST, KV_BIN, free_port
from native_client import NativeConn

pytestmark = pytest.mark.kv_only


def _start(tmp_path, port: int, native_port: int) -> subprocess.CompletedProcess:
    return subprocess.run(
        [KV_BIN, "--port", str(port), "--native-port", str(native_port), "--bind", HOST,
         "--appendonly", "no", "--dir", str(tmp_path / "d")],
        capture_output=True, timeout=30, stdin=subprocess.DEVNULL)


def test_second_kv_server_on_the_resp_port_is_refused(kv_server, tmp_path):
    first = kv_server()
    first.client().set("mine", "first")
    proc = _start(tmp_path, first.port, 0)
    assert proc.returncode == 1
    err = proc.stderr.decode()
    assert f"cannot listen on {HOST}:{first.port}" in err, err
    assert "Address already in use" in err and "another server" in err, err
    # Every new connection still reaches the first server and its data.
    for _ in range(20):
        assert first.client().get("mine") == "first"


def test_native_port_held_by_any_process_is_refused(tmp_path):
    with socket.socket() as holder:
        holder.bind((HOST, 0))
        holder.listen(1)
        taken = holder.getsockname()[1]
        proc = _start(tmp_path, free_port(), taken)
    assert proc.returncode == 1
    assert f"cannot listen on {HOST}:{taken}" in proc.stderr.decode()


def test_port_held_by_redis_server_is_refused(redis_ref, tmp_path):
    proc = _start(tmp_path, redis_ref.port, 0)
    assert proc.returncode == 1
    assert f"cannot listen on {HOST}:{redis_ref.port}" in proc.stderr.decode()
    assert redis_ref.client().ping()


def test_restart_on_the_same_port_after_stop(kv_persist):
    s = kv_persist()
    port = s.port
    c = s.client()
    c.set("k", "v")
    c.close()
    s.stop()
    # SO_REUSEADDR: connections left in TIME_WAIT do not keep the port from a restart.
    s.restart()
    assert s.port == port
    assert s.client().get("k") == "v"


@pytest.mark.parametrize("threads", [2, 4])
def test_connections_are_spread_over_every_io_thread(kv_server, threads):
    s = kv_server(threads=threads)
    clients = [s.client() for _ in range(threads * 3)]
    for n, c in enumerate(clients):
        c.set(f"c{n}", n)
    # Each client reads what another one wrote: all loops serve the one keyspace.
    for n, c in enumerate(clients):
        assert clients[(n + 1) % len(clients)].get(f"c{n}") == str(n)
    listing = s.client().client_list()
    loops = {int(entry["io-thread"]) for entry in listing}
    assert loops == set(range(threads)), listing


def test_native_connections_are_spread_too(kv_server):
    s = kv_server(threads=2, native_port="auto")
    natives = [NativeConn(s.host, s.native_port) for _ in range(4)]
    try:
        for n, c in enumerate(natives):
            assert c.set(f"n{n}", f"v{n}").status == 0
        for n in range(4):
            assert natives[(n + 1) % 4].get(f"n{n}").value == f"v{n}"
        loops = {int(e["io-thread"]) for e in s.client().client_list()
                 if int(e["laddr"].rsplit(":", 1)[1]) == s.native_port}
        assert loops == {0, 1}
    finally:
        for c in natives:
            c.close()
