"""Helpers for the durability tests (test_persistence*.py): the on-disk layout (docs in
src/persist/*.h), INFO persistence, acknowledged-write bookkeeping and the power-loss rebuild.

Layout: <dir>/kv.manifest (text), <dir>/wal-<20-digit first lsn>.log segments (16-byte header
"KVWAL001" + first lsn u64 LE, then frames [len u32 LE][xxh3-64 u64 LE][payload], payload
starting with [lsn u64][time_ms i64]), <dir>/snap-<lsn>.kvs snapshots.
"""

from __future__ import annotations

import os
import random
import shutil
import struct
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis

from conftest import KV_BIN

MANIFEST = "kv.manifest"
SEGMENT_HEADER = 16
FRAME_HEADER = 12

# The LD_PRELOAD shim (test/shims/powerloss.c), built beside the server binary.
POWERLOSS_SHIM = Path(KV_BIN).resolve().parent / "test" / "shims" / "powerloss.so"
SANITIZED = os.environ.get("KV_SANITIZE", "") == "1"


# ---------------------------------------------------------------------------- server state
def info(server) -> dict[str, str]:
    """INFO persistence as raw strings (redis-py would parse error texts with ':' or '=')."""
    with server.raw() as c:
        text = c.call("INFO", "persistence")
    assert isinstance(text, bytes), text
    out = {}
    for line in text.decode().splitlines():
        if line and not line.startswith("#") and ":" in line:
            k, v = line.split(":", 1)
            out[k] = v
    return out


def wait_save_done(server, timeout: float = 30.0) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        i = info(server)
        if i["rdb_bgsave_in_progress"] == "0":
            return i
        time.sleep(0.01)
    raise AssertionError(f"background save still running after {timeout}s")


def wait_written(server, timeout: float = 10.0) -> None:
    """Until every appended record is handed to the kernel (then a kill -9 cannot lose it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        i = info(server)
        if i["wal_written_lsn"] == i["wal_last_lsn"] and i["wal_queued_records"] == "0":
            return
        time.sleep(0.005)
    raise AssertionError(f"WAL not written out after {timeout}s: {info(server)}")


# ---------------------------------------------------------------------------- files
@dataclass
class Manifest:
    snapshot: str = ""
    snapshot_lsn: int = 0
    segments: list[str] = field(default_factory=list)


def read_manifest(data_dir: Path) -> Manifest:
    m = Manifest()
    lines = (Path(data_dir) / MANIFEST).read_text().splitlines()
    assert lines[0] == "kv-manifest 1", lines
    for line in lines[1:]:
        words = line.split()
        if not words:
            continue
        if words[0] == "snapshot":
            m.snapshot, m.snapshot_lsn = words[1], int(words[3])
        elif words[0] == "segment":
            m.segments.append(words[1])
    return m


def write_manifest(data_dir: Path, m: Manifest) -> None:
    text = "kv-manifest 1\n"
    if m.snapshot:
        text += f"snapshot {m.snapshot} lsn {m.snapshot_lsn}\n"
    text += "".join(f"segment {s}\n" for s in m.segments)
    (Path(data_dir) / MANIFEST).write_text(text)


def segment_files(data_dir: Path) -> list[Path]:
    return sorted(Path(data_dir).glob("wal-*.log"))


@dataclass
class Frame:
    offset: int
    size: int  # header + payload
    lsn: int


def frames(path: Path) -> tuple[int, list[Frame]]:
    """(first lsn from the header, the complete frames) of one segment."""
    data = Path(path).read_bytes()
    assert data[:8] == b"KVWAL001", path
    (first,) = struct.unpack_from("<Q", data, 8)
    out = []
    off = SEGMENT_HEADER
    while off + FRAME_HEADER <= len(data):
        (n,) = struct.unpack_from("<I", data, off)
        if n == 0 or off + FRAME_HEADER + n > len(data):
            break
        (lsn,) = struct.unpack_from("<Q", data, off + FRAME_HEADER)
        out.append(Frame(off, FRAME_HEADER + n, lsn))
        off += FRAME_HEADER + n
    return first, out


# ---------------------------------------------------------------------------- writers
class AckLog:
    """What one writer sent and what the server acknowledged, with monotonic times.

    Keys of three kinds: unique keys written once (`fresh`), hot keys overwritten with growing
    values (`hot`: a value read back must be the last acknowledged one or a later sent one,
    never an older one), and an INCR counter."""

    def __init__(self, name: str):
        self.name = name
        self.fresh: list[tuple[str, str, float]] = []  # key, value, ack time
        self.hot_keys = 5  # hot key i gets the sequence numbers s with s % hot_keys == i
        self.hot_sent: dict[str, int] = {}  # key -> highest value sent
        self.hot_acked_at: dict[str, list[tuple[float, int]]] = {}  # key -> [(ack time, value)]
        self.counter_key = f"{name}:ctr"
        self.incr_sent = 0
        self.incr_acks: list[float] = []  # ack times
        self.error: BaseException | None = None


def run_writer(server, log: AckLog, stop: threading.Event, batch: int = 20) -> None:
    """Sends pipelines of `batch` SETs plus one hot-key SET and one INCR until `stop` or the
    connection dies (the kill); every reply received counts as acknowledged at its arrival."""
    try:
        c = server.client(socket_timeout=30, retry_on_timeout=False)
        seq = 0
        while not stop.is_set():
            p = c.pipeline(transaction=False)
            items = []
            for _ in range(batch):
                seq += 1
                key, value = f"{log.name}:k{seq}", f"v{seq}-{random.getrandbits(32):08x}"
                items.append((key, value))
                p.set(key, value)
            hot = f"{log.name}:hot{seq % log.hot_keys}"
            p.set(hot, seq)
            p.incr(log.counter_key)
            log.hot_sent[hot] = seq
            log.incr_sent += 1
            try:
                replies = p.execute(raise_on_error=True)
            except (redis.ConnectionError, redis.TimeoutError, ConnectionError, OSError):
                return
            now = time.monotonic()
            assert all(r is True for r in replies[:-1]), replies
            for key, value in items:
                log.fresh.append((key, value, now))
            log.hot_acked_at.setdefault(hot, []).append((now, seq))
            log.incr_acks.append(now)
    except BaseException as e:  # noqa: BLE001 - reported by the test
        log.error = e


def write_until_killed(server, names: list[str], kill_after: float,
                       power_loss: bool = False) -> tuple[list[AckLog], float]:
    """Runs one writer thread per name, SIGKILLs the server after `kill_after` seconds and
    returns the logs and the kill time (monotonic, taken just before the signal: anything
    acknowledged was sent before it). `power_loss`: a snapshot child dies too."""
    logs = [AckLog(n) for n in names]
    stop = threading.Event()
    threads = [threading.Thread(target=run_writer, args=(server, lg, stop), daemon=True)
               for lg in logs]
    for t in threads:
        t.start()
    time.sleep(kill_after)
    kill_time = time.monotonic()
    server.kill9(children=power_loss)
    stop.set()
    for t in threads:
        t.join(30)
        assert not t.is_alive(), "a writer hung after the kill"
    for lg in logs:
        if lg.error is not None:
            raise AssertionError(f"writer {lg.name} failed: {lg.error!r}") from lg.error
    return logs, kill_time


def check_acked(server, logs: list[AckLog], durable_before: float | None) -> dict:
    """Checks the restarted server against the writers' logs. `durable_before`: writes
    acknowledged before this monotonic time must be there (None: every acknowledged write).
    Returns counts for the caller's own assertions."""
    c = server.client()
    missing_required, missing_other, checked = [], 0, 0
    for lg in logs:
        keys = [k for k, _, _ in lg.fresh]
        got = []
        for i in range(0, len(keys), 1000):
            got += c.mget(keys[i:i + 1000])
        for (key, value, t), v in zip(lg.fresh, got):
            checked += 1
            required = durable_before is None or t < durable_before
            if v is None:
                if required:
                    missing_required.append((key, t))
                else:
                    missing_other += 1
            else:
                # A key is written once: whatever is there is what was sent.
                assert v == value, f"{key}: {v!r}, sent {value!r}"
        for hot, sent in lg.hot_sent.items():
            v = c.get(hot)
            # The floor: the last value acknowledged at a time the caller counts as durable.
            floor = 0
            for t, val in lg.hot_acked_at.get(hot, []):
                if durable_before is None or t < durable_before:
                    floor = max(floor, val)
            if v is None:
                assert floor == 0, f"{hot} lost; {floor} was acknowledged"
                continue
            v = int(v)
            assert floor <= v <= sent, f"{hot} = {v}: older than acknowledged {floor} or never sent"
            assert f"{lg.name}:hot{v % lg.hot_keys}" == hot, f"{hot} = {v}: never sent to it"
        ctr = int(c.get(lg.counter_key) or 0)
        need = sum(1 for t in lg.incr_acks if durable_before is None or t < durable_before)
        assert need <= ctr <= lg.incr_sent, (
            f"{lg.counter_key} = {ctr}: {need} increments acknowledged (as durable), "
            f"{lg.incr_sent} sent")
    c.close()
    assert not missing_required, (
        f"{len(missing_required)} acknowledged writes lost, e.g. {missing_required[:5]}")
    return {"checked": checked, "missing_other": missing_other}


# ---------------------------------------------------------------------------- power loss
def dir_state(data_dir: Path) -> dict[str, tuple[int, int]]:
    """name -> (inode, size) of the files in a directory."""
    return {p.name: (p.stat().st_ino, p.stat().st_size)
            for p in Path(data_dir).iterdir() if p.is_file()}


def powerloss_env(data_dir: Path, log_path: Path, enospc_trigger: Path | None = None) -> dict:
    env = {"LD_PRELOAD": str(POWERLOSS_SHIM), "KV_POWERLOSS_DIR": str(Path(data_dir).resolve()),
           "KV_POWERLOSS_LOG": str(log_path)}
    if enospc_trigger is not None:
        env["KV_POWERLOSS_ENOSPC"] = str(enospc_trigger)
    if SANITIZED:
        # The shim comes before libasan in the library list; its interposers call on into
        # ASan's through dlsym(RTLD_NEXT), which works, but ASan's start-up check objects.
        opts = os.environ.get("ASAN_OPTIONS", "")
        env["ASAN_OPTIONS"] = (opts + ":" if opts else "") + "verify_asan_link_order=0"
    return env


def rebuild_after_power_loss(data_dir: Path, log_path: Path,
                             initial: dict[str, tuple[int, int]]) -> dict:
    """Turns the directory a kill -9 left into what the disk would hold after a power loss at
    the same instant, from the shim's event log (test/shims/powerloss.c).

    Model: a file's bytes are durable up to its size at its last successful fsync/fdatasync
    (the files are written append-only or once, so the durable bytes are a prefix of what is
    there now); O_TRUNC and truncate() count as durable at once (the pessimistic choice for
    data). The directory's entries are those listed at its last fsync (files created, renamed
    or removed after it are not durable), each with its file's durable prefix. Files are
    matched by inode number. Simplification: a file that the durable listing names but that was
    replaced or unlinked after that fsync is gone after a kill -9 too, so its bytes cannot be
    restored; the rebuild then keeps the file now under that name (or none), as if the
    replacement or removal had been durable.
    `initial`: dir_state() before the server started (durable: a rebuilt or cleanly closed
    directory). Returns what was dropped and "last_wal_fsync", the monotonic start time of the
    last completed fsync of a WAL segment (0.0 if none)."""
    data_dir = Path(data_dir)
    durable_size: dict[int, int] = {ino: size for ino, size in initial.values()}
    listing: dict[str, int] = {name: ino for name, (ino, _) in initial.items()}
    listing_t = 0
    created: dict[int, int] = {}  # inode -> time of its latest creation
    last_wal_fsync = 0.0
    text = Path(log_path).read_text() if Path(log_path).exists() else ""
    for line in text.splitlines():
        w = line.split()
        if not w:
            continue
        op = w[0]
        if op == "create":
            durable_size[int(w[1])] = 0
            created[int(w[1])] = int(w[2])
        elif op == "trunc":
            ino = int(w[1])
            durable_size[ino] = min(durable_size.get(ino, 0), int(w[2]))
        elif op == "fsync":
            durable_size[int(w[2])] = int(w[3])
            if w[1].startswith("wal-"):
                last_wal_fsync = max(last_wal_fsync, int(w[4]) / 1e9)
        elif op == "dirsync":
            # Threads log in the order they finish; the latest listing is the durable one.
            if int(w[1]) > listing_t:
                listing_t = int(w[1])
                listing = {}
                for entry in w[2:]:
                    name, ino = entry.rsplit(":", 1)
                    listing[name] = int(ino)
        elif op in ("rename", "unlink", "fsyncfail"):
            pass
        else:
            raise AssertionError(f"unknown power-loss log line: {line!r}")
    before = dir_state(data_dir)
    by_ino = {ino: name for name, (ino, _) in before.items()}
    image: dict[str, bytes] = {}
    for name, ino in listing.items():
        src = by_ino.get(ino)
        if src is None or created.get(ino, -1) > listing_t:  # the listed file is gone
            if name not in before:
                continue  # removed after the listing: treated as durable (see above)
            src, ino = name, before[name][0]
        image[name] = (data_dir / src).read_bytes()[:durable_size.get(ino, 0)]
    for p in data_dir.iterdir():
        if p.is_dir():
            shutil.rmtree(p)
        else:
            p.unlink()
    for name, data in image.items():
        (data_dir / name).write_bytes(data)
    dropped = sum(size for _, size in before.values()) - sum(len(d) for d in image.values())
    return {"dropped_bytes": dropped, "dropped_files": sorted(set(before) - set(image)),
            "last_wal_fsync": last_wal_fsync,
            "image": {k: len(v) for k, v in image.items()},
            "before": {k: size for k, (_, size) in before.items()}}
