"""Keyspace notifications (notify-keyspace-events): the events every command family announces,
their order, the __keyspace@<db>__ and __keyevent@<db>__ channels, the class letters of CONFIG
SET/GET, expired, evicted, keymiss and new events. The expected sequences are Redis 7.0's: every
test except the kv_only ones also passes against redis-server (KV_TEST_AGAINST_REDIS=1)."""

from __future__ import annotations

import time

import pytest
import redis

MARK = "events-test-mark"


class Events:
    """A subscriber to every keyspace/keyevent channel, on a connection of its own. `run` sends
    commands through another connection and returns the events they caused, in order, as
    (db, event, key) read from the keyevent channels (or (db, key, event) from the keyspace
    ones), up to a PUBLISH on MARK from the same connection: published after them, it arrives
    after them."""

    def __init__(self, server, flags: str):
        self.c = server.client()
        # Raw replies: redis-py's parsers of GEORADIUS ... STORE and others expect options
        # execute_command does not pass.
        self.c.response_callbacks.clear()
        self.c.config_set("notify-keyspace-events", flags)
        self.p = self.c.pubsub()
        self.p.psubscribe("__key*__:*")
        self.p.subscribe(MARK)
        for _ in range(2):
            assert self.p.get_message(timeout=5)["type"] in ("psubscribe", "subscribe")

    def run(self, *commands, expect_errors: bool = False) -> list[tuple[str, str, str]]:
        for cmd in commands:
            try:
                self.c.execute_command(*cmd)
            except redis.ResponseError:
                if not expect_errors:
                    raise
        self.c.publish(MARK, "x")
        return self.collect()

    def collect(self, until=None) -> list[tuple[str, str, str]]:
        """The events up to the mark, or up to and including the event `until`."""
        got = []
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            m = self.p.get_message(timeout=1)
            if m is None:
                continue
            if m["channel"] == MARK and until is None:
                return got
            prefix, _, name = m["channel"].partition("__:")
            kind, _, db = prefix.partition("@")
            if kind == "__keyevent":
                got.append((db, name, m["data"]))
            else:
                got.append((db, m["data"], name))
            if got[-1] == until:
                return got
        raise AssertionError(f"no end after {got}")

    def close(self):
        self.c.config_set("notify-keyspace-events", "")
        self.p.close()
        self.c.close()


@pytest.fixture
def events(kv):
    opened = []

    def make(flags: str = "EA") -> Events:
        e = Events(kv, flags)
        opened.append(e)
        return e

    yield make
    for e in opened:
        e.close()


def ev(*pairs) -> list[tuple[str, str, str]]:
    """[(event, key), ...] in database 0."""
    return [("0", e, k) for e, k in pairs]


# ------------------------------------------------------------------------------ configuration
def test_config_letters_round_trip_as_redis(kv):
    c = kv.client()
    try:
        for given, shown in [("KEA", "AKE"), ("KEAn", "AKE"), ("Elg", "glE"), ("nK", "nK"),
                             ("", ""), ("mn", "nm"), ("g$lshzxetd", "A"), ("Ag", "A"),
                             ("KEAm", "AKEm"), ("Ex$", "$xE")]:
            c.config_set("notify-keyspace-events", given)
            assert c.config_get("notify-keyspace-events") == {"notify-keyspace-events": shown}
        with pytest.raises(redis.ResponseError) as e:
            c.config_set("notify-keyspace-events", "KEq")
        assert str(e.value) == ("CONFIG SET failed (possibly related to argument "
                                "'notify-keyspace-events') - Invalid event class character. "
                                "Use 'Ag$lshzxeKEtmdn'.")
        assert c.config_get("notify-keyspace-events") == {"notify-keyspace-events": "$xE"}
    finally:
        c.config_set("notify-keyspace-events", "")


def test_nothing_is_published_by_default(kv, events):
    e = events("")
    assert e.run(("SET", "k", "v"), ("DEL", "k"), ("LPUSH", "l", "a")) == []


def test_keyspace_and_keyevent_channels(kv, events):
    e = events("KE$")
    e.c.execute_command("SET", "k", "v")
    e.c.publish(MARK, "x")
    got = []
    while True:
        m = e.p.get_message(timeout=5)
        assert m is not None
        if m["channel"] == MARK:
            break
        got.append((m["type"], m["pattern"], m["channel"], m["data"]))
    assert got == [("pmessage", "__key*__:*", "__keyspace@0__:k", "set"),
                   ("pmessage", "__key*__:*", "__keyevent@0__:set", "k")]


def test_only_the_configured_classes(kv, events):
    e = events("El")
    assert e.run(("SET", "k", "v"), ("RPUSH", "l", "a"), ("DEL", "k", "l")) == ev(("rpush", "l"))
    e = events("K$")
    assert e.run(("SET", "k", "v"), ("RPUSH", "l2", "a")) == [("0", "set", "k")]


# ------------------------------------------------------------------------------ families
def test_string_events(kv, events):
    e = events()
    assert e.run(
        ("SET", "s1", "v"), ("SET", "s1", "v", "EX", "100"), ("SET", "s1", "w", "KEEPTTL"),
        ("SET", "s1", "x", "NX"), ("SETNX", "s1", "v"), ("SETEX", "s2", "100", "v"),
        ("PSETEX", "s3", "100000", "v"), ("GETSET", "s2", "x"), ("MSET", "m1", "a", "m2", "b"),
        ("MSETNX", "m1", "a", "n1", "b"), ("APPEND", "s1", "zz"), ("SETRANGE", "s1", "0", "ab"),
        ("SETRANGE", "s1", "0", ""), ("INCR", "i"), ("INCRBY", "i", "5"), ("DECR", "i"),
        ("DECRBY", "i", "2"), ("INCRBYFLOAT", "f", "1.5"), ("GETDEL", "s2"),
        ("GETEX", "s1", "EX", "100"), ("GETEX", "s1", "PERSIST"), ("GETEX", "s1", "PERSIST"),
        ("SET", "s1", "v", "GET"), ("SETBIT", "b", "7", "1"), ("SETBIT", "b", "7", "1"),
        ("BITFIELD", "bf", "SET", "u8", "0", "255"), ("BITFIELD", "bf", "GET", "u8", "0"),
        ("BITOP", "OR", "dest", "b", "bf"), ("BITOP", "AND", "dest", "nokey"),
        ("PFADD", "h", "a", "b"), ("PFADD", "h", "a"), ("PFMERGE", "h2", "h"),
    ) == ev(
        ("set", "s1"), ("set", "s1"), ("expire", "s1"), ("set", "s1"),
        ("set", "s2"), ("expire", "s2"), ("set", "s3"), ("expire", "s3"), ("set", "s2"),
        ("set", "m1"), ("set", "m2"), ("append", "s1"), ("setrange", "s1"),
        ("incrby", "i"), ("incrby", "i"), ("incrby", "i"), ("incrby", "i"),
        ("incrbyfloat", "f"), ("del", "s2"), ("expire", "s1"), ("persist", "s1"),
        ("set", "s1"), ("setbit", "b"), ("setbit", "bf"),
        ("set", "dest"), ("del", "dest"), ("pfadd", "h"), ("pfadd", "h2"),
    )


def test_generic_events(kv, events):
    kv.client().execute_command("MSET", "a", "1", "b", "2", "c", "3")
    dump = kv.client(decode_responses=False).dump("a")
    e = events()
    assert e.run(
        ("DEL", "a", "nokey"), ("UNLINK", "b"), ("EXPIRE", "c", "100"), ("PERSIST", "c"),
        ("PERSIST", "c"), ("PEXPIRE", "c", "100000"), ("EXPIREAT", "c", "99999999999"),
        ("RENAME", "c", "r1"), ("RENAMENX", "r1", "r1"), ("COPY", "r1", "c1"),
        ("MOVE", "c1", "1"), ("RESTORE", "rk", "0", dump), ("RESTORE", "rk", "0", dump, "REPLACE"),
        ("EXPIRE", "r1", "-1"), ("EXPIRE", "nokey", "10"), ("TOUCH", "rk"), ("TYPE", "rk"),
    ) == ev(
        ("del", "a"), ("del", "b"), ("expire", "c"), ("persist", "c"), ("expire", "c"),
        ("expire", "c"), ("rename_from", "c"), ("rename_to", "r1"), ("copy_to", "c1"),
        ("move_from", "c1"),
    ) + [("1", "move_to", "c1")] + ev(("restore", "rk"), ("restore", "rk"), ("del", "r1"))


def test_list_events(kv, events):
    e = events()
    assert e.run(
        ("RPUSH", "l", "a", "b", "c"), ("LPUSH", "l", "z"), ("LPUSHX", "nolist", "a"),
        ("RPUSHX", "l", "d"), ("LINSERT", "l", "BEFORE", "a", "q"),
        ("LINSERT", "l", "BEFORE", "nope", "q"), ("LSET", "l", "0", "w"), ("LPOP", "l"),
        ("RPOP", "l", "2"), ("LREM", "l", "0", "q"), ("LREM", "l", "0", "nope"),
        ("LTRIM", "l", "0", "0"), ("LTRIM", "l", "0", "0"), ("LMOVE", "l", "l2", "LEFT", "RIGHT"),
        ("RPUSH", "l2", "x"), ("RPOPLPUSH", "l2", "l2"), ("LMPOP", "2", "nolist", "l2", "LEFT"),
        ("BLPOP", "l2", "0"), ("LPOP", "nolist"),
    ) == ev(
        ("rpush", "l"), ("lpush", "l"), ("rpush", "l"), ("linsert", "l"), ("lset", "l"),
        ("lpop", "l"), ("rpop", "l"), ("lrem", "l"), ("ltrim", "l"), ("ltrim", "l"),
        ("rpush", "l2"), ("lpop", "l"), ("del", "l"), ("rpush", "l2"), ("lpush", "l2"),
        ("rpop", "l2"), ("lpop", "l2"), ("lpop", "l2"), ("del", "l2"),
    )


def test_hash_events(kv, events):
    e = events()
    assert e.run(
        ("HSET", "h", "f", "v", "g", "w"), ("HSET", "h", "f", "v"), ("HSETNX", "h", "f", "x"),
        ("HSETNX", "h", "n", "1"), ("HMSET", "h", "a", "1"), ("HINCRBY", "h", "n", "2"),
        ("HINCRBYFLOAT", "h", "n", "1.5"), ("HDEL", "h", "nope"), ("HDEL", "h", "f", "g"),
        ("HDEL", "h", "a", "n"), ("HGET", "h", "f"),
    ) == ev(
        ("hset", "h"), ("hset", "h"), ("hset", "h"), ("hset", "h"), ("hincrby", "h"),
        ("hincrbyfloat", "h"), ("hdel", "h"), ("hdel", "h"), ("del", "h"),
    )


def test_set_events(kv, events):
    e = events()
    assert e.run(
        ("SADD", "s", "a", "b", "c"), ("SADD", "s", "a"), ("SREM", "s", "nope"),
        ("SREM", "s", "a"), ("SMOVE", "s", "s2", "b"), ("SMOVE", "s", "s2", "nope"),
        ("SADD", "s2", "c"), ("SMOVE", "s", "s2", "c"), ("SADD", "s3", "x", "y"),
        ("SINTERSTORE", "d1", "s3", "s2"), ("SUNIONSTORE", "d1", "s3", "s2"),
        ("SINTERSTORE", "d1", "s3", "s2"), ("SDIFFSTORE", "d2", "s3", "s2"),
        ("SPOP", "s3", "0"), ("SPOP", "s3", "5"), ("SPOP", "d2"),
    ) == ev(
        ("sadd", "s"), ("srem", "s"), ("srem", "s"), ("sadd", "s2"), ("sadd", "s2"),
        ("srem", "s"), ("del", "s"), ("sadd", "s3"), ("sunionstore", "d1"), ("del", "d1"),
        ("sdiffstore", "d2"), ("spop", "s3"), ("del", "s3"), ("spop", "d2"),
    )


def test_sorted_set_events(kv, events):
    e = events()
    assert e.run(
        ("ZADD", "z", "1", "a", "2", "b", "3", "c"), ("ZADD", "z", "1", "a"),
        ("ZADD", "z", "XX", "5", "nope"), ("ZINCRBY", "z", "1", "a"), ("ZADD", "z", "INCR", "1", "a"),
        ("ZREM", "z", "nope"), ("ZREM", "z", "a"), ("ZREMRANGEBYSCORE", "z", "100", "200"),
        ("ZREMRANGEBYRANK", "z", "0", "0"), ("ZADD", "zl", "0", "a", "0", "b"),
        ("ZREMRANGEBYLEX", "zl", "[a", "[a"), ("ZPOPMIN", "zl"), ("ZADD", "z", "9", "x"),
        ("ZPOPMAX", "z", "10"), ("ZADD", "z1", "1", "a"), ("ZADD", "z2", "2", "b"),
        ("ZUNIONSTORE", "zd", "2", "z1", "z2"), ("ZINTERSTORE", "zd", "2", "z1", "z2"),
        ("ZRANGESTORE", "zr", "z1", "0", "-1"), ("ZDIFFSTORE", "zd", "1", "z1"),
        ("ZMPOP", "1", "z1", "MIN"), ("BZPOPMAX", "z2", "0"),
    ) == ev(
        ("zadd", "z"), ("zincr", "z"), ("zincr", "z"), ("zrem", "z"),
        ("zremrangebyrank", "z"), ("zadd", "zl"), ("zremrangebylex", "zl"), ("zpopmin", "zl"),
        ("del", "zl"), ("zadd", "z"), ("zpopmax", "z"), ("del", "z"), ("zadd", "z1"),
        ("zadd", "z2"), ("zunionstore", "zd"), ("del", "zd"), ("zrangestore", "zr"),
        ("zdiffstore", "zd"), ("zpopmin", "z1"), ("del", "z1"), ("zpopmax", "z2"), ("del", "z2"),
    )


def test_geo_and_sort_events(kv, events):
    e = events()
    assert e.run(
        ("GEOADD", "g", "13.361389", "38.115556", "p"), ("GEOADD", "g", "13.361389", "38.115556", "p"),
        ("GEOSEARCHSTORE", "gd", "g", "FROMLONLAT", "13.36", "38.11", "BYRADIUS", "10", "km"),
        ("GEORADIUS", "g", "13.36", "38.11", "10", "km", "STORE", "gr"),
        ("GEORADIUSBYMEMBER", "g", "p", "10", "km", "STORE", "gr"),
        ("GEOSEARCHSTORE", "gd", "g", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"),
        ("RPUSH", "sl", "3", "1", "2"), ("SORT", "sl", "STORE", "sd"),
        ("SORT", "nolist", "STORE", "sd"),
    ) == ev(
        ("zadd", "g"), ("geosearchstore", "gd"), ("georadiusstore", "gr"),
        ("georadiusstore", "gr"), ("del", "gd"), ("rpush", "sl"), ("sortstore", "sd"),
        ("del", "sd"),
    )


def test_transactions_and_scripts_announce_their_commands(kv, events):
    e = events()
    assert e.run(
        ("MULTI",), ("SET", "a", "1"), ("LPUSH", "l", "x"), ("EXEC",),
        ("EVAL", "redis.call('incr', KEYS[1]); redis.call('del', KEYS[1])", "1", "n"),
    ) == ev(("set", "a"), ("lpush", "l"), ("incrby", "n"), ("del", "n"))


# ------------------------------------------------------------------------------ x e m n
def test_expired_event(kv, events):
    e = events("Ex")
    e.c.set("k", "v", px=50)
    time.sleep(0.2)
    e.c.get("k")  # expires it now if the active cycle has not yet
    assert e.run() == ev(("expired", "k"))


def test_evicted_events(kv, events):
    e = events("Ee")
    e.c.mset({"a": "1", "b": "2"})
    c = kv.client()
    policy = c.config_get("maxmemory-policy")["maxmemory-policy"]
    try:
        c.config_set("maxmemory-policy", "allkeys-random")
        c.config_set("maxmemory", "1")
        with pytest.raises(redis.ResponseError):
            e.c.set("c", "3")
    finally:
        c.config_set("maxmemory", "0")
        c.config_set("maxmemory-policy", policy)
    got = e.run()
    assert sorted(got) == ev(("evicted", "a"), ("evicted", "b"))


def test_keymiss_events(kv, events):
    e = events("Em")
    e.c.set("present", "1")
    assert e.run(
        ("GET", "nokey"), ("GET", "present"), ("EXISTS", "m1"), ("TTL", "m2"), ("TYPE", "m3"),
        ("LRANGE", "m4", "0", "-1"), ("HGET", "m5", "f"), ("SET", "m6", "1"),
        ("LPUSH", "m7", "x"), ("MGET", "m8", "present"),
    ) == ev(("keymiss", "nokey"), ("keymiss", "m1"), ("keymiss", "m2"), ("keymiss", "m3"),
            ("keymiss", "m4"), ("keymiss", "m5"), ("keymiss", "m8"))


def test_new_key_events(kv, events):
    e = events("EAn")
    assert e.run(
        ("SET", "k", "v"), ("SET", "k", "w"), ("LPUSH", "l", "a"), ("LPUSH", "l", "b"),
        ("HSET", "h", "f", "v"), ("DEL", "k"),
    ) == ev(("new", "k"), ("set", "k"), ("set", "k"), ("new", "l"), ("lpush", "l"),
            ("lpush", "l"), ("new", "h"), ("hset", "h"), ("del", "k"))


def test_rename_copy_and_restore_over_a_key_announce_new(kv, events):
    """Redis deletes the destination and adds the key again: `new` precedes the command's own
    events even when the destination existed."""
    c = kv.client()
    c.mset({"a": "1", "b": "2", "c": "3", "d": "4", "e": "5"})
    dump = c.dump("d")
    c.close()
    e = events("EAn")
    assert e.run(
        ("RENAME", "a", "b"), ("COPY", "b", "c", "REPLACE"), ("COPY", "b", "c"),
        ("RESTORE", "e", "0", dump, "REPLACE"), ("RENAME", "c", "fresh"), ("RENAMENX", "b", "e"),
    ) == ev(("new", "b"), ("rename_from", "a"), ("rename_to", "b"), ("new", "c"),
            ("copy_to", "c"), ("new", "e"), ("restore", "e"), ("new", "fresh"),
            ("rename_from", "c"), ("rename_to", "fresh"))
    assert e.c.mget("b", "c", "e", "fresh") == ["1", None, "4", "1"]


@pytest.mark.kv_only
def test_events_reach_subscribers_on_other_threads(kv_server):
    server = kv_server(threads=2)
    subs = [Events(server, "EA") for _ in range(4)]
    try:
        writer = server.client()
        for i in range(50):
            writer.rpush("q", i)
        writer.delete("q")
        # One publisher: each subscriber, on whichever thread, gets its events in its order.
        for s in subs:
            assert s.collect(until=("0", "del", "q")) == ev(*([("rpush", "q")] * 50), ("del", "q"))
    finally:
        for s in subs:
            s.close()


@pytest.mark.kv_only  # the built-in plugins' commands
def test_builtin_plugins_announce_in_class_d(kv, events):
    e = events("Ed")
    assert e.run(
        ("LOCK", "lk", "me", "10000"), ("LOCK", "lk", "me", "10000"), ("LOCK", "lk", "you", "10000"),
        ("EXTEND", "lk", "me", "20000"), ("EXTEND", "lk", "you", "20000"), ("UNLOCK", "lk", "you"),
        ("UNLOCK", "lk", "me"), ("SET", "c", "old"), ("CAS", "c", "nope", "x"),
        ("CAS", "c", "old", "new"), ("DECIMAL.SET", "d", "1.5"), ("DECIMAL.INCRBY", "d", "2"),
        ("DECIMAL.DECRBY", "d", "1"), ("DECIMAL.MUL", "d", "2"), ("DECIMAL.DIV", "d", "2"),
        ("DECIMAL.DIV", "d", "0"), expect_errors=True,
    ) == ev(("lock", "lk"), ("lock", "lk"), ("extend", "lk"), ("unlock", "lk"), ("cas", "c"),
            ("decimal.set", "d"), ("decimal.incrby", "d"), ("decimal.decrby", "d"),
            ("decimal.mul", "d"), ("decimal.div", "d"))


@pytest.mark.kv_only  # hash field expiry is Redis 7.4's; its events are 7.4's
def test_hash_field_expiry_events(kv, events):
    e = events("EA")
    assert e.run(
        ("HSET", "h", "f", "v", "g", "w"), ("HEXPIRE", "h", "100", "FIELDS", "1", "f"),
        ("HEXPIRE", "h", "100", "NX", "FIELDS", "1", "f"), ("HPERSIST", "h", "FIELDS", "1", "f"),
        ("HPERSIST", "h", "FIELDS", "1", "f"), ("HPEXPIREAT", "h", "1", "FIELDS", "1", "g"),
        ("HPEXPIRE", "h", "50", "FIELDS", "1", "f"),
    ) == ev(("hset", "h"), ("hexpire", "h"), ("hpersist", "h"), ("hdel", "h"), ("hexpire", "h"))
    time.sleep(0.2)
    e.c.execute_command("HGETALL", "h")  # reclaims the field now if the active cycle has not
    assert e.run() == ev(("hexpired", "h"), ("del", "h"))
