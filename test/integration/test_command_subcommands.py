"""COMMAND INFO / DOCS / LIST / GETKEYS / GETKEYSANDFLAGS for containers' subcommands, compared
with redis-server 7.0 (the `redis_ref` fixture) for every subcommand both servers have, and the
ACL checks that use a subcommand's categories and flags; COMMAND INFO's arity, flags and key
positions of every plain command both servers have."""

import pytest

from conftest import AGAINST_REDIS, RespError

CONTAINERS = ["acl", "client", "cluster", "command", "config", "function", "latency", "memory",
              "module", "object", "pubsub", "script", "slowlog", "xgroup", "xinfo"]

# Redis 7.0 flags kv-server has no counterpart for (it has no async loading; a script's or a
# function's KILL needs no busy exemption there).
UNMODELLED_FLAGS = {b"no_async_loading", b"allow_busy"}

# Subcommands redis-server 7.0 has and kv-server does not (docs/commands.md), and kv-server's
# from Redis 7.2.
MISSING = {b"cluster|bumpepoch", b"cluster|count-failure-reports", b"cluster|failover",
           b"cluster|flushslots", b"cluster|forget", b"cluster|links", b"cluster|meet",
           b"cluster|replicas", b"cluster|replicate", b"cluster|reset",
           b"cluster|set-config-epoch", b"cluster|slaves", b"latency|graph",
           b"latency|histogram", b"script|debug"}
KV_ONLY = {b"client|setinfo", b"client|no-touch"}
if AGAINST_REDIS:  # redis-server compared with itself
    MISSING, KV_ONLY = set(), set()


def command_info(server, *names):
    with server.raw() as r:
        return r.call("COMMAND", "INFO", *names)


def as_dict(pairs):
    """A RESP2 map (a flat array) as a dict; nested maps too."""
    if isinstance(pairs, dict):
        return pairs
    return {k: as_dict(v) if isinstance(v, list) and k != b"flags" else v
            for k, v in zip(pairs[::2], pairs[1::2])}


def key_spec_summary(entry):
    """The key specs, with only their RW/RO flag (kv-server reports no access/update/...)."""
    out = []
    for spec in map(as_dict, entry[8]):
        flags = [f for f in spec[b"flags"] if f in (b"RW", b"RO", b"OW", b"RM")]
        out.append((flags, spec[b"begin_search"], spec[b"find_keys"]))
    return out


def assert_same_entry(ours, theirs):
    name = theirs[0]
    assert ours[0] == name
    assert ours[1] == theirs[1], f"arity of {name}"
    assert set(ours[2]) - UNMODELLED_FLAGS == set(theirs[2]) - UNMODELLED_FLAGS, f"flags of {name}"
    assert ours[3:6] == theirs[3:6], f"key positions of {name}"
    assert sorted(ours[6]) == sorted(theirs[6]), f"ACL categories of {name}"
    assert key_spec_summary(ours) == key_spec_summary(theirs), f"key specs of {name}"


# Where a plain command's COMMAND INFO differs from redis-server 7.0's on purpose
# (docs/commands.md): name -> (flags only kv-server gives, flags only Redis gives, whether the key
# positions differ). Any other difference fails, so a new one is a decision to write down.
COMMAND_DIFFERENCES = {
    # Answers PONG while the data loads (health checks, Sentinel); Redis answers -LOADING.
    b"ping": ({b"loading"}, set(), False),
    # kv-server keeps a namespace per connection and refuses SELECT from scripts.
    b"select": ({b"noscript"}, set(), False),
    b"restore-asking": (set(), {b"asking"}, False),
    # Shard channels are no keys in kv-server's dispatcher (Redis: key specs flagged not_key,
    # for cluster routing).
    b"spublish": (set(), set(), True), b"ssubscribe": (set(), set(), True),
    b"sunsubscribe": (set(), set(), True),
}


def test_every_plain_command_info_matches_redis(kv, redis_ref):
    def entries(server):
        with server.raw() as r:
            return {e[0]: e for e in r.call("COMMAND")}

    ours, theirs = entries(kv), entries(redis_ref)
    differences = {}
    for name in sorted(set(ours) & set(theirs)):
        a, b = ours[name], theirs[name]
        assert a[1] == b[1], f"arity of {name}"
        only_ours = set(a[2]) - set(b[2])
        only_theirs = set(b[2]) - set(a[2]) - UNMODELLED_FLAGS
        keys_differ = a[3:6] != b[3:6]
        if only_ours or only_theirs or keys_differ:
            differences[name] = (only_ours, only_theirs, keys_differ)
    assert differences == ({} if AGAINST_REDIS else COMMAND_DIFFERENCES)


@pytest.mark.parametrize("container", CONTAINERS)
def test_container_and_its_subcommands_match_redis(kv, redis_ref, container):
    (ours,), (theirs,) = command_info(kv, container), command_info(redis_ref, container)
    assert_same_entry(ours, theirs)
    our_subs = {e[0]: e for e in ours[9]}
    their_subs = {e[0]: e for e in theirs[9]}
    assert set(their_subs) - set(our_subs) == {n for n in MISSING if n.startswith(container.encode() + b"|")}
    assert set(our_subs) - set(their_subs) <= KV_ONLY
    for name in set(our_subs) & set(their_subs):
        assert_same_entry(our_subs[name], their_subs[name])
        assert our_subs[name][9] == [] == their_subs[name][9]


def test_command_info_of_a_subcommand_by_its_full_name(kv, redis_ref):
    names = ("config|get", "CONFIG|GET", "Object|Encoding", "xgroup|create", "config|",
             "|get", "config|get|x", "get|x", "config|nosuch", "nosuch|get")
    ours, theirs = command_info(kv, *names), command_info(redis_ref, *names)
    assert [e is None for e in ours] == [e is None for e in theirs] == [
        False, False, False, False, True, True, True, True, True, True]
    for mine, ref in zip(ours, theirs):
        if ref is not None:
            assert_same_entry(mine, ref)


def docs(server, *names):
    with server.raw() as r:
        r.call("HELLO", "3")
        return r.call("COMMAND", "DOCS", *names)


@pytest.mark.parametrize("container", CONTAINERS)
def test_command_docs_subcommands_match_redis(kv, redis_ref, container):
    ours = docs(kv, container)[container.encode()]
    theirs = docs(redis_ref, container)[container.encode()]
    assert (ours[b"group"], ours[b"since"]) == (theirs[b"group"], theirs[b"since"])
    our_subs, their_subs = ours[b"subcommands"], theirs[b"subcommands"]
    assert set(their_subs) - set(our_subs) == {n for n in MISSING if n.startswith(container.encode() + b"|")}
    for name in set(our_subs) & set(their_subs):
        mine, ref = our_subs[name], their_subs[name]
        assert (mine[b"group"], mine[b"since"]) == (ref[b"group"], ref[b"since"]), name
        assert mine[b"summary"], name


def test_command_docs_of_one_subcommand(kv, redis_ref):
    ours, theirs = docs(kv, "config|get", "nosuch"), docs(redis_ref, "config|get", "nosuch")
    assert list(ours) == list(theirs) == [b"config|get"]
    for key in (b"summary", b"since", b"group"):
        assert ours[b"config|get"][key] == theirs[b"config|get"][key]


GETKEYS_CALLS = [
    ("OBJECT", "ENCODING", "k"), ("object", "freq", "k"), ("OBJECT", "IDLETIME", "k"),
    ("OBJECT", "REFCOUNT", "k"), ("MEMORY", "USAGE", "k"), ("MEMORY", "USAGE", "k", "SAMPLES", "5"),
    ("XINFO", "STREAM", "s"), ("XINFO", "STREAM", "s", "FULL"), ("XINFO", "GROUPS", "s"),
    ("XINFO", "CONSUMERS", "s", "g"), ("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"),
    ("XGROUP", "SETID", "s", "g", "0"), ("XGROUP", "CREATECONSUMER", "s", "g", "c"),
    ("XGROUP", "DELCONSUMER", "s", "g", "c"), ("XGROUP", "DESTROY", "s", "g"),
    ("GET", "k"), ("LMOVE", "a", "b", "LEFT", "RIGHT"), ("MSET", "a", "1", "b", "2"),
    # Errors, in Redis's order of checks: the command, whether it has keys, its arity.
    ("OBJECT", "NOSUCH", "k"), ("object|encoding", "k"), ("NOSUCH", "k"),
    ("CONFIG", "GET", "x"), ("XINFO", "HELP", "x"), ("OBJECT", "ENCODING", "k", "extra"),
    ("OBJECT", "HELP", "x"), ("PING", "x"), ("GET", "a", "b"),
    # Movable keys. No keys found: an empty array for a command whose keys are optional
    # (no_mandatory_keys: EVAL, FCALL...), else an error.
    ("EVAL", "return 1", "0"), ("EVAL", "return 1", "1", "k"), ("EVAL", "return 1", "5", "a"),
    ("EVAL", "return 1", "x"), ("EVAL_RO", "return 1", "2", "k", "l"), ("EVALSHA", "abc", "0"),
    ("EVALSHA_RO", "abc", "1", "k"), ("FCALL", "f", "0"), ("FCALL", "f", "1", "k"),
    ("FCALL_RO", "f", "1", "k"),
    ("ZUNIONSTORE", "d", "0", "a"), ("ZUNIONSTORE", "d", "x", "a"), ("ZUNIONSTORE", "d", "5", "a"),
    ("ZINTER", "0", "a"), ("ZUNION", "2", "a", "b"),
    ("ZDIFF", "0", "a"), ("ZINTERCARD", "0", "a"), ("SINTERCARD", "0", "a"),
    ("SINTERCARD", "3", "a", "b"), ("SINTERCARD", "2", "a", "b"), ("LMPOP", "0", "a", "LEFT"),
    ("LMPOP", "x", "a", "LEFT"), ("LMPOP", "2", "a", "LEFT"), ("BLMPOP", "0", "0", "a", "LEFT"),
    ("ZMPOP", "0", "a", "MIN"), ("BZMPOP", "0", "1", "a", "MIN"),
    ("XREAD", "STREAMS", "a", "b"), ("XREAD", "STREAMS", "a", "b", "c"),
    ("XREAD", "COUNT", "1", "STREAMS", "a", "b"), ("XREAD", "COUNT", "1", "BLOCK", "0", "a", "b"),
    ("MIGRATE", "h", "1", "k", "0", "5"), ("MIGRATE", "h", "1", "", "0", "5"),
    ("MIGRATE", "h", "1", "", "0", "5", "KEYS"), ("MIGRATE", "h", "1", "", "0", "5", "KEYS", "a", "b"),
    ("MIGRATE", "h", "1", "k", "0", "5", "KEYS", "a", "b"),
    ("SORT", "k"), ("SORT", "k", "BY", "x", "STORE", "d"), ("SORT_RO", "k"),
    # Stored results: the sources are only read.
    ("ZUNIONSTORE", "d", "2", "a", "b"), ("ZINTERSTORE", "d", "1", "a"),
    ("ZDIFFSTORE", "d", "2", "a", "b"), ("SUNIONSTORE", "d", "a", "b"), ("SINTERSTORE", "d", "a"),
    ("SDIFFSTORE", "d", "a", "b"), ("ZRANGESTORE", "d", "s", "0", "1"), ("COPY", "a", "b"),
    ("COPY", "a", "b", "DB", "1", "REPLACE"),
]


@pytest.mark.parametrize("call", GETKEYS_CALLS, ids=" ".join)
def test_getkeys_and_getkeysandflags_match_redis(kv, redis_ref, call):
    def ask(server):
        with server.raw() as r:
            return r.call("COMMAND", "GETKEYS", *call), r.call("COMMAND", "GETKEYSANDFLAGS", *call)

    (keys, with_flags), (ref_keys, ref_with_flags) = ask(kv), ask(redis_ref)
    if isinstance(ref_keys, RespError):
        assert str(keys) == str(ref_keys)
        assert str(with_flags) == str(ref_with_flags)
        return
    assert keys == ref_keys
    assert [k for k, _ in with_flags] == [k for k, _ in ref_with_flags]
    for (key, flags), (_, ref_flags) in zip(with_flags, ref_with_flags):
        # kv-server reports RW or RO alone (Redis adds access, insert, delete, update, and
        # tells an overwrite OW and a removal RM from RW).
        main, ref_main = flags[0], ref_flags[0]
        assert main == ref_main or (main == b"RW" and ref_main in (b"OW", b"RM")), (key, flags)
        assert set(flags[1:]) <= set(ref_flags[1:]), (key, flags)


def command_list(server, *args):
    with server.raw() as r:
        return r.call("COMMAND", "LIST", *args)


def test_command_list_names_subcommands_as_redis(kv, redis_ref):
    ours, theirs = set(command_list(kv)), set(command_list(redis_ref))
    for container in CONTAINERS:
        prefix = container.encode() + b"|"
        our_subs = {n for n in ours if n.startswith(prefix)}
        their_subs = {n for n in theirs if n.startswith(prefix)}
        assert their_subs - our_subs == {n for n in MISSING if n.startswith(prefix)}
        assert our_subs - their_subs <= KV_ONLY
    with kv.raw() as r:
        assert len(ours) == r.call("COMMAND", "COUNT") + sum(
            len(e[9]) for e in r.call("COMMAND", "INFO", *CONTAINERS))


@pytest.mark.parametrize("pattern", ["config*", "CONFIG|G*", "x*", "*|help", "obj?ct|*", "nosuch"])
def test_command_list_filterby_pattern_matches_redis(kv, redis_ref, pattern):
    ours = set(command_list(kv, "FILTERBY", "PATTERN", pattern))
    theirs = set(command_list(redis_ref, "FILTERBY", "PATTERN", pattern))
    assert ours - KV_ONLY == theirs - MISSING


@pytest.mark.parametrize("category", ["admin", "connection", "scripting", "stream", "keyspace",
                                      "read", "write", "dangerous", "slow", "pubsub", "nosuch"])
def test_command_list_filterby_aclcat_matches_redis(kv, redis_ref, category):
    """For the commands and subcommands both servers have."""
    both = set(command_list(kv)) & set(command_list(redis_ref))
    ours = set(command_list(kv, "FILTERBY", "ACLCAT", category)) & both
    theirs = set(command_list(redis_ref, "FILTERBY", "ACLCAT", category)) & both
    assert ours == theirs
    assert bool(ours) == (category != "nosuch")


@pytest.mark.kv_only
def test_command_list_filterby_module(kv):
    decimal = command_list(kv, "FILTERBY", "MODULE", "decimal")
    assert decimal and all(n.startswith(b"decimal.") for n in decimal)
    assert command_list(kv, "FILTERBY", "MODULE", "nosuch") == []


@pytest.mark.parametrize("args", [("FILTERBY",), ("FILTERBY", "PATTERN"),
                                  ("FILTERBY", "NAME", "x"), ("FILTERBY", "PATTERN", "x", "y"),
                                  ("x",), ("FILTERBY", "MODULE")])
def test_command_list_bad_filter_errors_as_redis(kv, redis_ref, args):
    ours, theirs = command_list(kv, *args), command_list(redis_ref, *args)
    assert isinstance(theirs, RespError)
    assert str(ours) == str(theirs)


@pytest.mark.parametrize("call", [("COMMAND", "NOSUCH"), ("CONFIG", "NOSUCH"),
                                  ("OBJECT", "NOSUCH", "k"), ("COMMAND", "GETKEYSANDFLAGS"),
                                  ("COMMAND", "INFO", "config|get")])
def test_subcommand_errors_and_replies_as_redis(kv, redis_ref, call):
    with kv.raw() as r:
        ours = r.call(*call)
    with redis_ref.raw() as r:
        theirs = r.call(*call)
    if isinstance(theirs, RespError):
        assert str(ours) == str(theirs)
    else:
        assert not isinstance(ours, RespError)


def acl_answers(server, user_rules, calls):
    with server.raw() as admin:
        assert admin.call("ACL", "SETUSER", "sub-user", "reset", "on", "nopass", *user_rules) == b"OK"
        try:
            with server.raw() as r:
                assert r.call("AUTH", "sub-user", "x") == b"OK"
                out = []
                for call in calls:
                    reply = r.call(*call)
                    out.append(str(reply).split(" ")[0] if isinstance(reply, RespError) else "ok")
                return out
        finally:
            admin.call("ACL", "DELUSER", "sub-user")
            admin.call("DEL", "s", "k")


@pytest.mark.parametrize("rules", [
    ("+@all", "%R~*"),                 # read-only key access: no XGROUP CREATE
    ("+@all", "%W~*"),                 # write-only: no XINFO STREAM
    ("+@all", "~other"),               # no access to k or s at all
    ("+@read", "~*"),                  # OBJECT ENCODING and XINFO are @read, XGROUP not
    ("+@stream", "+set", "~*"),
    ("+@admin", "+set", "~*"),         # CONFIG GET, not CLIENT ID
    ("+@connection", "+set", "~*"),    # CLIENT ID, COMMAND INFO, not CONFIG GET
    ("+@keyspace", "+set", "~*"),      # OBJECT ENCODING and OBJECT HELP
    ("+@all", "-@dangerous", "~*"),    # CLIENT LIST is dangerous, CLIENT ID not
])
def test_acl_checks_a_container_with_its_subcommand(kv, redis_ref, rules):
    calls = [("SET", "k", "v"), ("OBJECT", "HELP"),
             ("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"), ("XINFO", "STREAM", "s"),
             ("XINFO", "HELP"), ("CONFIG", "GET", "maxmemory"), ("CONFIG", "HELP"),
             ("CLIENT", "ID"), ("CLIENT", "LIST"), ("COMMAND", "INFO", "get")]
    # Redis asks no read access for the key of OBJECT ENCODING and MEMORY USAGE (their key specs
    # are RO without ACCESS), only that a pattern names it; kv-server, which has no ACCESS flag,
    # asks read access (docs/commands.md).
    if "%W~*" not in rules:
        calls += [("OBJECT", "ENCODING", "k"), ("MEMORY", "USAGE", "k")]
    assert acl_answers(kv, rules, calls) == acl_answers(redis_ref, rules, calls)


def test_redis_py_reads_command_and_command_docs(kv):
    c = kv.client()
    commands = c.command()
    assert commands["config"]["arity"] == -2
    assert "get" in commands and commands["get"]["arity"] == 2
    # redis-py's COMMAND reply parser reads a subcommand's entry as a command's.
    assert c.execute_command("COMMAND", "INFO", "config|get")["config|get"]["arity"] == -3
    assert sorted(c.command_list(pattern="config|*")) == [
        "config|get", "config|help", "config|resetstat", "config|rewrite", "config|set"]
    assert c.command_getkeys("OBJECT", "ENCODING", "k") == ["k"]
    try:
        documented = c.command_docs("config", "config|get")
    except NotImplementedError:  # redis-py without a COMMAND DOCS parser: its RESP parser alone
        c.set_response_callback("COMMAND", lambda response, **options: response)
        documented = c.execute_command("COMMAND", "DOCS", "config", "config|get")
    assert documented[0] == "config" and documented[2] == "config|get"
    config_docs = dict(zip(documented[1][::2], documented[1][1::2]))
    assert "config|get" in config_docs["subcommands"]
