"""Function libraries across restarts: FUNCTION LOAD, DELETE, FLUSH and RESTORE are logged and
replayed, snapshots carry the libraries ('F' frame), DEBUG RELOAD keeps them, kv-check shows
them, and a damaged functions frame stops the start as any damaged snapshot frame does. The
last tests (the deny-oom subcommands over maxmemory, a WRITE pause holding the FUNCTION writes)
run on both kv-server and Redis."""

from __future__ import annotations

import ctypes
import ctypes.util
import subprocess
import threading
from pathlib import Path

import pytest
import redis

from conftest import KV_BIN
from persist_util import read_manifest, wait_save_done

KV_CHECK = str(Path(KV_BIN).parent / "kv-check")

LIB_A = ("#!lua name=liba\n"
         "redis.register_function('seta', function(keys, args) "
         "return redis.call('set', keys[1], args[1]) end)")
LIB_A2 = ("#!lua name=liba\n"
          "redis.register_function('seta', function(keys, args) "
          "return redis.call('set', keys[1], 'v2:' .. args[1]) end)")
LIB_B = ("#!lua name=libb\n"
         "redis.register_function{function_name='getb', flags={'no-writes'}, "
         "callback=function(keys) return redis.call('get', keys[1]) end}")
LIB_C = "#!lua name=libc\nredis.register_function('c', function() return 'c' end)"


def persistent(kv_persist, **options):
    """A server whose every acknowledged write is on disk (kill -9 loses none), with no
    automatic snapshot: the test decides when one is taken."""
    options.setdefault("appendfsync", "always")
    options.setdefault("snapshot_interval", 0)
    options.setdefault("snapshot_ops", 0)
    return kv_persist(**options)


def libraries(c) -> dict[str, str]:
    out = {}
    for lib in c.execute_command("FUNCTION", "LIST", "WITHCODE"):
        fields = dict(zip(lib[::2], lib[1::2]))
        out[fields["library_name"]] = fields["library_code"]
    return out


def kv_check(*args) -> subprocess.CompletedProcess:
    return subprocess.run([KV_CHECK, *args], capture_output=True, text=True, timeout=60)


def bgsave(s):
    c = s.client()
    c.bgsave()
    assert wait_save_done(s)["rdb_last_bgsave_status"] == "ok"


@pytest.mark.kv_only
@pytest.mark.parametrize("how", ["stop", "kill9"])
def test_libraries_and_fcall_survive_a_restart(kv_persist, how):
    s = persistent(kv_persist)
    c = s.client()
    assert c.execute_command("FUNCTION", "LOAD", LIB_A) == "liba"
    assert c.execute_command("FUNCTION", "LOAD", LIB_B) == "libb"
    assert c.fcall("seta", 1, "k", "one") == "OK"
    before = libraries(c)
    dump = s.client(decode_responses=False).function_dump()
    # stop: a clean shutdown writes a last snapshot; kill9: the log alone.
    s.stop() if how == "stop" else s.kill9()
    s.restart()
    c = s.client()
    assert libraries(c) == before
    assert s.client(decode_responses=False).function_dump() == dump
    assert c.fcall_ro("getb", 1, "k") == "one"
    assert c.fcall("seta", 1, "k", "two") == "OK"
    assert c.get("k") == "two"
    stats = c.execute_command("FUNCTION", "STATS")
    assert stats[3][1][1] == 2 and stats[3][1][3] == 2  # libraries_count, functions_count


@pytest.mark.kv_only
def test_snapshot_then_more_log(kv_persist):
    s = persistent(kv_persist)
    c = s.client()
    c.execute_command("FUNCTION", "LOAD", LIB_A)
    c.execute_command("FUNCTION", "LOAD", LIB_B)
    bgsave(s)
    # After the snapshot, replayed over its libraries.
    assert c.execute_command("FUNCTION", "LOAD", "REPLACE", LIB_A2) == "liba"
    assert c.execute_command("FUNCTION", "DELETE", "libb") == "OK"
    assert c.execute_command("FUNCTION", "LOAD", LIB_C) == "libc"
    s.kill9()

    r = kv_check("--dump", str(s.data_dir))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "  2 function libraries" in r.stdout
    assert 'function library "#!lua name=liba" code="#!lua name=liba\\x0a' in r.stdout
    assert 'function library "#!lua name=libb"' in r.stdout
    # A load is logged with REPLACE (replayed over a state that has the library, it succeeds).
    assert '"FUNCTION" "LOAD" "REPLACE" "#!lua name=libc' in r.stdout
    assert '"FUNCTION" "DELETE" "libb"' in r.stdout

    s.restart()
    c = s.client()
    assert libraries(c) == {"liba": LIB_A2, "libc": LIB_C}
    assert c.fcall("seta", 1, "k", "x") == "OK"
    assert c.get("k") == "v2:x"
    assert c.fcall("c", 0) == "c"
    with pytest.raises(redis.ResponseError, match="Function not found"):
        c.fcall("getb", 1, "k")


@pytest.mark.kv_only
def test_delete_and_flush_survive(kv_persist):
    s = persistent(kv_persist)
    c = s.client()
    for lib in (LIB_A, LIB_B, LIB_C):
        c.execute_command("FUNCTION", "LOAD", lib)
    assert c.execute_command("FUNCTION", "DELETE", "liba") == "OK"
    s.kill9()
    s.restart()
    c = s.client()
    assert set(libraries(c)) == {"libb", "libc"}
    bgsave(s)  # the next restart starts from a snapshot holding both
    assert c.execute_command("FUNCTION", "FLUSH", "ASYNC") == "OK"
    s.kill9()
    s.restart()
    c = s.client()
    assert libraries(c) == {}
    # And a flush in a snapshot: nothing comes back either.
    c.execute_command("FUNCTION", "LOAD", LIB_C)
    c.execute_command("FUNCTION", "FLUSH")
    s.stop()
    s.restart()
    assert libraries(s.client()) == {}


@pytest.mark.kv_only
def test_restore_policies_survive(kv_persist):
    s = persistent(kv_persist)
    c = s.client()
    raw = s.client(decode_responses=False)
    c.execute_command("FUNCTION", "LOAD", LIB_A)
    c.execute_command("FUNCTION", "LOAD", LIB_B)
    payload = raw.function_dump()

    c.execute_command("FUNCTION", "FLUSH")
    assert raw.function_restore(payload) is True  # APPEND
    s.kill9()
    s.restart()
    c, raw = s.client(), s.client(decode_responses=False)
    assert libraries(c) == {"liba": LIB_A, "libb": LIB_B}

    c.execute_command("FUNCTION", "LOAD", LIB_C)
    c.execute_command("FUNCTION", "LOAD", "REPLACE", LIB_A2)
    assert raw.function_restore(payload, "REPLACE") is True
    s.kill9()
    s.restart()
    c, raw = s.client(), s.client(decode_responses=False)
    assert libraries(c) == {"liba": LIB_A, "libb": LIB_B, "libc": LIB_C}

    assert raw.function_restore(payload, "FLUSH") is True
    # A refused restore changes nothing and is not logged (its replay would stop the start).
    with pytest.raises(redis.ResponseError, match="already exists"):
        raw.function_restore(payload)
    s.kill9()
    s.restart()
    assert libraries(s.client()) == {"liba": LIB_A, "libb": LIB_B}


@pytest.mark.kv_only
def test_function_load_inside_multi_survives(kv_persist):
    s = persistent(kv_persist)
    c = s.client()
    p = c.pipeline(transaction=True)
    p.execute_command("FUNCTION", "LOAD", LIB_A)
    p.set("k", "v")
    p.execute_command("FUNCTION", "LOAD", LIB_A)  # fails inside EXEC: the rest still runs
    p.execute_command("FUNCTION", "LOAD", LIB_C)
    results = p.execute(raise_on_error=False)
    assert results[0] == "liba" and results[1] is True and results[3] == "libc"
    assert isinstance(results[2], redis.ResponseError)
    s.kill9()
    s.restart()
    c = s.client()
    assert set(libraries(c)) == {"liba", "libc"}
    assert c.get("k") == "v"



def lib(i: int) -> str:
    return f"#!lua name=l{i}\nredis.register_function('f{i}', function() return {i} end)"


@pytest.mark.kv_only
def test_snapshots_amid_function_writes_then_kill9(kv_persist):
    """Background snapshots while one client loads and deletes libraries, then kill -9: every
    restart succeeds (a DELETE or an APPEND restore replayed over a snapshot that already had
    its effect would stop it) and holds the libraries of the last acknowledged write, or of the
    one in flight at the kill."""
    s = persistent(kv_persist, threads=2)
    for cycle in range(3):
        c = s.client()
        present = set(libraries(c))
        states = [frozenset(present)]  # after each acknowledged write
        stop = threading.Event()
        done = {"ops": 0, "next": None}  # writes acknowledged; the library of the one sent

        def writer():
            w = s.client()
            i = 0
            try:
                while not stop.is_set():
                    name = f"l{i % 5}"
                    done["next"] = name
                    if name in present:
                        w.execute_command("FUNCTION", "DELETE", name)
                        present.discard(name)
                    else:
                        w.execute_command("FUNCTION", "LOAD", lib(i % 5))
                        present.add(name)
                    states.append(frozenset(present))
                    done["ops"] += 1
                    i += 1 + i % 3  # not the same lap every time
            except redis.ConnectionError:
                pass  # the kill

        t = threading.Thread(target=writer)
        t.start()
        try:
            saves = 0
            while saves < 4 or done["ops"] < 100:
                bgsave(s)
                saves += 1
                assert t.is_alive(), "the writer stopped"
            s.kill9()
        finally:
            stop.set()
            t.join(30)
        assert not t.is_alive()
        s.restart()
        got = frozenset(libraries(s.client()))
        last = states[-1]
        in_flight = last ^ {done["next"]}
        assert got in (last, in_flight), (cycle, sorted(got), sorted(last), done["next"])


@pytest.mark.kv_only
def test_debug_reload_keeps_libraries(kv_persist):
    s = persistent(kv_persist, enable_debug_command="yes")
    c = s.client()
    c.execute_command("FUNCTION", "LOAD", LIB_A)
    c.execute_command("FUNCTION", "LOAD", LIB_B)
    c.fcall("seta", 1, "k", "v")
    assert c.execute_command("DEBUG", "RELOAD") == "OK"
    assert libraries(c) == {"liba": LIB_A, "libb": LIB_B}
    assert c.fcall_ro("getb", 1, "k") == "v"
    # The reload's snapshot is the directory's now: a restart from it has them too.
    assert read_manifest(s.data_dir).snapshot
    s.kill9()
    s.restart()
    assert libraries(s.client()) == {"liba": LIB_A, "libb": LIB_B}


@pytest.mark.kv_only
def test_debug_reload_without_persistence_keeps_libraries(kv_server):
    s = kv_server(appendonly="no", enable_debug_command="yes")
    c = s.client()
    c.execute_command("FUNCTION", "LOAD", LIB_C)
    assert c.execute_command("DEBUG", "RELOAD") == "OK"
    assert c.fcall("c", 0) == "c"


def xxh3_64(data: bytes) -> int:
    """The frames' checksum, from the system's libxxhash (the server links the same)."""
    lib = ctypes.CDLL(ctypes.util.find_library("xxhash") or "libxxhash.so.0")
    lib.XXH3_64bits.restype = ctypes.c_uint64
    lib.XXH3_64bits.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
    return lib.XXH3_64bits(data, len(data))


def snapshot_path(s) -> Path:
    return Path(s.data_dir) / read_manifest(s.data_dir).snapshot


# The functions frame follows the magic (8 bytes) and the header frame (12 + 21 bytes).
FUNCTIONS_FRAME_AT = 8 + 12 + 21


@pytest.mark.kv_only
def test_damaged_functions_frame_is_reported(kv_persist):
    s = persistent(kv_persist)
    c = s.client()
    c.execute_command("FUNCTION", "LOAD", LIB_A)
    c.set("k", "v")
    s.stop()  # a last snapshot, holding the library
    path = snapshot_path(s)
    data = bytearray(path.read_bytes())
    assert data[FUNCTIONS_FRAME_AT + 12:FUNCTIONS_FRAME_AT + 13] == b"F"
    code_at = data.index(b"redis.register_function")
    data[code_at] ^= 0x20
    path.write_bytes(bytes(data))

    r = kv_check(str(s.data_dir))
    assert r.returncode != 0
    assert f"DAMAGED at offset {FUNCTIONS_FRAME_AT}: checksum mismatch" in r.stdout, r.stdout

    assert s.start_expecting_exit() != 0
    err = s.stderr_text()
    assert path.name in err and f"offset {FUNCTIONS_FRAME_AT}: checksum mismatch" in err, err


@pytest.mark.kv_only
def test_snapshot_library_that_does_not_load_stops_the_start(kv_persist):
    s = persistent(kv_persist)
    c = s.client()
    c.execute_command("FUNCTION", "LOAD", LIB_C)
    s.stop()
    # Same length, valid checksum, code that no longer compiles: recovery names the file.
    path = snapshot_path(s)
    data = bytearray(path.read_bytes())
    at = data.index(b"redis.register_function")
    data[at:at + 5] = b"@@@@@"
    start = FUNCTIONS_FRAME_AT
    length = int.from_bytes(data[start:start + 4], "little")
    payload = bytes(data[start + 12:start + 12 + length])
    data[start + 4:start + 12] = xxh3_64(payload).to_bytes(8, "little")
    path.write_bytes(bytes(data))
    assert kv_check(str(s.data_dir)).returncode == 0  # the frame itself is sound
    assert s.start_expecting_exit() != 0
    err = s.stderr_text()
    assert f"{path.name}: a function library does not load" in err, err


# ---------------------------------------------------------------- both servers
def test_function_writes_refused_over_maxmemory(kv_server):
    s = kv_server(maxmemory="1")
    c = s.client()
    with pytest.raises(redis.ResponseError, match="^OOM command not allowed when used memory"):
        c.execute_command("FUNCTION", "LOAD", LIB_C)
    with pytest.raises(redis.ResponseError, match="^OOM command not allowed when used memory"):
        c.execute_command("FUNCTION", "RESTORE", b"x")
    # Not deny-oom in Redis: these run.
    assert c.execute_command("FUNCTION", "FLUSH") == "OK"
    with pytest.raises(redis.ResponseError, match="Library not found"):
        c.execute_command("FUNCTION", "DELETE", "nope")
    assert c.execute_command("FUNCTION", "LIST") == []



def test_write_pause_holds_function_writes_not_reads(kv):
    admin, writer, reader = kv.raw(), kv.raw(), kv.client()
    try:
        admin.send_command("CLIENT", "PAUSE", "100000", "WRITE")
        assert admin.read_reply_bytes() == b"+OK\r\n"
        writer.send_command("FUNCTION", "LOAD", LIB_C)
        assert reader.execute_command("FUNCTION", "LIST") == []
        assert writer.read(timeout=0.2) == b""  # nothing answered while paused
        admin.send_command("CLIENT", "UNPAUSE")
        assert admin.read_reply_bytes() == b"+OK\r\n"
        assert writer.read_reply_bytes() == b"$4\r\nlibc\r\n"
    finally:
        reader.execute_command("CLIENT", "UNPAUSE")
        reader.execute_command("FUNCTION", "FLUSH")
        admin.close()
        writer.close()
