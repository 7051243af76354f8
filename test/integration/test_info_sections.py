"""INFO as Redis clients and tools read it: the Cluster section and configured_hz, under
Redis's names, present in the default reply and selectable by name."""
from __future__ import annotations


def test_cluster_section_says_cluster_disabled(kv):
    c = kv.client()
    assert c.info("cluster") == {"cluster_enabled": 0}
    with kv.raw() as r:
        for selector in ((), ("default",), ("all",), ("everything",), ("cpu", "cluster")):
            text = r.call("INFO", *selector)
            assert b"# Cluster\r\ncluster_enabled:0\r\n" in text, selector
        # Cluster comes after CPU and before Keyspace, as in Redis 7.
        text = r.call("INFO")
        assert text.index(b"# CPU") < text.index(b"# Cluster") < text.index(b"# Keyspace")


def test_configured_hz_follows_config(kv_server):
    s = kv_server()
    c = s.client()
    assert c.info("server")["configured_hz"] == int(c.config_get("hz")["hz"])
    c.config_set("hz", 42)
    assert c.info("server")["configured_hz"] == 42
    assert c.info("server")["hz"] == 42
