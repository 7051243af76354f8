#!/usr/bin/env bash
# ThreadSanitizer run: scripts/test.sh on the -Db_sanitize=thread build (build-tsan/, the C
# library allocator) with every server on 2 I/O threads (KV_TEST_THREADS) unless a test picks
# its own, so the cross-thread paths (shards shared by loops, the WAL writer, snapshot forks,
# plugin blocking, CLIENT LIST/KILL across loops) run under the race detector. A
# ThreadSanitizer report in a server's stderr fails that test (conftest checks every server);
# TSAN_OPTIONS halts on the first race. Ends with `N passed, M failed` like scripts/test.sh.
# TSan costs 5-15x, so CI runs the normal build and this script is run by hand:
#   ./scripts/tsan.sh                  # everything
#   ./scripts/tsan.sh -k pipeline -x   # extra arguments go to pytest
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export KV_SANITIZE=thread
export KV_TEST_THREADS="${KV_TEST_THREADS:-2}"
# The Redis pass checks the tests, not kv-server: nothing for the race detector there.
export KV_REDIS_PASS="${KV_REDIS_PASS:-0}"
export KV_UNIT_TIMEOUT="${KV_UNIT_TIMEOUT:-3600}" KV_PYTEST_TIMEOUT="${KV_PYTEST_TIMEOUT:-7200}"
export KV_FUZZ_SECONDS=0
exec ./scripts/test.sh "$@"
