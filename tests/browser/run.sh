#!/usr/bin/env bash
# Browser tests of the web console, of verified uploads (checks.test.mjs) and of tus resumable uploads
# (tus.test.mjs, tus-js-client from tests/tus): headless Debian
# chromium driven by playwright-core.
# Installs what is missing (chromium from apt when root, npm packages), builds nothing:
# it expects the sluice binary at $SLUICE_BIN (default target/debug/sluice).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
export SLUICE_BIN="${SLUICE_BIN:-$repo/target/debug/sluice}"

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "tests/browser: /usr/bin/chromium is missing (apt-get install chromium as root)" >&2
    exit 1
  fi
fi
command -v node >/dev/null || { echo "tests/browser: node is missing" >&2; exit 1; }
if [ ! -d "$here/node_modules/playwright-core" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --silent)
fi
if [ ! -x "$SLUICE_BIN" ]; then
  echo "tests/browser: $SLUICE_BIN not found; build it first (cargo build -p sluice)" >&2
  exit 1
fi
if [ ! -d "$repo/tests/tus/node_modules/tus-js-client" ]; then
  (cd "$repo/tests/tus" && npm ci --no-audit --no-fund --silent)
fi
node "$here/console.test.mjs"
node "$here/checks.test.mjs"
exec node "$here/tus.test.mjs"
