#!/usr/bin/env bash
# The whole test suite: the Rust workspace tests (unit tests, AWS SigV4 vectors, integration tests against the
# real server) and the client conformance matrix. Installs what it needs (Debian's nginx for the reverse-proxy
# test; the conformance clients) when run as root on a fresh Debian machine.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing nginx (reverse-proxy test)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx-light >/dev/null \
      || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx >/dev/null
  fi
fi
if ! command -v openssl >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "== installing openssl (the TLS tests make their certificates with it)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openssl >/dev/null
fi
if ! command -v nats-server >/dev/null 2>&1 && [ ! -x /usr/sbin/nats-server ] && [ "$(id -u)" = 0 ] \
  && command -v apt-get >/dev/null 2>&1; then
  echo "== installing nats-server (notification delivery tests)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nats-server >/dev/null
fi
if command -v systemctl >/dev/null 2>&1; then systemctl stop nats-server >/dev/null 2>&1 || true; fi
export SLUICE_REQUIRE_NATS=1
# Debian starts the packaged nginx on port 80; the tests run their own instance and do not need it.
if command -v systemctl >/dev/null 2>&1; then systemctl stop nginx >/dev/null 2>&1 || true; fi
export SLUICE_REQUIRE_NGINX=1

# The notification tests (crates/sluice/tests/notifications.rs) deliver to tests/notify/webhook_receiver.py,
# which verifies every signature with the standardwebhooks package from PyPI (pinned; an implementation of the
# Standard Webhooks spec that this project did not write). Debian's python3 needs python3-venv for `-m venv`.
echo "== webhook receiver venv (standardwebhooks, for the notification tests)"
if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
  fi
fi
if [ ! -x target/notify-venv/bin/python ]; then
  rm -rf target/notify-venv
  python3 -m venv target/notify-venv
fi
target/notify-venv/bin/python -m pip install -q --disable-pip-version-check 'standardwebhooks==1.0.0'
target/notify-venv/bin/python -c 'from standardwebhooks.webhooks import Webhook'
export SLUICE_WEBHOOK_PYTHON=$PWD/target/notify-venv/bin/python
export SLUICE_REQUIRE_WEBHOOK=1

# The resumable-upload tests (crates/sluice/tests/tus_clients.rs) drive real tus clients: tuspy from PyPI in a
# venv and tus-js-client from npm (tests/tus/package.json, locked), both pinned.
echo "== tus clients (tuspy, tus-js-client), for the resumable-upload tests"
if [ ! -x target/tus-venv/bin/python ]; then
  rm -rf target/tus-venv
  python3 -m venv target/tus-venv
fi
target/tus-venv/bin/python -m pip install -q --disable-pip-version-check 'tuspy==1.1.0'
target/tus-venv/bin/python -c 'import tusclient.client'
export SLUICE_TUS_PYTHON=$PWD/target/tus-venv/bin/python
export SLUICE_REQUIRE_TUSPY=1
(cd tests/tus && npm ci --no-audit --no-fund --silent)
export SLUICE_REQUIRE_TUS_JS=1

echo "== cargo test --workspace"
cargo test --workspace --locked

echo "== web console and verified uploads in headless Chromium (Playwright)"
bash tests/browser/run.sh

echo "== microbenchmarks, quick mode (each runs once: they still build and run; no timing)"
cargo test --workspace --locked --benches

echo "== fuzz targets, briefly (FUZZ_SECONDS each; long runs: see docs/security.md)"
FUZZ_SECONDS=${FUZZ_SECONDS:-10} bash fuzz/run.sh

echo "== client conformance matrix"
bash tests/conformance/run.sh
