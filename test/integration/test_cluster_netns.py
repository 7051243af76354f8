"""Three kv-server hosts in network namespaces (`ip netns`), each with its own address on a
bridge, as the issue's final set-up: redis-py's RedisCluster spreads keys over them, a node is
restarted with its data and map, and a slot moves with its keys between hosts while a client
writes. Needs root (CI runs as root); skipped with the reason where `ip netns add` is refused.
"""
import os
import random
import subprocess
import threading

import pytest
from redis.cluster import ClusterNode, RedisCluster

from conftest import KV_BIN, Server, wait_for
from test_cluster import RANGES

pytestmark = pytest.mark.kv_only

PORT = 6381


def sh(*args, check=True):
    return subprocess.run(list(args), capture_output=True, text=True, check=check, timeout=30)


def netns_refusal():
    name = f"kvprobe{os.getpid() % 100000}"
    res = sh("ip", "netns", "add", name, check=False)
    if res.returncode != 0:
        return res.stderr.strip() or "ip netns add failed"
    sh("ip", "netns", "del", name, check=False)
    return None


class Hosts:
    """A bridge in this namespace and three namespaces on it, 10.213.77.11-13/24."""

    def __init__(self, tmp_path):
        tag = f"{os.getpid() % 100000}"
        self.bridge = f"kvb{tag}"
        self.names = [f"kvn{tag}-{i}" for i in range(3)]
        self.ips = [f"10.213.77.{11 + i}" for i in range(3)]
        self.links = []
        sh("ip", "link", "add", self.bridge, "type", "bridge")
        sh("ip", "addr", "add", "10.213.77.1/24", "dev", self.bridge)
        sh("ip", "link", "set", self.bridge, "up")
        for i, ns in enumerate(self.names):
            host_end, ns_end = f"kvh{tag}{i}", f"kvc{tag}{i}"
            sh("ip", "netns", "add", ns)
            sh("ip", "link", "add", host_end, "type", "veth", "peer", "name", ns_end)
            self.links.append(host_end)
            sh("ip", "link", "set", ns_end, "netns", ns)
            sh("ip", "link", "set", host_end, "master", self.bridge, "up")
            sh("ip", "netns", "exec", ns, "ip", "addr", "add", f"{self.ips[i]}/24", "dev", ns_end)
            sh("ip", "netns", "exec", ns, "ip", "link", "set", ns_end, "up")
            sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
        self.wrappers = []
        for ns in self.names:
            w = tmp_path / f"kv-in-{ns}.sh"
            w.write_text(f"#!/bin/sh\nexec ip netns exec {ns} {KV_BIN} \"$@\"\n")
            w.chmod(0o755)
            self.wrappers.append(str(w))

    def remove(self):
        for ns in self.names:
            sh("ip", "netns", "del", ns, check=False)
        for link in self.links:
            sh("ip", "link", "del", link, check=False)
        sh("ip", "link", "del", self.bridge, check=False)


@pytest.fixture
def hosts(tmp_path):
    why = netns_refusal()
    if why:
        pytest.skip(f"network namespaces are not permitted here ({why}); CI runs as root")
    h = Hosts(tmp_path)
    yield h
    h.remove()


def start_cluster(hosts, tmp_path):
    ids = [f"{random.getrandbits(160):040x}" for _ in range(3)]
    lines = [f"{ids[i]} {hosts.ips[i]}:{PORT}@{PORT + 10000} master - 0 0 {i + 1} connected "
             f"{lo}-{hi}" for i, (lo, hi) in enumerate(RANGES)]
    servers = []
    for i in range(3):
        workdir = tmp_path / f"node{i}"
        (workdir / "data").mkdir(parents=True)
        (workdir / "data" / "nodes.conf").write_text("\n".join(lines) + "\n")
        s = Server({"cluster_enabled": "yes", "appendonly": "yes", "bind": hosts.ips[i],
                    "protected_mode": "no"}, workdir=str(workdir), binary=hosts.wrappers[i])
        s.host = hosts.ips[i]
        servers.append(s.start(PORT))
    return ids, servers


class Nodes:
    def __init__(self, ids, servers):
        self.ids, self.servers = ids, servers


def test_cluster_across_network_namespaces(hosts, tmp_path):
    ids, servers = start_cluster(hosts, tmp_path)
    try:
        rc = RedisCluster(startup_nodes=[ClusterNode(hosts.ips[0], PORT)],
                          decode_responses=True, socket_timeout=30)
        for i in range(600):
            rc.set(f"key:{i}", i)
        sizes = [s.client().dbsize() for s in servers]
        assert sum(sizes) == 600 and all(n > 100 for n in sizes)
        assert {n.host for n in rc.get_nodes()} == set(hosts.ips)

        # A node restarts with its data and its map; the client finds it again.
        servers[1].stop()
        servers[1].start(PORT)
        assert servers[1].client().execute_command("CLUSTER", "MYID") == ids[1]
        for i in range(600):
            assert rc.get(f"key:{i}") == str(i)

        # A slot moves between hosts (MIGRATE across namespaces) while a client writes.
        slot = servers[0].client().execute_command("CLUSTER", "KEYSLOT", "hot")
        src = next(i for i, (lo, hi) in enumerate(RANGES) if lo <= slot <= hi)
        dst = (src + 1) % 3
        for i in range(100):
            rc.set(f"{{hot}}{i}", 0)
        acked, stop, errors = {}, threading.Event(), []

        def writer():
            w = RedisCluster(startup_nodes=[ClusterNode(hosts.ips[2], PORT)],
                             decode_responses=True, socket_timeout=30)
            gen = 0
            try:
                while not stop.is_set() or gen < 2:
                    gen += 1
                    for i in range(100):
                        w.set(f"{{hot}}{i}", gen)
                        acked[f"{{hot}}{i}"] = gen
            except Exception as e:  # noqa: BLE001
                errors.append(e)
            finally:
                w.close()

        t = threading.Thread(target=writer)
        t.start()
        wait_for(lambda: len(acked) > 20, what="the writer's first writes")
        nodes = Nodes(ids, servers)
        moved = move_slot_to(nodes, slot, src, dst, hosts.ips[dst])
        stop.set()
        t.join(60)
        assert not t.is_alive() and not errors, errors
        assert moved == 100
        for key, value in acked.items():
            assert rc.get(key) == str(value), key
        assert servers[dst].client().execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) == 100
        rc.close()
    finally:
        for s in servers:
            if s.alive():
                s.stop()


def move_slot_to(nodes, slot, src, dst, dst_ip):
    """test_cluster.move_slot, with MIGRATE reaching the target at its host's address."""
    s, d = nodes.servers[src].client(), nodes.servers[dst].client()
    d.execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", nodes.ids[src])
    s.execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", nodes.ids[dst])
    moved = 0
    while True:
        keys = s.execute_command("CLUSTER", "GETKEYSINSLOT", slot, 10)
        if not keys:
            break
        assert s.execute_command("MIGRATE", dst_ip, PORT, "", 0, 5000, "KEYS", *keys) == "OK"
        moved += len(keys)
    for n in (dst, src, 3 - src - dst):
        nodes.servers[n].client().execute_command("CLUSTER", "SETSLOT", slot, "NODE",
                                                  nodes.ids[dst])
    return moved
