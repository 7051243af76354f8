"""Keys follow Redis's rules by default (--strict-keys no): any bytes, any length up to
proto-max-bulk-len, through every command, pattern, the WAL and snapshots, and reachable from
the native client; --strict-keys yes still refuses them with the same error."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import KV_BIN, REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "clients" / "python"))
import kvclient  # noqa: E402

KV_CLI = os.environ.get("KV_CLI_BIN", str(Path(KV_BIN).parent / "kv-cli"))

KEYS = {
    "300-chars": b"k" * 300,
    "100kb": b"b" * 100_000,
    "nul": b"a\x00b",
    "ff": b"\xff",
    "crlf": b"x\r\ny",
    "invalid-utf8": b"\xc0\xaf\xed\xa0\x80",
}


def wait_until(pred, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)


@pytest.fixture
def c(kv):
    return kv.client(decode_responses=False)


@pytest.mark.parametrize("key", list(KEYS.values()), ids=list(KEYS))
def test_key_round_trips(c, key):
    assert c.set(key, b"v")
    assert c.get(key) == b"v"
    assert c.exists(key) == 1
    assert c.keys(b"*") == [key]
    assert c.keys(key[:1] + b"*") == [key]
    cursor, found = c.scan(0, match=key[:1] + b"*", count=1000)
    assert cursor == 0 and found == [key]
    assert c.expire(key, 100)
    assert 0 < c.ttl(key) <= 100
    other = key + b"\x00renamed"
    assert c.rename(key, other)
    assert c.get(key) is None and c.get(other) == b"v"
    assert c.delete(other) == 1 and c.dbsize() == 0


def test_one_megabyte_key_is_legal(c):
    key = b"\xfe" * (1 << 20)
    assert c.set(key, b"1")
    assert c.get(key) == b"1"
    assert c.strlen(key) == 1
    assert c.delete(key) == 1


def test_redis_cli_reads_binary_key(kv):
    c = kv.client(decode_responses=False)
    c.set(b"bin\xff\x00key", b"val")
    out = kv.cli("--no-raw", "KEYS", "*")
    assert '"bin\\xff\\x00key"' in out, out


# Valid UTF-8 of few characters: legal under strict keys too.
STRICT_LEGAL = (b"a\x00b", b"x\r\ny")


@pytest.mark.kv_only  # --strict-keys is kv-server's
@pytest.mark.parametrize("key", [k for k in KEYS.values() if k not in STRICT_LEGAL],
                         ids=[n for n, k in KEYS.items() if k not in STRICT_LEGAL])
def test_strict_keys_refuses(kv_server, key):
    s = kv_server(strict_keys="yes")
    with s.raw() as r:
        reply = r.call("SET", key, "v")
        assert isinstance(reply, Exception)
        assert str(reply) == ("ERR invalid key: keys must be valid UTF-8 of at most 256 "
                              "characters (see --strict-keys)")
        assert r.call("DBSIZE") == 0


@pytest.mark.kv_only  # --strict-keys is kv-server's
def test_strict_keys_accepts_short_utf8_with_control_bytes(kv_server):
    s = kv_server(strict_keys="yes")
    c = s.client(decode_responses=False)
    for key in STRICT_LEGAL:
        assert c.set(key, b"v") and c.get(key) == b"v"
    assert c.dbsize() == len(STRICT_LEGAL)


@pytest.mark.kv_only  # kv-server's WAL and snapshots
def test_binary_keys_survive_kill9_wal_and_snapshot(kv_persist):
    s = kv_persist(appendfsync="always")
    c = s.client(decode_responses=False)
    for i, key in enumerate(KEYS.values()):
        c.set(key, str(i).encode())
    c.execute_command("BGSAVE")
    wait_until(lambda: c.info("persistence")["rdb_bgsave_in_progress"] == 0)
    # Written after the snapshot: only the WAL has these.
    for i, key in enumerate(KEYS.values()):
        c.set(key + b"\xff\x00wal", str(i).encode())
    s.kill9()
    s.start()
    c = s.client(decode_responses=False)
    for i, key in enumerate(KEYS.values()):
        assert c.get(key) == str(i).encode()
        assert c.get(key + b"\xff\x00wal") == str(i).encode()
    assert c.dbsize() == 2 * len(KEYS)


@pytest.mark.kv_only  # the native protocol
def test_native_client_reads_and_deletes_key_written_over_resp(kv_server):
    s = kv_server(native_port="auto")
    key = b"\xff\xfe\x00\r\nnative"
    s.client(decode_responses=False).set(key, b"42")
    n = kvclient.connect(f"kv://{s.host}:{s.native_port}")
    try:
        assert n.exists(key) is True
        assert n.get(key) == b"42"  # RESP writes bytes values
        assert n.delete(key) is True
        assert n.exists(key) is False
    finally:
        n.close()
    assert s.client(decode_responses=False).exists(key) == 0


@pytest.mark.kv_only  # kv-cli speaks the native protocol
def test_kv_cli_prints_and_deletes_binary_key(kv_server):
    s = kv_server(native_port="auto")
    s.client(decode_responses=False).set(b"a\xffb", b"v")

    def cli(*args):
        argv = [KV_CLI, "-p", str(s.native_port), "--no-raw", *args]
        return subprocess.run(argv, capture_output=True, text=True, timeout=30).stdout

    assert cli("keys", "*").strip() == '1) b"a\\xffb"'
    assert cli("get", 'b"a\\xffb"').strip() == 'b"v"'
    assert cli("del", 'b"a\\xffb"').strip() == "(integer) 1"
    assert s.client().dbsize() == 0


# kv-server's own accounting: Redis's used_memory_dataset comes from allocator totals and does
# not drop back to within 4 KB after the DEL.
@pytest.mark.kv_only
def test_long_key_is_counted_in_memory(kv_server):
    c = kv_server().client(decode_responses=False)
    c.set(b"warm", b"1")  # allocates the slot table first, so the difference is the key's
    key = b"\xfe" * (1 << 20)

    def dataset():
        return c.info("memory")["used_memory_dataset"]

    before = dataset()
    c.set(key, b"1")
    grown = dataset()
    assert grown - before >= len(key)  # the key's bytes are accounted like a value's
    c.delete(key)
    assert dataset() - before < 4096  # released; only the emptied slot table stays
