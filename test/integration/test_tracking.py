"""Client-side caching: CLIENT TRACKING (default mode, OPTIN, OPTOUT, NOLOOP, BCAST with and
without prefixes, REDIRECT), CLIENT CACHING, GETREDIR, TRACKINGINFO, tracking-table-max-keys,
CLIENT LIST's t/B/R flags and redir=, INFO's tracking figures. RESP3 clients are raw sockets
(the exact push bytes are checked); RESP2 redirection goes to a redis-py pubsub connection.

"Nothing was sent" is checked without waiting: on one event loop an invalidation caused by a
command is written before that command's reply (and a BCAST one before the replies of the turn
that caused it), so a PING sent afterwards must be answered with nothing ahead of its PONG.
Every test not marked kv_only runs against redis-server too."""

from __future__ import annotations

import pytest
import redis

from conftest import RawConn, RespError, wait_for

_open: list[RawConn] = []


@pytest.fixture(autouse=True)
def _close_raw_connections():
    """Every raw connection a test opened closes with it: a tracking client left open would
    count in the next test's INFO figures."""
    yield
    while _open:
        _open.pop().close()


def push(*keys: str) -> bytes:
    out = b">2\r\n$10\r\ninvalidate\r\n*%d\r\n" % len(keys)
    for k in keys:
        out += b"$%d\r\n%s\r\n" % (len(k), k.encode())
    return out


FLUSH_PUSH = b">2\r\n$10\r\ninvalidate\r\n_\r\n"


def resp3(server) -> RawConn:
    c = server.raw()
    _open.append(c)
    assert isinstance(c.call("HELLO", "3"), dict)
    return c


def tracker(server, *options) -> RawConn:
    c = resp3(server)
    assert c.call("CLIENT", "TRACKING", "on", *options) == b"OK"
    return c


def nothing_pending(c: RawConn) -> None:
    """Nothing was sent to `c` ahead of the reply to a PING sent now."""
    c.send_command("PING")
    assert c.read_reply_bytes() == b"+PONG\r\n"


def error(c: RawConn, *args) -> str:
    reply = c.call(*args)
    assert isinstance(reply, RespError), reply
    return str(reply)


def info_field(r: redis.Redis, section: str, name: str) -> int:
    return int(r.info(section)[name])


# ------------------------------------------------------------------------- default mode


def test_a_write_by_another_client_invalidates_once(kv):
    a = tracker(kv)
    w = kv.client()
    a.send_command("GET", "k")
    assert a.read_reply_bytes() == b"_\r\n"
    w.set("k", "1")
    assert a.read_reply_bytes() == push("k")
    # Forgotten once invalidated: the next write sends nothing until the key is read again.
    w.set("k", "2")
    nothing_pending(a)
    assert a.call("GET", "k") == b"2"
    w.delete("k")
    assert a.read_reply_bytes() == push("k")


def test_own_write_invalidates_after_its_reply(kv):
    a = tracker(kv)
    a.send(RawConn.encode("GET", "k") + RawConn.encode("SET", "k", "1") +
           RawConn.encode("GET", "k"))
    assert a.read_reply_bytes() == b"_\r\n"
    assert a.read_reply_bytes() == b"+OK\r\n"
    assert a.read_reply_bytes() == push("k")
    assert a.read_reply_bytes() == b"$1\r\n1\r\n"


def test_every_key_of_a_multi_key_read_is_tracked(kv):
    a = tracker(kv)
    assert a.call("MGET", "x", "y") == [None, None]
    assert a.call("EXISTS", "e") == 0
    kv.client().mset({"x": "1", "y": "2", "e": "3"})
    got = {a.read_reply_bytes() for _ in range(3)}
    assert got == {push("x"), push("y"), push("e")}


def test_writes_that_change_nothing_do_not_invalidate(kv):
    a = tracker(kv)
    w = kv.client()
    w.set("n", "1")
    assert a.call("GET", "n") == b"1"
    assert a.call("GET", "missing") is None
    assert w.setnx("n", "2") is False
    assert w.delete("missing") == 0
    nothing_pending(a)
    assert w.expire("n", 100) is True
    assert a.read_reply_bytes() == push("n")


def test_a_read_that_fails_still_tracks_its_key(kv):
    a = tracker(kv)
    w = kv.client()
    w.rpush("l", "a")
    assert isinstance(a.call("GET", "l"), RespError)  # WRONGTYPE
    w.rpush("l", "b")
    assert a.read_reply_bytes() == push("l")


def test_expiry_invalidates(kv):
    a = tracker(kv)
    w = kv.client()
    w.set("e", "v", px=1000)
    assert a.call("GET", "e") == b"v"
    # Deleted by the active expiry cycle (or a lookup) once its second has passed.
    assert a.read_reply_bytes(timeout=20) == push("e")


def test_flushall_and_flushdb_send_a_null_invalidation(kv):
    a = tracker(kv)
    b = tracker(kv, "BCAST")
    w = kv.client()
    assert a.call("GET", "k") is None
    w.flushall()
    assert a.read_reply_bytes() == FLUSH_PUSH
    assert b.read_reply_bytes() == FLUSH_PUSH
    w.flushdb()  # an empty database still sends it
    assert a.read_reply_bytes() == FLUSH_PUSH
    assert b.read_reply_bytes() == FLUSH_PUSH
    # The table was emptied: the key read before is no longer tracked.
    w.set("k", "1")
    assert b.read_reply_bytes() == push("k")
    nothing_pending(a)
    # A client's own flush: after its reply.
    a.send_command("FLUSHALL")
    assert a.read_reply_bytes() == b"+OK\r\n"
    assert a.read_reply_bytes() == FLUSH_PUSH


def test_keys_are_tracked_by_name_across_databases_and_swapdb_sends_nothing(kv):
    a = tracker(kv)
    w = kv.client()
    w.set("k", "0")
    assert a.call("GET", "k") == b"0"
    assert w.swapdb(0, 1) is True
    nothing_pending(a)
    w1 = kv.client(db=1)
    w1.set("k", "1")  # the same name in another database
    assert a.read_reply_bytes() == push("k")


def test_transaction_invalidations_follow_exec_reply(kv):
    a = tracker(kv)
    assert a.call("GET", "k") is None
    assert a.call("GET", "j") is None
    assert a.call("MULTI") == b"OK"
    assert a.call("SET", "k", "1") == b"QUEUED"
    assert a.call("SET", "j", "1") == b"QUEUED"
    assert a.call("EXEC") == [b"OK", b"OK"]
    assert a.read_reply_bytes() == push("k")
    assert a.read_reply_bytes() == push("j")


def test_script_reads_are_tracked_for_the_caller(kv):
    a = tracker(kv)
    assert a.call("EVAL", "return redis.call('get', KEYS[1])", "1", "s") is None
    assert a.call("EVAL_RO", "return 1", "1", "ro") == 1  # the script's own keys are not read
    w = kv.client()
    w.set("ro", "1")
    w.set("s", "1")
    assert a.read_reply_bytes() == push("s")
    nothing_pending(a)


def test_tracking_off_and_reset_stop_invalidations(kv):
    a = tracker(kv)
    w = kv.client()
    assert a.call("GET", "k") is None
    assert a.call("CLIENT", "TRACKING", "off") == b"OK"
    w.set("k", "1")
    nothing_pending(a)
    assert a.call("CLIENT", "TRACKING", "on") == b"OK"
    assert a.call("GET", "k") == b"1"
    assert a.call("RESET") == b"RESET"
    assert a.call("CLIENT", "GETREDIR") == -1
    w.set("k", "2")
    nothing_pending(a)


# ------------------------------------------------------------------------- OPTIN / OPTOUT


def test_optin_tracks_only_after_caching_yes(kv):
    a = tracker(kv, "OPTIN")
    w = kv.client()
    assert a.call("GET", "a") is None
    assert a.call("CLIENT", "CACHING", "yes") == b"OK"
    assert a.call("GET", "b") is None
    assert a.call("GET", "c") is None  # CACHING YES covers one command
    w.set("a", "1")
    w.set("b", "1")
    w.set("c", "1")
    assert a.read_reply_bytes() == push("b")
    nothing_pending(a)


def test_optin_caching_covers_a_whole_transaction(kv):
    a = tracker(kv, "OPTIN")
    assert a.call("CLIENT", "CACHING", "yes") == b"OK"
    assert a.call("MULTI") == b"OK"
    assert a.call("GET", "x") == b"QUEUED"
    assert a.call("GET", "y") == b"QUEUED"
    assert a.call("EXEC") == [None, None]
    kv.client().mset({"x": "1", "y": "1"})
    assert {a.read_reply_bytes(), a.read_reply_bytes()} == {push("x"), push("y")}


def test_optout_tracks_unless_caching_no(kv):
    a = tracker(kv, "OPTOUT")
    w = kv.client()
    assert a.call("CLIENT", "CACHING", "no") == b"OK"
    assert a.call("GET", "a") is None
    assert a.call("GET", "b") is None
    w.set("a", "1")
    w.set("b", "1")
    assert a.read_reply_bytes() == push("b")
    nothing_pending(a)


def test_caching_errors(kv):
    c = resp3(kv)
    assert error(c, "CLIENT", "CACHING", "yes") == (
        "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN "
        "or OPTOUT mode enabled")
    assert c.call("CLIENT", "TRACKING", "on") == b"OK"
    assert error(c, "CLIENT", "CACHING", "yes") == (
        "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
    assert error(c, "CLIENT", "CACHING", "no") == (
        "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
    assert error(c, "CLIENT", "CACHING", "maybe") == "ERR syntax error"
    assert error(c, "CLIENT", "CACHING") == (
        "ERR wrong number of arguments for 'client|caching' command")
    assert error(c, "CLIENT", "CACHING", "yes", "no") == (
        "ERR wrong number of arguments for 'client|caching' command")


# ------------------------------------------------------------------------- NOLOOP


def test_noloop_skips_own_writes(kv):
    a = tracker(kv, "NOLOOP")
    w = kv.client()
    assert a.call("GET", "z") is None
    assert a.call("SET", "z", "1") == b"OK"
    nothing_pending(a)
    w.set("z", "2")  # its own write already forgot the key
    nothing_pending(a)
    assert a.call("GET", "j") is None
    w.set("j", "1")
    assert a.read_reply_bytes() == push("j")


# ------------------------------------------------------------------------- BCAST


def test_bcast_without_prefix_sends_every_changed_key_once_per_turn(kv):
    a = tracker(kv, "BCAST")
    w = kv.client()
    p = w.pipeline(transaction=True)
    p.set("b", "1").set("a", "1").set("b", "2").delete("a")
    p.execute()
    assert a.read_reply_bytes() == push("a", "b")  # sorted, each once
    w.mset({"x": "1"})
    assert a.read_reply_bytes() == push("x")


def test_bcast_with_prefixes_one_message_per_prefix(kv):
    a = tracker(kv, "BCAST", "PREFIX", "user:", "PREFIX", "obj:")
    w = kv.client()
    p = w.pipeline(transaction=True)
    p.set("user:2", "x").set("user:1", "x").set("other", "x").set("obj:1", "y")
    p.execute()
    assert a.read_reply_bytes() == push("obj:1")
    assert a.read_reply_bytes() == push("user:1", "user:2")
    w.set("other", "z")
    nothing_pending(a)


def test_bcast_noloop_leaves_out_own_writes(kv):
    a = tracker(kv, "BCAST", "PREFIX", "u", "NOLOOP")
    w = kv.client()
    assert a.call("SET", "u1", "x") == b"OK"
    nothing_pending(a)
    w.set("u2", "x")
    assert a.read_reply_bytes() == push("u2")


def test_bcast_reads_track_nothing(kv):
    a = tracker(kv, "BCAST", "PREFIX", "p:")
    assert a.call("GET", "q") is None
    kv.client().set("q", "1")
    nothing_pending(a)


# ------------------------------------------------------------------------- errors


def test_tracking_option_errors(kv):
    c = resp3(kv)
    assert error(c, "CLIENT", "TRACKING") == (
        "ERR wrong number of arguments for 'client|tracking' command")
    assert error(c, "CLIENT", "TRACKING", "maybe") == "ERR syntax error"
    assert error(c, "CLIENT", "TRACKING", "on", "bogus") == "ERR syntax error"
    assert error(c, "CLIENT", "TRACKING", "on", "PREFIX") == "ERR syntax error"
    assert error(c, "CLIENT", "TRACKING", "on", "REDIRECT") == "ERR syntax error"
    assert error(c, "CLIENT", "TRACKING", "on", "PREFIX", "a") == (
        "ERR PREFIX option requires BCAST mode to be enabled")
    assert error(c, "CLIENT", "TRACKING", "on", "BCAST", "OPTIN") == (
        "ERR OPTIN and OPTOUT are not compatible with BCAST")
    assert error(c, "CLIENT", "TRACKING", "on", "OPTIN", "OPTOUT") == (
        "ERR You can't specify both OPTIN mode and OPTOUT mode")
    assert error(c, "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a", "PREFIX", "ab") == (
        "ERR Prefix 'a' overlaps with another provided prefix 'ab'. Prefixes for a single "
        "client must not overlap.")
    assert c.call("CLIENT", "TRACKINGINFO")[b"flags"] == [b"off"]  # nothing was enabled


def test_prefix_overlapping_an_existing_one(kv):
    c = tracker(kv, "BCAST", "PREFIX", "user:")
    assert error(c, "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "user:1") == (
        "ERR Prefix 'user:1' overlaps with an existing prefix 'user:'. Prefixes for a single "
        "client must not overlap.")
    assert c.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "obj:") == b"OK"
    assert c.call("CLIENT", "TRACKINGINFO")[b"prefixes"] == [b"obj:", b"user:"]


def test_mode_switches_need_tracking_off_first(kv):
    c = tracker(kv)
    assert error(c, "CLIENT", "TRACKING", "on", "BCAST") == (
        "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and "
        "then re-enabling it with a different mode.")
    assert c.call("CLIENT", "TRACKING", "on", "OPTIN") == b"OK"
    assert error(c, "CLIENT", "TRACKING", "on", "OPTOUT") == (
        "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and "
        "then re-enabling it with a different mode.")
    assert c.call("CLIENT", "TRACKING", "off") == b"OK"
    assert c.call("CLIENT", "TRACKING", "on", "OPTOUT") == b"OK"


def test_redirect_errors(kv):
    c = resp3(kv)
    assert error(c, "CLIENT", "TRACKING", "on", "REDIRECT", "99999999") == (
        "ERR The client ID you want redirect to does not exist")
    assert error(c, "CLIENT", "TRACKING", "on", "REDIRECT", "0") == (
        "ERR The client ID you want redirect to does not exist")
    assert error(c, "CLIENT", "TRACKING", "on", "REDIRECT", "x") == (
        "ERR value is not an integer or out of range")
    me = c.call("CLIENT", "ID")
    assert error(c, "CLIENT", "TRACKING", "on", "REDIRECT", me, "REDIRECT", me) == (
        "ERR A client can only redirect to a single other client")


def test_getredir_and_trackinginfo_arity(kv):
    c = resp3(kv)
    assert error(c, "CLIENT", "GETREDIR", "x") == (
        "ERR wrong number of arguments for 'client|getredir' command")
    assert error(c, "CLIENT", "TRACKINGINFO", "x") == (
        "ERR wrong number of arguments for 'client|trackinginfo' command")


# ------------------------------------------------------------------------- introspection


def test_getredir_and_trackinginfo_replies(kv):
    r = kv.client()
    assert r.execute_command("CLIENT", "GETREDIR") == -1
    assert r.execute_command("CLIENT", "TRACKINGINFO") == [
        "flags", ["off"], "redirect", -1, "prefixes", []]
    other = kv.client()
    oid = other.client_id()
    assert r.execute_command("CLIENT", "TRACKING", "on", "REDIRECT", oid, "OPTIN",
                             "NOLOOP") == "OK"
    assert r.execute_command("CLIENT", "GETREDIR") == oid
    assert r.execute_command("CLIENT", "CACHING", "yes") == "OK"
    assert r.execute_command("CLIENT", "TRACKINGINFO") == [
        "flags", ["on", "optin", "caching-yes", "noloop"], "redirect", oid, "prefixes", []]
    # RESP3: a map whose flags are a set.
    off = resp3(kv)
    off.send_command("CLIENT", "TRACKINGINFO")
    assert off.read_reply_bytes() == (
        b"%3\r\n$5\r\nflags\r\n~1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n"
        b"$8\r\nprefixes\r\n*0\r\n")
    c = tracker(kv, "BCAST", "PREFIX", "b", "PREFIX", "a")
    assert c.call("CLIENT", "TRACKINGINFO") == {
        b"flags": [b"on", b"bcast"], b"redirect": 0, b"prefixes": [b"a", b"b"]}
    o = tracker(kv, "OPTOUT")
    assert o.call("CLIENT", "CACHING", "no") == b"OK"
    assert o.call("CLIENT", "TRACKINGINFO")[b"flags"] == [b"on", b"optout", b"caching-no"]


def client_line(r: redis.Redis, cid: int) -> dict:
    return next(c for c in r.client_list() if int(c["id"]) == cid)


def test_client_list_flags_and_redir(kv):
    r = kv.client()
    a = tracker(kv)
    b = tracker(kv, "BCAST")
    aid, bid = a.call("CLIENT", "ID"), b.call("CLIENT", "ID")
    assert client_line(r, aid)["flags"] == "t"
    assert client_line(r, aid)["redir"] == "0"
    assert client_line(r, bid)["flags"] == "tB"
    assert client_line(r, r.client_id())["redir"] == "-1"
    assert a.call("CLIENT", "TRACKING", "off") == b"OK"
    assert client_line(r, aid)["flags"] == "N"


def test_info_tracking_figures(kv):
    r = kv.client()
    base = info_field(r, "clients", "tracking_clients")
    base_prefixes = info_field(r, "stats", "tracking_total_prefixes")
    a = tracker(kv)
    b = tracker(kv, "BCAST", "PREFIX", "p1", "PREFIX", "p2")
    assert info_field(r, "clients", "tracking_clients") == base + 2
    assert info_field(r, "stats", "tracking_total_prefixes") == base_prefixes + 2
    assert a.call("MGET", "k1", "k2") == [None, None]
    assert info_field(r, "stats", "tracking_total_keys") == 2
    assert info_field(r, "stats", "tracking_total_items") == 2
    r.set("k1", "x")
    assert info_field(r, "stats", "tracking_total_keys") == 1
    b.close()
    a.close()
    # Gone clients are no longer counted; their prefixes go with them.
    wait_for(lambda: info_field(r, "clients", "tracking_clients") == base, what="disconnects")
    assert info_field(r, "stats", "tracking_total_prefixes") == base_prefixes


def test_config_tracking_table_max_keys(kv):
    r = kv.client()
    assert r.config_get("tracking-table-max-keys") == {"tracking-table-max-keys": "1000000"}
    with pytest.raises(redis.ResponseError):
        r.config_set("tracking-table-max-keys", "-1")
    with pytest.raises(redis.ResponseError):
        r.config_set("tracking-table-max-keys", "lots")


def test_max_keys_evicts_keys_from_the_table_with_their_invalidation(kv):
    r = kv.client()
    r.config_set("tracking-table-max-keys", "1")
    try:
        a = tracker(kv)
        assert a.call("GET", "k1") is None
        assert a.call("GET", "k2") is None
        # Before the next command the table goes back under the limit: one key is invalidated,
        # ahead of that command's reply.
        a.send_command("PING")
        evicted = a.read_reply_bytes()
        assert evicted in (push("k1"), push("k2"))
        assert a.read_reply_bytes() == b"+PONG\r\n"
        assert info_field(r, "stats", "tracking_total_keys") == 1
        kept = "k2" if evicted == push("k1") else "k1"
        r.set(kept, "1")
        assert a.read_reply_bytes() == push(kept)
    finally:
        r.config_set("tracking-table-max-keys", "1000000")


# ------------------------------------------------------------------------- redirection


def pubsub_client_id(r: redis.Redis, p) -> int:
    """The id of the connection a redis-py PubSub subscribed on (found by its address)."""
    host, port = p.connection._sock.getsockname()[:2]
    return int(next(c["id"] for c in r.client_list() if c["addr"] == f"{host}:{port}"))


def test_resp2_redirect_to_a_subscriber(kv):
    r = kv.client()
    p = r.pubsub()
    p.subscribe("__redis__:invalidate")
    assert p.get_message(timeout=5)["type"] == "subscribe"
    sid = pubsub_client_id(r, p)
    t = kv.client()
    assert t.execute_command("CLIENT", "TRACKING", "on", "REDIRECT", sid) == "OK"
    assert t.get("k") is None
    r.set("k", "1")
    msg = p.get_message(timeout=5)
    assert msg == {"type": "message", "pattern": None, "channel": "__redis__:invalidate",
                   "data": ["k"]}
    r.flushall()
    msg = p.get_message(timeout=5)
    assert msg["channel"] == "__redis__:invalidate"
    assert msg["data"] is None
    p.close()


def test_resp3_redirect_target_gets_pushes(kv):
    target = resp3(kv)
    tid = target.call("CLIENT", "ID")
    a = tracker(kv, "REDIRECT", str(tid))
    assert a.call("GET", "k") is None
    kv.client().set("k", "1")
    assert target.read_reply_bytes() == push("k")
    nothing_pending(a)


def test_redirect_to_a_closed_client_reports_it_broken(kv):
    target = resp3(kv)
    tid = target.call("CLIENT", "ID")
    a = tracker(kv, "REDIRECT", str(tid))
    aid = a.call("CLIENT", "ID")
    assert a.call("GET", "k") is None
    target.close()
    r = kv.client()
    wait_for(lambda: all(int(c["id"]) != tid for c in r.client_list()), what="target closed")
    r.set("k", "1")
    assert a.read_reply_bytes() == b">2\r\n$21\r\ntracking-redir-broken\r\n:%d\r\n" % tid
    info = a.call("CLIENT", "TRACKINGINFO")
    assert info[b"flags"] == [b"on", b"broken_redirect"]
    assert info[b"redirect"] == tid
    assert client_line(r, aid)["flags"] == "tR"
    assert a.call("CLIENT", "GETREDIR") == tid


def test_resp2_tracking_without_redirect_receives_nothing(kv):
    t = kv.raw()
    assert t.call("CLIENT", "TRACKING", "on") == b"OK"
    assert t.call("GET", "k") is None
    kv.client().set("k", "1")
    assert t.call("PING") == b"PONG"


# ------------------------------------------------------------------------- I/O threads


def loop_of(r: redis.Redis, cid: int) -> str:
    return client_line(r, cid)["io-thread"]


@pytest.mark.kv_only
def test_invalidation_across_io_threads(kv_server):
    s = kv_server(threads=2)
    r = s.client()
    conns = [resp3(s) for _ in range(4)]
    ids = [c.call("CLIENT", "ID") for c in conns]
    by_loop = {}
    for c, cid in zip(conns, ids):
        by_loop.setdefault(loop_of(r, cid), []).append((c, cid))
    assert len(by_loop) == 2, by_loop
    (reader, _), (writer, wid) = by_loop["0"][0], by_loop["1"][0]
    assert reader.call("CLIENT", "TRACKING", "on") == b"OK"
    assert reader.call("GET", "k") is None
    assert writer.call("SET", "k", "1") == b"OK"
    assert reader.read_reply_bytes() == push("k")
    # BCAST, and a redirect to a client on the other loop.
    (bcaster, _) = by_loop["1"][1]
    assert bcaster.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "b:") == b"OK"
    (target, tid) = by_loop["0"][1]
    assert writer.call("CLIENT", "TRACKING", "on", "REDIRECT", tid) == b"OK"
    assert writer.call("GET", "w") is None
    assert reader.call("SET", "b:1", "x") == b"OK"
    assert bcaster.read_reply_bytes() == push("b:1")
    assert reader.call("SET", "w", "x") == b"OK"
    assert target.read_reply_bytes() == push("w")


# ------------------------------------------------------------------------- reload, field TTLs


def test_debug_reload_sends_one_flush_invalidation(kv_server):
    s = kv_server(enable_debug_command="yes")
    w = s.client()
    w.mset({"p:1": "a", "p:2": "b"})
    a = tracker(s)
    b = tracker(s, "BCAST", "PREFIX", "p:")
    assert a.call("GET", "p:1") == b"a"
    assert w.execute_command("DEBUG", "RELOAD") == "OK"
    # One null each, not an invalidation per key loaded again.
    assert a.read_reply_bytes() == FLUSH_PUSH
    assert b.read_reply_bytes() == FLUSH_PUSH
    nothing_pending(a)
    nothing_pending(b)
    assert w.get("p:2") == "b"


@pytest.mark.kv_only
def test_a_hash_field_expiring_invalidates_the_hash(kv):
    a = tracker(kv)
    w = kv.client()
    w.hset("h", mapping={"f1": "v", "f2": "v"})
    w.execute_command("HPEXPIRE", "h", 1000, "FIELDS", 1, "f1")
    assert a.call("HGETALL", "h") == {b"f1": b"v", b"f2": b"v"}
    assert a.read_reply_bytes(timeout=20) == push("h")
    assert w.hgetall("h") == {"f2": "v"}


def test_help_lists_the_tracking_subcommands(kv):
    text = "\n".join(kv.client().execute_command("CLIENT", "HELP"))
    for line in ("TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
                 "TRACKINGINFO", "CACHING (YES|NO)", "GETREDIR"):
        assert line in text


def test_reply_off_still_delivers_invalidations(kv):
    a = tracker(kv)
    a.send_command("GET", "k")
    assert a.read_reply_bytes() == b"_\r\n"
    a.send_command("CLIENT", "REPLY", "OFF")
    a.send_command("GET", "j")  # reply dropped, key still tracked
    a.send_command("SET", "k", "1")  # its own write: reply dropped, invalidation kept
    assert a.read_reply_bytes() == push("k")
    kv.client().set("j", "1")
    assert a.read_reply_bytes() == push("j")
    a.send_command("CLIENT", "REPLY", "ON")
    assert a.read_reply_bytes() == b"+OK\r\n"


def test_a_refused_command_uses_up_caching_yes(kv):
    a = tracker(kv, "OPTIN")
    assert a.call("CLIENT", "CACHING", "yes") == b"OK"
    assert isinstance(a.call("GET"), RespError)  # wrong arity: refused, but it was "next"
    assert a.call("GET", "k") is None
    assert a.call("CLIENT", "CACHING", "yes") == b"OK"
    assert isinstance(a.call("CLIENT", "ID"), int)  # CLIENT subcommands keep it
    assert a.call("GET", "k2") is None
    w = kv.client()
    w.set("k", "1")
    w.set("k2", "1")
    assert a.read_reply_bytes() == push("k2")
    nothing_pending(a)


def test_a_tracking_client_that_does_not_read_is_closed_at_its_output_limit(kv):
    r = kv.client()
    before = r.config_get("client-output-buffer-limit")["client-output-buffer-limit"]
    r.config_set("client-output-buffer-limit", "normal 1mb 0 0")
    try:
        idle = tracker(kv, "BCAST")
        iid = idle.call("CLIENT", "ID")
        keys = [f"{i:04d}" + "x" * 4000 for i in range(200)]

        def gone() -> bool:
            return all(int(c["id"]) != iid for c in r.client_list())

        for _ in range(200):  # at most ~160 MB of invalidations
            p = r.pipeline(transaction=False)
            for k in keys:
                p.set(k, "v")
            p.execute()
            if gone():
                break
        wait_for(gone, what="the client that does not read to be closed")
        r.delete(*keys)
    finally:
        r.config_set("client-output-buffer-limit", before)
        assert r.config_get("client-output-buffer-limit")["client-output-buffer-limit"] == before
