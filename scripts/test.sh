#!/usr/bin/env bash
# Installs dependencies, builds, and runs every test:
#   1. the doctest unit binary <build>/test/unit_tests
#   2. the integration suite: /usr/bin/python3 -m pytest -q test/integration
#   3. the integration tests not marked kv_only again, against /usr/bin/redis-server
#      (KV_TEST_AGAINST_REDIS=1), so the error texts and replies the tests expect are Redis's
#   4. every libFuzzer target for a bounded time (scripts/fuzz.sh; one result per target)
# and prints one final line "N passed, M failed[, K skipped]" summing unit test cases and
# pytest results (pytest errors count as failed). A stage that cannot run (build failure,
# missing server or unit test binary, a test binary that crashes before its summary, pytest
# collecting no tests, a stage timing out) counts as one more failure, and so does a pytest
# skip not on test/skip-allowlist.txt or an entry of that list that did not skip
# (scripts/check_skips.py). Exits non-zero if anything failed. See docs/testing.md.
#
# Env:
#   KV_SANITIZE=1         use the ASan/UBSan build (build-asan) for everything
#   KV_SANITIZE=thread    use the ThreadSanitizer build (build-tsan); scripts/tsan.sh sets it up
#   KV_BUILD_DIR          build directory (default build, or build-asan with KV_SANITIZE=1)
#   KV_SERVER_BIN         server binary for the integration tests (default <build>/kv-server)
#   KV_TEST_AGAINST_REDIS=1  run only the Redis pass (stage 3), not the kv-server pass
#   KV_REDIS_PASS=0       leave out the Redis pass (stage 3)
#   KV_UNIT_TIMEOUT, KV_PYTEST_TIMEOUT  seconds per stage (default 1200 and 2400)
#   KV_FUZZ_SECONDS       seconds per fuzz target (default 15; 0 skips the fuzz stage)
# Extra arguments are passed to pytest (e.g. scripts/test.sh -k pipeline -x).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 2

PASSED=0
FAILED=0
SKIPPED=0
PROBLEMS=()
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

stage() { printf '\n==> %s\n' "$*"; }

problem() {
  PROBLEMS+=("$1")
  FAILED=$((FAILED + 1))
  printf '!!! %s\n' "$1"
}

finish() {
  printf '\n==> summary\n'
  local p
  for p in "${PROBLEMS[@]+"${PROBLEMS[@]}"}"; do
    printf '  stage problem: %s\n' "$p"
  done
  local line="$PASSED passed, $FAILED failed"
  if [ "$SKIPPED" -gt 0 ]; then
    line+=", $SKIPPED skipped"
  fi
  printf '%s\n' "$line"
  if [ "$FAILED" -gt 0 ]; then
    exit 1
  fi
  exit 0
}

if [ "${KV_SANITIZE:-0}" = thread ]; then
  BUILD_DIR="${KV_BUILD_DIR:-build-tsan}"
  # halt_on_error: a race stops the process, so a test cannot pass over it.
  # detect_deadlocks=0: TSan's lock-order detector tracks at most 64 mutexes held by one
  # thread, and a snapshot holds every shard's (256) for the instant of its fork.
  export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:detect_deadlocks=0:suppressions=$ROOT/test/tsan.supp}"
elif [ "${KV_SANITIZE:-0}" = 1 ]; then
  BUILD_DIR="${KV_BUILD_DIR:-build-asan}"
  export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
  export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
else
  BUILD_DIR="${KV_BUILD_DIR:-build}"
fi
case "$BUILD_DIR" in
  /*) BUILD_PATH="$BUILD_DIR" ;;
  *) BUILD_PATH="$ROOT/$BUILD_DIR" ;;
esac

# ---------------------------------------------------------------- deps + build
stage "dependencies and build ($BUILD_DIR)"
if ! "$ROOT/scripts/build.sh"; then
  problem "build failed"
  finish
fi

# ---------------------------------------------------------------- unit tests
UNIT_BIN="$BUILD_PATH/test/unit_tests"
stage "unit tests ($UNIT_BIN)"
if [ -x "$UNIT_BIN" ]; then
  UNIT_OUT="$TMP/unit.out"
  timeout --kill-after=10 "${KV_UNIT_TIMEOUT:-1200}" "$UNIT_BIN" 2>&1 | tee "$UNIT_OUT"
  unit_rc=${PIPESTATUS[0]}
  # doctest: "[doctest] test cases:  12 |  11 passed |  1 failed |  0 skipped"
  summary=$(grep -E 'test cases:[[:space:]]*[0-9]+' "$UNIT_OUT" | tail -n 1)
  if [ -z "$summary" ]; then
    problem "unit tests: no doctest summary (exit code $unit_rc)"
  else
    u_pass=$(sed -E 's/.*\|[[:space:]]*([0-9]+) passed.*/\1/' <<<"$summary")
    u_fail=$(sed -E 's/.*\|[[:space:]]*([0-9]+) failed.*/\1/' <<<"$summary")
    u_skip=0
    if grep -qE '[0-9]+ skipped' <<<"$summary"; then
      u_skip=$(sed -E 's/.*\|[[:space:]]*([0-9]+) skipped.*/\1/' <<<"$summary")
    fi
    PASSED=$((PASSED + u_pass))
    FAILED=$((FAILED + u_fail))
    SKIPPED=$((SKIPPED + u_skip))
    printf -- '--- unit tests: %s passed, %s failed, %s skipped (exit code %s)\n' \
      "$u_pass" "$u_fail" "$u_skip" "$unit_rc"
    if [ "$unit_rc" -ne 0 ] && [ "$u_fail" -eq 0 ]; then
      problem "unit tests: exit code $unit_rc without failed test cases"
    fi
  fi
else
  problem "unit tests: $UNIT_BIN missing (the build did not produce it)"
fi

# ---------------------------------------------------------------- integration tests
# run_pytest LABEL JUNIT_XML CHECK_SKIPS_FLAGS PYTEST_ARGS...: runs pytest, adds its counts to
# the totals, and checks its skips against test/skip-allowlist.txt.
run_pytest() {
  local label=$1 junit=$2 skip_flags=$3
  shift 3
  local out="$TMP/$label.out"
  timeout --kill-after=10 "${KV_PYTEST_TIMEOUT:-2400}" \
    /usr/bin/python3 -m pytest -q -p no:cacheprovider -rfEs --junitxml="$junit" "$@" 2>&1 \
    | tee "$out"
  local py_rc=${PIPESTATUS[0]}
  # pytest -q closes with e.g. "3 failed, 120 passed, 2 skipped, 1 error in 12.34s"
  local summary
  summary=$(grep -E '^=*[[:space:]]*[0-9]+ [a-z]+.* in [0-9.]+s' "$out" | tail -n 1)
  count() { grep -oE "[0-9]+ $1" <<<"$summary" | head -n 1 | grep -oE '^[0-9]+' || echo 0; }
  local p_pass p_fail p_err p_skip p_xfail p_xpass
  p_pass=$(count 'passed')
  p_fail=$(count 'failed')
  p_err=$(count 'error')
  p_skip=$(count 'skipped')
  p_xfail=$(count 'xfailed')
  p_xpass=$(count 'xpassed')
  PASSED=$((PASSED + p_pass + p_xpass))
  FAILED=$((FAILED + p_fail + p_err))
  SKIPPED=$((SKIPPED + p_skip + p_xfail))
  printf -- '--- %s: %s passed, %s failed, %s errors, %s skipped (pytest exit code %s)\n' \
    "$label" "$p_pass" "$p_fail" "$p_err" "$p_skip" "$py_rc"
  case "$py_rc" in
    0) ;;
    1) if [ $((p_fail + p_err)) -eq 0 ]; then problem "$label: pytest exit 1 without failures"; fi ;;
    5) if [ -z "$PYTEST_SUBSET" ]; then problem "$label: pytest collected no tests"; fi
       return ;;
    124|137) problem "$label: timed out" ;;
    *) problem "$label: pytest exit code $py_rc (interrupted, internal or usage error)" ;;
  esac
  if [ -f "$junit" ]; then
    # shellcheck disable=SC2086 # the flags are words
    if ! /usr/bin/python3 "$ROOT/scripts/check_skips.py" $skip_flags "$junit"; then
      problem "$label: skips do not match test/skip-allowlist.txt (see above)"
    fi
  else
    problem "$label: pytest wrote no JUnit XML"
  fi
}

# Extra pytest arguments select a subset: allow-list entries that did not run are not stale.
PYTEST_SUBSET="${*:-}"
subset_flag=""
if [ -n "$PYTEST_SUBSET" ]; then
  subset_flag="--subset"
fi

export KV_SERVER_BIN="${KV_SERVER_BIN:-$BUILD_PATH/kv-server}"
if [ "${KV_TEST_AGAINST_REDIS:-0}" != 1 ]; then
  stage "integration tests (test/integration, server $KV_SERVER_BIN)"
  if [ ! -x "$KV_SERVER_BIN" ]; then
    problem "integration tests: server binary $KV_SERVER_BIN missing"
    finish
  fi
  KV_TEST_AGAINST_REDIS=0 run_pytest "integration tests" "$TMP/kv.xml" "$subset_flag" \
    test/integration "$@"
fi

# The kv_only tests are deselected (not skipped): they test what Redis does not have. The
# allow-list is only checked one way here, since some of its skips do run against Redis.
if [ "${KV_REDIS_PASS:-1}" != 0 ] || [ "${KV_TEST_AGAINST_REDIS:-0}" = 1 ]; then
  stage "integration tests against /usr/bin/redis-server (not kv_only)"
  if [ ! -x /usr/bin/redis-server ]; then
    problem "redis pass: /usr/bin/redis-server missing (scripts/deps.sh installs it)"
  else
    KV_TEST_AGAINST_REDIS=1 run_pytest "redis pass" "$TMP/redis.xml" "--no-stale" \
      -m "not kv_only" test/integration "$@"
  fi
fi

# ---------------------------------------------------------------- fuzzing
FUZZ_SECONDS="${KV_FUZZ_SECONDS:-15}"
if [ "$FUZZ_SECONDS" != 0 ]; then
  stage "fuzz targets (${FUZZ_SECONDS}s each, scripts/fuzz.sh)"
  FUZZ_OUT="$TMP/fuzz.out"
  KV_SKIP_DEPS=1 KV_FUZZ_SECONDS="$FUZZ_SECONDS" "$ROOT/scripts/fuzz.sh" 2>&1 | tee "$FUZZ_OUT"
  fuzz_rc=${PIPESTATUS[0]}
  fuzz_line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$FUZZ_OUT" | tail -n 1)
  if [ -z "$fuzz_line" ]; then
    problem "fuzz targets: no summary (exit code $fuzz_rc)"
  else
    PASSED=$((PASSED + $(grep -oE '^[0-9]+' <<<"$fuzz_line")))
    FAILED=$((FAILED + $(sed -E 's/.* ([0-9]+) failed/\1/' <<<"$fuzz_line")))
  fi
fi

finish
