"""Stream commands through Node.js client libraries (test/node/streams.js): ioredis and
node-redis run XADD, XRANGE, XLEN, XGROUP CREATE MKSTREAM, XREADGROUP, XACK, XPENDING (summary
and range), XCLAIM, XAUTOCLAIM, XINFO GROUPS / CONSUMERS, XREAD, and an XREAD BLOCK woken by
another connection's XADD, each through the library's own method and reply parsing. The
expected replies are what the libraries read from redis-server 7.0 (the tests run against it
too)."""

from __future__ import annotations

import json

from queue_util import NODE_DIR, run_bounded


def streams(lib: str, port: int) -> dict:
    res = run_bounded(["node", str(NODE_DIR / "streams.js"), lib, str(port)], 60, cwd=NODE_DIR)
    assert res.returncode == 0, f"streams.js {lib} exited {res.returncode}: {res.stderr[-4000:]}"
    return json.loads(res.stdout.strip().splitlines()[-1])


IOREDIS = {"xadd": ["1-1", "2-1", "3-1"],
           "xrange": [["1-1", ["f", "a"]], ["2-1", ["f", "b"]], ["3-1", ["f", "c", "g", "d"]]],
           "xlen": 3,
           "create": "OK",
           "busy": "BUSYGROUP Consumer Group name already exists",
           "readgroup": [["io:s", [["1-1", ["f", "a"]], ["2-1", ["f", "b"]]]]],
           "readgroup2": [["io:s", [["3-1", ["f", "c", "g", "d"]]]]],
           "ack": 1,
           "pending": [2, "2-1", "3-1", [["w1", "1"], ["w2", "1"]]],
           "pending_range": [["2-1", "w1", 1], ["3-1", "w2", 1]],
           "claim": [["2-1", ["f", "b"]]],
           "autoclaim": ["0-0", ["2-1", "3-1"], []],
           "groups": [["name",
                       "grp",
                       "consumers",
                       3,
                       "pending",
                       2,
                       "last-delivered-id",
                       "3-1",
                       "entries-read",
                       3,
                       "lag",
                       0]],
           "consumers": [["name", "w1", "pending", 0],
                         ["name", "w2", "pending", 0],
                         ["name", "w3", "pending", 2]],
           "xread": [["io:s", [["1-1", ["f", "a"]]]]],
           "woken": [["io:s", [["9-1", ["late", "x"]]]]]}

NODE_REDIS = {"xadd": ["1-1", "2-1", "3-1"],
              "xrange": [{"id": "1-1", "message": {"f": "a"}},
                         {"id": "2-1", "message": {"f": "b"}},
                         {"id": "3-1", "message": {"f": "c", "g": "d"}}],
              "xlen": 3,
              "create": "OK",
              "busy": "BUSYGROUP Consumer Group name already exists",
              "readgroup": [{"name": "nr:s",
                             "messages": [{"id": "1-1", "message": {"f": "a"}},
                                          {"id": "2-1", "message": {"f": "b"}}]}],
              "readgroup2": [{"name": "nr:s", "messages": [{"id": "3-1", "message": {"f": "c", "g": "d"}}]}],
              "ack": 1,
              "pending": {"pending": 2,
                          "firstId": "2-1",
                          "lastId": "3-1",
                          "consumers": [{"name": "w1", "deliveriesCounter": 1},
                                        {"name": "w2", "deliveriesCounter": 1}]},
              "pending_range": [["2-1", "w1", 1], ["3-1", "w2", 1]],
              "claim": [{"id": "2-1", "message": {"f": "b"}}],
              "autoclaim": {"nextId": "0-0", "messages": ["2-1", "3-1"], "deletedMessages": []},
              "groups": [{"name": "grp",
                          "consumers": 3,
                          "pending": 2,
                          "last-delivered-id": "3-1",
                          "entries-read": 3,
                          "lag": 0}],
              "consumers": [["w1", 0], ["w2", 0], ["w3", 2]],
              "xread": [{"name": "nr:s", "messages": [{"id": "1-1", "message": {"f": "a"}}]}],
              "woken": [{"name": "nr:s", "messages": [{"id": "9-1", "message": {"late": "x"}}]}]}


def test_ioredis_streams(kv):
    assert streams("ioredis", kv.port) == IOREDIS


def test_node_redis_streams(kv):
    assert streams("redis", kv.port) == NODE_REDIS
