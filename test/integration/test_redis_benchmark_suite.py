"""redis-benchmark's default suite (no -t): every test runs against the server with no error
reply, with and without pipelining, and leaves the keys its tests write. Runs against
redis-server too (KV_TEST_AGAINST_REDIS=1). Speed is measured by scripts/bench-resp.sh, not here."""

import re
import subprocess

import pytest

# redis-benchmark 7.0's default tests, in its order (LPUSH runs twice: the second fills the
# list the LRANGE tests read).
DEFAULT_TESTS = ["PING_INLINE", "PING_MBULK", "SET", "GET", "INCR", "LPUSH", "RPUSH", "LPOP",
                 "RPOP", "SADD", "HSET", "SPOP", "ZADD", "ZPOPMIN", "LPUSH", "LRANGE_100",
                 "LRANGE_300", "LRANGE_500", "LRANGE_600", "MSET"]


@pytest.mark.parametrize("pipeline", [1, 16])
def test_default_suite_runs_every_test_without_error(kv, pipeline):
    argv = ["/usr/bin/redis-benchmark", "-h", kv.host, "-p", str(kv.port), "-q",
            "-n", "2000", "-r", "1000", "-P", str(pipeline)]
    res = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    # -q prints "NAME: N requests per second, p50=..." per test; \r-separated progress lines
    # come before it on the same line.
    ran = re.findall(r"([A-Z_0-9]+(?: \([^)]*\))?): [0-9.]+ requests per second", out)
    names = [r.split(" ")[0] for r in ran]
    assert names == DEFAULT_TESTS, out
    assert "error" not in out.lower(), out

    c = kv.client()
    # What the suite leaves behind (-r 1000 puts a 12-digit number in each key name): string and
    # counter keys, the list the LRANGE tests read and the hash; SPOP and ZPOPMIN emptied the
    # set and the sorted set, which deleted their keys.
    keys = set(c.keys("*"))
    strings = [k for k in keys if re.fullmatch(r"key:\d{12}", k)]
    counters = [k for k in keys if re.fullmatch(r"counter:\d{12}", k)]
    assert 0 < len(strings) <= 1000 and 0 < len(counters) <= 1000
    assert {c.type(strings[0]), c.type(counters[0])} == {"string"}
    assert sum(int(v) for v in c.mget(counters)) == 2000  # every INCR counted once
    assert keys == set(strings) | set(counters) | {"mylist", "myhash"}
    assert c.type("mylist") == "list" and c.llen("mylist") >= 600
    assert c.type("myhash") == "hash" and 0 < c.hlen("myhash") <= 1000
