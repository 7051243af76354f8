"""Cluster mode on one node, checked against redis-server in the Redis pass: the node is started
with cluster-enabled yes and takes its slots with CLUSTER ADDSLOTSRANGE, which both servers
accept. Covers KEYSLOT, the slot commands and their errors, CROSSSLOT and CLUSTERDOWN, the
transaction and script checks, SELECT, and the cluster commands of a server without cluster
mode. The three-node cluster (MOVED, ASK, resharding, redis-py's RedisCluster) is in
test_cluster.py."""
import pytest
import redis

from conftest import RespError, Server, cluster_port, wait_for

CROSSSLOT = "CROSSSLOT Keys in request don't hash to the same slot"
DISABLED = "This instance has cluster support disabled"


def err(fn, *args):
    with pytest.raises(redis.ResponseError) as e:
        fn(*args)
    return str(e.value)


def raw_err(conn, *args):
    reply = conn.call(*args)
    assert isinstance(reply, RespError), reply
    return str(reply)


def cluster_state(c):
    return c.execute_command("CLUSTER", "INFO").split("\r\n")[0]


@pytest.fixture
def node():
    """A cluster-mode server with no slot yet."""
    s = Server({"cluster_enabled": "yes"}).start(cluster_port())
    yield s
    s.stop()


def serve_all(c):
    c.execute_command("CLUSTER", "ADDSLOTSRANGE", 0, 16383)
    # Redis takes its state from its cron (and waits 2 s after a start before it says ok).
    wait_for(lambda: cluster_state(c) == "cluster_state:ok", what="cluster_state:ok")


def test_keyslot_vectors(node):
    c = node.client()
    assert c.execute_command("CLUSTER", "KEYSLOT", "foo") == 12182
    assert c.execute_command("CLUSTER", "KEYSLOT", "123456789") == 0x31C3 % 16384
    assert c.execute_command("CLUSTER", "KEYSLOT", "") == 0
    slot = lambda k: c.execute_command("CLUSTER", "KEYSLOT", k)  # noqa: E731
    assert slot("{user1000}.following") == slot("{user1000}.followers") == slot("user1000")
    assert slot("foo{}{bar}") != slot("bar")
    assert slot("foo{{bar}}zap") == slot("{bar")
    assert slot("foo{bar}{zap}") == slot("bar")
    assert err(c.execute_command, "CLUSTER", "KEYSLOT") == \
        "wrong number of arguments for 'cluster|keyslot' command"


def test_no_slot_served_then_all(node):
    c = node.client()
    info = c.execute_command("CLUSTER", "INFO")
    assert "cluster_state:fail" in info and "cluster_slots_assigned:0" in info
    assert err(c.set, "foo", "1") == "CLUSTERDOWN Hash slot not served"
    assert c.ping() is True  # keyless commands run
    assert c.dbsize() == 0
    serve_all(c)
    info = c.execute_command("CLUSTER", "INFO")
    for line in ("cluster_slots_assigned:16384", "cluster_slots_ok:16384",
                 "cluster_known_nodes:1", "cluster_size:1"):
        assert line in info.split("\r\n")
    assert c.set("foo", "1") is True
    assert c.get("foo") == "1"
    assert c.info("cluster") == {"cluster_enabled": 1}
    assert c.info("server")["redis_mode"] == "cluster"
    raw = node.raw()
    hello = raw.call("HELLO", "3")
    assert hello[b"mode"] == b"cluster"


def test_crossslot_and_hash_tags(node):
    c = node.client()
    serve_all(c)
    assert err(c.mset, {"a": 1, "b": 2}) == CROSSSLOT
    assert c.mset({"{a}1": 1, "{a}2": 2}) is True
    assert err(c.execute_command, "DEL", "a", "b") == CROSSSLOT
    # The same key twice is one slot.
    assert c.execute_command("MSET", "a", 1, "a", 2) is True
    # Movable keys: the numkeys forms.
    assert err(c.execute_command, "LMPOP", 2, "x", "y", "LEFT") == CROSSSLOT
    assert err(c.execute_command, "ZUNIONSTORE", "{z}d", 2, "{z}a", "b") == CROSSSLOT
    assert c.execute_command("ZUNIONSTORE", "{z}d", 2, "{z}a", "{z}b") == 0


def test_eval_and_fcall_declared_keys(node):
    c = node.client()
    serve_all(c)
    assert err(c.eval, "return 1", 2, "a", "b") == CROSSSLOT
    assert c.eval("return redis.call('set', KEYS[1], ARGV[1])", 1, "a", "v") == "OK"
    assert c.eval("return #KEYS", 2, "{a}1", "{a}2") == 2
    assert c.eval("return 7", 0) == 7
    c.execute_command("FUNCTION", "LOAD", "#!lua name=lib\n"
                      "redis.register_function('f', function(keys, args) return #keys end)")
    assert err(c.fcall, "f", 2, "a", "b") == CROSSSLOT
    assert c.fcall("f", 2, "{a}1", "{a}2") == 2


def test_script_calls_to_keys_of_other_nodes(node):
    """Keys a script did not declare are checked call by call (Redis's scriptVerifyClusterState):
    a key of a slot this node does not serve, or one call whose keys span slots, is an error the
    script sees; what it wrote before stays. Calls to different local slots run (Redis 7.0)."""
    c = node.client()
    c.execute_command("CLUSTER", "ADDSLOTSRANGE", 0, 8000)
    c.config_set("cluster-require-full-coverage", "no")
    wait_for(lambda: cluster_state(c) == "cluster_state:ok", what="cluster_state:ok")
    slot = lambda k: c.execute_command("CLUSTER", "KEYSLOT", k)  # noqa: E731
    assert (slot("a"), slot("b"), slot("c")) == (15495, 3300, 7365)
    non_local = "Script attempted to access a non local key in a cluster node"
    e = err(c.eval, "return redis.call('get', 'a')", 0)
    assert e.startswith(non_local + " script: ") and e.endswith(", on @user_script:1."), e
    assert err(c.eval, "return redis.pcall('get', 'a')", 0) == non_local
    assert c.eval("return redis.pcall('get', 'a')['err']", 0) == "ERR " + non_local
    # Declared local keys do not cover an undeclared remote one.
    assert err(c.eval, "return redis.call('get', 'a')", 1, "b").startswith(non_local + " script:")
    assert err(c.eval, "return redis.call('mget', 'b', 'c')", 0).startswith(non_local)
    assert err(c.eval, "redis.call('set', 'b', '5') return redis.call('get', 'a')", 0) \
        .startswith(non_local)
    assert c.get("b") == "5"
    assert c.eval("redis.call('set', 'b', '6') return redis.call('set', 'c', '7')", 0) == "OK"
    assert c.mget("b") == ["6"] and c.get("c") == "7"
    assert c.eval("#!lua flags=allow-cross-slot-keys\n"
                  "redis.call('get', 'b') return redis.call('get', 'c')", 0) == "7"
    c.execute_command("FUNCTION", "LOAD", "#!lua name=lib\n"
                      "redis.register_function('g', function(keys, args) "
                      "return redis.call('get', args[1]) end)")
    assert c.fcall("g", 0, "b") == "6"
    e = err(c.fcall, "g", 0, "a")
    assert e.startswith(non_local + " script: g, on @user_function:2."), e
    # The cluster down: keyless scripts run, their calls with keys do not.
    c.config_set("cluster-require-full-coverage", "yes")
    c.execute_command("CLUSTER", "DELSLOTS", 0)
    wait_for(lambda: cluster_state(c) == "cluster_state:fail", what="cluster_state:fail")
    assert c.eval("return 1", 0) == 1
    assert err(c.eval, "return redis.pcall('get', 'b')", 0) == \
        "Script attempted to execute a command while the cluster is down"


def test_multi_exec_checks_each_command_and_the_queue(node):
    c = node.client()
    serve_all(c)
    raw = node.raw()
    assert raw.call("MULTI") == b"OK"
    # A command refused while queueing dooms the transaction.
    assert str(raw.call("MSET", "a", 1, "b", 2)) == CROSSSLOT
    assert str(raw.call("EXEC")).startswith("EXECABORT")
    # Commands that are fine alone but not together: EXEC answers CROSSSLOT and discards.
    assert raw.call("MULTI") == b"OK"
    assert raw.call("SET", "a", 1) == b"QUEUED"
    assert raw.call("SET", "b", 1) == b"QUEUED"
    assert str(raw.call("EXEC")) == CROSSSLOT
    assert str(raw.call("EXEC")) == "ERR EXEC without MULTI"
    assert c.exists("a", ) == 0
    assert raw.call("MULTI") == b"OK"
    assert raw.call("SET", "{t}a", 1) == b"QUEUED"
    assert raw.call("INCR", "{t}b") == b"QUEUED"
    assert raw.call("EXEC") == [b"OK", 1]


def test_select_only_database_zero(node):
    c = node.client()
    serve_all(c)
    assert err(c.execute_command, "SELECT", 1) == "SELECT is not allowed in cluster mode"
    assert err(c.execute_command, "SELECT", "app") == "value is not an integer or out of range"
    assert c.execute_command("SELECT", 0) is True
    c.set("foo", "v")
    assert err(c.execute_command, "MOVE", "foo", 1) == "MOVE is not allowed in cluster mode"
    assert err(c.execute_command, "SWAPDB", 0, 1) == "SWAPDB is not allowed in cluster mode"
    assert err(c.execute_command, "COPY", "foo", "{foo}2", "DB", 1) == \
        "Copying to another database is not allowed in cluster mode"
    assert c.execute_command("COPY", "foo", "{foo}2", "DB", 0) == 1
    assert err(c.execute_command, "COPY", "foo", "bar", "DB", 0) == CROSSSLOT


def test_keys_in_slot(node):
    c = node.client()
    serve_all(c)
    keys = [f"{{t}}{i}" for i in range(25)]
    c.mset({k: 1 for k in keys})
    c.set("other", 1)
    slot = c.execute_command("CLUSTER", "KEYSLOT", "t")
    assert c.execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) == 25
    got = c.execute_command("CLUSTER", "GETKEYSINSLOT", slot, 10)
    assert len(got) == 10 and set(got) <= set(keys)
    assert sorted(c.execute_command("CLUSTER", "GETKEYSINSLOT", slot, 100)) == sorted(keys)
    assert c.execute_command("CLUSTER", "GETKEYSINSLOT", slot, 0) == []
    assert c.execute_command("CLUSTER", "COUNTKEYSINSLOT", (slot + 1) % 16384) == 0
    # Expired keys do not count.
    c.set("{t}gone", 1, px=1)
    wait_for(lambda: c.execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) == 25)
    cmd = c.execute_command
    assert err(cmd, "CLUSTER", "COUNTKEYSINSLOT", 16384) == "Invalid slot"
    assert err(cmd, "CLUSTER", "COUNTKEYSINSLOT", -1) == "Invalid slot"
    assert err(cmd, "CLUSTER", "COUNTKEYSINSLOT", "x") == "value is not an integer or out of range"
    assert err(cmd, "CLUSTER", "GETKEYSINSLOT", 1, -1) == "Invalid slot or number of keys"
    assert err(cmd, "CLUSTER", "GETKEYSINSLOT", 16384, 1) == "Invalid slot or number of keys"
    assert err(cmd, "CLUSTER", "GETKEYSINSLOT", 1, "x") == "value is not an integer or out of range"
    assert err(cmd, "CLUSTER", "GETKEYSINSLOT", 1) == \
        "wrong number of arguments for 'cluster|getkeysinslot' command"


def test_slot_assignment_errors(node):
    c = node.client()
    cmd = c.execute_command
    assert cmd("CLUSTER", "ADDSLOTS", 1, 2) == "OK"
    assert err(cmd, "CLUSTER", "ADDSLOTS", 3, 1) == "Slot 1 is already busy"
    assert cmd("CLUSTER", "COUNTKEYSINSLOT", 3) == 0  # nothing of a refused call was applied
    assert "cluster_slots_assigned:2" in cmd("CLUSTER", "INFO")
    assert err(cmd, "CLUSTER", "ADDSLOTS", 5, 5) == "Slot 5 specified multiple times"
    assert err(cmd, "CLUSTER", "ADDSLOTS", 16384) == "Invalid or out of range slot"
    assert err(cmd, "CLUSTER", "ADDSLOTS", "x") == "Invalid or out of range slot"
    assert err(cmd, "CLUSTER", "ADDSLOTS") == \
        "wrong number of arguments for 'cluster|addslots' command"
    assert err(cmd, "CLUSTER", "DELSLOTS", 7) == "Slot 7 is already unassigned"
    assert cmd("CLUSTER", "DELSLOTS", 1) == "OK"
    assert err(cmd, "CLUSTER", "ADDSLOTSRANGE", 5, 1) == \
        "start slot number 5 is greater than end slot number 1"
    assert err(cmd, "CLUSTER", "ADDSLOTSRANGE", 1, 3, 5) == \
        "wrong number of arguments for 'cluster|addslotsrange' command"
    assert err(cmd, "CLUSTER", "ADDSLOTSRANGE", 5, 7, 7, 8) == "Slot 7 specified multiple times"
    assert err(cmd, "CLUSTER", "ADDSLOTSRANGE", 0, 2) == "Slot 2 is already busy"
    assert cmd("CLUSTER", "ADDSLOTSRANGE", 10, 19, 30, 39) == "OK"
    assert "cluster_slots_assigned:21" in cmd("CLUSTER", "INFO")
    assert err(cmd, "CLUSTER", "DELSLOTSRANGE", 10, 29) == "Slot 20 is already unassigned"
    assert cmd("CLUSTER", "DELSLOTSRANGE", 10, 19, 30, 39) == "OK"
    assert "cluster_slots_assigned:1" in cmd("CLUSTER", "INFO")
    assert err(cmd, "CLUSTER", "NOPE") == "unknown subcommand 'NOPE'. Try CLUSTER HELP."


def test_setslot_errors(node):
    c = node.client()
    cmd = c.execute_command
    me = cmd("CLUSTER", "MYID")
    other = "f" * 40
    assert cmd("CLUSTER", "ADDSLOTS", 1) == "OK"
    assert err(cmd, "CLUSTER", "SETSLOT", 1, "NODE", other) == f"Unknown node {other}"
    assert err(cmd, "CLUSTER", "SETSLOT", 1, "IMPORTING", me) == \
        "I'm already the owner of hash slot 1"
    assert err(cmd, "CLUSTER", "SETSLOT", 2, "MIGRATING", me) == \
        "I'm not the owner of hash slot 2"
    assert err(cmd, "CLUSTER", "SETSLOT", 1, "MIGRATING", other) == \
        f"I don't know about node {other}"
    assert err(cmd, "CLUSTER", "SETSLOT", 2, "IMPORTING", other) == \
        f"I don't know about node {other}"
    assert err(cmd, "CLUSTER", "SETSLOT", 1, "FOO") == \
        "Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP"
    assert err(cmd, "CLUSTER", "SETSLOT", 1, "STABLE", "x") == \
        "Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP"
    assert err(cmd, "CLUSTER", "SETSLOT", 1, "NODE") == \
        "Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP"
    assert err(cmd, "CLUSTER", "SETSLOT", 99999, "STABLE") == "Invalid or out of range slot"
    assert err(cmd, "CLUSTER", "SETSLOT", 1) == \
        "wrong number of arguments for 'cluster|setslot' command"
    assert cmd("CLUSTER", "SETSLOT", 1, "STABLE") == "OK"
    # NODE to itself for a slot it has no owner for: it takes it.
    assert cmd("CLUSTER", "SETSLOT", 2, "NODE", me) == "OK"
    assert "cluster_slots_assigned:2" in cmd("CLUSTER", "INFO")


def test_topology_replies(node):
    c = node.client()
    serve_all(c)
    raw = node.raw()
    me = c.execute_command("CLUSTER", "MYID")
    assert len(me) == 40 and all(ch in "0123456789abcdef" for ch in me)
    slots = raw.call("CLUSTER", "SLOTS")
    assert len(slots) == 1
    start, end, master = slots[0]
    assert (start, end) == (0, 16383)
    assert len(master) == 4
    assert master[1] == node.port and master[2] == me.encode() and master[3] == []
    shards = raw.call("CLUSTER", "SHARDS")
    assert len(shards) == 1
    shard = shards[0]
    assert shard[0] == b"slots" and shard[1] == [0, 16383] and shard[2] == b"nodes"
    fields = shard[3][0]
    as_dict = dict(zip(fields[::2], fields[1::2]))
    assert list(as_dict) == [b"id", b"port", b"ip", b"endpoint", b"role",
                             b"replication-offset", b"health"]
    assert as_dict[b"id"] == me.encode() and as_dict[b"port"] == node.port
    assert as_dict[b"role"] == b"master" and as_dict[b"health"] == b"online"
    nodes = c.execute_command("CLUSTER", "NODES")
    line = nodes.strip().split(" ")
    assert line[0] == me
    assert line[1].endswith(f":{node.port}@{node.port + 10000}")
    assert line[2:4] == ["myself,master", "-"] and line[6:8] == ["0", "connected"]
    assert line[8:] == ["0-16383"]
    help_lines = c.execute_command("CLUSTER", "HELP")
    assert help_lines[0].startswith("CLUSTER <subcommand>")
    for flag in ("ASKING", "READONLY", "READWRITE"):
        assert node.raw().call(flag) == b"OK"


def test_clusterdown_while_a_slot_has_no_node(node):
    c = node.client()
    serve_all(c)
    c.set("foo", "x")
    assert c.execute_command("CLUSTER", "DELSLOTS", 0) == "OK"
    wait_for(lambda: cluster_state(c) == "cluster_state:fail", what="cluster_state:fail")
    assert err(c.get, "foo") == "CLUSTERDOWN The cluster is down"
    slot0_key = next(k for k in (f"k{i}" for i in range(100000))
                     if c.execute_command("CLUSTER", "KEYSLOT", k) == 0)
    assert err(c.get, slot0_key) == "CLUSTERDOWN Hash slot not served"
    assert c.config_set("cluster-require-full-coverage", "no") is True
    wait_for(lambda: cluster_state(c) == "cluster_state:ok", what="cluster_state:ok")
    assert c.get("foo") == "x"
    assert err(c.get, slot0_key) == "CLUSTERDOWN Hash slot not served"


def test_cluster_commands_without_cluster_mode(kv):
    c = kv.client()
    assert err(c.execute_command, "CLUSTER", "INFO") == DISABLED
    assert err(c.execute_command, "CLUSTER", "KEYSLOT", "foo") == DISABLED
    assert err(c.execute_command, "ASKING") == DISABLED
    assert err(c.execute_command, "READONLY") == DISABLED
    assert err(c.execute_command, "READWRITE") == DISABLED
    assert err(c.execute_command, "CLUSTER", "NOPE") == \
        "unknown subcommand 'NOPE'. Try CLUSTER HELP."
    assert c.info("cluster") == {"cluster_enabled": 0}
    assert c.mset({"a": 1, "b": 2}) is True  # no slot checks
