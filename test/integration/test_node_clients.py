"""Node.js clients against the server: ioredis and node-redis (npm `redis`, RESP2 and RESP3) run
basic commands, MULTI/EXEC (with a command error inside EXEC and a queueing error), WATCH
aborted by another connection's write, pub/sub with a channel and a pattern, and scripts by
EVALSHA with the EVAL fallback (test/node/clients.js, at the versions
test/node/package-lock.json pins)."""

from __future__ import annotations

from queue_util import node_client

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOSCRIPT = "NOSCRIPT No matching script. Please use EVAL."
# Replies both libraries see the same way.
COMMON = {
    "set": "OK",
    "get": "v1",
    "incrby": 5,
    "hgetall": {"f1": "a", "f2": "b"},
    "lrange": ["x", "y", "z"],
    "wrongtype": WRONGTYPE,
    "watched_value": "changed",
    "publish": [1, 1, 1],
    "script_first": [1, "one"],
    "script_again": [2, "two"],
    "script_load_sha": True,
    "evalsha": [3, "three"],
    "evalsha_missing": NOSCRIPT,
    "script_key": "three",
}


def test_ioredis(kv):
    out = node_client("ioredis", kv.port)
    expected = dict(COMMON)
    expected.update({
        "zadd": 2,
        "zrange": ["a", "1", "b", "2"],
        "multi": [[None, "OK"], [None, 2], [None, "2"]],
        "multi_error": ["OK", "error: " + WRONGTYPE, "1"],
        "queue_error": "EXECABORT Transaction discarded because of previous errors",
        "watch_aborted": None,
        "subscribe": 1,
        "psubscribe": 2,
        "messages": [["message", "io:ch", "hello"],
                     ["pmessage", "io:news.*", "io:news.sport", "goal"],
                     ["message", "io:ch", "bye"]],
    })
    assert out == expected
    c = kv.client()
    assert c.get("io:m2") == "1"  # EXEC ran the commands around the one that failed
    assert c.exists("io:m3") == 0  # EXECABORT ran nothing


NODE_REDIS = dict(COMMON)
NODE_REDIS.update({
    "multi": ["OK", 2, "2"],
    # node-redis turns a reply array holding an error into one MultiErrorReply
    "multi_error": "exec error: 1 commands failed, see .replies and .errorIndexes "
                   "for more information",
    "watch_aborted": {"error": "WatchError"},
    "messages": [["message", "nr:ch", "hello"],
                 ["pmessage", "nr:news.*", "nr:news.sport", "goal"],
                 ["message", "nr:ch", "bye"]],
})


def test_node_redis(kv):
    out = node_client("redis", kv.port)
    assert out == NODE_REDIS
    assert kv.client().get("nr:m2") == "1"


def test_node_redis_resp3(kv):
    """The same over RESP3 (HELLO 3), plus a connection that subscribes and goes on running
    commands, receiving its own PUBLISH as a push."""
    out = node_client("redis3", kv.port)
    expected = dict(NODE_REDIS)
    expected.update({
        "get_while_subscribed": "v1",
        "publish_while_subscribed": 1,
        "own_messages": ["self"],
    })
    assert out == expected

