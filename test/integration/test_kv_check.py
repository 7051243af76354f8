"""kv-check against data directories the real server wrote: verify, dump, repair."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import KV_BIN, REPO_ROOT, Server

sys.path.insert(0, str(REPO_ROOT / "clients" / "python"))
import kvclient  # noqa: E402

pytestmark = pytest.mark.kv_only

# Beside the server under test (build/ or the sanitizer build), so both speak one format.
KV_CHECK = str(Path(KV_BIN).parent / "kv-check")


def check(*args, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([KV_CHECK, *args], input=stdin, capture_output=True, text=True,
                          timeout=60)


def server(workdir: Path) -> Server:
    # No automatic snapshots: the tests decide when the log rotates.
    return Server({"appendonly": "yes", "snapshot-interval": 0, "snapshot-ops": 0},
                  workdir=str(workdir)).start()


@pytest.fixture
def datadir(tmp_path):
    """A directory with a snapshot (k1-k3) and a segment after it (k4-k6), left by kill -9."""
    s = server(tmp_path)
    c = s.client()
    for i in range(1, 4):
        c.set(f"k{i}", f"v{i}")
    assert c.bgsave() in (True, "Background saving started")
    wait_until(lambda: c.info("persistence")["rdb_bgsave_in_progress"] == 0)
    c.incr("k4")
    c.execute_command("DECIMAL.SET", "price", "19.99")
    c.set("k6", "v6", px=100000)
    c.config_set("appendfsync", "always")  # the next write is on disk when acknowledged
    c.set("k7", "v7")
    s.kill9()
    return tmp_path / "data"


def wait_until(pred, timeout=10.0):
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def segments(d: Path) -> list[Path]:
    return sorted(d.glob("wal-*.log"))


def test_clean_directory_verifies(datadir):
    r = check(str(datadir))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "snapshot snap-" in r.stdout and "ok, LSN 3, 3 keys in 1 namespaces" in r.stdout
    assert "4 records, LSN 4-7" in r.stdout
    assert r.stdout.rstrip().endswith("clean")


def test_dump_lists_records_and_entries(datadir):
    r = check("--dump", str(datadir))
    assert r.returncode == 0, r.stdout
    assert 'ns=0 key="k1" bytes="v1"' in r.stdout
    assert '"INCRBY" "k4" "1"' in r.stdout  # redis-py's incr()
    assert '"DECIMAL.SET" "price" "19.99"' in r.stdout
    assert "time_ms=" in r.stdout


def test_flipped_byte_is_found_and_repair_asks_first(datadir, tmp_path):
    seg = segments(datadir)[-1]
    data = bytearray(seg.read_bytes())
    data[16 + 20] ^= 0x01  # inside the first record: good records follow
    seg.write_bytes(bytes(data))
    r = check(str(datadir))
    assert r.returncode == 1
    assert f"segment {seg.name}: CORRUPT at offset 16 (checksum mismatch)" in r.stdout
    assert "kv-check --repair" in r.stdout

    # The server refuses to start and says where and what to run.
    s = Server({"appendonly": "yes"}, workdir=str(tmp_path))
    with pytest.raises(RuntimeError) as e:
        s.start()
    assert seg.name in str(e.value) and "offset 16" in str(e.value)
    assert "kv-check --repair" in str(e.value)

    # Answering no changes nothing.
    before = seg.read_bytes()
    r = check("--repair", str(datadir), stdin="n\n")
    assert r.returncode == 1 and "Continue? [y/N]" in r.stdout and "nothing changed" in r.stdout
    assert seg.read_bytes() == before

    r = check("--repair", str(datadir), stdin="y\n")
    assert r.returncode == 0, r.stdout
    assert seg.stat().st_size == 16  # cut before the damaged record
    assert check(str(datadir)).returncode == 0

    # The server starts from the snapshot; the cut records are gone.
    s = server(tmp_path)
    c = s.client()
    assert c.get("k1") == "v1" and c.get("k3") == "v3"
    assert c.get("k4") is None
    s.stop()


def test_missing_segment_is_dropped_by_repair(datadir, tmp_path):
    s = server(tmp_path)
    c = s.client()
    c.bgrewriteaof()
    wait_until(lambda: c.info("persistence")["aof_rewrite_in_progress"] == 0)
    c.set("after", "1")
    s.stop()
    # A clean stop snapshots everything; write more with kill -9 to keep segments.
    s = server(tmp_path)
    c = s.client()
    c.config_set("appendfsync", "always")
    c.set("x", "1")
    c.execute_command("BGSAVE")
    wait_until(lambda: c.info("persistence")["rdb_bgsave_in_progress"] == 0)
    c.set("y", "2")
    s.kill9()
    manifest = (datadir / "kv.manifest").read_text()
    listed = [line.split()[1] for line in manifest.splitlines() if line.startswith("segment")]
    assert listed, manifest
    (datadir / listed[-1]).unlink()
    r = check(str(datadir))
    assert r.returncode == 1 and f"segment {listed[-1]}: MISSING" in r.stdout
    r = check("--repair", "--yes", str(datadir))
    assert r.returncode == 0, r.stdout
    assert listed[-1] not in (datadir / "kv.manifest").read_text()
    assert check(str(datadir)).returncode == 0


def test_damaged_snapshot_cannot_be_repaired(datadir):
    snap = next(datadir.glob("snap-*.kvs"))
    data = bytearray(snap.read_bytes())
    data[len(data) // 2] ^= 0xFF
    snap.write_bytes(bytes(data))
    r = check(str(datadir))
    assert r.returncode == 1 and "DAMAGED" in r.stdout
    r = check("--repair", "--yes", str(datadir))
    assert r.returncode == 1 and "cannot repair" in r.stdout


def test_empty_directory_and_usage(tmp_path):
    r = check(str(tmp_path))
    assert r.returncode == 0 and "no kv.manifest" in r.stdout
    r = check("--help")
    assert r.returncode == 0 and "--repair" in r.stdout
    r = check()
    assert r.returncode != 0


def test_relative_expiry_is_logged_as_an_absolute_deadline(tmp_path):
    s = Server({"appendonly": "yes", "appendfsync": "always", "snapshot-interval": 0,
                "snapshot-ops": 0, "native-port": "auto"}, workdir=str(tmp_path)).start()
    c = s.client()
    c.set("a", "1", ex=100)
    c.setex("b", 200, "2")
    c.set("c", "3")
    c.expire("c", 300)
    c.set("d", "4")
    c.pexpire("d", -1)  # a time already past deletes the key: logged as DEL
    c.set("e", "5", ex=50)
    c.execute_command("GETEX", "e", "PERSIST")
    n = kvclient.connect(f"kv://127.0.0.1:{s.native_port}")
    n.set("i", 7, ttl_ms=400000)  # native SET with a TTL: the Int keeps its type
    n.close()
    ttls = {k: c.pttl(k) for k in "abci"}
    s.kill9()

    dump = check("--dump", str(tmp_path / "data")).stdout
    assert re.search(r'"SET" "a" "1" "PXAT" "\d{13}"', dump), dump
    assert re.search(r'"SET" "b" "2" "PXAT" "\d{13}"', dump), dump
    assert re.search(r'"PEXPIREAT" "c" "\d{13}"', dump), dump
    assert '"DEL" "d"' in dump and '"PERSIST" "e"' in dump
    assert re.search(r'"SET" "i" \(int\)7 "PXAT" "\d{13}"', dump), dump
    assert not re.search(r'"(EX|PX)"|"EXPIRE"|"PEXPIRE"|"SETEX"', dump), dump

    s = Server({"appendonly": "yes", "native-port": "auto"}, workdir=str(tmp_path)).start()
    c = s.client()
    for k, before in ttls.items():
        assert 0 < c.pttl(k) <= before
    assert c.exists("d") == 0 and c.ttl("e") == -1 and c.get("e") == "5"
    n = kvclient.connect(f"kv://127.0.0.1:{s.native_port}")
    assert n.get("i") == 7 and type(n.get("i")) is int
    n.close()
    s.stop()
