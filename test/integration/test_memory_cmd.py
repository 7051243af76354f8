"""MEMORY USAGE, STATS, DOCTOR, MALLOC-STATS, PURGE and HELP against the real binary; the
argument errors and the shapes are compared with Debian's redis-server where both agree."""

from __future__ import annotations

import pytest

from conftest import RespError

ERROR_CASES = [
    ("MEMORY",),
    ("MEMORY", "Foo"),
    ("MEMORY", "USAGE"),
    ("MEMORY", "USAGE", "k", "SAMPLES"),
    ("MEMORY", "USAGE", "k", "SAMPLES", "x"),
    ("MEMORY", "USAGE", "k", "SAMPLES", "-1"),
    ("MEMORY", "USAGE", "k", "SAMPLES", "5", "x"),
    ("MEMORY", "USAGE", "k", "bar"),
    ("MEMORY", "DOCTOR", "x"),
    ("MEMORY", "STATS", "x"),
    ("MEMORY", "PURGE", "x"),
    ("MEMORY", "MALLOC-STATS", "x"),
    ("MEMORY", "HELP", "x"),
]


def test_errors_and_help_match_redis(kv, redis_ref):
    for s in (kv, redis_ref):
        s.client().set("k", "v")
    for cmd in ERROR_CASES + [("MEMORY", "HELP"), ("MEMORY", "USAGE", "missing"),
                              ("MEMORY", "USAGE", "missing", "SAMPLES", "0"),
                              ("MEMORY", "PURGE")]:
        with kv.raw() as r:
            mine = r.call(*cmd)
        with redis_ref.raw() as r:
            theirs = r.call(*cmd)
        assert type(mine) is type(theirs) and str(mine) == str(theirs), cmd


def test_usage_follows_acl_key_patterns(kv, redis_ref):
    answers = []
    for s in (kv, redis_ref):
        admin = s.client()
        admin.set("app:1", "v")
        admin.set("other", "v")
        admin.execute_command("ACL", "SETUSER", "alice", "on", ">pw", "~app:*", "+@all")
        try:
            with s.raw() as r:
                assert r.call("AUTH", "alice", "pw") == b"OK"
                allowed = r.call("MEMORY", "USAGE", "app:1")
                denied = r.call("MEMORY", "USAGE", "other")
                missing_denied = r.call("MEMORY", "USAGE", "zzz", "SAMPLES", "x")
        finally:
            admin.execute_command("ACL", "DELUSER", "alice")
        assert isinstance(allowed, int) and allowed > 0
        answers.append((str(denied), str(missing_denied)))
    assert answers[0] == answers[1]
    assert answers[0][0].startswith("NOPERM")


def test_usage_grows_with_the_value(kv):
    c = kv.client()
    c.set("small", "x" * 10)
    c.set("big", "x" * 10_000)
    small = c.memory_usage("small")
    big = c.memory_usage("big")
    assert small >= len("small") + 10
    assert big >= len("big") + 10_000
    assert big > small
    assert c.memory_usage("small", samples=0) == small
    assert c.memory_usage("nope") is None


@pytest.mark.kv_only
def test_usage_counts_the_expiry_index_place(kv):
    c = kv.client()
    c.set("a", "v")
    c.set("b", "v", ex=100)
    # Same key and value sizes: the key with a TTL costs its expiry time and its index place.
    assert c.memory_usage("b") > c.memory_usage("a")


def test_stats_uses_redis_field_names(kv):
    c = kv.client()
    c.set("a", "1")
    c.set("b", "2", ex=100)
    with kv.raw() as r:
        flat = r.call("MEMORY", "STATS")
    stats = dict(zip(flat[0::2], flat[1::2]))
    for field in (b"peak.allocated", b"total.allocated", b"startup.allocated", b"clients.normal",
                  b"overhead.total", b"keys.count", b"keys.bytes-per-key", b"dataset.bytes",
                  b"dataset.percentage", b"peak.percentage", b"allocator.allocated",
                  b"fragmentation", b"fragmentation.bytes"):
        assert field in stats, field
    assert stats[b"keys.count"] == 2
    assert stats[b"total.allocated"] > 0
    db0 = dict(zip(stats[b"db.0"][0::2], stats[b"db.0"][1::2]))
    assert set(db0) >= {b"overhead.hashtable.main", b"overhead.hashtable.expires"}
    assert db0[b"overhead.hashtable.expires"] > 0


def test_doctor_and_malloc_stats_answer_text(kv):
    with kv.raw() as r:
        doctor = r.call("MEMORY", "DOCTOR")
        malloc = r.call("MEMORY", "MALLOC-STATS")
    assert isinstance(doctor, bytes) and (doctor.startswith(b"Hi Sam") or b"Sam," in doctor)
    assert isinstance(malloc, bytes) and malloc


@pytest.mark.kv_only
def test_malloc_stats_is_jemallocs_report(kv):
    with kv.raw() as r:
        text = r.call("MEMORY", "MALLOC-STATS")
        allocator = r.call("INFO", "memory")
    if b"mem_allocator:jemalloc" in allocator:
        assert b"jemalloc statistics" in text
    else:
        assert text == b"Stats not supported for the current allocator"
    assert not isinstance(text, RespError)


def test_command_info_matches_redis(kv, redis_ref):
    def info(server):
        with server.raw() as r:
            (entry,) = r.call("COMMAND", "INFO", "memory")
            return entry

    ours, theirs = info(kv), info(redis_ref)
    assert ours[1] == theirs[1] == -2
    assert ours[2] == theirs[2] == []
    assert ours[3:6] == theirs[3:6]
    assert sorted(ours[6]) == sorted(theirs[6])
