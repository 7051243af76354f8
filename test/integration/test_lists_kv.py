"""kv-server's own side of lists: the listpack / quicklist encodings and their directive, typed
elements through both protocols, persistence through the WAL, a snapshot and kill -9,
kv-check --dump, and memory accounting that sees the container."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import redis

from conftest import KV_BIN, REPO_ROOT, Server
from native_client import NativeConn

sys.path.insert(0, str(REPO_ROOT / "clients" / "python"))
import kvclient  # noqa: E402

pytestmark = pytest.mark.kv_only


def test_encoding_follows_list_max_listpack_size(kv_server):
    c = kv_server().client()
    assert c.config_get("list-max-listpack-size") == {"list-max-listpack-size": "-2"}
    c.rpush("small", *range(100))
    assert c.object("encoding", "small") == "listpack"
    c.rpush("big", *(["x" * 100] * 100))  # 10 KB: past one 8 KB node
    assert c.object("encoding", "big") == "quicklist"
    c.config_set("list-max-ziplist-size", "4")  # Redis 6's name for the same setting
    assert c.config_get("list-max-listpack-size") == {"list-max-listpack-size": "4"}
    c.rpush("four", "a", "b", "c", "d")
    assert c.object("encoding", "four") == "listpack"
    c.rpush("four", "e")
    assert c.object("encoding", "four") == "quicklist"
    c.lpop("four", 4)
    assert c.object("encoding", "four") == "quicklist"  # one way, as in Redis
    assert c.lrange("four", 0, -1) == ["e"]
    for bad in ("0.5", "-6", "x"):
        with pytest.raises(redis.ResponseError):
            c.config_set("list-max-listpack-size", bad)


def test_rank_of_int64_min_is_refused(kv_server):
    # Redis 7.0 negates it and overflows; 7.2 answers this error, as kv-server does.
    c = kv_server().client()
    c.rpush("l", "a")
    with pytest.raises(redis.ResponseError, match="value must between -9223372036854775807 and"):
        c.lpos("l", "a", rank=-(2**63))


def test_typed_elements_through_both_protocols(kv_server):
    s = kv_server(native_port="auto")
    n = kvclient.connect(f"kv://127.0.0.1:{s.native_port}")
    r = s.client(decode_responses=False)
    try:
        n.set("l", [1, Decimal("2.50"), "s", b"b", 1.5, [1, None], {"k": 1}, None])
        assert r.type("l") == b"list" and r.llen("l") == 8
        assert r.lrange("l", 0, 4) == [b"1", b"2.50", b"s", b"b", b"1.5"]
        assert r.lindex("l", 5) == [1, None]  # a nested element reads as an aggregate
        assert r.lrange("l", 6, 7) == [[b"k", 1], None]
        # RESP writes Bytes; the typed elements keep their types around them
        r.rpush("l", "tail")
        r.lpush("l", "head")
        back = n.get("l")
        assert back[0] == b"head" and back[-1] == b"tail"
        assert back[1:9] == [1, Decimal("2.50"), "s", b"b", 1.5, [1, None], {"k": 1}, None]
        assert [type(x) for x in back[1:6]] == [int, Decimal, str, bytes, float]
        # CALL keeps numbers typed: an Int and a Decimal land in the list as such
        assert n.call("RPUSH", "l", 7, Decimal("1.10")) == 12
        assert n.get("l")[-2:] == [7, Decimal("1.10")]
        assert r.lrange("l", -2, -1) == [b"7", b"1.10"]
        # text comparisons see an element's canonical text; a nested element matches nothing
        assert r.lpos("l", "2.50") == 2
        assert r.lrem("l", 0, "7") == 1
        assert r.linsert("l", "BEFORE", "1.10", "x") == 12
        with pytest.raises(redis.ResponseError, match="^WRONGTYPE"):
            r.get("l")
        assert n.get("l")[-2:] == [b"x", Decimal("1.10")]
        # a list built over RESP is a List natively
        r.rpush("plain", "a", "b")
        assert n.get("plain") == [b"a", b"b"]
        n.set("plain", [])  # no empty list in Redis: the key goes
        assert r.exists("plain") == 0
    finally:
        n.close()
        r.close()


def test_lists_survive_kill9_and_restart(tmp_path):
    opts = {"appendonly": "yes", "appendfsync": "always", "snapshot-interval": 0,
            "snapshot-ops": 0, "native-port": "auto"}
    s = Server(opts, workdir=str(tmp_path)).start()
    c = s.client()
    c.rpush("q", *range(3000))  # a quicklist
    c.rpush("small", "a", "b", "c")
    c.save()  # these are in the snapshot; what follows only in the log
    c.lpop("q", 10)
    c.rpush("q", "tail")
    c.lset("small", 1, "B")
    c.lmove("small", "moved", "LEFT", "RIGHT")
    c.rpush("ttl", "x")
    c.pexpire("ttl", 600_000)
    n = NativeConn(s.host, s.native_port)
    assert n.set("typed", [1, Decimal("2.5"), [None]]).status == 0
    n.close()
    want = {k: c.lrange(k, 0, -1) for k in ("q", "small", "moved", "ttl", "typed")}
    s.kill9()
    s = Server(opts, workdir=str(tmp_path)).start()
    c = s.client()
    assert {k: c.lrange(k, 0, -1) for k in want} == want
    assert c.object("encoding", "q") == "quicklist"
    assert 0 < c.pttl("ttl") <= 600_000
    kc = kvclient.connect(f"kv://127.0.0.1:{s.native_port}")
    try:
        assert kc.get("typed") == [1, Decimal("2.5"), [None]]
    finally:
        kc.close()
    s.stop()
    dump = subprocess.run([str(Path(KV_BIN).parent / "kv-check"), "--dump",
                           str(tmp_path / "data")], capture_output=True, text=True, timeout=60)
    assert dump.returncode == 0, dump.stdout + dump.stderr
    assert 'key="small" list=["B", "c"]' in dump.stdout
    assert 'key="typed" list=[(int)1, (decimal)2.5, [null]]' in dump.stdout


def test_memory_accounting_sees_the_container(kv_server):
    c = kv_server().client()
    before = c.info("memory")["used_memory"]
    c.rpush("big", *(["v" * 50] * 20000))  # about 1 MB of elements
    grown = c.info("memory")["used_memory"] - before
    assert grown > 1_000_000, grown
    assert c.info("memory")["used_memory_dataset"] > 1_000_000
    assert c.memory_usage("big") > 1_000_000  # MEMORY USAGE counts the container too
    c.delete("big")
    # The dataset figure (the shards' own accounting, what maxmemory compares) drops at once.
    # used_memory is not checked after DEL: it adds the allocator's overhead as the cron last
    # read it, and freed blocks may sit in thread caches that the allocator still counts.
    assert c.info("memory")["used_memory_dataset"] < 1000


def test_noeviction_refuses_pushes_past_maxmemory(kv_server):
    c = kv_server(maxmemory=8 * 1024 * 1024, maxmemory_policy="noeviction").client()
    with pytest.raises(redis.ResponseError, match="^OOM command not allowed"):
        for _ in range(2000):  # 2000 x 100 x 100 B = 20 MB into an 8 MB server
            c.rpush("l", *(["x" * 100] * 100))
    assert c.llen("l") > 0
    assert c.lpop("l") == "x" * 100  # pops still work: they free memory
