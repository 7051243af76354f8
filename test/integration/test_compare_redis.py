"""Side by side with Debian's redis-server: every case runs on a fresh keyspace of both servers
(over raw sockets, fresh connections) and the raw reply bytes must be identical, error texts
included."""

import pytest

from conftest import RespError, parse_resp

# A command prefixed with NOCMP runs on both servers but its reply is not compared (it differs
# legitimately, e.g. HELLO's version and client id).
NOCMP = "<nocmp>"

S = "SET"
CASES = {
    # ---- GET / SET and options
    "get-missing": [("GET", "k")],
    "set-get": [(S, "k", "v"), ("GET", "k")],
    "set-empty-value": [(S, "k", ""), ("GET", "k"), ("STRLEN", "k")],
    "set-ex-0": [(S, "k", "v", "EX", "0"), ("EXISTS", "k")],
    "set-ex-negative": [(S, "k", "v", "EX", "-1")],
    "set-px-0": [(S, "k", "v", "PX", "0")],
    "set-px-huge": [(S, "k", "v", "PX", "9223372036854775807")],
    "set-ex-overflow": [(S, "k", "v", "EX", "9223372036854775")],
    "set-ex-not-number": [(S, "k", "v", "EX", "ten")],
    "set-ex-missing-arg": [(S, "k", "v", "EX")],
    "set-nx-xx": [(S, "k", "v", "NX", "XX")],
    "set-ex-px": [(S, "k", "v", "EX", "10", "PX", "100")],
    "set-keepttl-ex": [(S, "k", "v", "KEEPTTL", "EX", "10")],
    "set-unknown-option": [(S, "k", "v", "FOREVER")],
    "set-lowercase-options": [(S, "k", "v", "ex", "100", "nx"), ("TTL", "k")],
    "set-xx-missing": [(S, "k", "v", "XX"), ("EXISTS", "k")],
    "set-nx-existing": [(S, "k", "a"), (S, "k", "b", "NX"), ("GET", "k")],
    "set-get-missing": [(S, "k", "v", "GET")],
    "set-get-existing": [(S, "k", "a"), (S, "k", "b", "GET"), ("GET", "k")],
    "set-nx-get": [(S, "k", "a"), (S, "k", "b", "NX", "GET"), ("GET", "k")],
    "set-exat-past": [(S, "k", "a"), (S, "k", "v", "EXAT", "1"), ("GET", "k")],
    "set-pxat-0": [(S, "k", "v", "PXAT", "0")],
    "set-keepttl": [(S, "k", "v", "EX", "100"), (S, "k", "w", "KEEPTTL"), ("TTL", "k")],
    "set-arity": [(S, "k")],
    "setnx": [("SETNX", "k", "a"), ("SETNX", "k", "b"), ("GET", "k")],
    "setex-0": [("SETEX", "k", "0", "v")],
    "setex-not-number": [("SETEX", "k", "abc", "v")],
    "setex-ok": [("SETEX", "k", "100", "v"), ("TTL", "k")],
    "psetex-negative": [("PSETEX", "k", "-1", "v")],
    "getset": [("GETSET", "k", "a"), ("GETSET", "k", "b")],
    "getdel": [(S, "k", "v"), ("GETDEL", "k"), ("GETDEL", "k"), ("EXISTS", "k")],
    "getex-persist": [(S, "k", "v", "EX", "100"), ("GETEX", "k", "PERSIST"), ("TTL", "k")],
    "getex-ex-0": [(S, "k", "v"), ("GETEX", "k", "EX", "0")],
    "getex-persist-ex": [(S, "k", "v"), ("GETEX", "k", "PERSIST", "EX", "10")],
    "getex-missing": [("GETEX", "k", "EX", "10")],
    "getex-bad-option": [(S, "k", "v"), ("GETEX", "k", "KEEPTTL")],
    # ---- multi-key strings
    "mget": [(S, "a", "1"), (S, "b", "2"), ("MGET", "a", "missing", "b")],
    "mset-arity-1": [("MSET", "k1")],
    "mset-arity-odd": [("MSET", "k1", "v1", "k2")],
    "msetnx-partial": [(S, "b", "x"), ("MSETNX", "a", "1", "b", "2"), ("MGET", "a", "b")],
    "msetnx-ok": [("MSETNX", "a", "1", "b", "2"), ("MGET", "a", "b")],
    "msetnx-odd": [("MSETNX", "a", "1", "b")],
    # ---- append / strlen / ranges
    "append-empty-creates": [("APPEND", "k", ""), ("EXISTS", "k"), ("STRLEN", "k")],
    "append": [("APPEND", "k", "ab"), ("APPEND", "k", "cd"), ("GET", "k")],
    "strlen-missing": [("STRLEN", "k")],
    "strlen-int": [(S, "k", "12345"), ("STRLEN", "k")],
    "getrange-edges": [(S, "k", "Hello World"), ("GETRANGE", "k", "0", "-1"),
                       ("GETRANGE", "k", "-5", "-1"), ("GETRANGE", "k", "5", "2"),
                       ("GETRANGE", "k", "100", "200"), ("GETRANGE", "k", "-100", "-50"),
                       ("GETRANGE", "k", "0", "-100"), ("GETRANGE", "k", "-1", "-5"),
                       ("GETRANGE", "k", "3", "3"), ("GETRANGE", "k", "-100", "100")],
    "getrange-missing": [("GETRANGE", "k", "0", "-1")],
    "getrange-empty-value": [(S, "k", ""), ("GETRANGE", "k", "0", "-1")],
    "getrange-not-int": [(S, "k", "v"), ("GETRANGE", "k", "a", "1")],
    "setrange-negative": [("SETRANGE", "k", "-1", "x")],
    "setrange-pad": [("SETRANGE", "k", "5", "abc"), ("GET", "k")],
    "setrange-empty-missing": [("SETRANGE", "k", "3", ""), ("EXISTS", "k")],
    "setrange-empty-existing": [(S, "k", "abc"), ("SETRANGE", "k", "10", ""), ("GET", "k")],
    "setrange-too-big": [("SETRANGE", "k", "536870912", "x")],
    "setrange-overwrite": [(S, "k", "Hello World"), ("SETRANGE", "k", "6", "Redis"), ("GET", "k")],
    # ---- counters
    "incr-missing": [("INCR", "k"), ("INCR", "k")],
    "decr-missing": [("DECR", "k")],
    "incr-not-integer": [(S, "k", "abc"), ("INCR", "k")],
    "incr-float-value": [(S, "k", "1.5"), ("INCR", "k")],
    "incr-leading-zero": [(S, "k", "007"), ("INCR", "k"), ("GET", "k")],
    "incr-spaces": [(S, "k", " 1"), ("INCR", "k")],
    "incr-overflow": [(S, "k", "9223372036854775807"), ("INCR", "k")],
    "decr-underflow": [(S, "k", "-9223372036854775808"), ("DECR", "k")],
    "incrby-not-number": [("INCRBY", "k", "1x")],
    "incrby-overflow": [(S, "k", "1"), ("INCRBY", "k", "9223372036854775807")],
    "decrby-min": [("DECRBY", "k", "-9223372036854775808")],
    "decrby": [(S, "k", "10"), ("DECRBY", "k", "25"), ("GET", "k")],
    "incr-keeps-ttl": [(S, "k", "1", "EX", "100"), ("INCR", "k"), ("TTL", "k")],
    "incrbyfloat-missing": [("INCRBYFLOAT", "k", "1.5")],
    "incrbyfloat-trailing-zero": [(S, "k", "10.50"), ("INCRBYFLOAT", "k", "0.1")],
    "incrbyfloat-exp": [(S, "k", "5.0e3"), ("INCRBYFLOAT", "k", "2.0e2")],
    "incrbyfloat-inf": [("INCRBYFLOAT", "k", "inf")],
    "incrbyfloat-neg-inf": [(S, "k", "1"), ("INCRBYFLOAT", "k", "-inf")],
    "incrbyfloat-nan": [("INCRBYFLOAT", "k", "nan")],
    "incrbyfloat-not-float": [(S, "k", "abc"), ("INCRBYFLOAT", "k", "1")],
    "incrbyfloat-bad-incr": [("INCRBYFLOAT", "k", "1.2.3")],
    "incrbyfloat-long-double": [(S, "k", "0.1"), ("INCRBYFLOAT", "k", "0.2")],
    "incrbyfloat-small": [("INCRBYFLOAT", "k", "1e-5")],
    "incrbyfloat-to-int": [(S, "k", "1.5"), ("INCRBYFLOAT", "k", "1.5")],
    "incrbyfloat-negative": [(S, "k", "1"), ("INCRBYFLOAT", "k", "-1.25")],
    "incrbyfloat-large": [(S, "k", "1e20"), ("INCRBYFLOAT", "k", "1")],
    "incrbyfloat-keeps-ttl": [(S, "k", "1", "EX", "100"), ("INCRBYFLOAT", "k", "1"), ("TTL", "k")],
    # ---- expiry
    "expire-nx": [(S, "k", "v"), ("EXPIRE", "k", "10", "NX"), ("EXPIRE", "k", "20", "NX"),
                  ("TTL", "k")],
    "expire-xx-no-ttl": [(S, "k", "v"), ("EXPIRE", "k", "10", "XX"), ("TTL", "k")],
    "expire-gt-lt-no-ttl": [(S, "k", "v"), ("EXPIRE", "k", "100", "GT"),
                            ("EXPIRE", "k", "100", "LT"), ("TTL", "k")],
    "expire-nx-xx": [(S, "k", "v"), ("EXPIRE", "k", "10", "NX", "XX")],
    "expire-gt-lt": [(S, "k", "v"), ("EXPIRE", "k", "10", "GT", "LT")],
    "expire-nx-gt": [(S, "k", "v"), ("EXPIRE", "k", "10", "NX", "GT")],
    "expire-bad-option": [(S, "k", "v"), ("EXPIRE", "k", "10", "YY")],
    "expire-missing": [("EXPIRE", "k", "10")],
    "expire-not-number": [(S, "k", "v"), ("EXPIRE", "k", "abc")],
    "expire-negative": [(S, "k", "v"), ("EXPIRE", "k", "-1"), ("EXISTS", "k")],
    "expire-overflow": [(S, "k", "v"), ("EXPIRE", "k", "9223372036854775807")],
    "pexpire-overflow": [(S, "k", "v"), ("PEXPIRE", "k", "9223372036854775807")],
    "expireat-overflow": [(S, "k", "v"), ("EXPIREAT", "k", "9223372036854775807")],
    "ttl-states": [("TTL", "k"), ("PTTL", "k"), (S, "k", "v"), ("TTL", "k"), ("PTTL", "k"),
                   ("EXPIRE", "k", "100"), ("TTL", "k")],
    "persist": [(S, "k", "v"), ("PERSIST", "k"), ("EXPIRE", "k", "100"), ("PERSIST", "k"),
                ("TTL", "k"), ("PERSIST", "missing")],
    "expiretime": [("EXPIRETIME", "k"), (S, "k", "v"), ("EXPIRETIME", "k"),
                   ("EXPIREAT", "k", "4102444800"), ("EXPIRETIME", "k"), ("PEXPIRETIME", "k")],
    "pexpireat-rounding": [(S, "k", "v"), ("PEXPIREAT", "k", "4102444800600"),
                           ("EXPIRETIME", "k"), ("PEXPIRETIME", "k")],
    # ---- keys
    "rename-missing": [("RENAME", "a", "b")],
    "rename-same": [(S, "k", "v"), ("RENAME", "k", "k"), ("GET", "k")],
    "rename-keeps-ttl": [(S, "a", "v", "EX", "100"), ("RENAME", "a", "b"), ("TTL", "b"),
                         ("EXISTS", "a")],
    "renamenx-existing": [(S, "a", "1"), (S, "b", "2"), ("RENAMENX", "a", "b"), ("MGET", "a", "b")],
    "renamenx-missing": [("RENAMENX", "a", "b")],
    "renamenx-same": [(S, "a", "1"), ("RENAMENX", "a", "a")],
    "type": [(S, "k", "v"), ("TYPE", "k"), ("TYPE", "missing")],
    "del-count": [(S, "a", "1"), (S, "b", "2"), ("DEL", "a", "b", "c", "a")],
    "unlink-count": [(S, "a", "1"), ("UNLINK", "a", "b")],
    "exists-dup": [(S, "k", "v"), ("EXISTS", "k", "k", "missing")],
    "touch": [(S, "k", "v"), ("TOUCH", "k", "missing", "k")],
    "dbsize": [("DBSIZE",), (S, "a", "1"), (S, "b", "2"), ("DBSIZE",)],
    "flushdb-bad-arg": [("FLUSHDB", "NOW")],
    "flushall-async": [(S, "a", "1"), ("FLUSHALL", "ASYNC"), ("DBSIZE",)],
    "keys-empty": [("KEYS", "*")],
    "keys-one": [(S, "hello", "v"), ("KEYS", "h[ae]llo"), ("KEYS", "h?llo"), ("KEYS", "x*")],
    "keys-arity": [("KEYS",)],
    "randomkey-empty": [("RANDOMKEY",)],
    "randomkey-one": [(S, "only", "v"), ("RANDOMKEY",)],
    "scan-count-0": [("SCAN", "0", "COUNT", "0")],
    "scan-bad-cursor": [("SCAN", "abc")],
    "scan-empty": [("SCAN", "0")],
    "scan-one": [(S, "k", "v"), ("SCAN", "0", "MATCH", "k*", "COUNT", "10", "TYPE", "string")],
    "scan-type-miss": [(S, "k", "v"), ("SCAN", "0", "TYPE", "hash")],
    "scan-bad-option": [("SCAN", "0", "LIMIT", "10")],
    "scan-match-missing-arg": [("SCAN", "0", "MATCH")],
    # ---- connection / server
    "ping": [("PING",), ("PING", "hello")],
    "ping-arity": [("PING", "a", "b")],
    "echo-arity": [("ECHO",)],
    "echo": [("ECHO", "hello world")],
    "unknown-command": [("FOOBAR", "a", "b")],
    "unknown-command-no-args": [("FOOBAR",)],
    "unknown-command-long-arg": [("FOOBAR", "x" * 200)],
    "get-arity": [("GET",)],
    "client-unknown-subcommand": [("CLIENT", "FOO")],
    "client-setname-space": [("CLIENT", "SETNAME", "a b")],
    "client-getname": [("CLIENT", "GETNAME"), ("CLIENT", "SETNAME", "me"), ("CLIENT", "GETNAME")],
    "config-get-arity": [("CONFIG", "GET")],
    "config-unknown-subcommand": [("CONFIG", "FOO")],
    "config-get-appendonly": [("CONFIG", "GET", "appendonly")],
    "config-get-nothing": [("CONFIG", "GET", "no-such-parameter")],
    "command-info-unknown": [("COMMAND", "INFO", "no-such-command")],
    "hello-4": [("HELLO", "4")],
    "hello-bad": [("HELLO", "abc")],
    "auth-no-password": [("AUTH", "x")],
    "select-1": [("SELECT", "1"), (S, "k", "1"), ("SELECT", "0"), ("GET", "k")],
    "resp3-null-and-map": [(NOCMP, "HELLO", "3"), ("GET", "k"), (S, "k", "v"),
                           ("MGET", "k", "x"), ("CONFIG", "GET", "maxmemory"), ("TTL", "k"),
                           ("SET", "k", "v2", "GET"), ("GETDEL", "missing"),
                           ("INCRBYFLOAT", "f", "1.5"), ("EXISTS", "k")],
    "resp3-errors": [(NOCMP, "HELLO", "3"), ("INCR", "nope", "x"), (S, "k", "a"), ("INCR", "k")],
    "reset": [(S, "k", "v"), ("SELECT", "1"), ("RESET",), ("GET", "k")],
    # ---- OBJECT (strings that are not integers: Redis stores "123" as int, kv-server as bytes)
    "object-encoding": [(S, "s", "hello"), (S, "l", "x" * 45), ("OBJECT", "ENCODING", "s"),
                        ("OBJECT", "encoding", "l"), ("OBJECT", "ENCODING", "nope")],
    "object-freq": [(S, "s", "v"), ("OBJECT", "FREQ", "s"), ("OBJECT", "FREQ", "nope")],
    "object-refcount": [(S, "s", "v"), ("OBJECT", "REFCOUNT", "s"), ("OBJECT", "REFCOUNT", "x")],
    "object-errors": [("OBJECT",), ("OBJECT", "ENCODING"), ("OBJECT", "ENCODING", "a", "b"),
                      ("OBJECT", "FOO", "k"), ("OBJECT", "HELP", "x")],
    "object-help": [("OBJECT", "HELP")],
}


def _run(server, commands):
    out = []
    with server.raw() as r:
        for cmd in commands:
            compare = True
            if cmd[0] == NOCMP:
                cmd = cmd[1:]
                compare = False
            r.send_command(*cmd)
            reply = r.read_reply_bytes()
            out.append((cmd, reply if compare else None))
    return out


@pytest.mark.parametrize("name", list(CASES))
def test_same_reply_as_redis(kv, redis_ref, name):
    commands = CASES[name]
    ours = _run(kv, commands)
    ref = _run(redis_ref, commands)
    for (cmd, mine), (_, theirs) in zip(ours, ref):
        assert mine == theirs, (
            f"{name}: {' '.join(map(str, cmd))}\n  kv-server: {mine!r}\n  redis:     {theirs!r}")


def test_case_table_is_meaningful(redis_ref):
    """The table must exercise errors and successes (guards against a table that only compares
    nils)."""
    errors = successes = 0
    for commands in CASES.values():
        for cmd, reply in _run(redis_ref, commands):
            if reply is None:
                continue
            if isinstance(parse_resp(reply), RespError):
                errors += 1
            else:
                successes += 1
        redis_ref.flushall()
    assert errors >= 50
    assert successes >= 100
