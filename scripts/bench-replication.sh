#!/usr/bin/env bash
# Replication benchmark: the SET rate of a primary with one attached replica against the same
# primary with none, in the same run, for kv-server and Debian's redis-server side by side.
#
# For each server kind, ROUNDS rounds alternate "none" and "replica": a fresh primary (and, for
# "replica", a fresh replica that has finished its first sync) on free ports, then
# redis-benchmark -t set -c CLIENTS -n N -r KEYSPACE -d DATA_SIZE against the primary. Reported:
# median requests/s of each, their ratio (the issue's target: at least 0.9), and the replica's
# lag at that rate: how long after the benchmark's last reply the replica's offset reached the
# primary's (INFO replication, polled every 10 ms). Every process shares this machine's cores,
# so the replica's own CPU is part of what the primary loses.
#
# Then, unless WAIT_N=0, acknowledged writes: WAIT_CLIENTS redis-py clients each send WAIT_N
# times `SET` then `WAIT 1 1000` to a primary with one replica (a write counts once WAIT says
# the replica has it; an answer of 0 stops the script), ROUNDS rounds per server: writes/s.
#
# Then, unless SYNC_KEYS=0, the full-sync time: a primary holding SYNC_KEYS keys (SET
# key:%012d with DATA_SIZE-byte values, sent through redis-cli --pipe), a fresh replica, and the
# time from REPLICAOF until the replica's link is up with the primary's whole offset applied
# (Redis without its diskless-sync delay: --repl-diskless-sync-delay 0), SYNC_ROUNDS times.
#
# Env: N (200000), ROUNDS (3; 0 skips the rate and WAIT parts), CLIENTS (50), WAIT_CLIENTS (4),
# WAIT_N (300), KEYSPACE (100000), DATA_SIZE (32), KINDS ("kv redis"), SYNC_KEYS (1000000),
# SYNC_ROUNDS (3), KV_THREADS (kv-server --threads; default auto, its own), KV_BIN (default:
# build it, then build/kv-server), BENCH_OUT (directory of bench-replication.json: every
# round's figures and the medians). Servers run in memory (kv: --appendonly no; Redis: --save '' --appendonly no):
# the log is bench-persist.sh's.
#
# Arguments: --plot also draws bench-replication-<metric>.png beside the JSON.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib/bench-common.sh
source "$ROOT/scripts/lib/bench-common.sh"
parse_bench_args "$@"

N="${N:-200000}"
ROUNDS="${ROUNDS:-3}"
CLIENTS="${CLIENTS:-50}"
KEYSPACE="${KEYSPACE:-100000}"
DATA_SIZE="${DATA_SIZE:-32}"
KINDS="${KINDS:-kv redis}"
SYNC_KEYS="${SYNC_KEYS:-1000000}"
SYNC_ROUNDS="${SYNC_ROUNDS:-3}"
WAIT_CLIENTS="${WAIT_CLIENTS:-4}"
WAIT_N="${WAIT_N:-300}"
REDIS_BIN=/usr/bin/redis-server
BENCH=/usr/bin/redis-benchmark
CLI=/usr/bin/redis-cli
HOST=127.0.0.1

resolve_kv_bin
WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do stop_process "$p"; done
  rm -rf "$WORK"
}
trap cleanup EXIT

start_server() {  # kind port dir -> pid on stdout
  if [ "$1" = kv ]; then
    start_memory_server "$@"
  else
    start_memory_server "$@" --repl-diskless-sync-delay 0
  fi
}

field() {  # port name: a field of INFO replication
  "$CLI" -h "$HOST" -p "$1" INFO replication | tr -d '\r' | awk -F: -v f="$2" '$1 == f { print $2 }'
}

wait_synced() {  # primary replica: until the replica applied everything the primary produced
  for _ in $(seq 1 3000); do
    if [ "$(field "$2" master_link_status)" = up ] &&
       [ "$(field "$2" slave_repl_offset)" = "$(field "$1" master_repl_offset)" ]; then
      return 0
    fi
    sleep 0.01
  done
  echo "bench-replication: the replica on port $2 did not catch up in 30 s" >&2
  exit 1
}

run_round() {  # kind mode [wait]: sets RPS and LAG_MS; "wait": SET + WAIT 1 instead
  local kind="$1" mode="$2" pport rport ppid rpid=""
  pport="$(free_port)"
  ppid="$(start_server "$kind" "$pport" "$WORK/p-$kind-$mode")"
  PIDS+=("$ppid")
  wait_ping "$pport" "$ppid" "$kind primary" "$WORK/p-$kind-$mode/log"
  if [ "$mode" = replica ]; then
    rport="$(free_port)"
    rpid="$(start_server "$kind" "$rport" "$WORK/r-$kind-$mode")"
    PIDS+=("$rpid")
    wait_ping "$rport" "$rpid" "$kind replica" "$WORK/r-$kind-$mode/log"
    "$CLI" -h "$HOST" -p "$rport" REPLICAOF "$HOST" "$pport" >/dev/null
    "$CLI" -h "$HOST" -p "$pport" SET warm up >/dev/null
    wait_synced "$pport" "$rport"
  fi
  local rps lag=0 t0
  if [ "${3:-}" = wait ]; then
    rps="$(/usr/bin/python3 - "$pport" "$WAIT_CLIENTS" "$WAIT_N" "$DATA_SIZE" <<'PY'
import sys, threading, time
import redis
port, clients, n, size = (int(a) for a in sys.argv[1:])
value, failed = b"x" * size, []

def writer(i):
    c = redis.Redis(host="127.0.0.1", port=port, single_connection_client=True)
    for j in range(n):
        c.set(f"wait:{i}:{j}", value)
        acked = c.execute_command("WAIT", 1, 1000)
        if acked != 1:
            failed.append(acked)
            return

threads = [threading.Thread(target=writer, args=(i,)) for i in range(clients)]
t0 = time.perf_counter()
for t in threads:
    t.start()
for t in threads:
    t.join()
if failed:
    sys.exit(f"WAIT 1 1000 answered {failed[0]}")
print(f"{clients * n / (time.perf_counter() - t0):.0f}")
PY
)"
  else
    rps="$("$BENCH" -h "$HOST" -p "$pport" -t set -c "$CLIENTS" -n "$N" -r "$KEYSPACE" \
      -d "$DATA_SIZE" -q 2>/dev/null | tr '\r' '\n' | awk '/requests per second/ { v = $2 } END { print v }')"
  fi
  if [ "$mode" = replica ]; then
    t0="$(date +%s%N)"
    wait_synced "$pport" "$rport"
    lag=$(( ($(date +%s%N) - t0) / 1000000 ))
  fi
  stop_process "$ppid"
  stop_process "$rpid"
  RPS="$rps"
  LAG_MS="$lag"
}

if [ "$ROUNDS" -gt 0 ]; then
  echo "| server | SET rps, no replica | SET rps, one replica | ratio | replica caught up after |"
  echo "|---|---|---|---|---|"
  for kind in $KINDS; do
    none=() with=() lags=()
    for r in $(seq 1 "$ROUNDS"); do
      echo "$kind round $r/$ROUNDS" >&2
      run_round "$kind" none
      none+=("$RPS")
      record "$kind" "SET, no replica" rps "$RPS"
      run_round "$kind" replica
      with+=("$RPS")
      lags+=("$LAG_MS")
      record "$kind" "SET, one replica" rps "$RPS"
      record "$kind" "replica catch-up after SET" seconds \
        "$(awk -v m="$LAG_MS" 'BEGIN { printf "%.3f", m / 1000 }')"
    done
    a="$(printf '%s\n' "${none[@]}" | median)"
    b="$(printf '%s\n' "${with[@]}" | median)"
    l="$(printf '%s\n' "${lags[@]}" | median)"
    printf '| %s | %.0f | %.0f | %s | %s ms |\n' "$kind" "$a" "$b" "$(ratio "$b" "$a")" "$l"
  done
fi

if [ "$ROUNDS" -gt 0 ] && [ "$WAIT_N" -gt 0 ]; then
  echo
  echo "| server | SET + WAIT 1 writes/s ($WAIT_CLIENTS clients) |"
  echo "|---|---|"
  for kind in $KINDS; do
    acked=()
    for r in $(seq 1 "$ROUNDS"); do
      echo "$kind SET + WAIT round $r/$ROUNDS" >&2
      run_round "$kind" replica wait
      acked+=("$RPS")
      record "$kind" "SET + WAIT 1, one replica" rps "$RPS"
    done
    printf '| %s | %.0f |\n' "$kind" "$(printf '%s\n' "${acked[@]}" | median)"
  done
fi

if [ "$SYNC_KEYS" -gt 0 ]; then
  /usr/bin/python3 - "$SYNC_KEYS" "$DATA_SIZE" >"$WORK/load.resp" <<'PY'
import sys
n, size = int(sys.argv[1]), int(sys.argv[2])
value = b"x" * size
out = sys.stdout.buffer
for i in range(n):
    key = b"key:%012d" % i
    out.write(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key), key, size, value))
PY
  echo
  echo "| server | keys | full sync (median of $SYNC_ROUNDS) |"
  echo "|---|---|---|"
  for kind in $KINDS; do
    pport="$(free_port)"
    ppid="$(start_server "$kind" "$pport" "$WORK/sync-p-$kind")"
    PIDS+=("$ppid")
    wait_ping "$pport" "$ppid" "$kind primary" "$WORK/sync-p-$kind/log"
    "$CLI" -h "$HOST" -p "$pport" --pipe <"$WORK/load.resp" >/dev/null
    times=()
    for r in $(seq 1 "$SYNC_ROUNDS"); do
      echo "$kind full sync $r/$SYNC_ROUNDS" >&2
      rport="$(free_port)"
      rpid="$(start_server "$kind" "$rport" "$WORK/sync-r-$kind-$r")"
      PIDS+=("$rpid")
      wait_ping "$rport" "$rpid" "$kind replica" "$WORK/sync-r-$kind-$r/log"
      t0="$(date +%s%N)"
      "$CLI" -h "$HOST" -p "$rport" REPLICAOF "$HOST" "$pport" >/dev/null
      wait_synced "$pport" "$rport"
      times+=("$(( ($(date +%s%N) - t0) / 1000000 ))")
      record "$kind" "full sync, $SYNC_KEYS keys" seconds \
        "$(awk -v m="${times[-1]}" 'BEGIN { printf "%.3f", m / 1000 }')"
      [ "$("$CLI" -h "$HOST" -p "$rport" DBSIZE)" = "$SYNC_KEYS" ] ||
        { echo "bench-replication: the $kind replica does not hold $SYNC_KEYS keys" >&2; exit 1; }
      stop_process "$rpid"
    done
    stop_process "$ppid"
    printf '| %s | %s | %s ms |\n' "$kind" "$SYNC_KEYS" "$(printf '%s\n' "${times[@]}" | median)"
  done
fi
bench_report bench-replication N="$N" ROUNDS="$ROUNDS" CLIENTS="$CLIENTS" KEYSPACE="$KEYSPACE" \
  DATA_SIZE="$DATA_SIZE" SYNC_KEYS="$SYNC_KEYS" SYNC_ROUNDS="$SYNC_ROUNDS" \
  WAIT_CLIENTS="$WAIT_CLIENTS" WAIT_N="$WAIT_N"
