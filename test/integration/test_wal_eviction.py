"""Keys the server removes on its own under maxmemory are logged, so a restart does not bring
them back (eviction depends on memory figures a replay would not reproduce)."""
import pytest

from conftest import Server

pytestmark = pytest.mark.kv_only


def test_evicted_keys_stay_evicted_after_a_crash(tmp_path):
    opts = {"appendonly": "yes", "appendfsync": "always", "snapshot-interval": 0,
            "snapshot-ops": 0, "maxmemory": "8mb", "maxmemory-policy": "allkeys-random"}
    s = Server(dict(opts), workdir=str(tmp_path)).start()
    c = s.client()
    # Small pipelines: a client's pending input counts as used memory too, and a 5 MB burst of
    # requests alone would leave nothing to evict.
    for start in range(0, 80000, 500):
        pipe = c.pipeline(transaction=False)
        for i in range(start, start + 500):
            pipe.set(f"key:{i}", "x" * 100)
        pipe.execute()
    evicted = c.info("stats")["evicted_keys"]
    assert evicted > 0, "the test needs eviction to happen"
    survivors = {k for k in c.scan_iter(count=1000)}
    assert 0 < len(survivors) < 80000
    s.kill9()

    # Without the limit, so that nothing is evicted during or after recovery.
    opts.pop("maxmemory")
    s = Server(opts, workdir=str(tmp_path)).start()
    c = s.client()
    assert c.info("stats")["evicted_keys"] == 0
    assert {k for k in c.scan_iter(count=1000)} == survivors
    s.stop()
