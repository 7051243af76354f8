"""Consumer groups beyond the replies: the WAL logs every group change as its effects (XCLAIM
per delivered or claimed entry, XGROUP SETID with ENTRIESREAD, XACK of entries dropped for
being deleted), so replay rebuilds the same pending lists, delivery times and counts,
consumers, last-delivered IDs and entries-read; a snapshot keeps them; kill -9 under
appendfsync always during a producer and a consumer group loses no acknowledged XACK and keeps
the pending list in line with what was delivered; COMMAND INFO and ACL categories as Redis."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import pytest
import redis

from conftest import KV_BIN
from persist_util import wait_save_done

KV_CHECK = str(Path(KV_BIN).parent / "kv-check")


def group_state(raw, key):
    """XINFO STREAM FULL without the consumers' seen times (a read refreshes them, and that
    alone is not logged, as Redis does not propagate it)."""
    full = raw.call("XINFO", "STREAM", key, "FULL", "COUNT", "0")
    for group in full[full.index(b"groups") + 1]:
        for consumer in group[group.index(b"consumers") + 1]:
            consumer[consumer.index(b"seen-time") + 1] = None
    return full


def busy_groups(c):
    for i in range(1, 11):
        c.execute_command("XADD", "s", f"{i}-1", "f", str(i))
    c.xgroup_create("s", "g", "0")
    c.xgroup_create("s", "other", "0")
    c.execute_command("XGROUP", "CREATECONSUMER", "s", "g", "idle-one")
    c.xreadgroup("g", "alice", {"s": ">"}, count=4)
    c.xreadgroup("g", "bob", {"s": ">"}, count=2)
    c.xreadgroup("g", "carol", {"s": ">"}, count=1, noack=True)
    c.xreadgroup("g", "alice", {"s": "0"}, count=2)  # history: counted again
    c.execute_command("XCLAIM", "s", "g", "dave", "0", "1-1", "RETRYCOUNT", "9", "IDLE", "500")
    c.execute_command("XCLAIM", "s", "g", "dave", "0", "9-1", "FORCE")
    c.execute_command("XCLAIM", "s", "g", "dave", "0", "2-1", "JUSTID", "LASTID", "8-1")
    c.xdel("s", "3-1")
    c.execute_command("XAUTOCLAIM", "s", "g", "erin", "0", "0", "COUNT", "3")
    c.xack("s", "g", "5-1")
    c.xgroup_setid("s", "other", "4-1", entries_read=4)
    c.xreadgroup("other", "x", {"s": ">"}, count=1)
    c.execute_command("XGROUP", "DELCONSUMER", "s", "g", "bob")
    c.xgroup_create("s", "gone", "$")
    c.xgroup_destroy("s", "gone")


@pytest.mark.kv_only
def test_wal_replay_rebuilds_groups(kv_persist):
    s = kv_persist(appendfsync="always")
    c = s.client()
    busy_groups(c)
    with s.raw() as raw:
        before = group_state(raw, "s")
    time.sleep(0.05)  # replay must restore the logged times, not take its own
    s.kill9()
    s.restart()
    with s.raw() as raw:
        assert group_state(raw, "s") == before
    s.kill9()  # a clean stop would fold the log into a snapshot
    dump = subprocess.run([KV_CHECK, str(s.data_dir), "--dump"], capture_output=True, text=True,
                          timeout=60, check=True).stdout
    assert '"XREADGROUP"' not in dump and '"XAUTOCLAIM"' not in dump, dump[-3000:]
    assert '"XCLAIM" "s" "g" "alice" "0" "1-1" "TIME"' in dump, dump[-3000:]
    assert '"XGROUP" "SETID" "s" "g" "4-1" "ENTRIESREAD" "4"' in dump, dump[-3000:]
    assert '"XACK" "s" "g" "3-1"' in dump, dump[-3000:]  # dropped: its entry was deleted


@pytest.mark.kv_only
def test_reads_that_change_nothing_log_nothing(kv_persist):
    s = kv_persist(appendfsync="always")
    c = s.client()
    c.xgroup_create("s", "g", "$", mkstream=True)
    c.xreadgroup("g", "a", {"s": ">"}, count=1)       # nothing new: no consumer, no record
    c.xreadgroup("g", "a", {"s": ">"}, block=10)
    c.xadd("s", {"f": "v"}, id="1-1")
    c.xreadgroup("g", "a", {"s": ">"}, noack=True)    # NOACK: only the group's position
    c.xread({"s": "0"})
    c.xpending("s", "g")
    c.xinfo_groups("s")
    s.kill9()
    dump = subprocess.run([KV_CHECK, str(s.data_dir), "--dump"], capture_output=True, text=True,
                          timeout=60, check=True).stdout
    assert '"XCLAIM"' not in dump and '"XREAD"' not in dump and '"XPENDING"' not in dump, dump
    assert dump.count('"XGROUP" "CREATECONSUMER" "s" "g" "a"') == 1, dump
    assert '"XGROUP" "SETID" "s" "g" "1-1" "ENTRIESREAD" "1"' in dump, dump


@pytest.mark.kv_only
def test_snapshot_restores_groups(kv_persist):
    s = kv_persist(appendfsync="always")
    c = s.client()
    busy_groups(c)
    c.bgsave()
    wait_save_done(s)
    c.xreadgroup("g", "late", {"s": ">"})  # in the WAL tail
    with s.raw() as raw:
        before = group_state(raw, "s")
    s.kill9()
    s.restart()
    with s.raw() as raw:
        assert group_state(raw, "s") == before


@pytest.mark.kv_only
def test_kill9_during_producer_and_consumer_group(kv_persist):
    s = kv_persist(appendfsync="always")
    c = s.client()
    c.xgroup_create("jobs", "workers", "$", mkstream=True)
    stop = threading.Event()
    errors: list[BaseException] = []
    produced: list[str] = []
    delivered: dict[str, str] = {}   # entry -> consumer, for replies received
    ack_sent: set[str] = set()       # XACK written (maybe not acknowledged)
    acked: set[str] = set()          # XACK acknowledged

    def producer():
        p = s.client()
        try:
            while not stop.is_set():
                produced.append(p.xadd("jobs", {"n": str(len(produced))}))
        except (redis.ConnectionError, redis.TimeoutError):
            pass
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    def consumer(name):
        w = s.client()
        try:
            while not stop.is_set():
                got = w.xreadgroup("workers", name, {"jobs": ">"}, count=5, block=100)
                for _key, entries in got or []:
                    for entry_id, _fields in entries:
                        delivered[entry_id] = name
                    # Acknowledge every other entry: the rest stays pending.
                    for entry_id, _fields in entries[::2]:
                        ack_sent.add(entry_id)
                        w.xack("jobs", "workers", entry_id)
                        acked.add(entry_id)
        except (redis.ConnectionError, redis.TimeoutError):
            pass
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=producer)] + \
        [threading.Thread(target=consumer, args=(f"w{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    time.sleep(0.8)
    s.kill9()
    stop.set()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert len(acked) > 10, f"only {len(acked)} XACKs acknowledged"
    s.restart()
    c = s.client()
    rows = c.xpending_range("jobs", "workers", "-", "+", 1_000_000)
    pending = {r["message_id"]: r["consumer"] for r in rows}
    assert not (acked & pending.keys())  # every acknowledged XACK held
    for entry_id, consumer in delivered.items():
        if entry_id not in ack_sent:
            assert pending.get(entry_id) == consumer, entry_id
    # Anything else pending was delivered by a read whose reply the kill cut off: it is newer
    # than every delivery a consumer saw.
    last_seen = max((tuple(map(int, i.split("-"))) for i in delivered), default=(0, 0))
    for entry_id in pending.keys() - delivered.keys():
        assert tuple(map(int, entry_id.split("-"))) > last_seen, entry_id
    info = c.xinfo_groups("jobs")[0]
    assert info["pending"] == len(pending)
    last = info["last-delivered-id"]
    assert tuple(map(int, last.split("-"))) >= last_seen
    # entries-read counts the entries up to last-delivered-id (nothing was deleted).
    assert info["entries-read"] == len(c.xrange("jobs", "-", last))
    assert info["lag"] == c.xlen("jobs") - info["entries-read"]


@pytest.mark.kv_only
def test_command_info_and_acl_categories_match_redis(kv, redis_ref):
    names = ("XGROUP", "XINFO", "XACK", "XPENDING", "XCLAIM", "XAUTOCLAIM", "XREAD", "XREADGROUP")

    def info(server):
        with server.raw() as r:
            entries = r.call("COMMAND", "INFO", *names)
            cats = {c: set(r.call("ACL", "CAT", c)) & {n.lower().encode() for n in names}
                    for c in ("stream", "write", "read", "fast", "slow", "blocking")}
            keys = [r.call("COMMAND", "GETKEYS", *args) for args in (
                ("XREAD", "COUNT", "2", "STREAMS", "a", "b", "0", "0"),
                ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "a", ">"),
                ("XACK", "k", "g", "1-1"))]
        # name, arity, first/last/step key (the containers' subcommands:
        # test_command_subcommands.py)
        return {e[0]: (e[1], e[3:6]) for e in entries}, cats, keys

    ours, theirs = info(kv), info(redis_ref)
    assert ours[1] == theirs[1] and ours[2] == theirs[2]
    for name, (arity, keys) in theirs[0].items():
        assert ours[0][name][0] == arity, name
        assert ours[0][name][1] == keys, name
