"""kv-server's own side of sets: the intset / listpack / hashtable encodings, their directives
and Redis 7.2's conversions, typed members through both protocols (compared by text), SPOP
replayed from the WAL, persistence through a snapshot (type byte 6) and kill -9, kv-check
--dump, and memory accounting that sees the container."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import redis

from conftest import KV_BIN, REPO_ROOT, Server

sys.path.insert(0, str(REPO_ROOT / "clients" / "python"))
import kvclient  # noqa: E402

pytestmark = pytest.mark.kv_only


def test_encodings_and_conversions(kv_server):
    c = kv_server().client()
    assert c.config_get("set-max-intset-entries") == {"set-max-intset-entries": "512"}
    assert c.config_get("set-max-listpack-entries") == {"set-max-listpack-entries": "128"}
    assert c.config_get("set-max-listpack-value") == {"set-max-listpack-value": "64"}
    c.sadd("i", *range(512))
    assert c.object("encoding", "i") == "intset"
    c.sadd("i", 512)  # past set-max-intset-entries
    assert c.object("encoding", "i") == "hashtable"
    c.sadd("small", 1, 2, 3)
    c.sadd("small", "x")  # a non-integer in a small intset: a listpack (Redis 7.2)
    assert c.object("encoding", "small") == "listpack"
    c.sadd("small", *[f"m{i}" for i in range(124)])
    assert c.object("encoding", "small") == "listpack" and c.scard("small") == 128
    c.sadd("small", "one more")
    assert c.object("encoding", "small") == "hashtable"
    c.srem("small", *[f"m{i}" for i in range(124)])
    assert c.object("encoding", "small") == "hashtable"  # one way, as in Redis
    c.sadd("long", "a", "x" * 65)
    assert c.object("encoding", "long") == "hashtable"
    c.sadd("wide", *range(200))
    c.sadd("wide", "x")  # too many for a listpack: straight to a table
    assert c.object("encoding", "wide") == "hashtable"
    # The old ziplist names are the same settings.
    c.config_set("set-max-ziplist-entries", "4")
    c.config_set("set-max-ziplist-value", "10")
    assert c.config_get("set-max-listpack-entries") == {"set-max-listpack-entries": "4"}
    assert c.config_get("set-max-listpack-value") == {"set-max-listpack-value": "10"}
    c.sadd("four", "a", "b", "c", "d")
    assert c.object("encoding", "four") == "listpack"
    c.sadd("four", "e")
    assert c.object("encoding", "four") == "hashtable"
    c.config_set("set-max-intset-entries", "3")
    c.sadd("ints", 1, 2, 3)
    assert c.object("encoding", "ints") == "intset"
    c.sadd("ints", 4)
    assert c.object("encoding", "ints") == "hashtable"
    # STORE results follow the same rules.
    c.sadd("x1", 1, 2)
    assert c.sunionstore("u", "x1") == 2 and c.object("encoding", "u") == "intset"
    for bad in ("-1", "x"):
        with pytest.raises(redis.ResponseError):
            c.config_set("set-max-intset-entries", bad)


def test_typed_members_through_both_protocols(kv_server):
    s = kv_server(native_port="auto")
    n = kvclient.connect(f"kv://127.0.0.1:{s.native_port}")
    r = s.client(decode_responses=False)
    try:
        assert n.call("SADD", "s", 5, Decimal("2.50"), "text", b"raw", 1.5) == 5
        # Membership compares canonical text: Int 5 and the bytes "5" are one member.
        assert r.sadd("s", "5", "2.50", "text") == 0
        assert r.sismember("s", "5") == 1 and r.sismember("s", "2.5") == 0
        assert r.smembers("s") == {b"5", b"2.50", b"text", b"raw", b"1.5"}
        back = n.get("s")  # a native GET of a set: a List of its members, order unspecified
        # CALL keeps numbers typed; text arguments arrive as Bytes
        assert sorted(map(repr, back)) == sorted(map(repr, [5, Decimal("2.50"), b"text", b"raw", 1.5]))
        assert n.call("SISMEMBER", "s", 5) == 1 and n.call("SREM", "s", Decimal("2.50")) == 1
        with pytest.raises(redis.ResponseError, match="^WRONGTYPE"):
            r.get("s")
        assert r.scard("s") == 4
        # An intset keeps numbers only: its members read natively as Ints.
        r.sadd("ints", "1", "2")
        assert r.object("encoding", "ints") == b"intset"
        assert sorted(n.get("ints")) == [1, 2]
    finally:
        n.close()
        r.close()


def dump_snapshot(tmp_path: Path) -> str:
    dump = subprocess.run([str(Path(KV_BIN).parent / "kv-check"), "--dump",
                           str(tmp_path / "data")], capture_output=True, text=True, timeout=60)
    assert dump.returncode == 0, dump.stdout + dump.stderr
    return dump.stdout


def test_sets_survive_kill9_and_restart(tmp_path):
    opts = {"appendonly": "yes", "appendfsync": "always", "snapshot-interval": 0,
            "snapshot-ops": 0, "native-port": "auto"}
    s = Server(opts, workdir=str(tmp_path)).start()
    c = s.client()
    c.sadd("big", *[f"member:{i}" for i in range(3000)])
    c.sadd("ints", *range(10))
    c.sadd("pack", "a", "b", "c")
    c.save()  # these are in the snapshot; what follows only in the log
    popped = c.spop("big", 100)  # random: the log must hold what was really popped
    c.spop("ints")
    c.smove("pack", "moved", "a")
    c.sinterstore("inter", "big", "big")
    c.sadd("ttl", "x")
    c.pexpire("ttl", 600_000)
    want = {k: c.smembers(k) for k in ("big", "ints", "pack", "moved", "inter", "ttl")}
    assert not set(popped) & want["big"]
    s.kill9()
    s = Server(opts, workdir=str(tmp_path)).start()
    c = s.client()
    assert {k: c.smembers(k) for k in want} == want
    assert c.object("encoding", "big") == "hashtable"
    assert c.object("encoding", "ints") == "intset"
    assert 0 < c.pttl("ttl") <= 600_000
    c.save()
    s.stop()
    out = dump_snapshot(tmp_path)
    assert 'key="pack" set=["b", "c"]' in out or 'key="pack" set=["c", "b"]' in out
    assert 'key="ints" set=[(int)' in out
    # And the snapshot alone (SAVE left no log after it) loads them back.
    s = Server(opts, workdir=str(tmp_path)).start()
    c = s.client()
    assert {k: c.smembers(k) for k in want} == want
    assert c.type("pack") == "set"
    s.stop()


def test_memory_accounting_sees_the_container(kv_server):
    c = kv_server().client()
    before = c.info("memory")["used_memory"]
    c.sadd("big", *[f"member:{i}:" + "v" * 40 for i in range(20000)])  # about 1 MB of members
    grown = c.info("memory")["used_memory"] - before
    assert grown > 1_000_000, grown
    assert c.info("memory")["used_memory_dataset"] > 1_000_000
    assert c.memory_usage("big") > 1_000_000
    c.delete("big")
    assert c.info("memory")["used_memory_dataset"] < 1000
    # used_memory is not waited on after DEL: it adds the allocator's overhead as the cron last
    # read it, and freed blocks may sit in thread caches the allocator still counts (the
    # dataset figure above is what maxmemory compares).
