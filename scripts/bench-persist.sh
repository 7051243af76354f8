#!/usr/bin/env bash
# Persistence benchmark: kv-server's WAL and snapshots against Debian's redis-server (AOF, RDB).
# Three parts, each interleaving kv-server and Redis in the same run:
#
#   1. Write throughput: redis-benchmark -t set -c CLIENTS -d DATA_SIZE -r KEYSPACE against
#      kv-server --appendonly no / --appendfsync batch / --appendfsync always and redis-server
#      --appendonly yes --appendfsync everysec / always (the CONFIGS list), ROUNDS interleaved
#      rounds (the order rotates each round), FLUSHALL before each run. Periodic snapshots are off
#      on every server (kv: --snapshot-interval 0 --snapshot-ops 0; Redis: --save '' and no
#      automatic AOF rewrite), so this part measures the log; part 3 measures snapshots. Median
#      requests/s, p50, p99, server CPU per request (user+system ticks of the server process over
#      the run, /proc/PID/stat; the WAL thread is part of the process) and the ratios against
#      kv --appendonly no and against Redis.
#   2. Recovery of KEYS_1M (and KEYS_10M unless BIG=0) keys (SET key:%012d, 32-byte values, sent
#      through redis-cli --pipe):
#        - kv WAL replay: snapshots off, kill -9 once every record is written, restart;
#        - kv snapshot load: SAVE, SIGTERM, restart (the WAL is then empty);
#        - Redis AOF (appendonly yes, aof-use-rdb-preamble no): kill -9, restart;
#        - Redis RDB: SAVE, restart with appendonly no.
#      Each restart RECOVERY_ROUNDS times (kv and Redis alternating); wall time from exec until
#      INFO persistence says loading:0 (polled about every 10 ms), and the server's own figure
#      from its log (kv: "data loaded ... (S s) ... replayed (T s)"; Redis: "DB loaded from ...:
#      X seconds"). DBSIZE is checked after every restart. Files are in the page cache.
#   3. p99 during snapshots: kv-server (appendonly yes, batch) and redis-server (appendonly yes,
#      everysec) holding SNAP_KEYS keys; redis-benchmark -t set -r SNAP_KEYS -n SNAP_N (it
#      overwrites the loaded keys, so the snapshot child's pages get copied on write) once
#      without snapshots and once while a loop starts BGSAVE again as soon as the last one ends,
#      ROUNDS interleaved rounds. Median p50/p99/rps of both, the share of the run a snapshot was
#      running and the p99 ratio with/without.
#
# Prints markdown tables on stdout (progress on stderr).
#
# Env:
#   PARTS          parts to run (default "throughput recovery snapshot")
#   N              requests per part-1 run (default 500000)
#   ROUNDS         rounds of parts 1 and 3 (default 3)
#   CLIENTS        redis-benchmark connections (default 50)
#   DATA_SIZE      SET value size in bytes (default 32)
#   KEYSPACE       redis-benchmark -r in part 1 (default 1000000)
#   CONFIGS        part-1 servers (default "kv-no kv-batch kv-always redis-everysec redis-always";
#                  also known: redis-no, kv-everysec, kv-batch-snapdef = kv batch with the
#                  default snapshot schedule)
#   KEYS_1M        keys of the small recovery case (default 1000000)
#   KEYS_10M       keys of the big recovery case (default 10000000)
#   BIG            1 to run the big recovery case (default 1; about 1 GB per server, minutes)
#   RECOVERY_ROUNDS restarts per recovery measurement (default 3)
#   SNAP_KEYS      keys loaded for part 3 (default KEYS_1M)
#   SNAP_N         requests per part-3 run (default 1000000)
#   BGSAVE_EVERY   part 3: start a BGSAVE at most every this many seconds (default 0: back to
#                  back; a faster snapshot then means more forks per second)
#   KV_THREADS     kv-server --threads (default: the server's own default, "auto")
#   KV_BIN         kv-server binary (default: build it, then build/kv-server)
#   BENCH_OUT      directory of bench-persist.json, each round's figures and the medians
#                  (default bench-results/)
# Arguments: --plot also draws bench-persist-<metric>.png beside the JSON.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib/bench-common.sh
source "$ROOT/scripts/lib/bench-common.sh"
parse_bench_args "$@"

PARTS="${PARTS:-throughput recovery snapshot}"
N="${N:-500000}"
ROUNDS="${ROUNDS:-3}"
CLIENTS="${CLIENTS:-50}"
DATA_SIZE="${DATA_SIZE:-32}"
KEYSPACE="${KEYSPACE:-1000000}"
CONFIGS="${CONFIGS:-kv-no kv-batch kv-always redis-everysec redis-always}"
KEYS_1M="${KEYS_1M:-1000000}"
KEYS_10M="${KEYS_10M:-10000000}"
BIG="${BIG:-1}"
RECOVERY_ROUNDS="${RECOVERY_ROUNDS:-3}"
SNAP_KEYS="${SNAP_KEYS:-$KEYS_1M}"
SNAP_N="${SNAP_N:-1000000}"
BGSAVE_EVERY="${BGSAVE_EVERY:-0}"
KV_THREADS="${KV_THREADS:-auto}"
REDIS_BIN=/usr/bin/redis-server
BENCH=/usr/bin/redis-benchmark
CLI=/usr/bin/redis-cli
HOST=127.0.0.1
ME="$(basename "$0")"

resolve_kv_bin
for tool in "$REDIS_BIN" "$BENCH" "$CLI"; do
  [ -x "$tool" ] || { echo "$ME: no $tool (scripts/deps.sh installs it)" >&2; exit 1; }
done
REDIS_VERSION="$("$REDIS_BIN" --version | awk '{ print $3 }' | cut -d= -f2)"

WORK="$(mktemp -d)"
PIDS=()      # every server started, for cleanup
LOOP_PID=""  # the BGSAVE loop of part 3

# A clean stop may write a 10M-key snapshot first: up to 60 s before SIGKILL.
stop_pid() {  # pid [signal]: stop_process, forget it, reap it
  local pid="$1" p rest=()
  [ -n "$pid" ] || return 0
  for p in "${PIDS[@]}"; do [ "$p" = "$pid" ] || rest+=("$p"); done
  PIDS=("${rest[@]}")
  stop_process "$pid" "${2:-TERM}" 60
  wait "$pid" || true
} 2>/dev/null  # also hides bash's "Killed" notice for the job
cleanup() {
  [ -z "$LOOP_PID" ] || kill "$LOOP_PID" 2>/dev/null || true
  local pid
  for pid in "${PIDS[@]}"; do stop_pid "$pid" KILL; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_ms() { date +%s%3N; }
cli() { local port="$1"; shift; "$CLI" -h "$HOST" -p "$port" "$@"; }
info_field() {  # port section field
  cli "$1" INFO "$2" 2>/dev/null | tr -d '\r' | awk -F: -v f="$3" '$1 == f { print $2 }'
}

# Starts a server in the background; sets SERVER_PID. kind is kv or redis; the rest are its
# arguments (port, bind and dir included).
start_server() {  # kind log args...
  local kind="$1" log="$2"
  shift 2
  if [ "$kind" = kv ]; then
    local extra=()
    [ "$KV_THREADS" = auto ] || extra=(--threads "$KV_THREADS")
    "$KV_BIN" --native-port 0 --bind "$HOST" "${extra[@]}" "$@" >"$log" 2>&1 &
  else
    "$REDIS_BIN" --bind "$HOST" "$@" >"$log" 2>&1 &
  fi
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
}

# Waits until the server on port answers INFO with loading:0 (it may answer -LOADING before);
# exits with its log when it dies or takes more than 20 minutes.
wait_loaded() {  # port pid log
  local deadline=$(($(now_ms) + 1200000))
  while :; do
    if ! kill -0 "$2" 2>/dev/null; then
      echo "$ME: server on port $1 exited during startup:" >&2
      tail -n 30 "$3" >&2
      exit 1
    fi
    [ "$(info_field "$1" persistence loading)" = 0 ] && return 0
    if [ "$(now_ms)" -gt "$deadline" ]; then
      echo "$ME: server on port $1 still loading after 20 minutes" >&2
      exit 1
    fi
    sleep 0.01
  done
}

# Sets CONFIG_ARGS to the server arguments of a part-1 configuration (without port and dir).
config_args() {  # config
  local kv_persist=(--appendonly yes --snapshot-interval 0 --snapshot-ops 0 --log-level warning)
  local redis_aof=(--appendonly yes --save '' --auto-aof-rewrite-percentage 0 --loglevel warning)
  case "$1" in
    kv-no) CONFIG_ARGS=(--appendonly no --log-level warning) ;;
    kv-batch) CONFIG_ARGS=("${kv_persist[@]}" --appendfsync batch) ;;
    kv-everysec) CONFIG_ARGS=("${kv_persist[@]}" --appendfsync everysec) ;;
    kv-always) CONFIG_ARGS=("${kv_persist[@]}" --appendfsync always) ;;
    kv-batch-snapdef) CONFIG_ARGS=(--appendonly yes --appendfsync batch --log-level warning) ;;
    redis-no) CONFIG_ARGS=(--appendonly no --save '' --loglevel warning) ;;
    redis-everysec) CONFIG_ARGS=("${redis_aof[@]}" --appendfsync everysec) ;;
    redis-always) CONFIG_ARGS=("${redis_aof[@]}" --appendfsync always) ;;
    *) echo "$ME: unknown configuration $1 in CONFIGS" >&2; exit 1 ;;
  esac
}

# One redis-benchmark SET run; prints "rps p50 p99" (ms).
bench_set() {  # port requests keyspace
  local csv line
  csv="$(timeout 1800 "$BENCH" -h "$HOST" -p "$1" -c "$CLIENTS" -n "$2" -r "$3" -d "$DATA_SIZE" \
    -t set --csv)"
  # "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
  line="$(grep -v '^"test"' <<<"$csv" | head -n 1)"
  awk -F'","' '{ print $2, $5, $7 }' <<<"$line"
  if [ -z "$(awk -F'","' '{ print $2 }' <<<"$line")" ]; then
    echo "$ME: no result from redis-benchmark on port $1:" >&2
    echo "$csv" >&2
    exit 1
  fi
}

# Sends SET key:%012d <DATA_SIZE bytes> for 0 <= i < keys through redis-cli --pipe (the key
# format of redis-benchmark -r, so its runs overwrite these keys) and checks DBSIZE.
fill() {  # port keys
  local out dbsize
  out="$(awk -v n="$2" -v d="$DATA_SIZE" 'BEGIN {
           v = sprintf("%0" d "d", 0)
           for (i = 0; i < n; i++) printf "*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$%d\r\n%s\r\n", i, d, v
         }' | "$CLI" -h "$HOST" -p "$1" --pipe 2>&1)"
  if ! grep -q 'errors: 0,' <<<"$out"; then
    echo "$ME: loading keys into port $1 failed: $out" >&2
    exit 1
  fi
  dbsize="$(cli "$1" DBSIZE)"
  [ "$dbsize" = "$2" ] || { echo "$ME: DBSIZE $dbsize after loading $2 keys" >&2; exit 1; }
}

distinct_port() {  # a free port other than the arguments
  local p
  p="$(free_port)"
  while [[ " $* " == *" $p "* ]]; do p="$(free_port)"; done
  echo "$p"
}

echo "kv-server: $KV_BIN (threads $KV_THREADS), redis-server $REDIS_VERSION; $(nproc) CPUs" >&2
echo "PARTS=\"$PARTS\" N=$N ROUNDS=$ROUNDS CLIENTS=$CLIENTS DATA_SIZE=$DATA_SIZE KEYSPACE=$KEYSPACE" >&2
echo "KEYS_1M=$KEYS_1M KEYS_10M=$KEYS_10M BIG=$BIG RECOVERY_ROUNDS=$RECOVERY_ROUNDS SNAP_KEYS=$SNAP_KEYS SNAP_N=$SNAP_N BGSAVE_EVERY=$BGSAVE_EVERY" >&2
echo "data directories under $WORK ($(df -T "$WORK" | awk 'NR == 2 { print $2 }'))" >&2

echo
echo "## Persistence: kv-server vs redis-server $REDIS_VERSION"
echo
echo "$(nproc) CPUs; kv-server --threads $KV_THREADS; $(date -u +%Y-%m-%d)."

# ================================================================ 1. write throughput
part_throughput() {
  local -a names ports pids
  local cfg port used="" i
  read -r -a names <<<"$CONFIGS"
  for i in "${!names[@]}"; do
    cfg="${names[$i]}"
    config_args "$cfg"
    port="$(distinct_port "$used")"
    used="$used $port"
    mkdir -p "$WORK/t-$cfg"
    start_server "${cfg%%-*}" "$WORK/t-$cfg.log" --port "$port" --dir "$WORK/t-$cfg" "${CONFIG_ARGS[@]}"
    ports[i]="$port"
    pids[i]="$SERVER_PID"
    wait_loaded "$port" "$SERVER_PID" "$WORK/t-$cfg.log"
    echo "  $cfg: port $port, pid $SERVER_PID: ${CONFIG_ARGS[*]}" >&2
  done

  local results="$WORK/throughput" count="${#names[@]}" round k before after f0 f1 r0 r1 rps p50 p99
  : >"$results"
  for round in $(seq 1 "$ROUNDS"); do
    echo "throughput round $round/$ROUNDS" >&2
    for k in $(seq 0 $((count - 1))); do
      i=$(((k + round - 1) % count))
      cfg="${names[$i]}"
      port="${ports[$i]}"
      cli "$port" FLUSHALL >/dev/null
      f0="$(info_field "$port" persistence wal_fsyncs)"
      r0="$(info_field "$port" persistence wal_records_written)"
      before="$(cpu_ticks "${pids[$i]}")"
      read -r rps p50 p99 < <(bench_set "$port" "$N" "$KEYSPACE")
      after="$(cpu_ticks "${pids[$i]}")"
      f1="$(info_field "$port" persistence wal_fsyncs)"
      r1="$(info_field "$port" persistence wal_records_written)"
      local per_fsync="-"
      if [ -n "$f0" ] && [ "$f1" != "$f0" ]; then
        per_fsync="$(ratio "$((r1 - r0))" "$((f1 - f0))")"
      fi
      echo "$cfg $rps $p50 $p99 $((after - before)) $per_fsync" >>"$results"
      record_run "${cfg%%-*}" "SET, ${cfg#*-}" "$rps" "$p99" "$((after - before))" "$N"
      record "${cfg%%-*}" "SET, ${cfg#*-}" p50_ms "$p50"
      printf '  %-16s %10s rps  p50 %6s ms  p99 %6s ms  cpu %5s ticks  records/fsync %s\n' \
        "$cfg" "$rps" "$p50" "$p99" "$((after - before))" "$per_fsync" >&2
    done
  done
  for pid in "${pids[@]}"; do stop_pid "$pid"; done

  col() { awk -v c="$1" -v k="$2" '$1 == c { print $k }' "$results"; }
  local base_rps base_cpu rps_of=() cpu_of=()
  base_rps="$(col kv-no 2 | median)"
  base_cpu="$(col kv-no 5 | awk -v n="$N" -v hz="$CLK_TCK" '{ printf "%.3f\n", $1 / hz * 1e6 / n }' | median)"
  echo
  echo "### Write throughput (redis-benchmark -t set)"
  echo
  echo "\`redis-benchmark -c $CLIENTS -n $N -r $KEYSPACE -d $DATA_SIZE -t set --csv\`, FLUSHALL before"
  echo "each run, median of $ROUNDS interleaved rounds. Periodic snapshots off on every server."
  echo "CPU = server user+system time per request (µs), WAL thread included. records/fsync: WAL"
  echo "records per fdatasync (kv-server's INFO persistence)."
  echo
  echo "| server | rps | vs kv no | p50 ms | p99 ms | CPU µs/req | CPU vs kv no | records/fsync |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  for cfg in "${names[@]}"; do
    rps="$(col "$cfg" 2 | median)"
    p50="$(col "$cfg" 3 | median)"
    p99="$(col "$cfg" 4 | median)"
    local cpu pf
    cpu="$(col "$cfg" 5 | awk -v n="$N" -v hz="$CLK_TCK" '{ printf "%.3f\n", $1 / hz * 1e6 / n }' | median)"
    pf="$(col "$cfg" 6 | awk '$1 != "-"' | median)"
    [ "$pf" != 0 ] || pf="-"
    rps_of+=("$cfg=$rps")
    cpu_of+=("$cfg=$cpu")
    printf '| %s | %.0f | %s | %s | %s | %.3f | %s | %s |\n' "$cfg" "$rps" \
      "$(ratio "$rps" "$base_rps")" "$p50" "$p99" "$cpu" "$(ratio "$cpu" "$base_cpu")" "$pf"
  done
  lookup() { local kv; for kv in "${@:2}"; do [ "${kv%%=*}" != "$1" ] || { echo "${kv#*=}"; return; }; done; }
  ratio_line() {  # label a b target-text: one line when both configurations ran
    local rps_a rps_b cpu_a cpu_b
    rps_a="$(lookup "$2" "${rps_of[@]}")"; rps_b="$(lookup "$3" "${rps_of[@]}")"
    cpu_a="$(lookup "$2" "${cpu_of[@]}")"; cpu_b="$(lookup "$3" "${cpu_of[@]}")"
    [ -n "$rps_a" ] && [ -n "$rps_b" ] || return 0
    echo "- $1: $(ratio "$rps_a" "$rps_b")$4; CPU per request $(ratio "$cpu_a" "$cpu_b")"
  }
  echo
  echo "Ratios (rps; targets from the issue):"
  echo
  ratio_line "kv batch / kv no persistence" kv-batch kv-no " (target >= 0.9)"
  ratio_line "kv always / Redis always" kv-always redis-always " (target >= 1.0)"
  ratio_line "kv batch / Redis everysec" kv-batch redis-everysec ""
  ratio_line "kv no / Redis no" kv-no redis-no ""
}

# ================================================================ 2. recovery
RECOVERY="$WORK/recovery"  # lines "case keys wall_s server_s [snapshot_s replay_s]"

# kv-server restart on dir; records the wall time to loading:0 and the log's split.
kv_restart() {  # case keys port dir
  local log="$WORK/kv-restart.log" t0 t1 split
  t0="$(now_ms)"
  start_server kv "$log" --port "$3" --dir "$4" --appendonly yes --snapshot-interval 0 \
    --snapshot-ops 0 --log-level info
  wait_loaded "$3" "$SERVER_PID" "$log"
  t1="$(now_ms)"
  # data loaded from DIR in N ms: snapshot F (K keys, LSN L, S s), R WAL records replayed (T s), ...
  split="$(sed -n 's/.*data loaded from .* in \([0-9]*\) ms: snapshot .* (\([0-9]*\) keys, LSN [0-9]*, \([0-9.]*\) s), \([0-9]*\) WAL records replayed (\([0-9.]*\) s).*/\1 \2 \3 \4 \5/p' "$log" | tail -n 1)"
  [ -n "$split" ] || { echo "$ME: no 'data loaded' line in the kv-server log:" >&2; cat "$log" >&2; exit 1; }
  local ms skeys ssec recs rsec dbsize
  read -r ms skeys ssec recs rsec <<<"$split"
  dbsize="$(cli "$3" DBSIZE)"
  [ "$dbsize" = "$2" ] || { echo "$ME: kv-server recovered $dbsize keys, expected $2" >&2; exit 1; }
  echo "$1 $2 $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1000 }') $(awk -v m="$ms" 'BEGIN { printf "%.3f", m / 1000 }') $ssec $rsec" >>"$RECOVERY"
  recovery_record kv "$1" "$2" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1000 }')"
  printf '  %-14s %9s keys: wall %6.3f s, log %6.3f s (snapshot %s s with %s keys, %s WAL records in %s s)\n' \
    "$1" "$2" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print (b - a) / 1000 }')" \
    "$(awk -v m="$ms" 'BEGIN { print m / 1000 }')" "$ssec" "$skeys" "$recs" "$rsec" >&2
}

# A recovery figure for the JSON and plots: the log (kv WAL, Redis AOF) and the snapshot (kv
# snapshot, Redis RDB) cases side by side; the setup restarts are not figures.
recovery_record() {  # server case keys seconds
  case "$2" in
    *-setup) ;;
    kv-wal|redis-aof) record "$1" "recovery from the log, $3 keys" seconds "$4" ;;
    *) record "$1" "recovery from a snapshot, $3 keys" seconds "$4" ;;
  esac
}

# redis-server restart on dir with AOF (aof=yes) or RDB (aof=no).
redis_restart() {  # case keys port dir aof
  local log="$WORK/redis-restart.log" t0 t1 secs pattern dbsize
  t0="$(now_ms)"
  start_server redis "$log" --port "$3" --dir "$4" --appendonly "$5" --appendfsync everysec \
    --aof-use-rdb-preamble no --auto-aof-rewrite-percentage 0 --save '' --loglevel notice
  wait_loaded "$3" "$SERVER_PID" "$log"
  t1="$(now_ms)"
  if [ "$5" = yes ]; then pattern='DB loaded from append only file'; else pattern='DB loaded from disk'; fi
  secs="$(grep "$pattern" "$log" | sed -n 's/.*: \([0-9.]*\) seconds.*/\1/p' | tail -n 1)"
  [ -n "$secs" ] || { echo "$ME: no '$pattern' line in the redis-server log:" >&2; cat "$log" >&2; exit 1; }
  dbsize="$(cli "$3" DBSIZE)"
  [ "$dbsize" = "$2" ] || { echo "$ME: redis-server recovered $dbsize keys, expected $2" >&2; exit 1; }
  echo "$1 $2 $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1000 }') $secs" >>"$RECOVERY"
  recovery_record redis "$1" "$2" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1000 }')"
  printf '  %-14s %9s keys: wall %6.3f s, log %6.3f s\n' "$1" "$2" \
    "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print (b - a) / 1000 }')" "$secs" >&2
}

recovery_case() {  # keys
  local keys="$1" kv_port redis_port kv_dir="$WORK/r-kv-$1" redis_dir="$WORK/r-redis-$1" t0
  kv_port="$(distinct_port)"
  redis_port="$(distinct_port "$kv_port")"
  mkdir -p "$kv_dir" "$redis_dir"
  echo "recovery, $keys keys: loading both servers" >&2

  # kv: every key in the WAL only (no snapshot), then kill -9 once the writer has written all.
  start_server kv "$WORK/r-kv-fill.log" --port "$kv_port" --dir "$kv_dir" --appendonly yes \
    --appendfsync batch --snapshot-interval 0 --snapshot-ops 0 --log-level warning
  wait_loaded "$kv_port" "$SERVER_PID" "$WORK/r-kv-fill.log"
  t0="$(now_ms)"
  fill "$kv_port" "$keys"
  echo "  kv loaded $keys keys in $(($(now_ms) - t0)) ms" >&2
  until [ "$(info_field "$kv_port" persistence wal_written_lsn)" = "$(info_field "$kv_port" persistence wal_last_lsn)" ]; do
    sleep 0.05
  done
  stop_pid "$SERVER_PID" KILL

  # Redis: AOF without RDB preamble (commands only, as kv's WAL), kill -9 once the AOF buffer is
  # written.
  start_server redis "$WORK/r-redis-fill.log" --port "$redis_port" --dir "$redis_dir" \
    --appendonly yes --appendfsync everysec --aof-use-rdb-preamble no \
    --auto-aof-rewrite-percentage 0 --save '' --loglevel notice
  wait_loaded "$redis_port" "$SERVER_PID" "$WORK/r-redis-fill.log"
  t0="$(now_ms)"
  fill "$redis_port" "$keys"
  echo "  redis loaded $keys keys in $(($(now_ms) - t0)) ms" >&2
  until [ "$(info_field "$redis_port" persistence aof_buffer_length)" = 0 ]; do sleep 0.05; done
  stop_pid "$SERVER_PID" KILL

  echo "recovery, $keys keys: WAL replay / AOF load" >&2
  for _ in $(seq 1 "$RECOVERY_ROUNDS"); do
    kv_restart kv-wal "$keys" "$kv_port" "$kv_dir"
    stop_pid "$SERVER_PID" KILL
    redis_restart redis-aof "$keys" "$redis_port" "$redis_dir" yes
    stop_pid "$SERVER_PID" KILL
  done

  # Snapshots: kv SAVE (the WAL segments it covers go), SIGTERM; Redis SAVE writes dump.rdb,
  # then it restarts with appendonly no, so it loads the RDB.
  kv_restart kv-wal-setup "$keys" "$kv_port" "$kv_dir"
  cli "$kv_port" SAVE >/dev/null
  stop_pid "$SERVER_PID"
  redis_restart redis-aof-setup "$keys" "$redis_port" "$redis_dir" yes
  cli "$redis_port" SAVE >/dev/null
  stop_pid "$SERVER_PID" KILL
  echo "recovery, $keys keys: snapshot / RDB load" >&2
  for _ in $(seq 1 "$RECOVERY_ROUNDS"); do
    kv_restart kv-snapshot "$keys" "$kv_port" "$kv_dir"
    stop_pid "$SERVER_PID"
    redis_restart redis-rdb "$keys" "$redis_port" "$redis_dir" no
    stop_pid "$SERVER_PID" KILL
  done
  echo "  data: kv $(du -sh "$kv_dir" | cut -f1), redis $(du -sh "$redis_dir" | cut -f1)" >&2
  rm -rf "$kv_dir" "$redis_dir"
}

part_recovery() {
  : >"$RECOVERY"
  local sizes="$KEYS_1M"
  [ "$BIG" = 0 ] || sizes="$sizes $KEYS_10M"
  for keys in $sizes; do recovery_case "$keys"; done

  rcol() { awk -v c="$1" -v k="$2" -v n="$3" '$1 == c && $2 == n { print $k }' "$RECOVERY"; }
  echo
  echo "### Recovery"
  echo
  echo "SET key:%012d with $DATA_SIZE-byte values through \`redis-cli --pipe\`; median of $RECOVERY_ROUNDS"
  echo "restarts. wall = exec to INFO loading:0 (polled every ~10 ms); log = the server's own figure"
  echo "(kv: \"data loaded ... in N ms\" with the snapshot and replay split; Redis: \"DB loaded from"
  echo "...: X seconds\"). Files in the page cache."
  echo
  echo "| keys | what | kv wall s | kv log s (snapshot + replay) | Redis | Redis wall s | Redis log s | kv/Redis wall |"
  echo "|---:|---|---:|---:|---|---:|---:|---:|"
  for keys in $sizes; do
    local kw kl ks kr rw rl
    for pair in "kv-wal redis-aof WAL replay|AOF (no preamble)" "kv-snapshot redis-rdb snapshot load|RDB"; do
      read -r kcase rcase label <<<"$pair"
      kw="$(rcol "$kcase" 3 "$keys" | median)"
      kl="$(rcol "$kcase" 4 "$keys" | median)"
      ks="$(rcol "$kcase" 5 "$keys" | median)"
      kr="$(rcol "$kcase" 6 "$keys" | median)"
      rw="$(rcol "$rcase" 3 "$keys" | median)"
      rl="$(rcol "$rcase" 4 "$keys" | median)"
      printf '| %s | %s | %.3f | %.3f (%.3f + %.3f) | %s | %.3f | %.3f | %s |\n' "$keys" \
        "${label%%|*}" "$kw" "$kl" "$ks" "$kr" "${label#*|}" "$rw" "$rl" "$(ratio "$kw" "$rw")"
    done
  done
  echo
  echo "Target: recovery of $KEYS_1M keys in under 1 s: snapshot load $(rcol kv-snapshot 3 "$KEYS_1M" | median) s," \
       "WAL replay $(rcol kv-wal 3 "$KEYS_1M" | median) s (wall medians)."
}

# ================================================================ 3. p99 during snapshots
# Starts BGSAVE again whenever none runs, until killed; appends one sample per ~20 ms ("1" while a
# snapshot runs, "0" otherwise) to the file.
# With BGSAVE_EVERY > 0, a BGSAVE starts at most every BGSAVE_EVERY seconds.
bgsave_loop() {  # port samples-file
  local last=0
  while :; do
    if [ "$(info_field "$1" persistence rdb_bgsave_in_progress)" = 1 ]; then
      echo 1 >>"$2"
    else
      echo 0 >>"$2"
      if [ $(($(now_ms) - last)) -ge $((BGSAVE_EVERY * 1000)) ]; then
        last="$(now_ms)"
        cli "$1" BGSAVE >/dev/null 2>&1 || true
      fi
    fi
    sleep 0.02
  done
}

part_snapshot() {
  local kv_port redis_port kv_pid redis_pid results="$WORK/snapshot" round name port mode
  kv_port="$(distinct_port)"
  redis_port="$(distinct_port "$kv_port")"
  mkdir -p "$WORK/s-kv" "$WORK/s-redis"
  start_server kv "$WORK/s-kv.log" --port "$kv_port" --dir "$WORK/s-kv" --appendonly yes \
    --appendfsync batch --snapshot-interval 0 --snapshot-ops 0 --log-level warning
  kv_pid="$SERVER_PID"
  wait_loaded "$kv_port" "$kv_pid" "$WORK/s-kv.log"
  start_server redis "$WORK/s-redis.log" --port "$redis_port" --dir "$WORK/s-redis" \
    --appendonly yes --appendfsync everysec --auto-aof-rewrite-percentage 0 --save '' \
    --loglevel warning
  redis_pid="$SERVER_PID"
  wait_loaded "$redis_port" "$redis_pid" "$WORK/s-redis.log"
  echo "snapshot: loading $SNAP_KEYS keys into both servers" >&2
  fill "$kv_port" "$SNAP_KEYS"
  fill "$redis_port" "$SNAP_KEYS"

  : >"$results"
  for round in $(seq 1 "$ROUNDS"); do
    echo "snapshot round $round/$ROUNDS" >&2
    local order="kv redis"
    [ $((round % 2)) -eq 1 ] || order="redis kv"
    for name in $order; do
      if [ "$name" = kv ]; then port="$kv_port"; else port="$redis_port"; fi
      for mode in quiet bgsave; do
        local samples="$WORK/samples" s0 s1 rps p50 p99 busy
        : >"$samples"
        s0="$(info_field "$port" persistence rdb_saves)"
        if [ "$mode" = bgsave ]; then
          bgsave_loop "$port" "$samples" &
          LOOP_PID=$!
        fi
        read -r rps p50 p99 < <(bench_set "$port" "$SNAP_N" "$SNAP_KEYS")
        if [ -n "$LOOP_PID" ]; then
          kill "$LOOP_PID" 2>/dev/null || true
          wait "$LOOP_PID" 2>/dev/null || true
          LOOP_PID=""
        fi
        until [ "$(info_field "$port" persistence rdb_bgsave_in_progress)" = 0 ]; do sleep 0.05; done
        s1="$(info_field "$port" persistence rdb_saves)"
        busy="$(awk '{ n++; s += $1 } END { printf "%.0f", n ? 100 * s / n : 0 }' "$samples")"
        echo "$name $mode $rps $p50 $p99 $((s1 - s0)) $busy" >>"$results"
        record "$name" "SET, snapshots $mode" rps "$rps"
        record "$name" "SET, snapshots $mode" p50_ms "$p50"
        record "$name" "SET, snapshots $mode" p99_ms "$p99"
        printf '  %-5s %-6s %10s rps  p50 %6s ms  p99 %6s ms  snapshots %3s  snapshot running %3s%% of the run\n' \
          "$name" "$mode" "$rps" "$p50" "$p99" "$((s1 - s0))" "$busy" >&2
      done
    done
  done
  local fork_us
  fork_us="$(info_field "$redis_port" stats latest_fork_usec)"
  stop_pid "$kv_pid"
  stop_pid "$redis_pid"

  scol() { awk -v s="$1" -v m="$2" -v k="$3" '$1 == s && $2 == m { print $k }' "$results"; }
  echo
  echo "### p99 during snapshots"
  echo
  echo "$SNAP_KEYS keys loaded (key:%012d, $DATA_SIZE bytes), then \`redis-benchmark -c $CLIENTS -n $SNAP_N"
  echo "-r $SNAP_KEYS -d $DATA_SIZE -t set\` (overwriting those keys) without snapshots and while BGSAVE is"
  if [ "$BGSAVE_EVERY" -gt 0 ]; then
    echo "started every $BGSAVE_EVERY s (or when the previous one ends, if later); median of $ROUNDS interleaved rounds. kv-server"
  else
    echo "started again as soon as the previous one ends; median of $ROUNDS interleaved rounds. kv-server"
  fi
  echo "appendonly yes, batch; redis-server appendonly yes, everysec. snapshots = BGSAVEs completed"
  echo "during the run; running = share of ~20 ms samples with a snapshot in progress."
  echo
  echo "| server | rps quiet | rps BGSAVE | p50 quiet ms | p50 BGSAVE ms | p99 quiet ms | p99 BGSAVE ms | p99 BGSAVE/quiet | snapshots | running |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for name in kv redis; do
    local q99 b99
    q99="$(scol "$name" quiet 5 | median)"
    b99="$(scol "$name" bgsave 5 | median)"
    printf '| %s | %.0f | %.0f | %s | %s | %s | %s | %s | %s | %s%% |\n' "$name" \
      "$(scol "$name" quiet 3 | median)" "$(scol "$name" bgsave 3 | median)" \
      "$(scol "$name" quiet 4 | median)" "$(scol "$name" bgsave 4 | median)" \
      "$q99" "$b99" "$(ratio "$b99" "$q99")" "$(scol "$name" bgsave 6 | median)" \
      "$(scol "$name" bgsave 7 | median)"
  done
  echo
  echo "Target: a snapshot raises kv-server's p99 by less than 2x: $(ratio "$(scol kv bgsave 5 | median)" "$(scol kv quiet 5 | median)")x" \
       "(Redis: $(ratio "$(scol redis bgsave 5 | median)" "$(scol redis quiet 5 | median)")x; Redis latest_fork_usec $fork_us)."
}

loadavg() { cut -d' ' -f1 /proc/loadavg; }
for part in $PARTS; do
  load0="$(loadavg)"
  case "$part" in
    throughput) part_throughput ;;
    recovery) part_recovery ;;
    snapshot) part_snapshot ;;
    *) echo "$ME: unknown part $part (throughput, recovery, snapshot)" >&2; exit 1 ;;
  esac
  echo
  echo "Machine load (1-minute load average) before / after this part: $load0 / $(loadavg)."
done

bench_report bench-persist PARTS="$PARTS" N="$N" ROUNDS="$ROUNDS" CLIENTS="$CLIENTS" \
  DATA_SIZE="$DATA_SIZE" KEYSPACE="$KEYSPACE" KV_THREADS="$KV_THREADS"
