#!/usr/bin/env bash
# BullMQ throughput: jobs per second through one BullMQ Worker (concurrency CONCURRENCY) on
# kv-server and on Debian's redis-server, interleaved in one run. Each measurement starts a fresh
# server, then scripts/lib/bench-bullmq.js (BullMQ and ioredis from test/node/node_modules)
# starts the worker on an empty queue, adds JOBS jobs from one producer (each add awaited) and
# reports JOBS over the time from the first add to the last completion, after checking that
# every job ran and completed exactly once and that the queue counts JOBS completed and nothing
# else. Reported: the median of ROUNDS per server, its ratio, and the server CPU per job
# (utime+stime of the server process over the measurement, from /proc/PID/stat).
#
# Env:
#   JOBS         jobs per measurement (default 5000)
#   ROUNDS       rounds (default 3)
#   CONCURRENCY  the worker's concurrency (default 8)
#   KV_THREADS   kv-server --threads (default: the server's own default, "auto")
#   KV_BIN       kv-server binary (default: build it, then build/kv-server)
#   BENCH_OUT    directory of bench-bullmq.json, each round's figures and the medians
#                (default bench-results/)
# Arguments: --plot also draws bench-bullmq-<metric>.png beside the JSON.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib/bench-common.sh
source "$ROOT/scripts/lib/bench-common.sh"
parse_bench_args "$@"

JOBS="${JOBS:-5000}"
ROUNDS="${ROUNDS:-3}"
CONCURRENCY="${CONCURRENCY:-8}"
KV_THREADS="${KV_THREADS:-auto}"
REDIS_BIN=/usr/bin/redis-server
# shellcheck disable=SC2034  # wait_ping (bench-common.sh) reads it
CLI=/usr/bin/redis-cli
HOST=127.0.0.1
NODE_MODULES="$ROOT/test/node/node_modules"

resolve_kv_bin
# resolve_kv_bin installs the npm packages only when it builds (scripts/deps.sh runs
# node-deps.sh); the script needs them either way.
"$ROOT/scripts/node-deps.sh" >&2
BULLMQ_VERSION="$(node -p "require('$NODE_MODULES/bullmq/package.json').version")"

WORK="$(mktemp -d)"
SERVER_PID=""

cleanup() {
  stop_process "$SERVER_PID"
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_server() {  # name: a fresh server on a new port and an empty directory: PORT, SERVER_PID
  local name="$1"
  PORT="$(free_port)"
  rm -rf "$WORK/data"
  mkdir -p "$WORK/data"
  if [ "$name" = kv ]; then
    local args=(--port "$PORT" --native-port 0 --bind "$HOST" --dir "$WORK/data" --appendonly no
                --log-level warning)
    if [ "$KV_THREADS" != auto ]; then
      args+=(--threads "$KV_THREADS")
    fi
    "$KV_BIN" "${args[@]}" >"$WORK/server.log" 2>&1 &
  else
    "$REDIS_BIN" --port "$PORT" --bind "$HOST" --save '' --appendonly no --dir "$WORK/data" \
      --loglevel warning >"$WORK/server.log" 2>&1 &
  fi
  SERVER_PID=$!
  wait_ping "$PORT" "$SERVER_PID" "$name-server" "$WORK/server.log"
}

RESULTS="$WORK/results"  # lines "server jobs_per_second cpu_us_per_job"
: >"$RESULTS"

run_one() {  # name
  local name="$1" out rate before after cpu
  start_server "$name"
  before="$(cpu_ticks "$SERVER_PID")"
  if ! out="$(NODE_PATH="$NODE_MODULES" timeout 900 node "$ROOT/scripts/lib/bench-bullmq.js" \
      "$PORT" "$JOBS" "$CONCURRENCY" 2>&1)"; then
    echo "bench-bullmq.sh: the run against $name failed:" >&2
    echo "$out" >&2
    exit 1
  fi
  after="$(cpu_ticks "$SERVER_PID")"
  stop_process "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
  rate="$(/usr/bin/python3 -c 'import json, sys; print(json.loads(sys.argv[1].splitlines()[-1])["jobs_per_second"])' "$out")"
  cpu="$(awk -v t="$((after - before))" -v hz="$CLK_TCK" -v n="$JOBS" 'BEGIN { printf "%.2f", t / hz * 1e6 / n }')"
  echo "$name $rate $cpu" >>"$RESULTS"
  record "$name" "bullmq jobs (concurrency $CONCURRENCY)" jobs_per_second "$rate"
  record "$name" "bullmq jobs (concurrency $CONCURRENCY)" cpu_us_per_job "$cpu"
  printf '  %-6s %10.1f jobs/s  server CPU %8s µs/job\n' "$name" "$rate" "$cpu" >&2
}

echo "kv-server: $KV_BIN (threads $KV_THREADS), redis-server $("$REDIS_BIN" --version | awk '{print $3}'), BullMQ $BULLMQ_VERSION" >&2
echo "JOBS=$JOBS ROUNDS=$ROUNDS CONCURRENCY=$CONCURRENCY, $(nproc) CPUs" >&2
for round in $(seq 1 "$ROUNDS"); do
  echo "round $round/$ROUNDS" >&2
  if [ $((round % 2)) -eq 1 ]; then
    run_one kv
    run_one redis
  else
    run_one redis
    run_one kv
  fi
done

kv="$(awk '$1 == "kv" { print $2 }' "$RESULTS" | median)"
redis="$(awk '$1 == "redis" { print $2 }' "$RESULTS" | median)"
kv_cpu="$(awk '$1 == "kv" { print $3 }' "$RESULTS" | median)"
redis_cpu="$(awk '$1 == "redis" { print $3 }' "$RESULTS" | median)"
echo
echo "## BullMQ: kv-server vs redis-server"
echo
echo "BullMQ $BULLMQ_VERSION, one producer, one Worker at concurrency $CONCURRENCY, $JOBS jobs per run, a fresh server per run, median of $ROUNDS interleaved rounds; $(nproc) CPUs; kv-server --threads $KV_THREADS."
echo
echo "| server | jobs/s | kv/redis | server CPU µs/job | CPU kv/redis |"
echo "|---|---:|---:|---:|---:|"
printf '| kv-server | %.1f | %s | %s | %s |\n' "$kv" "$(ratio "$kv" "$redis")" "$kv_cpu" "$(ratio "$kv_cpu" "$redis_cpu")"
printf '| redis-server | %.1f | | %s | |\n' "$redis" "$redis_cpu"

bench_report bench-bullmq JOBS="$JOBS" ROUNDS="$ROUNDS" CONCURRENCY="$CONCURRENCY" \
  KV_THREADS="$KV_THREADS" bullmq_version="$BULLMQ_VERSION" \
  redis_version="$("$REDIS_BIN" --version | awk '{print $3}' | cut -d= -f2)"
