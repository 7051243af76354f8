"""Blocking pops: the exact RESP bytes of a nil. Redis 7.0 answers every wait that timed out (or
was ended by CLIENT UNBLOCK ... TIMEOUT) with a nil array in RESP2, BLMOVE and BRPOPLPUSH
included, while the same commands inside MULTI, which never block, answer their own nil (a
nil bulk string for the moves). RESP3 has one null for both. redis-py reads all of them as None,
so these tests read the bytes. They run against redis-server too."""

from __future__ import annotations

import socket
import pytest

from conftest import wait_for


def raw(server, payload: bytes, expected: bytes) -> bytes:
    """Sends `payload` on a fresh connection and reads as many bytes as `expected` has."""
    with socket.create_connection((server.host, server.port), timeout=10) as s:
        s.sendall(payload)
        got = b""
        while len(got) < len(expected):
            chunk = s.recv(4096)
            if not chunk:
                break
            got += chunk
        return got


TIMED_OUT = [
    b"BLPOP nokey 0.01\r\n",
    b"BRPOP nokey 0.01\r\n",
    b"BLMOVE nokey dst LEFT RIGHT 0.01\r\n",
    b"BRPOPLPUSH nokey dst 0.01\r\n",
    b"BLMPOP 0.01 1 nokey LEFT\r\n",
    b"BZPOPMIN nokey 0.01\r\n",
    b"BZPOPMAX nokey 0.01\r\n",
    b"BZMPOP 0.01 1 nokey MIN\r\n",
]


@pytest.mark.parametrize("command", TIMED_OUT, ids=lambda c: c.split()[0].decode())
def test_a_timed_out_wait_answers_a_nil_array_in_resp2(kv, command):
    assert raw(kv, command, b"*-1\r\n") == b"*-1\r\n"


@pytest.mark.parametrize("command", TIMED_OUT, ids=lambda c: c.split()[0].decode())
def test_a_timed_out_wait_answers_null_in_resp3(kv, command):
    with socket.create_connection((kv.host, kv.port), timeout=10) as s:
        s.sendall(b"HELLO 3\r\nPING\r\n")
        got = b""
        while not got.endswith(b"+PONG\r\n"):
            got += s.recv(4096)
        s.sendall(command)
        assert s.recv(16) == b"_\r\n"


def test_inside_multi_each_command_answers_its_own_nil(kv):
    queued = b"".join(TIMED_OUT)
    expected = (b"+OK\r\n" + b"+QUEUED\r\n" * len(TIMED_OUT) +
                b"*8\r\n*-1\r\n*-1\r\n$-1\r\n$-1\r\n*-1\r\n*-1\r\n*-1\r\n*-1\r\n")
    assert raw(kv, b"MULTI\r\n" + queued + b"EXEC\r\n", expected) == expected


def test_client_unblock_timeout_of_a_move_answers_a_nil_array(kv):
    r = kv.client()
    with socket.create_connection((kv.host, kv.port), timeout=10) as s:
        s.sendall(b"CLIENT ID\r\n")
        my_id = int(s.recv(64)[1:].strip())
        s.sendall(b"BLMOVE nokey dst LEFT RIGHT 0\r\n")
        wait_for(lambda: int(r.info("clients")["blocked_clients"]) == 1, timeout=10,
                 interval=0.01, what="the move to block")
        assert r.client_unblock(my_id) == 1
        assert s.recv(16) == b"*-1\r\n"


def test_a_served_move_answers_the_element_as_a_bulk_string(kv):
    r = kv.client()
    with socket.create_connection((kv.host, kv.port), timeout=10) as s:
        s.sendall(b"BRPOPLPUSH src dst 0\r\n")
        wait_for(lambda: int(r.info("clients")["blocked_clients"]) == 1, timeout=10,
                 interval=0.01, what="the move to block")
        r.rpush("src", "e")
        assert s.recv(16) == b"$1\r\ne\r\n"
    assert r.lrange("dst", 0, -1) == ["e"]
