"""Streams beyond the replies: persistence (WAL replay of every stream write logged as its
exact effect, snapshots with consumer groups, DEBUG RELOAD, kv-check --dump), IDs that never go
backwards after a restart even for a stream emptied by XDEL or XTRIM, kill -9 under
appendfsync always during XADD / XDEL / XTRIM, DUMP / RESTORE exchanged with redis-server both
ways, and memory accounting."""

from __future__ import annotations

import random
import subprocess
import threading
import time
from pathlib import Path

import pytest
import redis

from conftest import KV_BIN
from persist_util import wait_save_done

KV_CHECK = str(Path(KV_BIN).parent / "kv-check")

# A payload redis-server 7.0.15 wrote for: XADD s 1-1 a 1 b x; XADD s 2-0 a 2 b y;
# XADD s 3-0 c z; XDEL s 2-0; XGROUP CREATE s g 0; XREADGROUP GROUP g alice COUNT 1 STREAMS s >
REDIS_DUMP = bytes.fromhex(
    "13011000000000000000010000000000000001404141000000190002010101020181610281620200010201"
    "000100010101817802050103010101dfff020201817902050100010201dfff020101816302817a020601ff02"
    "03000101020003010167010181ffffffffffffffff01000000000000000100000000000000010a212747a201"
    "0000010105616c6963650a212747a201000001000000000000000100000000000000010a001c27d5b6ccceb7"
    "68")


def state(c, key):
    return c.xrange(key), c.xlen(key), c.type(key)


def next_id(c, key):
    """The ID a `*` XADD gets now (the entry is deleted again, leaving the last ID moved)."""
    nid = c.xadd(key, {"probe": "1"})
    c.xdel(key, nid)
    return tuple(map(int, nid.split("-")))


@pytest.mark.kv_only
def test_wal_replay_rebuilds_streams_and_their_ids(kv_persist):
    s = kv_persist(appendfsync="always")
    c = s.client()
    generated = [c.xadd("auto", {"n": str(i)}) for i in range(300)]
    c.execute_command("XADD", "auto", "MAXLEN", "~", "150", "*", "n", "x")  # trims 100
    c.xtrim("auto", maxlen=120, approximate=True)  # nothing: no node fits
    c.xdel("auto", generated[250], generated[251])
    c.xadd("emptied", {"f": "v"}, id="1000-5")
    c.xdel("emptied", "1000-5")
    c.xadd("trimmed", {"f": "v"}, id="77-7")
    c.xtrim("trimmed", maxlen=0, approximate=False)
    c.execute_command("XADD", "set", "5-5", "f", "v")
    c.execute_command("XSETID", "set", "9000-1", "ENTRIESADDED", "42", "MAXDELETEDID", "8000-0")
    before = {k: state(c, k) for k in ("auto", "emptied", "trimmed", "set")}
    last = tuple(map(int, c.xrevrange("auto", count=1)[0][0].split("-")))
    s.kill9()  # every record is fsynced: the restart replays them all
    s.restart()
    c = s.client()
    assert {k: state(c, k) for k in before} == before
    assert next_id(c, "auto") > last
    # Emptied streams keep their last ID: nothing at or below it is accepted.
    for key, stale in (("emptied", "1000-5"), ("trimmed", "77-7"), ("set", "9000-1")):
        with pytest.raises(redis.ResponseError, match="equal or smaller"):
            c.xadd(key, {"f": "v"}, id=stale)
    assert c.xadd("emptied", {"f": "v"}, id="1000-*") == "1000-6"
    assert c.xadd("set", {"f": "v"}, id="9000-*") == "9000-2"


@pytest.mark.kv_only
def test_wal_holds_the_exact_effect(kv_persist):
    """`*` is logged as the ID it generated and `~` / LIMIT trimming as the length it left."""
    s = kv_persist(appendfsync="always")
    c = s.client()
    for i in range(1, 251):
        c.xadd("s", {"f": "v"}, id=f"{i}-1")
    nid = c.execute_command("XADD", "s", "MAXLEN", "~", "10", "LIMIT", "100", "*", "f", "v")
    assert c.xtrim("s", maxlen=0, approximate=True, limit=100) == 100
    s.kill9()  # a clean stop would fold the log into a snapshot
    dump = subprocess.run([KV_CHECK, str(s.data_dir), "--dump"], capture_output=True, text=True,
                          timeout=60, check=True).stdout
    assert f'"XADD" "s" "MAXLEN" "=" "151" "{nid}" "f" "v"' in dump, dump[-2000:]
    assert '"XTRIM" "s" "MAXLEN" "=" "51"' in dump, dump[-2000:]
    assert '"*"' not in dump and '"~"' not in dump and '"LIMIT"' not in dump


@pytest.mark.kv_only
def test_snapshot_keeps_groups_and_metadata(kv_persist):
    s = kv_persist(appendfsync="always", enable_debug_command="yes")
    c = s.client()
    assert c.restore("s", 0, REDIS_DUMP) == "OK"
    for i in range(10, 400):
        c.xadd("big", {"type": "done", "job": str(i), "ts": "1700000000"}, id=f"{i}-0")
    c.xdel("big", "20-0")
    c.xadd("empty", {"f": "v"}, id="5-5")
    c.xdel("empty", "5-5")
    dumps = {k: c.dump(k) for k in ("s", "big", "empty")}
    c.bgsave()
    wait_save_done(s)
    c.xadd("big", {"after": "snapshot"}, id="500-0")  # in the WAL tail
    expected = {k: state(c, k) for k in ("s", "big", "empty")}
    s.kill9()  # the snapshot, then the log's tail
    s.restart()
    c = s.client()
    assert {k: state(c, k) for k in expected} == expected
    assert c.dump("s") == dumps["s"] and c.dump("empty") == dumps["empty"]
    with pytest.raises(redis.ResponseError, match="equal or smaller"):
        c.xadd("empty", {"f": "v"}, id="5-5")
    assert c.execute_command("DEBUG", "RELOAD") == "OK"
    assert {k: state(c, k) for k in expected} == expected
    assert c.dump("s") == dumps["s"]
    s.stop()
    dump = subprocess.run([KV_CHECK, str(s.data_dir), "--dump"], capture_output=True, text=True,
                          timeout=60, check=True).stdout
    assert ('key="s" stream={last_id=3-0 max_deleted_id=2-0 entries_added=3 entries=[1-1 '
            '{"a" => "1", "b" => "x"}, 3-0 {"c" => "z"}] groups=["g" {last_id=1-1 '
            'entries_read=-1 consumers=["alice" seen=') in dump, dump[-3000:]


@pytest.mark.kv_only
def test_kill9_under_always_keeps_acknowledged_writes_and_ids(kv_persist):
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    s = kv_persist(appendfsync="always", snapshot_ops=2000)
    for cycle in range(3):
        acked: list[str] = []
        deleted: set[str] = set()
        stop = threading.Event()
        errors: list[BaseException] = []

        def writer():
            c = s.client()
            try:
                while not stop.is_set():
                    r = rng.random()
                    if r < 0.8:
                        acked.append(c.xadd("log", {"cycle": str(cycle), "n": str(len(acked))}))
                    elif r < 0.9 and acked:
                        victim = rng.choice(acked)
                        deleted.add(victim)  # before: the kill may land after it is logged
                        c.xdel("log", victim)
                    else:
                        c.xtrim("log", maxlen=rng.choice([50, 500]), approximate=True)
            except (redis.ConnectionError, redis.TimeoutError):
                pass
            except BaseException as e:  # noqa: BLE001
                errors.append(e)

        t = threading.Thread(target=writer)
        t.start()
        time.sleep(rng.uniform(0.3, 0.9))
        s.kill9()
        stop.set()
        t.join(timeout=30)
        assert not errors, errors
        assert len(acked) > 20, f"seed {seed}: only {len(acked)} XADDs acknowledged"
        s.restart()
        c = s.client()
        present = {e[0] for e in c.xrange("log")}
        top = max(tuple(map(int, i.split("-"))) for i in acked)
        # Every acknowledged XADD is there unless a delete or a trim took it: trims remove the
        # oldest entries, so whatever is missing is older than everything left.
        oldest_left = min((tuple(map(int, i.split("-"))) for i in present), default=None)
        for i in acked:
            if i in present or i in deleted:
                continue
            key = tuple(map(int, i.split("-")))
            assert oldest_left is None or key < oldest_left, (seed, cycle, i)
        # The last acknowledged entry was never trimmed (a trim keeps at least 50) and IDs
        # go on above it.
        assert acked[-1] in present or acked[-1] in deleted, (seed, cycle)
        assert next_id(c, "log") > top, (seed, cycle)
        c.close()


def test_dump_restore_with_redis_both_ways(kv, redis_ref):
    k, r = kv.client(decode_responses=False), redis_ref.client(decode_responses=False)
    for i in range(1, 260):
        fields = {b"type": b"done", b"job": str(i).encode(), b"ts": b"1700000000"} if i % 9 \
            else {b"bin": bytes(range(256))[: i % 256], b"n": str(-i).encode()}
        r.xadd(b"s", fields, id=f"{i}-{i % 4}")
    r.xdel(b"s", b"7-3", b"100-0")
    r.execute_command("XSETID", b"s", b"999-9", b"ENTRIESADDED", b"500")
    payload = r.dump(b"s")
    assert k.restore(b"s", 0, payload) == b"OK"
    assert k.xrange(b"s") == r.xrange(b"s")
    with pytest.raises(redis.ResponseError, match="equal or smaller"):
        k.xadd(b"s", {b"f": b"v"}, id="999-9")
    # kv-server's payload restores into redis-server as the same stream, metadata included.
    assert r.restore(b"back", 0, k.dump(b"s")) == b"OK"
    info_a, info_b = r.xinfo_stream(b"s"), r.xinfo_stream(b"back")
    for field in ("length", "last-generated-id", "max-deleted-entry-id", "entries-added",
                  "recorded-first-entry-id", "first-entry", "last-entry"):
        assert info_a[field] == info_b[field], field
    assert r.xrange(b"back") == r.xrange(b"s")
    # A damaged payload is refused and creates nothing.
    bad = bytearray(payload)
    bad[20] ^= 0x40
    with pytest.raises(redis.ResponseError, match="payload version or checksum are wrong"):
        k.restore(b"bad", 0, bytes(bad))
    assert k.exists(b"bad") == 0


@pytest.mark.kv_only
def test_memory_accounting_follows_the_stream(kv):
    c = kv.client()
    c.xadd("s", {"f": "v"}, id="1-1")
    small = c.memory_usage("s")
    p = c.pipeline(transaction=False)
    for i in range(2, 20_002):
        p.xadd("s", {"type": "done", "job": str(i), "ts": "1700000000"}, id=f"{i}-1")
    p.execute()
    big = c.memory_usage("s")
    # Compact: well under 40 bytes an entry.
    assert 20_000 * 10 < big - small < 20_000 * 40, (small, big)
    c.xtrim("s", maxlen=100, approximate=False)
    assert c.memory_usage("s") < big // 50
    used = int(c.info("memory")["used_memory"])
    c.delete("s")
    assert int(c.info("memory")["used_memory"]) < used
