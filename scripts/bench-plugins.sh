#!/usr/bin/env bash
# Benchmarks of the built-in plugin commands, on one kv-server (--appendonly no):
#
#   1. DECIMAL.INCRBY d 0.01 against INCRBYFLOAT f 0.01 (redis-benchmark custom command lines,
#      interleaved, ROUNDS rounds, at each pipeline depth): median requests/s, p99 and server CPU
#      per request of both, and the ratios. The plugin path (kvmodule.h, exact decimal128) is
#      measured against the built-in double path doing the same job.
#   2. LOCK/UNLOCK round trips per second: LOCK_THREADS hiredis connections (a small C client
#      built here), each repeating LOCK key owner 30000 then UNLOCK key owner on its own keys for
#      LOCK_SECONDS, interleaved with the nearest built-in pair, SET key owner NX PX 30000 then
#      DEL key, as the baseline. Every reply is checked (a token then 1; OK then 1).
#   3. LOCK and UNLOCK alone through redis-benchmark (-r random keys), for the rps figure of each;
#      the UNLOCK run works on the locks the LOCK run left, so it mixes releases and misses.
#
# Prints markdown tables on stdout (progress on stderr).
#
# Env:
#   N             requests per redis-benchmark run (default 200000)
#   ROUNDS        rounds (default 3)
#   CLIENTS       redis-benchmark connections (default 50)
#   PIPELINES     pipeline depths for part 1 (default "1 16")
#   LOCK_THREADS  connections for part 2 (default 8)
#   LOCK_SECONDS  seconds per part-2 run (default 3)
#   KV_THREADS    kv-server --threads (default: the server's own default)
#   KV_BIN        kv-server binary (default: build it, then build/kv-server)
#   BENCH_OUT     directory of bench-plugins.json, each round's figures and the medians
#                 (default bench-results/)
# Arguments: --plot also draws bench-plugins-<metric>.png beside the JSON.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib/bench-common.sh
source "$ROOT/scripts/lib/bench-common.sh"
parse_bench_args "$@"

N="${N:-200000}"
ROUNDS="${ROUNDS:-3}"
CLIENTS="${CLIENTS:-50}"
PIPELINES="${PIPELINES:-1 16}"
LOCK_THREADS="${LOCK_THREADS:-8}"
LOCK_SECONDS="${LOCK_SECONDS:-3}"
KV_THREADS="${KV_THREADS:-auto}"
BENCH=/usr/bin/redis-benchmark
CLI=/usr/bin/redis-cli
HOST=127.0.0.1

resolve_kv_bin

WORK="$(mktemp -d)"
KV_PID=""
cleanup() {
  stop_process "$KV_PID"
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT="$(free_port)"
mkdir -p "$WORK/data"
KV_ARGS=(--port "$PORT" --native-port 0 --bind "$HOST" --dir "$WORK/data" --appendonly no
         --log-level warning)
[ "$KV_THREADS" = auto ] || KV_ARGS+=(--threads "$KV_THREADS")
"$KV_BIN" "${KV_ARGS[@]}" >"$WORK/kv.log" 2>&1 &
KV_PID=$!
wait_ping "$PORT" "$KV_PID" kv-server "$WORK/kv.log"
cli() { "$CLI" -h "$HOST" -p "$PORT" "$@"; }
has_command() { [ -n "$(cli COMMAND INFO "$1" | tr -d '\r\n')" ]; }


echo "kv-server: $KV_BIN (port $PORT, threads $KV_THREADS); $(nproc) CPUs; N=$N ROUNDS=$ROUNDS CLIENTS=$CLIENTS" >&2

# ---------------------------------------------------------------- 1. DECIMAL.INCRBY vs INCRBYFLOAT
RESULTS="$WORK/results"  # lines: name pipeline rps p99 ticks requests
: >"$RESULTS"
bench_cmd() {  # name pipeline command...
  local name="$1" pipe="$2" before after csv line rps p99
  shift 2
  # UNLOCK runs on the locks the LOCK run before it left (a mix of releases and misses).
  [ "$name" = unlock ] || cli FLUSHALL >/dev/null
  before="$(cpu_ticks "$KV_PID")"
  csv="$(timeout 900 "$BENCH" -h "$HOST" -p "$PORT" -c "$CLIENTS" -n "$N" -P "$pipe" --csv "$@")"
  after="$(cpu_ticks "$KV_PID")"
  line="$(grep -v '^"test"' <<<"$csv" | head -n 1)"
  rps="$(awk -F'","' '{ print $2 }' <<<"$line")"
  p99="$(awk -F'","' '{ print $7 }' <<<"$line")"
  [ -n "$rps" ] || { echo "bench-plugins.sh: no result for $*: $csv" >&2; exit 1; }
  printf '%s %s %s %s %s %s\n' "$name" "$pipe" "$rps" "$p99" "$((after - before))" "$N" >>"$RESULTS"
  record_run kv "$name P$pipe" "$rps" "$p99" "$((after - before))" "$N"
  printf '  %-14s P=%-3s %12s rps  p99 %6s ms  cpu %5s ticks\n' "$name" "$pipe" "$rps" "$p99" "$((after - before))" >&2
}
col() { awk -v n="$1" -v p="$2" -v c="$3" '$1 == n && $2 == p { print $c }' "$RESULTS"; }
cpu_us() { awk -v n="$1" -v p="$2" -v hz="$CLK_TCK" '$1 == n && $2 == p { printf "%.4f\n", $5 / hz * 1e6 / $6 }' "$RESULTS" | median; }

HAVE_DECIMAL=0
if has_command decimal.incrby; then HAVE_DECIMAL=1; fi
if [ "$HAVE_DECIMAL" = 1 ]; then
  for round in $(seq 1 "$ROUNDS"); do
    echo "decimal round $round/$ROUNDS" >&2
    for pipe in $PIPELINES; do
      if [ $((round % 2)) -eq 1 ]; then
        bench_cmd decimal "$pipe" DECIMAL.INCRBY d 0.01
        bench_cmd float "$pipe" INCRBYFLOAT f 0.01
      else
        bench_cmd float "$pipe" INCRBYFLOAT f 0.01
        bench_cmd decimal "$pipe" DECIMAL.INCRBY d 0.01
      fi
    done
  done
else
  echo "bench-plugins.sh: DECIMAL.INCRBY is not in the command table; part 1 skipped" >&2
fi

# ---------------------------------------------------------------- 2. LOCK/UNLOCK round trips
LOCK_RESULTS="$WORK/lock_results"  # lines: mode pairs_per_second
: >"$LOCK_RESULTS"
HAVE_HIREDIS=0
cat >"$WORK/lockloop.c" <<'EOF'
/* lockloop MODE PORT THREADS SECONDS: each thread repeats an acquire/release pair on its own
 * keys (lk:<thread>:<i mod 1024>) and checks both replies. MODE lock: LOCK key o 30000 (an
 * integer) then UNLOCK key o (1). MODE setdel: SET key o NX PX 30000 (OK) then DEL key (1).
 * Prints the pairs per second over all threads. */
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int port, seconds, lock_mode;
static double Now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}
static void Check(redisReply *r, int type, long long want, const char *what) {
  if (!r || r->type != type || (type == REDIS_REPLY_INTEGER && want >= 0 && r->integer != want)) {
    fprintf(stderr, "lockloop: unexpected reply to %s (type %d)\n", what, r ? r->type : -1);
    exit(1);
  }
  freeReplyObject(r);
}
static void *Run(void *arg) {
  long id = (long)arg, pairs = 0;
  redisContext *c = redisConnect("127.0.0.1", port);
  if (!c || c->err) { fprintf(stderr, "lockloop: cannot connect\n"); exit(2); }
  const double end = Now() + seconds;
  char key[64];
  while (Now() < end) {
    for (int i = 0; i < 100; ++i, ++pairs) {
      snprintf(key, sizeof key, "lk:%ld:%ld", id, pairs % 1024);
      if (lock_mode) {
        Check(redisCommand(c, "LOCK %s o 30000", key), REDIS_REPLY_INTEGER, -1, "LOCK");
        Check(redisCommand(c, "UNLOCK %s o", key), REDIS_REPLY_INTEGER, 1, "UNLOCK");
      } else {
        Check(redisCommand(c, "SET %s o NX PX 30000", key), REDIS_REPLY_STATUS, -1, "SET");
        Check(redisCommand(c, "DEL %s", key), REDIS_REPLY_INTEGER, 1, "DEL");
      }
    }
  }
  redisFree(c);
  return (void *)pairs;
}
int main(int argc, char **argv) {
  if (argc != 5) return 2;
  lock_mode = strcmp(argv[1], "lock") == 0;
  port = atoi(argv[2]);
  int threads = atoi(argv[3]);
  seconds = atoi(argv[4]);
  pthread_t t[256];
  long total = 0;
  if (threads < 1 || threads > 256) return 2;
  const double start = Now();
  for (long i = 0; i < threads; ++i) pthread_create(&t[i], NULL, Run, (void *)i);
  for (int i = 0; i < threads; ++i) {
    void *n;
    pthread_join(t[i], &n);
    total += (long)n;
  }
  printf("%.0f\n", total / (Now() - start));
  return 0;
}
EOF
# shellcheck disable=SC2046  # pkg-config output is meant to be split
if cc -O2 -o "$WORK/lockloop" "$WORK/lockloop.c" $(pkg-config --cflags --libs hiredis 2>/dev/null || echo -lhiredis) -lpthread 2>"$WORK/cc.log"; then
  HAVE_HIREDIS=1
else
  echo "bench-plugins.sh: cannot build the hiredis client (libhiredis-dev?); part 2 skipped:" >&2
  cat "$WORK/cc.log" >&2
fi
lock_one() {  # mode
  local pps
  cli FLUSHALL >/dev/null
  pps="$("$WORK/lockloop" "$1" "$PORT" "$LOCK_THREADS" "$LOCK_SECONDS")"
  echo "$1 $pps" >>"$LOCK_RESULTS"
  record kv "$1 round trip" pairs_per_second "$pps"
  printf '  %-7s %10s pairs/s\n' "$1" "$pps" >&2
}
if [ "$HAVE_HIREDIS" = 1 ]; then
  for round in $(seq 1 "$ROUNDS"); do
    echo "lock round $round/$ROUNDS ($LOCK_THREADS connections, ${LOCK_SECONDS}s each)" >&2
    if [ $((round % 2)) -eq 1 ]; then lock_one lock; lock_one setdel; else lock_one setdel; lock_one lock; fi
  done
fi

# ---------------------------------------------------------------- 3. LOCK, UNLOCK alone
for round in $(seq 1 "$ROUNDS"); do
  echo "lock/unlock redis-benchmark round $round/$ROUNDS" >&2
  bench_cmd lock 1 -r 100000 LOCK lk:__rand_int__ o 30000
  bench_cmd unlock 1 -r 100000 UNLOCK lk:__rand_int__ o
done

# ---------------------------------------------------------------- report
echo
echo "## Plugin commands benchmark"
echo
echo "One kv-server ($KV_BIN), --appendonly no, --threads $KV_THREADS; $(nproc) CPUs."
echo "Medians of $ROUNDS interleaved rounds. CPU = server user+system time per request (µs), /proc/PID/stat."
if [ "$HAVE_DECIMAL" = 1 ]; then
  echo
  echo "### DECIMAL.INCRBY d 0.01 vs INCRBYFLOAT f 0.01 (redis-benchmark -c $CLIENTS -n $N)"
  echo
  echo "| P | DECIMAL.INCRBY rps | INCRBYFLOAT rps | decimal/float | decimal p99 ms | float p99 ms | decimal CPU µs/req | float CPU µs/req | CPU decimal/float |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  for pipe in $PIPELINES; do
    d_rps="$(col decimal "$pipe" 3 | median)"
    f_rps="$(col float "$pipe" 3 | median)"
    d_cpu="$(cpu_us decimal "$pipe")"
    f_cpu="$(cpu_us float "$pipe")"
    printf '| %s | %.0f | %.0f | %s | %s | %s | %.3f | %.3f | %s |\n' "$pipe" "$d_rps" "$f_rps" \
      "$(ratio "$d_rps" "$f_rps")" "$(col decimal "$pipe" 4 | median)" "$(col float "$pipe" 4 | median)" \
      "$d_cpu" "$f_cpu" "$(ratio "$d_cpu" "$f_cpu")"
  done
fi
if [ "$HAVE_HIREDIS" = 1 ]; then
  l_pps="$(awk '$1 == "lock" { print $2 }' "$LOCK_RESULTS" | median)"
  s_pps="$(awk '$1 == "setdel" { print $2 }' "$LOCK_RESULTS" | median)"
  echo
  echo "### Acquire/release round trips ($LOCK_THREADS connections, ${LOCK_SECONDS}s per run, each reply checked)"
  echo
  echo "| pair | pairs/s | commands/s | vs SET NX PX + DEL |"
  echo "|---|---:|---:|---:|"
  printf '| LOCK k o 30000 + UNLOCK k o | %.0f | %.0f | %s |\n' "$l_pps" "$(awk -v p="$l_pps" 'BEGIN { print p * 2 }')" "$(ratio "$l_pps" "$s_pps")"
  printf '| SET k o NX PX 30000 + DEL k | %.0f | %.0f | 1.00 |\n' "$s_pps" "$(awk -v p="$s_pps" 'BEGIN { print p * 2 }')"
fi
echo
echo "### LOCK and UNLOCK alone (redis-benchmark -c $CLIENTS -n $N -r 100000, P=1)"
echo
echo "| command | rps | p99 ms | CPU µs/req |"
echo "|---|---:|---:|---:|"
for name in lock unlock; do
  printf '| %s | %.0f | %s | %.3f |\n' "$(tr '[:lower:]' '[:upper:]' <<<"$name")" \
    "$(col "$name" 1 3 | median)" "$(col "$name" 1 4 | median)" "$(cpu_us "$name" 1)"
done

bench_report bench-plugins N="$N" ROUNDS="$ROUNDS" CLIENTS="$CLIENTS" PIPELINES="$PIPELINES" \
  LOCK_THREADS="$LOCK_THREADS" LOCK_SECONDS="$LOCK_SECONDS" KV_THREADS="$KV_THREADS"
