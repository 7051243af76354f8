"""ACL users, their command / key rules, AUTH as a user and the ACL command family, compared
side by side with Debian's redis-server 7.0 where the replies are the same by design."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess

import pytest
import redis

from conftest import KV_BIN, REDIS_CLI, Server
import native_client as nc

pytestmark = pytest.mark.kv_only

P_HASH = "148de9c5a7a44d19e56cd9ae1a554bf67847afb0c58f6e12fa29ac7ddfca9940"  # SHA-256 of "p"


def raw_command(server: Server, *args):
    """One command on a fresh connection; the reply as redis-py parses it, errors as values."""
    c = redis.Connection(host=server.host, port=server.port, decode_responses=True)
    try:
        c.connect()
        c.send_command(*args)
        try:
            return c.read_response()
        except redis.ResponseError as e:
            return ("ERR-REPLY", str(e))
    finally:
        c.disconnect()


def reset_users(server: Server) -> None:
    c = server.client()
    for u in c.acl_users():
        if u != "default":
            c.acl_deluser(u)
    c.execute_command("ACL", "SETUSER", "default", "on", "nopass", "resetkeys", "~*",
                      "resetchannels", "&*", "+@all")
    c.execute_command("ACL", "LOG", "RESET")
    c.close()


@pytest.fixture
def both(kv, redis_ref):
    for s in (kv, redis_ref):
        reset_users(s)
    yield kv, redis_ref
    for s in (kv, redis_ref):
        reset_users(s)


def on_both(both, *args):
    kv, ref = both
    got, want = raw_command(kv, *args), raw_command(ref, *args)
    assert got == want, f"{args}: kv {got!r} != redis {want!r}"
    return got


def as_user(server: Server, user: str, password: str) -> redis.Redis:
    return redis.Redis(host=server.host, port=server.port, username=user, password=password,
                       decode_responses=True, socket_timeout=10)


def replies_as(both, user: str, password: str, calls) -> list[list]:
    """What each server answers `user` to each call (an error as ("error", text))."""
    replies = []
    for server in both:
        c = as_user(server, user, password)
        out = []
        for args in calls:
            try:
                out.append(c.execute_command(*args))
            except redis.ResponseError as e:
                out.append(("error", str(e)))
        c.close()
        replies.append(out)
    return replies


# ---------------------------------------------------------------------------- categories


def test_every_shared_command_has_redis_categories(kv, redis_ref):
    def categories(server):
        c = redis.Connection(host=server.host, port=server.port, decode_responses=True)
        c.connect()
        c.send_command("COMMAND")
        reply = c.read_response()
        c.disconnect()
        return {entry[0]: sorted(entry[6]) for entry in reply}

    ours, theirs = categories(kv), categories(redis_ref)
    shared = sorted(set(ours) & set(theirs))
    assert len(shared) > 50
    diff = {n: (ours[n], theirs[n]) for n in shared if ours[n] != theirs[n]}
    assert diff == {}
    # The built-in plugins declare theirs.
    assert "@string" in ours["decimal.get"] and "@read" in ours["decimal.get"]
    assert "@keyspace" in ours["lock"] and "@write" in ours["lock"]
    assert "@string" in ours["cas"]


def test_acl_cat_lists_like_redis(both):
    on_both(both, "ACL", "CAT")
    on_both(both, "ACL", "CAT", "nosuch")
    kv, _ = both
    assert "decimal.get" in raw_command(kv, "ACL", "CAT", "string")
    assert "keys" in raw_command(kv, "ACL", "CAT", "dangerous")


# ---------------------------------------------------------------------------- SETUSER and co


def test_setuser_list_getuser_match_redis(both):
    # One command rule: Redis 7.0 lists several in its own order, kv-server in the order given.
    on_both(both, "ACL", "SETUSER", "alice", "on", ">p", "~k*", "%R~r*", "&ch*", "+get")
    on_both(both, "ACL", "SETUSER", "bob")
    on_both(both, "ACL", "SETUSER", "carl", "on", "nopass", "allkeys", "+@all", "-@dangerous")
    assert on_both(both, "ACL", "LIST") == [
        f"user alice on #{P_HASH} ~k* %R~r* resetchannels &ch* -@all +get",
        "user bob off resetchannels -@all",
        "user carl on nopass ~* resetchannels +@all -@dangerous",
        "user default on nopass ~* &* +@all",
    ]
    on_both(both, "ACL", "USERS")
    on_both(both, "ACL", "GETUSER", "alice")
    on_both(both, "ACL", "GETUSER", "nobody")
    on_both(both, "ACL", "WHOAMI")
    for bad in (["+nosuch"], ["+@nosuch"], ["foo"], ["%X~a"], ["#abc"], ["<x"],
                ["allkeys", "~a"], ["allchannels", "&a"]):
        on_both(both, "ACL", "SETUSER", "bob", *bad)
    on_both(both, "ACL", "SETUSER", "a b", "on")
    on_both(both, "ACL", "DELUSER", "default")
    on_both(both, "ACL", "DELUSER", "bob", "nobody")
    on_both(both, "ACL", "NOPE")
    on_both(both, "ACL", "GENPASS", "0")
    on_both(both, "ACL", "LOG", "x")
    on_both(both, "ACL", "SAVE")
    on_both(both, "ACL", "LOAD")
    assert len(raw_command(both[0], "ACL", "GENPASS")) == 64
    assert len(raw_command(both[0], "ACL", "GENPASS", "5")) == 2


def test_dryrun_matches_redis(both):
    on_both(both, "ACL", "SETUSER", "alice", "on", ">p", "~k*", "%R~r*", "+get", "+set")
    on_both(both, "ACL", "SETUSER", "carl", "on", "nopass", "allkeys", "+@all", "-@dangerous")
    for args in (["alice", "get", "k1"], ["alice", "get", "zz"], ["alice", "set", "r1", "v"],
                 ["alice", "get", "r1"], ["alice", "del", "k1"], ["alice", "get"],
                 ["carl", "flushall"], ["carl", "config", "get", "port"], ["carl", "get", "x"],
                 ["nob", "get", "k"], ["carl", "nocmd"]):
        on_both(both, "ACL", "DRYRUN", *args)


# ---------------------------------------------------------------------------- AUTH and checks


def test_denied_commands_and_keys_answer_redis_texts(both):
    on_both(both, "ACL", "SETUSER", "alice", "on", ">p", "~k*", "%R~r*", "%W~w*", "+@all",
            "-del", "-@dangerous")
    replies = replies_as(both, "alice", "p", (
        ["SET", "k1", "v"], ["GET", "k1"], ["GET", "r1"], ["SET", "r1", "v"], ["GET", "x"],
        ["SET", "w1", "v"], ["DEL", "k1"], ["FLUSHALL"], ["CONFIG", "GET", "port"],
        ["ACL", "WHOAMI"], ["MGET", "k1", "x"]))
    assert replies[0] == replies[1]
    assert ("error", "this user has no permissions to run the 'del' command") in replies[0]
    # ACL LOG has the denials, newest first, as Redis counts them.
    kv_log = both[0].client().acl_log()
    ref_log = both[1].client().acl_log()
    strip = lambda log: [(e["reason"], e["object"], e["username"], e["count"]) for e in log]
    assert strip(kv_log) == strip(ref_log)


def test_store_commands_ask_read_access_for_their_sources(both):
    """A command that stores a result only reads its sources (Redis's RO key specs): a user who
    may only read r* and only write w* stores into w* from r*, and not the other way round."""
    on_both(both, "ACL", "SETUSER", "alice", "on", ">p", "%R~r*", "%W~w*", "+@all")
    for server in both:
        c = server.client()
        c.sadd("r1", "a", "b")
        c.sadd("r2", "b", "c")
        c.zadd("rz", {"a": 1, "b": 2})
        c.set("rs", "v")
    replies = replies_as(both, "alice", "p", (
        ["SUNIONSTORE", "w1", "r1", "r2"], ["SINTERSTORE", "w2", "r1", "r2"],
        ["SDIFFSTORE", "w3", "r1", "r2"], ["ZUNIONSTORE", "w4", "2", "rz", "r1"],
        ["ZINTERSTORE", "w5", "1", "rz"], ["ZDIFFSTORE", "w6", "1", "rz"],
        ["ZRANGESTORE", "w7", "rz", "0", "-1"], ["COPY", "rs", "w8"],
        # The destination still needs write access.
        ["SUNIONSTORE", "r3", "r1"], ["ZRANGESTORE", "r4", "rz", "0", "-1"],
        ["COPY", "rs", "r5"], ["COPY", "w8", "w9"]))
    assert replies[0] == replies[1]
    assert replies[0][:8] == [3, 1, 1, 2, 2, 2, 2, 1]


def test_wrong_password_and_disabled_user(both):
    on_both(both, "ACL", "SETUSER", "alice", "on", ">p", "+@all", "~*")
    on_both(both, "AUTH", "alice", "bad")
    on_both(both, "AUTH", "nobody", "p")
    on_both(both, "AUTH", "alice", "p")
    on_both(both, "HELLO", "3", "AUTH", "alice", "bad")
    on_both(both, "ACL", "SETUSER", "alice", "off")
    on_both(both, "AUTH", "alice", "p")
    kv_log = both[0].client().acl_log()
    assert kv_log[0]["reason"] == "auth"
    assert kv_log[0]["object"] == "AUTH"
    assert kv_log[0]["username"] == "alice"


def test_hello_auth_and_whoami(kv):
    reset_users(kv)
    c = kv.client()
    c.execute_command("ACL", "SETUSER", "alice", "on", ">p", "+@all", "~*")
    sock = socket.create_connection((kv.host, kv.port), timeout=10)
    sock.sendall(b"*5\r\n$5\r\nHELLO\r\n$1\r\n3\r\n$4\r\nAUTH\r\n$5\r\nalice\r\n$1\r\np\r\n")
    assert sock.recv(4096).startswith(b"%7\r\n")  # the RESP3 map: the handshake succeeded
    sock.sendall(b"*2\r\n$3\r\nACL\r\n$6\r\nWHOAMI\r\n")
    assert sock.recv(100) == b"$5\r\nalice\r\n"
    sock.close()
    reset_users(kv)


def test_requirepass_is_the_default_users_password(kv_server):
    s = kv_server(requirepass="s3cret")
    c = s.client()
    default = c.acl_getuser("default")
    assert default["passwords"] == [hashlib.sha256(b"s3cret").hexdigest()]
    c.config_set("requirepass", "other")
    with pytest.raises(redis.ResponseError, match="WRONGPASS"):
        s.client(password="s3cret").ping()
    assert s.client(password="other").ping()
    c2 = s.client(password="other")
    c2.config_set("requirepass", "")
    assert s.client(password=None).ping()
    assert "nopass" in s.client(password=None).acl_getuser("default")["flags"]


def test_redis_cli_user_and_pass(kv):
    reset_users(kv)
    kv.client().execute_command("ACL", "SETUSER", "alice", "on", ">p", "+get", "~k*")
    out = subprocess.run([REDIS_CLI, "-p", str(kv.port), "--user", "alice", "--pass", "p",
                          "--no-auth-warning", "set", "k", "v"], capture_output=True, text=True)
    assert "NOPERM this user has no permissions to run the 'set' command" in out.stdout
    out = subprocess.run([REDIS_CLI, "-p", str(kv.port), "--user", "alice", "--pass", "p",
                          "--no-auth-warning", "get", "k"], capture_output=True, text=True)
    assert out.stdout.strip() == ""
    reset_users(kv)


def _closed(sock: socket.socket) -> bool:
    sock.settimeout(10)
    try:
        sock.sendall(b"*1\r\n$4\r\nPING\r\n")
        return sock.recv(100) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True


@pytest.mark.parametrize("change", [["DELUSER", "alice"], ["SETUSER", "alice", "off"]])
def test_deleted_or_disabled_user_is_disconnected(kv, change):
    reset_users(kv)
    admin = kv.client()
    admin.execute_command("ACL", "SETUSER", "alice", "on", ">p", "+@all", "~*")
    sock = socket.create_connection((kv.host, kv.port))
    sock.sendall(b"*3\r\n$4\r\nAUTH\r\n$5\r\nalice\r\n$1\r\np\r\n")
    assert sock.recv(100) == b"+OK\r\n"
    # A changed rule keeps the client, with the new rule in force.
    admin.execute_command("ACL", "SETUSER", "alice", "-ping")
    sock.sendall(b"*1\r\n$4\r\nPING\r\n")
    assert sock.recv(200).startswith(b"-NOPERM")
    admin.execute_command("ACL", *change)
    assert _closed(sock)
    sock.close()
    assert admin.ping()
    reset_users(kv)


def test_native_auth_with_user(nkv):
    reset_users(nkv)
    nkv.client().execute_command("ACL", "SETUSER", "alice", "on", ">p", "+@all", "-del", "~*")
    with nc.NativeConn(nkv.host, nkv.native_port) as conn:
        r = conn.auth("bad", user="alice")
        assert r.status == nc.ERROR
        assert r.payload.decode().startswith("WRONGPASS")
        assert conn.auth("p", user="alice").status == nc.OK
        assert conn.set("k", 1).status == nc.OK
        r = conn.delete("k")
        assert r.status == nc.ERROR
        assert r.payload.decode() == "NOPERM this user has no permissions to run the 'del' command"
    reset_users(nkv)


# ---------------------------------------------------------------------------- aclfile


def test_acl_save_load_round_trip_and_bad_file_keeps_users(kv_server, tmp_path):
    path = tmp_path / "users.acl"
    path.write_text("user alice on >p ~k* +get\n")
    s = kv_server(aclfile=str(path))
    c = s.client()
    assert c.acl_users() == ["alice", "default"]
    c.execute_command("ACL", "SETUSER", "bob", "on", "#" + P_HASH, "%W~w*", "&news", "+set")
    assert c.acl_save()
    text = path.read_text()
    assert f"user bob on #{P_HASH} %W~w* resetchannels &news -@all +set\n" in text
    assert "user default on nopass ~* &* +@all\n" in text
    assert not list(tmp_path.glob("users.acl.tmp*"))
    # A bad file: an error naming the line, and the users stay.
    path.write_text("user carl on\nuser dave on +nosuch\n")
    with pytest.raises(redis.ResponseError) as e:
        c.execute_command("ACL", "LOAD")
    assert f"{path}:2: Error in applying operation '+nosuch'" in str(e.value)
    assert c.acl_users() == ["alice", "bob", "default"]
    path.write_text(text)
    c.execute_command("ACL", "DELUSER", "bob")
    assert c.acl_load()
    assert c.acl_users() == ["alice", "bob", "default"]
    assert c.execute_command("ACL", "DRYRUN", "bob", "set", "w1", "v") == "OK"


def test_bad_aclfile_at_start_fails_naming_the_line(tmp_path):
    path = tmp_path / "users.acl"
    path.write_text("# users\nuser alice on >p\nuser bob on +nosuch\n")
    s = Server({"aclfile": str(path)})
    with pytest.raises(RuntimeError) as e:
        s.start()
    assert f"{path}:3: Error in applying operation '+nosuch'" in str(e.value)


def test_user_directives_and_aclfile_exclude_each_other(tmp_path):
    acl = tmp_path / "users.acl"
    acl.write_text("user alice on >p\n")
    conf = tmp_path / "kv.conf"
    conf.write_text(f"user bob on >p +@all ~*\naclfile {acl}\n")
    s = Server({"config": str(conf)})
    with pytest.raises(RuntimeError) as e:
        s.start()
    assert "either an ACL file or declare users directly" in str(e.value)


def test_user_directive_in_the_config_file(kv_server, tmp_path):
    conf = tmp_path / "kv.conf"
    conf.write_text("user bob on >p +@all ~*\nuser default off\n")
    s = kv_server(config=str(conf))
    with pytest.raises(redis.AuthenticationError):
        s.client().ping()
    assert as_user(s, "bob", "p").execute_command("ACL", "WHOAMI") == "bob"


def test_unauthenticated_client_survives_its_default_user_changing(kv_server):
    s = kv_server(requirepass="pw")
    admin = s.client()
    admin.execute_command("ACL", "SETUSER", "alice", "on", ">p", "+@all", "~*")
    sock = socket.create_connection((s.host, s.port), timeout=10)
    sock.sendall(b"*1\r\n$4\r\nPING\r\n")
    assert sock.recv(100) == b"-NOAUTH Authentication required.\r\n"
    admin.execute_command("ACL", "SETUSER", "default", "off")
    sock.sendall(b"*3\r\n$4\r\nAUTH\r\n$5\r\nalice\r\n$1\r\np\r\n")
    assert sock.recv(100) == b"+OK\r\n"
    sock.close()


def test_kv_cli_authenticates_as_a_user(nkv):
    reset_users(nkv)
    nkv.client().execute_command("ACL", "SETUSER", "alice", "on", ">p", "+@all", "-del", "~*")
    kv_cli = os.environ.get("KV_CLI_BIN", os.path.join(os.path.dirname(KV_BIN), "kv-cli"))
    base = [kv_cli, "-p", str(nkv.native_port), "--user", "alice", "-a", "p"]
    out = subprocess.run(base + ["set", "k", "1"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    out = subprocess.run(base + ["del", "k"], capture_output=True, text=True, timeout=30)
    assert "NOPERM this user has no permissions to run the 'del' command" in out.stdout + out.stderr
    out = subprocess.run(base[:3] + ["--user", "alice", "-a", "bad", "get", "k"],
                         capture_output=True, text=True, timeout=30)
    assert "WRONGPASS" in out.stdout + out.stderr
    reset_users(nkv)
