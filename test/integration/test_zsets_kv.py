"""kv-server's own side of sorted sets: the listpack / skiplist encodings and their directives
(with the ziplist aliases), typed members from a native client, persistence through the WAL, a
snapshot and kill -9, kv-check --dump, DEBUG RELOAD, a native GET of a sorted set, and memory
accounting that sees the container."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import redis

from conftest import KV_BIN, REPO_ROOT, Server, wait_for

sys.path.insert(0, str(REPO_ROOT / "clients" / "python"))
import kvclient  # noqa: E402

pytestmark = pytest.mark.kv_only


def test_encoding_follows_the_thresholds(kv_server):
    c = kv_server().client()
    assert c.config_get("zset-max-listpack-entries") == {"zset-max-listpack-entries": "128"}
    assert c.config_get("zset-max-listpack-value") == {"zset-max-listpack-value": "64"}
    c.zadd("small", {f"m{i}": i for i in range(128)})
    assert c.object("encoding", "small") == "listpack"
    c.zadd("small", {"one-more": 1})
    assert c.object("encoding", "small") == "skiplist"
    c.zremrangebyrank("small", 0, 120)
    assert c.object("encoding", "small") == "skiplist"  # one way, as in Redis
    c.zadd("long", {"x" * 65: 1})
    assert c.object("encoding", "long") == "skiplist"
    c.config_set("zset-max-ziplist-entries", "2")  # Redis 6's name for the same setting
    assert c.config_get("zset-max-listpack-entries") == {"zset-max-listpack-entries": "2"}
    c.config_set("zset-max-ziplist-value", "3")
    assert c.config_get("zset-max-listpack-value") == {"zset-max-listpack-value": "3"}
    c.zadd("two", {"a": 1, "b": 2})
    assert c.object("encoding", "two") == "listpack"
    c.zadd("two", {"c": 3})
    assert c.object("encoding", "two") == "skiplist"
    c.zadd("w", {"abcd": 1})
    assert c.object("encoding", "w") == "skiplist"
    # ZRANGESTORE picks the encoding by the result's size
    c.config_set("zset-max-listpack-entries", "128")
    c.config_set("zset-max-listpack-value", "64")
    assert c.zrangestore("dst", "small", 0, 1) == 2
    assert c.object("encoding", "dst") == "listpack"
    assert c.type("small") == "zset"
    with pytest.raises(redis.ResponseError):
        c.config_set("zset-max-listpack-entries", "x")


def test_typed_members_and_native_get(kv_server):
    s = kv_server(native_port="auto")
    n = kvclient.connect(f"kv://127.0.0.1:{s.native_port}")
    r = s.client(decode_responses=False)
    try:
        # A native client's typed member is stored as its text: 7 and "7" are one member.
        assert n.call("ZADD", "z", 1, 7, 2, Decimal("2.50")) == 2
        assert r.zadd("z", {"7": 3}) == 0
        assert r.zrange("z", 0, -1, withscores=True) == [(b"2.50", 2.0), (b"7", 3.0)]
        # A native GET reads a sorted set as [member, score] pairs in order.
        assert n.get("z") == [[b"2.50", 2.0], [b"7", 3.0]]
        with pytest.raises(redis.ResponseError, match="^WRONGTYPE"):
            r.get("z")
    finally:
        n.close()


def test_zsets_survive_kill9_restart_and_reload(tmp_path):
    opts = {"appendonly": "yes", "appendfsync": "always", "snapshot-interval": 0,
            "snapshot-ops": 0, "enable-debug-command": "yes"}
    s = Server(opts, workdir=str(tmp_path)).start()
    c = s.client()
    c.zadd("big", {f"m{i}": i / 3 for i in range(1000)})  # a skiplist
    c.zadd("small", {"a": 1.5, "b": float("inf"), "c": -2})
    c.save()  # these are in the snapshot; what follows only in the log
    c.zpopmin("big", 10)
    c.zincrby("small", 1.1, "a")
    c.zunionstore("u", ["small", "big"], aggregate="MAX")
    c.zadd("ttl", {"x": 1})
    c.pexpire("ttl", 600_000)
    want = {k: c.zrange(k, 0, -1, withscores=True) for k in ("big", "small", "u", "ttl")}
    s.kill9()
    s = Server(opts, workdir=str(tmp_path)).start()
    c = s.client()
    assert {k: c.zrange(k, 0, -1, withscores=True) for k in want} == want
    assert c.object("encoding", "big") == "skiplist"
    assert c.object("encoding", "small") == "listpack"
    assert 0 < c.pttl("ttl") <= 600_000
    c.save()
    c.execute_command("DEBUG", "RELOAD")
    assert {k: c.zrange(k, 0, -1, withscores=True) for k in want} == want
    s.stop()
    dump = subprocess.run([str(Path(KV_BIN).parent / "kv-check"), "--dump",
                           str(tmp_path / "data")], capture_output=True, text=True, timeout=60)
    assert dump.returncode == 0, dump.stdout + dump.stderr
    assert 'key="small" zset=[["c", (float)-2], ["a", (float)2.6], ["b", (float)inf]]' in (
        dump.stdout), dump.stdout


def test_memory_accounting_sees_the_container(kv_server):
    c = kv_server().client()
    before = c.info("memory")["used_memory_dataset"]
    c.zadd("big", {f"member-{i:08}": i for i in range(20000)})
    grown = c.info("memory")["used_memory_dataset"] - before
    assert grown > 20000 * 40, grown
    assert c.memory_usage("big") > 20000 * 40
    small = c.zadd("small", {"a": 1}) and c.memory_usage("small")
    assert small < c.memory_usage("big") / 100
    c.zremrangebyrank("big", 0, 9999)
    assert c.info("memory")["used_memory_dataset"] - before < grown
    c.delete("big", "small")
    assert c.info("memory")["used_memory_dataset"] - before < 1000
    wait_for(lambda: c.dbsize() == 0, what="keys gone")


ZSET_COMMANDS = ("zadd zincrby zrem zcard zcount zlexcount zscore zmscore zrank zrevrank zrange "
                 "zrangestore zrevrange zrangebyscore zrevrangebyscore zrangebylex "
                 "zrevrangebylex zremrangebyrank zremrangebyscore zremrangebylex zpopmin "
                 "zpopmax zmpop zrandmember zscan zunion zinter zdiff zunionstore zinterstore "
                 "zdiffstore zintercard").split()


def test_command_info_and_acl_category_match_redis(kv, redis_ref):
    def info(server):
        with server.raw() as r:
            entries = r.call("COMMAND", "INFO", *ZSET_COMMANDS)
            cat = set(r.call("ACL", "CAT", "sortedset"))
        return {e[0]: (e[1], sorted(e[2]), e[3:6], sorted(e[6])) for e in entries}, cat

    (ours, our_cat), (theirs, their_cat) = info(kv), info(redis_ref)
    assert ours == theirs
    assert our_cat == their_cat
