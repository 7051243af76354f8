#!/usr/bin/env bash
# Installs the Node.js packages the integration tests drive against kv-server (BullMQ, ioredis,
# node-redis) into test/node/node_modules (git-ignored), at the versions test/node/package-lock.json
# pins, with `npm ci` from the npm registry. scripts/deps.sh runs it; it is idempotent: when the
# installed tree was made from the same lock file it returns at once.
set -euo pipefail

DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../test/node" && pwd)"
STAMP="$DIR/node_modules/.kv-lock-sha1"

if ! command -v npm >/dev/null 2>&1; then
  echo "node-deps.sh: npm is missing (scripts/deps.sh installs Debian's nodejs and npm)" >&2
  exit 1
fi

want=$(sha1sum "$DIR/package-lock.json" | cut -d' ' -f1)
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
  exit 0
fi

echo "node-deps.sh: npm ci in $DIR" >&2
(cd "$DIR" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
printf '%s\n' "$want" >"$STAMP"
