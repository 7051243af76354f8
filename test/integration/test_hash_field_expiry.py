"""Hash field TTLs (Redis 7.4): HEXPIRE HPEXPIRE HEXPIREAT HPEXPIREAT HTTL HPTTL HEXPIRETIME
HPEXPIRETIME HPERSIST.

Every reply code and error of each command, conditions NX XX GT LT, an expired field unseen by
every hash command (lazily, with the active cycle off) and reclaimed by the active cycle from
hashes nobody reads, the key gone with its last field, HSET clearing a TTL and HINCRBY keeping
it, RENAME keeping TTLs, OBJECT ENCODING, INFO expired_subkeys, and TTLs surviving kill -9
(WAL replay) and a snapshot, with kv-check --dump showing them.

kv_only: Debian's redis-server is 7.0, which has none of these commands.
"""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest
import redis

from conftest import KV_BIN, wait_for
from persist_util import wait_save_done

pytestmark = pytest.mark.kv_only

KV_CHECK = str(Path(KV_BIN).parent / "kv-check")
MAX_DEADLINE = (1 << 46) - 1  # Redis 7.4's HFE_MAX_ABS_TIME_MSEC
FAR = 10_000_000  # seconds: a TTL no test outlives
EXPIRE_CMDS = ["HEXPIRE", "HPEXPIRE", "HEXPIREAT", "HPEXPIREAT"]
TTL_CMDS = ["HTTL", "HPTTL", "HEXPIRETIME", "HPEXPIRETIME"]


def err(c, *args) -> str:
    with pytest.raises(redis.ResponseError) as e:
        c.execute_command(*args)
    return str(e.value)


def now_ms() -> int:
    return int(time.time() * 1000)


@pytest.fixture
def c(kv):
    return kv.client()


@pytest.fixture
def lazy(kv_server):
    """A client of a server whose active expiry is off: only lazy removal runs."""
    s = kv_server(enable_debug_command="yes")
    cl = s.client()
    assert cl.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0") == "OK"
    return cl


# ---------------------------------------------------------------------------- HEXPIRE family
def test_hexpire_reply_codes(c):
    c.hset("h", mapping={"a": "1", "b": "2", "c": "3"})
    assert c.execute_command("HEXPIRE", "h", FAR, "FIELDS", 2, "a", "nope") == [1, -2]
    # The same deadline again is still a set.
    at = c.execute_command("HPEXPIRETIME", "h", "FIELDS", 1, "a")[0]
    assert c.execute_command("HPEXPIREAT", "h", at, "FIELDS", 1, "a") == [1]
    # 0 seconds, or an absolute time in the past, deletes the field: 2.
    assert c.execute_command("HEXPIRE", "h", 0, "FIELDS", 1, "b") == [2]
    assert c.execute_command("HPEXPIREAT", "h", 1, "FIELDS", 2, "c", "b") == [2, -2]
    assert c.hgetall("h") == {"a": "1"}
    # The last field deleted takes the key with it.
    assert c.execute_command("HEXPIREAT", "h", 0, "FIELDS", 1, "a") == [2]
    assert c.exists("h") == 0


def test_hexpire_on_a_missing_key_answers_minus_two_per_field(c):
    assert c.execute_command("HEXPIRE", "none", 10, "FIELDS", 3, "a", "b", "a") == [-2, -2, -2]
    assert c.execute_command("HPEXPIREAT", "none", 0, "NX", "FIELDS", 1, "a") == [-2]
    assert c.exists("none") == 0


@pytest.mark.parametrize("cmd", EXPIRE_CMDS)
def test_every_expire_variant_sets_the_deadline_it_names(c, cmd):
    c.hset("h", "f", "v")
    base = now_ms()
    value = {"HEXPIRE": 1000, "HPEXPIRE": 1_000_000, "HEXPIREAT": base // 1000 + 1000,
             "HPEXPIREAT": base + 1_000_000}[cmd]
    assert c.execute_command(cmd, "h", value, "FIELDS", 1, "f") == [1]
    at = c.execute_command("HPEXPIRETIME", "h", "FIELDS", 1, "f")[0]
    if cmd == "HEXPIREAT":
        assert at == value * 1000
    elif cmd == "HPEXPIREAT":
        assert at == value
    else:
        assert base + 1_000_000 <= at <= now_ms() + 1_000_000


def test_conditions_nx_xx_gt_lt(c):
    c.hset("h", mapping={"ttl": "1", "none": "2"})
    assert c.execute_command("HEXPIRE", "h", 1000, "FIELDS", 1, "ttl") == [1]
    at = c.execute_command("HPEXPIRETIME", "h", "FIELDS", 1, "ttl")[0]
    f = ["FIELDS", 3, "ttl", "none", "nope"]
    # NX: only a field without a TTL.
    assert c.execute_command("HPEXPIREAT", "h", at + 5, "NX", *f) == [0, 1, -2]
    assert c.execute_command("HPERSIST", "h", "FIELDS", 1, "none") == [1]
    # XX: only a field with one.
    assert c.execute_command("HPEXPIREAT", "h", at + 5, "xx", *f) == [1, 0, -2]
    # GT: a strictly later deadline; no TTL counts as infinite, so never.
    assert c.execute_command("HPEXPIREAT", "h", at + 5, "GT", *f) == [0, 0, -2]
    assert c.execute_command("HPEXPIREAT", "h", at + 6, "gt", *f) == [1, 0, -2]
    # LT: a strictly earlier one; a field without a TTL always passes.
    assert c.execute_command("HPEXPIREAT", "h", at + 6, "LT", *f) == [0, 1, -2]
    assert c.execute_command("HPEXPIREAT", "h", at + 2, "lt", *f) == [1, 1, -2]
    assert c.execute_command("HPEXPIRETIME", "h", "FIELDS", 2, "ttl", "none") == [at + 2, at + 2]
    # The condition is checked before a past time deletes.
    assert c.execute_command("HPEXPIREAT", "h", 1, "NX", "FIELDS", 1, "ttl") == [0]
    assert c.execute_command("HPEXPIREAT", "h", 1, "XX", "FIELDS", 1, "ttl") == [2]
    assert c.hkeys("h") == ["none"]


@pytest.mark.parametrize("cmd", EXPIRE_CMDS)
def test_expire_errors(c, cmd):
    c.hset("h", "f", "v")
    name = cmd.lower()
    assert err(c, cmd, "h", 10, "FIELDS", 1) == f"wrong number of arguments for '{name}' command"
    assert err(c, cmd, "h", "x", "FIELDS", 1, "f") == "value is not an integer or out of range"
    assert err(c, cmd, "h", -1, "FIELDS", 1, "f") == "invalid expire time, must be >= 0"
    too_big = MAX_DEADLINE // 1000 + 1 if cmd in ("HEXPIRE", "HEXPIREAT") else MAX_DEADLINE + 1
    assert err(c, cmd, "h", too_big, "FIELDS", 1, "f") == f"invalid expire time in '{name}' command"
    missing = "Mandatory argument FIELDS is missing or not at the right position"
    assert err(c, cmd, "h", 10, "FIELD", 1, "f") == missing
    assert err(c, cmd, "h", 10, "NX", "XX", "FIELDS", 1, "f") == missing
    assert err(c, cmd, "h", 10, "BAD", "FIELDS", 1, "f") == missing
    positive = "Parameter `numFields` should be greater than 0"
    assert err(c, cmd, "h", 10, "FIELDS", 0, "f") == positive
    assert err(c, cmd, "h", 10, "FIELDS", "x", "f") == positive
    assert err(c, cmd, "h", 10, "FIELDS", -1, "f") == positive
    mismatch = "The `numfields` parameter must match the number of arguments"
    assert err(c, cmd, "h", 10, "FIELDS", 2, "f") == mismatch
    assert err(c, cmd, "h", 10, "FIELDS", 1, "f", "g") == mismatch
    assert err(c, cmd, "h", 10, "GT", "FIELDS", 1) == mismatch
    # Nothing changed on the way.
    assert c.execute_command("HTTL", "h", "FIELDS", 1, "f") == [-1]
    # The key's type is checked first, before any argument.
    c.set("s", "v")
    assert err(c, cmd, "s", "x", "NOPE", 0, "f").startswith("WRONGTYPE")
    # A missing key still gets its arguments checked.
    assert err(c, cmd, "none", 10, "FIELDS", 0, "f") == positive


def test_the_largest_deadline_is_accepted(c):
    c.hset("h", mapping={"a": "1", "b": "2"})
    assert c.execute_command("HPEXPIREAT", "h", MAX_DEADLINE, "FIELDS", 1, "a") == [1]
    assert c.execute_command("HEXPIREAT", "h", MAX_DEADLINE // 1000, "FIELDS", 1, "b") == [1]
    assert c.execute_command("HPEXPIRETIME", "h", "FIELDS", 2, "a", "b") == [
        MAX_DEADLINE, MAX_DEADLINE // 1000 * 1000]
    # A relative time that would pass the largest deadline is refused.
    assert err(c, "HPEXPIRE", "h", MAX_DEADLINE - 1000, "FIELDS", 1, "a") == \
        "invalid expire time in 'hpexpire' command"


# ---------------------------------------------------------------------------- HTTL family
def test_ttl_family_replies(c):
    c.hset("h", mapping={"a": "1", "b": "2"})
    assert c.execute_command("HPEXPIRE", "h", 100_500, "FIELDS", 1, "a") == [1]
    at = c.execute_command("HPEXPIRETIME", "h", "FIELDS", 3, "a", "b", "nope")
    assert at[1:] == [-1, -2]
    assert now_ms() < at[0] <= now_ms() + 100_500
    # Seconds round up, as Redis 7.4 does.
    assert c.execute_command("HEXPIRETIME", "h", "FIELDS", 1, "a") == [(at[0] + 999) // 1000]
    ttl = c.execute_command("HTTL", "h", "FIELDS", 3, "a", "b", "nope")
    assert ttl[1:] == [-1, -2] and 99 <= ttl[0] <= 101
    pttl = c.execute_command("HPTTL", "h", "FIELDS", 2, "nope", "a")
    assert pttl[0] == -2 and 0 < pttl[1] <= 100_500
    for cmd in TTL_CMDS:
        assert c.execute_command(cmd, "none", "FIELDS", 2, "a", "b") == [-2, -2]


@pytest.mark.parametrize("cmd", TTL_CMDS + ["HPERSIST"])
def test_ttl_and_persist_errors(c, cmd):
    c.hset("h", "f", "v")
    name = cmd.lower()
    assert err(c, cmd, "h", "FIELDS", 1) == f"wrong number of arguments for '{name}' command"
    assert err(c, cmd, "h", "FIELD", 1, "f") == \
        "Mandatory argument FIELDS is missing or not at the right position"
    positive = "Number of fields must be a positive integer"
    assert err(c, cmd, "h", "FIELDS", 0, "f") == positive
    assert err(c, cmd, "h", "FIELDS", "x", "f") == positive
    mismatch = "The `numfields` parameter must match the number of arguments"
    assert err(c, cmd, "h", "FIELDS", 2, "f") == mismatch
    assert err(c, cmd, "h", "FIELDS", 1, "f", "g") == mismatch
    c.set("s", "v")
    assert err(c, cmd, "s", "NOPE", 0, "f").startswith("WRONGTYPE")
    assert err(c, cmd, "none", "FIELDS", 0, "f") == positive


def test_hpersist_reply_codes(c):
    c.hset("h", mapping={"a": "1", "b": "2"})
    c.execute_command("HEXPIRE", "h", FAR, "FIELDS", 1, "a")
    assert c.execute_command("HPERSIST", "h", "FIELDS", 3, "a", "b", "nope") == [1, -1, -2]
    assert c.execute_command("HPERSIST", "h", "FIELDS", 1, "a") == [-1]
    assert c.execute_command("HTTL", "h", "FIELDS", 1, "a") == [-1]
    assert c.execute_command("HPERSIST", "none", "FIELDS", 1, "a") == [-2]


# ---------------------------------------------------------------------------- field semantics
def test_hset_clears_a_ttl_hincrby_keeps_it(c):
    c.hset("h", mapping={"s": "1", "i": "1", "f": "1.5", "n": "x"})
    c.execute_command("HEXPIRE", "h", FAR, "FIELDS", 4, "s", "i", "f", "n")
    c.hset("h", "s", "2")
    assert c.hsetnx("h", "n", "y") == 0
    assert c.hincrby("h", "i", 5) == 6
    assert c.hincrbyfloat("h", "f", 1) == 2.5
    assert c.execute_command("HTTL", "h", "FIELDS", 4, "s", "i", "f", "n")[0] == -1
    assert all(t > 0 for t in c.execute_command("HTTL", "h", "FIELDS", 3, "i", "f", "n"))
    # HDEL and a new HSET: a fresh field without a TTL.
    c.hdel("h", "i")
    c.hset("h", "i", "0")
    assert c.execute_command("HTTL", "h", "FIELDS", 1, "i") == [-1]


def test_encoding_becomes_hashtable_with_the_first_field_ttl(c):
    c.hset("h", mapping={"a": "1", "b": "2"})
    assert c.object("encoding", "h") == "listpack"
    # A condition that fails everywhere changes nothing, the encoding included.
    assert c.execute_command("HEXPIRE", "h", 10, "XX", "FIELDS", 1, "a") == [0]
    assert c.object("encoding", "h") == "listpack"
    c.execute_command("HEXPIRE", "h", FAR, "FIELDS", 1, "a")
    assert c.object("encoding", "h") == "hashtable"
    c.execute_command("HPERSIST", "h", "FIELDS", 1, "a")
    assert c.object("encoding", "h") == "hashtable"


def expire_soon(c, key, *fields, ms=100):
    assert c.execute_command("HPEXPIRE", key, ms, "FIELDS", len(fields), *fields) == \
        [1] * len(fields)


def test_an_expired_field_is_unseen_by_every_hash_command(lazy):
    c = lazy
    c.hset("h", mapping={"dead": "1", "live": "2"})
    expire_soon(c, "h", "dead")
    time.sleep(0.15)
    assert c.hget("h", "dead") is None
    assert c.hmget("h", ["dead", "live"]) == [None, "2"]
    assert c.hexists("h", "dead") == 0
    assert c.hstrlen("h", "dead") == 0
    assert c.hlen("h") == 1
    assert c.hgetall("h") == {"live": "2"}
    assert c.hkeys("h") == ["live"]
    assert c.hvals("h") == ["2"]
    assert c.hscan("h") == (0, {"live": "2"})
    assert c.hrandfield("h", -5) == ["live"] * 5
    assert c.hrandfield("h", 5, withvalues=True) == ["live", "2"]
    for cmd in TTL_CMDS + ["HPERSIST"]:
        assert c.execute_command(cmd, "h", "FIELDS", 1, "dead") == [-2]
    assert c.execute_command("HEXPIRE", "h", 10, "FIELDS", 1, "dead") == [-2]
    assert c.hdel("h", "dead") == 0
    # Writing it again makes a new field: HSET counts it, HINCRBY starts from 0, no TTL.
    expire_soon(c, "h", "live")
    time.sleep(0.15)
    assert c.hincrby("h", "live", 3) == 3
    assert c.execute_command("HTTL", "h", "FIELDS", 1, "live") == [-1]
    assert c.hset("h", "dead", "again") == 1
    assert c.info("stats")["expired_subkeys"] == 2


def test_the_key_goes_with_its_last_field(lazy):
    c = lazy
    c.hset("h", mapping={"a": "1", "b": "2"})
    expire_soon(c, "h", "a", "b")
    time.sleep(0.15)
    assert c.type("h") == "none"
    assert c.exists("h") == 0
    assert c.hlen("h") == 0
    assert c.hgetall("h") == {}
    assert c.hrandfield("h") is None
    c.hset("d", mapping={"a": "1"})
    expire_soon(c, "d", "a")
    time.sleep(0.15)
    assert c.delete("d") == 0
    # HSETNX on it builds a new hash.
    assert c.hsetnx("h", "a", "new") == 1
    assert c.hgetall("h") == {"a": "new"}


def test_active_expiry_reclaims_hashes_nobody_reads(c):
    for i in range(40):
        c.hset(f"h{i}", mapping={"keep": "1", "a": "2", "b": "3"})
        assert c.execute_command("HPEXPIRE", f"h{i}", 100, "FIELDS", 2, "a", "b") == [1, 1]
        c.hset(f"gone{i}", "x", "1")
        assert c.execute_command("HPEXPIRE", f"gone{i}", 100, "FIELDS", 1, "x") == [1]
    before = c.info("stats")["expired_subkeys"]
    # Nothing reads the hashes: only the active cycle can remove the fields and empty keys.
    wait_for(lambda: c.info("stats")["expired_subkeys"] - before >= 120, timeout=15,
             interval=0.2, what="the active cycle to reclaim 120 fields")
    wait_for(lambda: c.dbsize() == 40, timeout=15, interval=0.2,
             what="the emptied hashes to be deleted")
    assert c.hgetall("h7") == {"keep": "1"}


def test_rename_keeps_field_ttls(c):
    c.hset("h", mapping={"a": "1", "b": "2"})
    c.execute_command("HPEXPIRE", "h", 1_000_000, "FIELDS", 1, "a")
    at = c.execute_command("HPEXPIRETIME", "h", "FIELDS", 1, "a")
    c.rename("h", "r")
    assert c.execute_command("HPEXPIRETIME", "r", "FIELDS", 2, "a", "b") == at + [-1]


def test_rename_then_expiry_is_still_active(c):
    c.hset("h", mapping={"a": "1", "b": "2"})
    expire_soon(c, "h", "a", "b")
    c.rename("h", "moved")
    wait_for(lambda: c.dbsize() == 0, timeout=15, interval=0.2,
             what="the renamed hash's fields to expire actively")


def test_key_ttl_and_field_ttls_are_independent(c):
    c.hset("h", mapping={"a": "1", "b": "2"})
    c.expire("h", FAR)
    c.execute_command("HEXPIRE", "h", 1000, "FIELDS", 1, "a")
    assert c.ttl("h") > 1000
    c.persist("h")
    assert c.ttl("h") == -1
    assert c.execute_command("HTTL", "h", "FIELDS", 1, "a")[0] > 0


def test_hexpire_resp3_and_pipelined(kv):
    c = kv.client()
    c.hset("h", mapping={"a": "1"})
    with kv.raw() as r:
        r.send_command("HELLO", "3")
        r.read_reply_bytes(timeout=5)
        # Pipelined: both requests in one write, the replies in order, arrays of integers.
        r.send(r.encode("HEXPIRE", "h", FAR, "FIELDS", 2, "a", "b") +
               r.encode("HPERSIST", "h", "FIELDS", 1, "a"))
        assert r.read_reply_bytes(timeout=5) == b"*2\r\n:1\r\n:-2\r\n"
        assert r.read_reply_bytes(timeout=5) == b"*1\r\n:1\r\n"


# ---------------------------------------------------------------------------- durability
def deadlines(c, key, fields):
    return c.execute_command("HPEXPIRETIME", key, "FIELDS", len(fields), *fields)


def test_field_ttls_survive_kill9_through_the_wal(kv_persist):
    s = kv_persist(appendfsync="always")
    c = s.client()
    c.hset("h", mapping={"rel": "1", "abs": "2", "none": "3", "gone": "4", "pers": "5"})
    # Relative times are logged as their absolute deadlines: a replay much later gives the
    # same ones.
    c.execute_command("HEXPIRE", "h", FAR, "FIELDS", 1, "rel")
    c.execute_command("HPEXPIREAT", "h", now_ms() + FAR * 1000, "NX", "FIELDS", 1, "abs")
    c.execute_command("HEXPIRE", "h", FAR, "FIELDS", 1, "pers")
    c.execute_command("HPERSIST", "h", "FIELDS", 1, "pers")
    c.execute_command("HEXPIRE", "h", 0, "FIELDS", 1, "gone")
    c.hincrby("h", "rel", 1)
    c.hset("short", "x", "1")
    expire_soon(c, "short", "x", ms=300)
    fields = ["rel", "abs", "none", "gone", "pers"]
    want = deadlines(c, "h", fields)
    assert want[2:] == [-1, -2, -1]
    c.close()
    time.sleep(0.4)  # "short" expires while the server is down or as it replays
    s.kill9()
    dump = subprocess.run([KV_CHECK, "--dump", str(s.data_dir)], capture_output=True,
                          text=True, check=True).stdout
    # Every variant is in the log as HPEXPIREAT with its absolute deadline.
    assert '"HEXPIRE"' not in dump and '"HPEXPIRE"' not in dump, dump
    assert f'"HPEXPIREAT" "h" "{want[0]}" "FIELDS" "1" "rel"' in dump, dump
    assert f'"HPEXPIREAT" "h" "{want[1]}" "NX" "FIELDS" "1" "abs"' in dump, dump
    s.restart()
    c = s.client()
    assert deadlines(c, "h", fields) == want
    assert c.hgetall("h") == {"rel": "2", "abs": "2", "none": "3", "pers": "5"}
    assert c.object("encoding", "h") == "hashtable"
    assert c.exists("short") == 0


def test_field_ttls_survive_a_snapshot_and_kv_check_shows_them(kv_persist):
    s = kv_persist(appendfsync="always")
    c = s.client()
    c.hset("h", mapping={"a": "1", "b": "2"})
    c.hset("plain", "x", "1")
    c.execute_command("HPEXPIREAT", "h", 4_000_000_000_000, "FIELDS", 1, "a")
    c.bgsave()
    wait_save_done(s)
    # After the snapshot: one more deadline, in the WAL tail.
    c.execute_command("HPEXPIREAT", "h", 4_000_000_000_001, "FIELDS", 1, "b")
    c.close()
    s.kill9()
    dump = subprocess.run([KV_CHECK, "--dump", str(s.data_dir)], capture_output=True,
                          text=True, check=True).stdout
    line = next(ln for ln in dump.splitlines() if 'key="h" hash={' in ln)
    # A table's field order is its own: each field with its deadline, or none.
    assert '"a" => "1" @4000000000000' in line, line
    assert re.search(r'"b" => "2"[,}]', line), line  # no deadline
    assert 'key="plain" hash=["x", "1"]' in dump
    assert "HPEXPIREAT" in dump and "4000000000001" in dump
    s.restart()
    c = s.client()
    assert deadlines(c, "h", ["a", "b"]) == [4_000_000_000_000, 4_000_000_000_001]
    assert c.hgetall("plain") == {"x": "1"}
    assert c.object("encoding", "plain") == "listpack"


def test_debug_reload_keeps_field_ttls(kv_server):
    s = kv_server(enable_debug_command="yes")
    c = s.client()
    c.hset("h", mapping={"a": "1", "b": "2"})
    c.execute_command("HPEXPIREAT", "h", 4_000_000_000_000, "FIELDS", 1, "a")
    assert c.execute_command("DEBUG", "RELOAD") == "OK"
    assert deadlines(c, "h", ["a", "b"]) == [4_000_000_000_000, -1]
    assert c.object("encoding", "h") == "hashtable"
    # Still tracked for the active cycle after the reload.
    expire_soon(c, "h", "b")
    wait_for(lambda: c.info("stats")["expired_subkeys"] >= 1, timeout=15, interval=0.2,
             what="the reloaded hash's field to expire actively")
