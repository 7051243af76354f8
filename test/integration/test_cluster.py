"""A three-node kv-server cluster on 127.0.0.1 with a static slot map (docs/scale-out.md): the
same nodes.conf in each node's data directory. redis-py's RedisCluster spreads keys, each key
lives only on its slot's node, redis-cli -c follows MOVED, redirections name the right node,
a slot moves with its keys (SETSLOT IMPORTING/MIGRATING, GETKEYSINSLOT, MIGRATE, SETSLOT NODE)
while a client keeps writing, and the map and node IDs survive restarts.

kv_only: the map file is kv-server's way of forming a cluster without a cluster bus; Redis
forms one with CLUSTER MEET (test_cluster_commands.py compares the replies one node gives)."""
import random
import subprocess
import threading

import pytest
import redis
from redis.cluster import ClusterNode, RedisCluster

from conftest import REDIS_CLI, Server, cluster_port, wait_for

pytestmark = pytest.mark.kv_only

OK = (True, "OK")
RANGES = [(0, 5460), (5461, 10922), (10923, 16383)]


class Cluster:
    def __init__(self, tmp_path, appendonly="no"):
        self.ports = []
        while len(self.ports) < 3:
            p = cluster_port()
            if p not in self.ports:
                self.ports.append(p)
        self.ids = [f"{random.getrandbits(160):040x}" for _ in range(3)]
        lines = [f"{self.ids[i]} 127.0.0.1:{self.ports[i]}@{self.ports[i] + 10000} master - 0 0 "
                 f"{i + 1} connected {lo}-{hi}" for i, (lo, hi) in enumerate(RANGES)]
        self.servers = []
        for i in range(3):
            workdir = tmp_path / f"node{i}"
            (workdir / "data").mkdir(parents=True)
            (workdir / "data" / "nodes.conf").write_text("\n".join(lines) + "\n")
            self.servers.append(Server({"cluster_enabled": "yes", "appendonly": appendonly},
                                       workdir=str(workdir)))
        for i, s in enumerate(self.servers):
            s.start(self.ports[i])
            assert s.port == self.ports[i], "the node's port was taken"

    def owner(self, slot):
        return next(i for i, (lo, hi) in enumerate(RANGES) if lo <= slot <= hi)

    def client(self):
        return RedisCluster(startup_nodes=[ClusterNode("127.0.0.1", self.ports[0])],
                            decode_responses=True, socket_timeout=30)

    def stop(self):
        for s in self.servers:
            if s.alive():
                s.stop()


@pytest.fixture
def cluster(tmp_path):
    c = Cluster(tmp_path)
    yield c
    c.stop()


def slot_of(c, key):
    return c.execute_command("CLUSTER", "KEYSLOT", key)


def test_redis_py_cluster_spreads_keys(cluster):
    rc = cluster.client()
    for i in range(1000):
        rc.set(f"key:{i}", i)
    for i in range(1000):
        assert rc.get(f"key:{i}") == str(i)
    plain = [s.client() for s in cluster.servers]
    sizes = [p.dbsize() for p in plain]
    assert sum(sizes) == 1000 and all(n > 250 for n in sizes)
    for i in range(0, 1000, 7):
        key = f"key:{i}"
        owner = cluster.owner(slot_of(plain[0], key))
        for n, p in enumerate(plain):
            if n == owner:
                assert p.get(key) == str(i)
            else:
                with pytest.raises(redis.ResponseError, match="^MOVED "):
                    p.get(key)
    # Multi-key commands within one slot, pipelines and transactions through the client.
    assert rc.mset_nonatomic({"{u}a": 1, "{u}b": 2}) == [True]
    assert rc.mget("{u}a", "{u}b") == ["1", "2"]
    with rc.pipeline() as pipe:
        pipe.incr("{u}a")
        pipe.get("{u}b")
        assert pipe.execute() == [2, "2"]
    rc.close()


def test_redirect_texts(cluster):
    plain = [s.client() for s in cluster.servers]
    port3 = cluster.ports[2]
    with pytest.raises(redis.ResponseError) as e:
        plain[0].get("foo")  # slot 12182: the third node
    assert str(e.value) == f"MOVED 12182 127.0.0.1:{port3}"
    assert plain[2].set("foo", "bar") is True
    # A transaction on the wrong node: refused while queueing, so EXEC aborts.
    raw = cluster.servers[0].raw()
    assert raw.call("MULTI") == b"OK"
    assert str(raw.call("GET", "foo")) == f"MOVED 12182 127.0.0.1:{port3}"
    assert str(raw.call("EXEC")).startswith("EXECABORT")
    assert str(raw.call("EVAL", "return 1", 1, "foo")) == f"MOVED 12182 127.0.0.1:{port3}"
    # Keyless commands run on any node.
    assert raw.call("EVAL", "return 1", 0) == 1
    assert raw.call("PING") == b"PONG"


def test_redis_cli_follows_moved(cluster):
    out = subprocess.run([REDIS_CLI, "-c", "-p", str(cluster.ports[0]), "SET", "foo", "via-cli"],
                         capture_output=True, text=True, timeout=30)
    assert out.stdout.strip() == "OK", out
    assert cluster.servers[2].client().get("foo") == "via-cli"
    out = subprocess.run([REDIS_CLI, "-c", "-p", str(cluster.ports[1]), "GET", "foo"],
                         capture_output=True, text=True, timeout=30)
    assert out.stdout.strip() == "via-cli"


def test_topology_is_the_same_from_every_node(cluster):
    replies = [s.client().execute_command("CLUSTER", "SLOTS") for s in cluster.servers]
    assert replies[0] == replies[1] == replies[2]
    assert [(r[0], r[1], r[2][1], r[2][2]) for r in replies[0]] == [
        (lo, hi, cluster.ports[i], cluster.ids[i]) for i, (lo, hi) in enumerate(RANGES)]
    for i, s in enumerate(cluster.servers):
        c = s.client()
        assert c.execute_command("CLUSTER", "MYID") == cluster.ids[i]
        nodes = c.execute_command("CLUSTER", "NODES").strip().split("\n")
        assert len(nodes) == 3
        mine = [line for line in nodes if "myself" in line]
        assert len(mine) == 1 and mine[0].startswith(cluster.ids[i])
        info = c.execute_command("CLUSTER", "INFO")
        assert "cluster_state:ok" in info and "cluster_known_nodes:3" in info
        assert "cluster_size:3" in info and f"cluster_my_epoch:{i + 1}" in info


def move_slot(cluster, slot, src, dst, on_step=None):
    """Moves `slot` from node src to node dst the way redis-cli --cluster reshard does."""
    s, d = cluster.servers[src].client(), cluster.servers[dst].client()
    assert d.execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", cluster.ids[src]) in OK
    assert s.execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", cluster.ids[dst]) in OK
    if on_step:
        on_step()
    moved = 0
    while True:
        keys = s.execute_command("CLUSTER", "GETKEYSINSLOT", slot, 10)
        if not keys:
            break
        assert s.execute_command("MIGRATE", "127.0.0.1", cluster.ports[dst], "", 0, 5000,
                                 "KEYS", *keys) == "OK"
        moved += len(keys)
    for n in (dst, src) + tuple(i for i in range(3) if i not in (src, dst)):
        c = cluster.servers[n].client()
        assert c.execute_command("CLUSTER", "SETSLOT", slot, "NODE", cluster.ids[dst]) in OK
    return moved


def test_ask_and_tryagain_during_a_migration(cluster):
    a, b = cluster.servers[0].client(), cluster.servers[1].client()
    slot = slot_of(a, "bar")  # 5061, on the first node
    a.set("{bar}1", "one")
    a.set("{bar}2", "two")

    def check_states():
        port_a, port_b = cluster.ports[0], cluster.ports[1]
        assert a.get("{bar}1") == "one"  # still here: served here
        with pytest.raises(redis.ResponseError) as e:
            a.get("{bar}new")
        assert str(e.value) == f"ASK {slot} 127.0.0.1:{port_b}"
        with pytest.raises(redis.ResponseError) as e:
            a.mget("{bar}1", "{bar}new")
        assert str(e.value) == "TRYAGAIN Multiple keys request during rehashing of slot"
        with pytest.raises(redis.ResponseError) as e:
            b.get("{bar}new")
        assert str(e.value) == f"MOVED {slot} 127.0.0.1:{port_a}"
        raw = cluster.servers[1].raw()
        assert raw.call("ASKING") == b"OK"
        assert raw.call("SET", "{bar}new", "asked") == b"OK"
        # ASKING covers one command only.
        assert str(raw.call("GET", "{bar}new")) == f"MOVED {slot} 127.0.0.1:{port_a}"
        # A script's calls to keys it did not declare are routed like commands, with the
        # ASKING of the EVAL that runs it; instead of a redirect the script gets an error.
        non_local = "ERR Script attempted to access a non local key in a cluster node"
        assert raw.call("ASKING") == b"OK"
        assert raw.call("EVAL", "return redis.call('set', '{bar}script', 'asked')", "0") == b"OK"
        assert str(raw.call("EVAL", "return redis.pcall('get', '{bar}script')", "0")) == non_local
        assert a.eval("return redis.call('get', '{bar}1')", 0) == "one"  # still here
        with pytest.raises(redis.ResponseError, match="^Script attempted to access a non local"):
            a.eval("return redis.call('get', '{bar}new')", 0)  # ASK for a command
        nodes = a.execute_command("CLUSTER", "NODES")
        assert f"[{slot}->-{cluster.ids[1]}]" in nodes
        assert f"[{slot}-<-{cluster.ids[0]}]" in b.execute_command("CLUSTER", "NODES")
        # The slot cannot be handed over while keys are left.
        with pytest.raises(redis.ResponseError, match="still hold keys"):
            a.execute_command("CLUSTER", "SETSLOT", slot, "NODE", cluster.ids[1])

    assert move_slot(cluster, slot, 0, 1, check_states) == 2
    assert a.execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) == 0
    assert b.execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) == 4
    assert b.mget("{bar}1", "{bar}2", "{bar}new", "{bar}script") == ["one", "two", "asked", "asked"]
    assert "[" not in a.execute_command("CLUSTER", "NODES")
    assert "cluster_my_epoch:4" in b.execute_command("CLUSTER", "INFO")  # the import took one
    slots = cluster.servers[2].client().execute_command("CLUSTER", "SLOTS")
    assert [slot, slot] == [r[:2] for r in slots if r[2][1] == cluster.ports[1] and
                            r[0] == slot][0]


def test_resharding_while_writing_loses_nothing(cluster):
    rc = cluster.client()
    plain0 = cluster.servers[0].client()
    slot = slot_of(plain0, "hot")
    src = cluster.owner(slot)
    dst = (src + 1) % 3
    for i in range(200):
        rc.set(f"{{hot}}{i}", 0)
        rc.set(f"cold:{i}", 0)
    acked = {}
    progress = [0]
    stop = threading.Event()
    errors = []

    def writer():
        w = cluster.client()
        gen = 0
        try:
            while not stop.is_set() or gen < 3:
                gen += 1
                for i in range(0, 240, 3):  # and 13 keys beyond the first 200
                    for key in (f"{{hot}}{i}", f"cold:{i}"):
                        w.set(key, gen)
                        acked[key] = gen
                        progress[0] += 1
        except Exception as e:  # noqa: BLE001
            errors.append(e)
        finally:
            w.close()
            acked["generations"] = gen

    t = threading.Thread(target=writer)
    t.start()
    wait_for(lambda: len(acked) > 50, what="the writer's first writes")
    during = []
    moved = move_slot(cluster, slot, src, dst, on_step=lambda: during.append(progress[0]))
    during.append(progress[0])
    stop.set()
    t.join(60)
    assert not t.is_alive() and not errors, errors
    assert moved >= 200 and acked["generations"] >= 3
    assert during[1] > during[0], "the writer wrote while the slot moved"
    rc2 = cluster.client()
    for key, value in acked.items():
        if key != "generations":
            assert rc2.get(key) == str(value), key
    for i in range(200):
        assert rc2.exists(f"{{hot}}{i}") == 1
    s, d = cluster.servers[src].client(), cluster.servers[dst].client()
    assert s.execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) == 0
    assert d.execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) == 213


def test_map_and_node_ids_survive_restarts(tmp_path):
    c = Cluster(tmp_path, appendonly="yes")
    try:
        slot = 5061
        a = c.servers[0].client()
        a.set("{bar}k", "v")
        assert move_slot(c, slot, 0, 1) == 1
        for s in c.servers:
            s.stop()
        for i, s in enumerate(c.servers):
            s.start(c.ports[i])
        for i, s in enumerate(c.servers):
            cl = s.client()
            assert cl.execute_command("CLUSTER", "MYID") == c.ids[i]
            with pytest.raises(redis.ResponseError, match=f"^MOVED {slot} ") if i != 1 else \
                    _nothing():
                assert cl.get("{bar}k") == "v"
        # The migration's DEL was logged: the key did not come back on the old node.
        assert c.servers[0].client().execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) == 0
        text = (c.servers[1].data_dir / "nodes.conf").read_text()
        assert f"{c.ids[1]} 127.0.0.1:{c.ports[1]}@{c.ports[1] + 10000} myself,master" in text
        assert f" {slot} " in text or text.count(f" {slot}\n") == 1
    finally:
        c.stop()


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_a_node_alone_makes_its_id_once(kv_server, tmp_path):
    s = Server({"cluster_enabled": "yes", "cluster_config_file": "my-nodes.conf"},
               workdir=str(tmp_path)).start(cluster_port())
    try:
        me = s.client().execute_command("CLUSTER", "MYID")
        assert (s.data_dir / "my-nodes.conf").read_text().startswith(
            f"{me} 127.0.0.1:{s.port}@{s.port + 10000} myself,master - 0 0 0 connected\n")
        assert s.client().execute_command("CLUSTER", "ADDSLOTS", 7) in OK
        s.stop()
        s.start(s.port)
        assert s.client().execute_command("CLUSTER", "MYID") == me
        assert s.client().execute_command("CLUSTER", "SLOTS")[0][:2] == [7, 7]
    finally:
        if s.alive():
            s.stop()


def test_a_damaged_map_refuses_the_start(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "nodes.conf").write_text("not a node line\n")
    s = Server({"cluster_enabled": "yes"}, workdir=str(tmp_path))
    assert s.start_expecting_exit() != 0
    assert "nodes.conf: line 1: a node line needs at least 8 fields" in s.stderr_text()


def test_off_by_default_costs_nothing_visible(kv_server):
    s = kv_server()
    c = s.client()
    assert c.info("cluster") == {"cluster_enabled": 0}
    assert c.mset({"a": 1, "b": 2}) is True
    assert c.execute_command("SELECT", "app") is True
    assert not (s.data_dir / "nodes.conf").exists()
