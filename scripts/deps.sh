#!/usr/bin/env bash
# Installs every Debian 12 package kv-server needs to build, test and benchmark, then the npm
# packages of the node client tests (scripts/node-deps.sh). `--build-only`: only what building
# needs, no test tools and no npm packages (the Dockerfile's build stage).
# Idempotent: when everything is installed it only runs one dpkg-query, a checksum and exits.
# Must run as root (or with sudo available) when something is missing.
set -euo pipefail

# What building needs (the Dockerfile's build stage installs only these, with --build-only).
BUILD_PACKAGES=(
  meson ninja-build g++ pkg-config
  libuv1-dev libfmt-dev doctest-dev libhiredis-dev
  libintelrdfpmath-dev libxxhash-dev libjemalloc-dev libspdlog-dev libcli11-dev libedit-dev
  libssl-dev liblzf-dev
  # The HTTP endpoint (/metrics, /health).
  libcivetweb-dev
  liblua5.1-0-dev lua-cjson-dev lua-bitop-dev
  # cmsgpack's wire encoding (src/scripting/lua_cmsgpack.cc), linked statically.
  libmsgpack-dev
)
PACKAGES=(
  "${BUILD_PACKAGES[@]}"
  redis-tools redis-server
  # Sentinel, for the fail-over test (test/integration/test_sentinel.py).
  redis-sentinel
  python3-redis python3-pytest python3-yaml
  # The Prometheus text parser the metrics tests use.
  python3-prometheus-client
  clang libclang-rt-14-dev
  openssl
  # Task queues the end-to-end tests and scripts/bench-celery.sh run against kv-server (RQ,
  # Celery, Sidekiq); ruby-sidekiq brings ruby and the redis gem.
  python3-rq python3-celery ruby ruby-redis ruby-sidekiq
  # The benchmarks' plots (scripts/lib/bench-report.py --plot).
  python3-matplotlib
)
BUILD_ONLY=0
if [ "${1:-}" = --build-only ]; then
  BUILD_ONLY=1
  PACKAGES=("${BUILD_PACKAGES[@]}")
fi
# Node.js and npm for the node client tests. A machine may have them from elsewhere (a
# nodejs package that bundles npm and conflicts with Debian's npm): then they are left alone.
if [ "$BUILD_ONLY" = 0 ] && { ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; }; then
  PACKAGES+=(nodejs npm)
fi

missing_packages() {
  local status
  # One dpkg-query call for all packages; unknown packages make it print to stderr.
  status=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${PACKAGES[@]}" 2>/dev/null || true)
  local p
  for p in "${PACKAGES[@]}"; do
    if ! grep -qE "^${p//+/\\+} ii" <<<"$status"; then
      printf '%s\n' "$p"
    fi
  done
}

# The redis-server and redis-sentinel packages are only references and test tools: never
# leave the distribution's services running (ports 6379, 26379) or enabled at boot.
quiet_redis_service() {
  local service
  for service in redis-server redis-sentinel; do
    if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
      systemctl disable --now "$service.service" >/dev/null 2>&1 || true
    elif [ -x "/etc/init.d/$service" ]; then
      "/etc/init.d/$service" stop >/dev/null 2>&1 || true
    fi
  done
}

mapfile -t MISSING < <(missing_packages)
if [ "${#MISSING[@]}" -eq 0 ]; then
  # Installed earlier (maybe by someone else): make sure the distribution's service is not
  # enabled on a systemd machine. Costs nothing where systemd is not running.
  if [ -d /run/systemd/system ] && [ "$(id -u)" -eq 0 ] &&
     { systemctl is-enabled --quiet redis-server.service 2>/dev/null ||
       systemctl is-enabled --quiet redis-sentinel.service 2>/dev/null; }; then
    quiet_redis_service
  fi
  [ "$BUILD_ONLY" = 1 ] || exec "$(dirname "${BASH_SOURCE[0]}")/node-deps.sh"
  exit 0
fi

echo "deps.sh: installing missing packages: ${MISSING[*]}" >&2

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "deps.sh: need root (or sudo) to install: ${MISSING[*]}" >&2
    exit 1
  fi
fi

# Keep maintainer scripts from starting services (redis-server) during the install.
POLICY=/usr/sbin/policy-rc.d
CREATED_POLICY=0
if [ ! -e "$POLICY" ]; then
  "${SUDO[@]}" sh -c "printf '#!/bin/sh\nexit 101\n' > $POLICY && chmod 755 $POLICY"
  CREATED_POLICY=1
fi
cleanup() {
  if [ "$CREATED_POLICY" -eq 1 ]; then
    "${SUDO[@]}" rm -f "$POLICY"
  fi
}
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${MISSING[@]}" >/dev/null

quiet_redis_service

mapfile -t STILL < <(missing_packages)
if [ "${#STILL[@]}" -ne 0 ]; then
  echo "deps.sh: still missing after install: ${STILL[*]}" >&2
  exit 1
fi
[ "$BUILD_ONLY" = 1 ] || "$(dirname "${BASH_SOURCE[0]}")/node-deps.sh"
echo "deps.sh: done" >&2
