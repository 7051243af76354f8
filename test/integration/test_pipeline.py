"""Pipelining: redis-py pipelines, raw pipelined and fragmented requests, concurrent clients,
and a short redis-benchmark run."""

import re
import subprocess
import threading
import time

import pytest

from conftest import run_parallel


def test_pipeline_of_10(kv):
    c = kv.client()
    pipe = c.pipeline(transaction=False)
    pipe.set("a", "1")
    pipe.get("a")
    pipe.incr("a")
    pipe.incrby("a", 10)
    pipe.append("s", "xy")
    pipe.mset({"m1": "v1", "m2": "v2"})
    pipe.mget("m1", "m2", "none")
    pipe.exists("a", "m1", "none")
    pipe.delete("m1")
    pipe.get("none")
    assert pipe.execute() == [True, "1", 2, 12, 2, True, ["v1", "v2", None], 2, 1, None]


def test_pipeline_of_10000(kv):
    c = kv.client()
    pipe = c.pipeline(transaction=False)
    for i in range(10_000):
        pipe.set(f"p:{i}", f"value-{i}")
    results = pipe.execute()
    assert results == [True] * 10_000
    pipe = c.pipeline(transaction=False)
    for i in range(10_000):
        pipe.get(f"p:{i}")
    assert pipe.execute() == [f"value-{i}" for i in range(10_000)]
    pipe = c.pipeline(transaction=False)
    for i in range(10_000):
        pipe.incr("counter")
    assert pipe.execute() == list(range(1, 10_001))
    assert c.dbsize() == 10_001


def test_pipeline_errors_do_not_stop_the_rest(kv):
    c = kv.client()
    c.set("str", "abc")
    pipe = c.pipeline(transaction=False)
    pipe.set("x", "1")
    pipe.incr("str")
    pipe.get("x")
    results = pipe.execute(raise_on_error=False)
    assert results[0] is True
    assert "not an integer" in str(results[1])
    assert results[2] == "1"


def test_raw_pipeline_in_one_write(kv):
    with kv.raw() as r:
        payload = b"".join(r.encode("SET", f"k{i}", f"v{i}") for i in range(500))
        payload += b"".join(r.encode("GET", f"k{i}") for i in range(500))
        r.send(payload)
        for _ in range(500):
            assert r.read_reply_bytes() == b"+OK\r\n"
        for i in range(500):
            v = f"v{i}".encode()
            assert r.read_reply_bytes() == b"$%d\r\n%s\r\n" % (len(v), v)


def test_request_split_byte_by_byte(kv):
    with kv.raw() as r:
        value = b"split\r\nvalue"
        req = r.encode("SET", "frag", value) + r.encode("GET", "frag")
        for i in range(len(req)):
            r.send(req[i:i + 1])
        assert r.read_reply_bytes() == b"+OK\r\n"
        assert r.read_reply_bytes() == b"$12\r\nsplit\r\nvalue\r\n"


def test_big_value_split_across_writes(kv):
    with kv.raw() as r:
        value = bytes(range(256)) * 4096  # 1 MiB
        req = r.encode("SET", "big", value)
        for i in range(0, len(req), 7919):
            r.send(req[i:i + 7919])
        assert r.read_reply_bytes() == b"+OK\r\n"
        r.send_command("STRLEN", "big")
        assert r.read_reply_bytes() == b":1048576\r\n"
        r.send_command("GET", "big")
        assert r.read_reply_bytes(timeout=30) == b"$1048576\r\n" + value + b"\r\n"


def test_concurrent_clients_incr_is_atomic(kv):
    threads_n, per_thread = 8, 2000
    errors = []

    def worker(t):
        try:
            c = kv.client()
            pipe = c.pipeline(transaction=False)
            for i in range(per_thread):
                pipe.incr("shared")
                pipe.set(f"t{t}:{i}", i)
            res = pipe.execute()
            assert all(isinstance(x, int) for x in res[0::2])
            c.close()
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    run_parallel(worker, threads_n, 120)
    assert not errors, errors
    c = kv.client()
    assert c.get("shared") == str(threads_n * per_thread)
    assert c.dbsize() == threads_n * per_thread + 1


def test_concurrent_mset_is_atomic(kv):
    """Readers never see a half-applied MSET across shards."""
    keys = [f"atomic:{i}" for i in range(16)]
    stop = threading.Event()
    torn = []
    writer_errors: list[BaseException] = []
    generations = [0]  # MSETs the writer completed

    def writer():
        try:
            c = kv.client()
            while not stop.is_set():
                c.mset({k: generations[0] + 1 for k in keys})
                generations[0] += 1
        except BaseException as e:  # noqa: BLE001 - checked by the test
            writer_errors.append(e)

    def reader(_):
        c = kv.client()
        seen = set()
        reads = 0
        # Reads overlap the writer: at least 500 reads, and until this reader has seen three
        # generations (the cap is liveness, not speed).
        deadline = time.monotonic() + 60
        while reads < 500 or len(seen) < 3:
            assert time.monotonic() < deadline, f"saw only generations {seen} in {reads} reads"
            vals = c.mget(keys)
            reads += 1
            if len(set(vals)) != 1:
                torn.append(vals)
            seen.add(vals[0])

    c = kv.client()
    c.mset({k: 0 for k in keys})
    w = threading.Thread(target=writer, daemon=True)
    w.start()
    try:
        run_parallel(reader, 2, 120)
    finally:
        stop.set()
        w.join(30)
    assert not w.is_alive(), "the writer never stopped"
    assert not writer_errors, writer_errors
    assert generations[0] >= 3, generations  # the writer made progress while they read
    assert not torn, f"torn MGET results: {torn[:3]}"


def _benchmark(server, *args):
    argv = ["/usr/bin/redis-benchmark", "-h", server.host, "-p", str(server.port), *args]
    res = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    return res


def test_redis_benchmark_pipelined(kv):
    res = _benchmark(kv, "-t", "set,get,incr", "-n", "20000", "-P", "16", "-c", "10", "-q")
    assert res.returncode == 0, res.stderr
    out = res.stdout + res.stderr
    for test in ("SET", "GET", "INCR"):
        m = re.search(rf"^\s*{test}: ([0-9.]+) requests per second", out, re.M)
        assert m and float(m.group(1)) > 0, out
    assert "error" not in out.lower(), out
    c = kv.client()
    # without -r, redis-benchmark uses the literal keys key:__rand_int__ and counter:__rand_int__
    assert c.strlen("key:__rand_int__") == 3  # default -d 3
    assert c.get("counter:__rand_int__") == "20000"
    assert c.dbsize() == 2


def test_redis_benchmark_random_keys(kv):
    res = _benchmark(kv, "-t", "set", "-n", "20000", "-r", "1000", "-P", "16", "-d", "32", "-q")
    assert res.returncode == 0, res.stderr
    c = kv.client()
    n = c.dbsize()
    assert 500 < n <= 1000
    some = c.randomkey()
    assert re.fullmatch(r"key:\d{12}", some)
    assert c.strlen(some) == 32


@pytest.mark.parametrize("clients", [1, 50])
def test_redis_benchmark_no_pipeline(kv, clients):
    res = _benchmark(kv, "-t", "ping,set,get", "-n", "5000", "-c", str(clients), "-q")
    assert res.returncode == 0, res.stderr
    # PING_INLINE sends the inline form "PING\r\n": the server must accept inline commands
    for test in ("PING_INLINE", "PING_MBULK", "SET", "GET"):
        assert re.search(rf"^\s*{test}: [0-9.]+ requests per second", res.stdout, re.M), res.stdout
