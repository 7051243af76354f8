#!/usr/bin/env bash
# Celery throughput: tasks per second through a Celery worker pool with kv-server and with
# Debian's redis-server as broker and result backend (redis://127.0.0.1:PORT/0), interleaved in
# one run. Each measurement starts a fresh worker (celery -A scripts/lib/bench_celery_app.py),
# sends TASKS small tasks from one producer, waits for every result and reports TASKS over the
# time from the first send to the last result; the median of ROUNDS per server is reported.
#
# Env:
#   TASKS        tasks per measurement (default 2000)
#   ROUNDS       rounds (default 3)
#   POOL         worker pool (default prefork)
#   CONCURRENCY  worker processes or threads (default 2)
#   KV_THREADS   kv-server --threads (default: the server's own default, "auto")
#   KV_BIN       kv-server binary (default: build it, then build/kv-server)
#   BENCH_OUT    directory of bench-celery.json, each round's figures and the medians
#                (default bench-results/)
# Arguments: --plot also draws bench-celery-tasks_per_second.png beside the JSON.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib/bench-common.sh
source "$ROOT/scripts/lib/bench-common.sh"
parse_bench_args "$@"

TASKS="${TASKS:-2000}"
ROUNDS="${ROUNDS:-3}"
POOL="${POOL:-prefork}"
CONCURRENCY="${CONCURRENCY:-2}"
KV_THREADS="${KV_THREADS:-auto}"
REDIS_BIN=/usr/bin/redis-server
CLI=/usr/bin/redis-cli
HOST=127.0.0.1

resolve_kv_bin

WORK="$(mktemp -d)"
KV_PID=""
REDIS_PID=""
WORKER_PID=""

cleanup() {
  stop_process "$WORKER_PID"
  stop_process "$KV_PID"
  stop_process "$REDIS_PID"
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$WORK/kv-data" "$WORK/redis-data"
KV_PORT="$(free_port)"
KV_ARGS=(--port "$KV_PORT" --native-port 0 --bind "$HOST" --dir "$WORK/kv-data" --appendonly no
         --log-level warning)
if [ "$KV_THREADS" != auto ]; then
  KV_ARGS+=(--threads "$KV_THREADS")
fi
"$KV_BIN" "${KV_ARGS[@]}" >"$WORK/kv.log" 2>&1 &
KV_PID=$!
wait_ping "$KV_PORT" "$KV_PID" kv-server "$WORK/kv.log"
REDIS_PORT="$(free_port)"
while [ "$REDIS_PORT" = "$KV_PORT" ]; do REDIS_PORT="$(free_port)"; done
"$REDIS_BIN" --port "$REDIS_PORT" --bind "$HOST" --save '' --appendonly no \
  --dir "$WORK/redis-data" --loglevel warning >"$WORK/redis.log" 2>&1 &
REDIS_PID=$!
wait_ping "$REDIS_PORT" "$REDIS_PID" redis-server "$WORK/redis.log"

RESULTS="$WORK/results"  # lines "server tasks_per_second"
: >"$RESULTS"

run_one() {  # name port
  local name="$1" port="$2" url out rate
  url="redis://$HOST:$port/0"
  "$CLI" -h "$HOST" -p "$port" FLUSHALL >/dev/null
  KV_BENCH_URL="$url" PYTHONPATH="$ROOT/scripts/lib" /usr/bin/python3 -m celery \
    -A bench_celery_app worker --pool="$POOL" --concurrency="$CONCURRENCY" --loglevel=WARNING \
    --without-gossip --without-mingle --without-heartbeat -Q bench -n "bench$port@localhost" \
    >"$WORK/worker.log" 2>&1 &
  WORKER_PID=$!
  if ! out="$(KV_BENCH_URL="$url" timeout 900 /usr/bin/python3 "$ROOT/scripts/lib/bench_celery_app.py" \
      "$url" "$TASKS" 2>&1)"; then
    echo "bench-celery.sh: the producer failed against $name:" >&2
    echo "$out" >&2
    tail -n 30 "$WORK/worker.log" >&2
    exit 1
  fi
  stop_process "$WORKER_PID" TERM 30
  wait "$WORKER_PID" 2>/dev/null || true
  WORKER_PID=""
  rate="$(awk '$1 == "tasks_per_second" { print $2 }' <<<"$out")"
  echo "$name $rate" >>"$RESULTS"
  record "$name" "celery tasks" tasks_per_second "$rate"
  printf '  %-6s %10s tasks/s\n' "$name" "$rate" >&2
}

echo "kv-server: $KV_BIN (port $KV_PORT, threads $KV_THREADS), redis-server $("$REDIS_BIN" --version | awk '{print $3}') (port $REDIS_PORT)" >&2
echo "TASKS=$TASKS ROUNDS=$ROUNDS POOL=$POOL CONCURRENCY=$CONCURRENCY, $(nproc) CPUs" >&2
for round in $(seq 1 "$ROUNDS"); do
  echo "round $round/$ROUNDS" >&2
  if [ $((round % 2)) -eq 1 ]; then
    run_one kv "$KV_PORT"
    run_one redis "$REDIS_PORT"
  else
    run_one redis "$REDIS_PORT"
    run_one kv "$KV_PORT"
  fi
done

kv="$(awk '$1 == "kv" { print $2 }' "$RESULTS" | median)"
redis="$(awk '$1 == "redis" { print $2 }' "$RESULTS" | median)"
echo
echo "## Celery: kv-server vs redis-server as broker and result backend"
echo
echo "Celery $(/usr/bin/python3 -c 'import celery; print(celery.__version__)'), one producer, worker --pool=$POOL --concurrency=$CONCURRENCY, $TASKS tasks per run, median of $ROUNDS interleaved rounds; $(nproc) CPUs; kv-server --threads $KV_THREADS."
echo
echo "| server | tasks/s | kv/redis |"
echo "|---|---:|---:|"
echo "| kv-server | $kv | $(ratio "$kv" "$redis") |"
echo "| redis-server | $redis | |"

bench_report bench-celery TASKS="$TASKS" ROUNDS="$ROUNDS" POOL="$POOL" CONCURRENCY="$CONCURRENCY" \
  KV_THREADS="$KV_THREADS"
