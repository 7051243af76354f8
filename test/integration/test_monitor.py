"""MONITOR: Redis's line format, what is shown (after it ran; EXEC's commands, then EXEC; a
script's commands as [db lua]; secrets redacted; admin and refused commands never), across I/O
threads, and a monitor that does not read is disconnected at its output buffer limit.
Passes against redis-server too (KV_TEST_AGAINST_REDIS=1) but for the kv_only tests.
"""

from __future__ import annotations

import re
import socket
import threading
import time

import pytest

from conftest import RawConn, wait_for

LINE = re.compile(r'^\+(\d+)\.(\d{6}) \[(\S+) (\S+)\] (.*)\r$')


def start_monitor(server) -> RawConn:
    m = server.raw()
    if server.password:
        assert m.call("AUTH", server.password) == b"OK"
    assert m.call("MONITOR") == b"OK"
    return m


def read_lines(m: RawConn, n: int, timeout: float = 10.0) -> list[str]:
    deadline = time.monotonic() + timeout
    buf = b""
    while buf.count(b"\n") < n and time.monotonic() < deadline:
        buf += m.read(timeout=0.2)
    lines = buf.decode("latin-1").split("\n")[:-1]
    assert len(lines) >= n, lines
    return lines


def parsed(line: str):
    g = LINE.match(line)
    assert g, line
    return g.group(3), g.group(4), g.group(5)


def test_lines_in_redis_format_with_redaction(kv):
    m = start_monitor(kv)
    c = kv.raw()
    addr = c.call("CLIENT", "INFO").decode().split("addr=")[1].split()[0]
    c.call("SET", "a b", 'x"y')
    c.call("SET", "bin", b"\x00\n\xff")
    c.call("AUTH", "hunter2")                 # refused, but it ran: shown, redacted
    c.call("HELLO", "2", "AUTH", "default", "hunter2")
    c.call("CONFIG", "GET", "maxmemory")      # admin: never shown
    c.call("NOSUCHCOMMAND")                   # refused before running: not shown
    c.call("GET")                             # arity: not shown
    c.call("SELECT", "3")
    c.call("PING")
    got = [parsed(x) for x in read_lines(m, 7)][1:]  # [0]: the CLIENT INFO
    assert got == [
        ("0", addr, '"SET" "a b" "x\\"y"'),
        ("0", addr, '"SET" "bin" "\\x00\\n\\xff"'),
        ("0", addr, '"AUTH" "(redacted)"'),
        ("0", addr, '"HELLO" "2" "AUTH" "(redacted)" "(redacted)"'),
        ("3", addr, '"SELECT" "3"'),
        ("3", addr, '"PING"'),
    ]
    m.close()
    c.close()


def test_transactions_and_scripts(kv):
    m = start_monitor(kv)
    c = kv.raw()
    c.call("MULTI")
    c.call("SET", "m", "1")
    c.call("EXEC")
    c.call("EVAL", "return redis.call('get', 'm')", "0")
    got = [parsed(x) for x in read_lines(m, 5)]
    assert [g[2] for g in got] == ['"MULTI"', '"SET" "m" "1"', '"EXEC"',
                                   '"EVAL" "return redis.call(\'get\', \'m\')" "0"', '"get" "m"']
    assert got[4][1] == "lua"
    m.close()
    c.close()


@pytest.mark.kv_only
def test_every_thread_reaches_the_monitor(kv_server):
    s = kv_server(threads=2)
    m = start_monitor(s)
    conns = [s.raw() for _ in range(4)]
    for i, c in enumerate(conns):
        for j in range(20):
            assert c.call("SET", f"t{i}", str(j)) == b"OK"
    lines = read_lines(m, 80)
    assert len(lines) == 80
    assert len({parsed(x)[1] for x in lines}) == 4
    loops = {x.split("io-thread=")[1].split()[0]
             for x in s.client().execute_command("CLIENT", "LIST").splitlines()}
    assert len(loops) == 2
    # Each client's commands arrive in the order it ran them.
    for i in range(4):
        mine = [parsed(x)[2] for x in lines if f'"t{i}"' in x]
        assert mine == [f'"SET" "t{i}" "{j}"' for j in range(20)]


@pytest.mark.kv_only
def test_a_monitor_that_does_not_read_is_disconnected(kv_server):
    s = kv_server(client_output_buffer_limit="normal 1mb 0 0")
    m = socket.create_connection((s.host, s.port))
    m.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    m.sendall(b"*1\r\n$7\r\nMONITOR\r\n")
    c = s.client()
    wait_for(lambda: "flags=" in c.execute_command("CLIENT", "LIST"), what="monitor attached")
    value = "v" * 1000
    clients_before = len(c.execute_command("CLIENT", "LIST").splitlines())

    def gone():
        p = c.pipeline(transaction=False)
        for i in range(200):
            p.set(f"k{i}", value)
        p.execute()
        return len(c.execute_command("CLIENT", "LIST").splitlines()) == clients_before - 1

    wait_for(gone, timeout=30, interval=0, what="the monitor to be disconnected")
    assert c.ping()
    m.close()


def test_reset_leaves_monitor_mode(kv):
    m = start_monitor(kv)
    assert m.call("RESET") == b"RESET"
    c = kv.raw()
    c.call("SET", "after", "1")
    assert m.call("PING") == b"PONG"  # no monitor line before it
    c.close()
    m.close()
