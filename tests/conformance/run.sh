#!/usr/bin/env bash
# Client conformance matrix: starts a real Sluice, runs one small program per client against it and prints the
# client x capability matrix (also written to target/conformance.md). Exits non-zero when any cell fails.
#
#   tests/conformance/run.sh                 # every client (installs what it needs, idempotently)
#   tests/conformance/run.sh boto3 go-v2     # only these clients
#   CONF_NO_SETUP=1 tests/conformance/run.sh # skip the install steps (reuse target/conformance)
#
# Clients: see CLIENTS below. Toolchains come from the registries this machine reaches: Debian (apt), PyPI (venv
# in target/conformance/venv), npm (npm ci), the Go module proxy (go build), Maven Central (mvn package).
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="$ROOT/target/conformance"
VENV="$OUT/venv"
BIN="$OUT/bin"
SLUICE="$ROOT/target/debug/sluice"
mkdir -p "$OUT/results" "$OUT/logs" "$BIN"

#        name        group    label
CLIENTS=(
  "hand       python  REST API signed by hand (Python hmac)"
  "awscli     python  AWS CLI v1 (awscli)"
  "boto3      python  Python boto3"
  "minio-py   python  Python minio-py"
  "java-v2    java    Java AWS SDK v2"
  "js-v3      node    Node.js AWS SDK v3"
  "js-v2      node    Node.js AWS SDK v2"
  "minio-js   node    Node.js minio-js"
  "go-v2      go      Go AWS SDK v2"
  "minio-go   go      Go minio-go v7"
  "ruby       ruby    Ruby aws-sdk-s3 (Debian)"
  "php        php     PHP async-aws core (Debian)"
  "rust-sdk   rust    Rust aws-sdk-s3"
  "sluice-cli sluice  sluice CLI (presign, upload)"
  "rclone     rclone  rclone (Debian)"
  "dotnet     none    .NET AWS SDK"
)
DOTNET_WHY="not testable here: the .NET SDK (dotnet + AWSSDK.S3 from NuGet) is not installable from the registries this machine reaches"

client_cmd() {
  case "$1" in
    hand) echo "$VENV/bin/python $HERE/python/hand_presign.py" ;;
    awscli) echo "$VENV/bin/python $HERE/python/awscli_client.py" ;;
    boto3) echo "$VENV/bin/python $HERE/python/boto3_client.py" ;;
    minio-py) echo "$VENV/bin/python $HERE/python/minio_client.py" ;;
    java-v2) echo "java -cp $OUT/java/classes:$OUT/java/lib/* conformance.JavaV2" ;;
    js-v3) echo "node $HERE/node/sdk_v3.mjs" ;;
    js-v2) echo "node $HERE/node/sdk_v2.mjs" ;;
    minio-js) echo "node $HERE/node/minio.mjs" ;;
    go-v2) echo "$BIN/awsv2" ;;
    minio-go) echo "$BIN/miniogo" ;;
    ruby) echo "ruby $HERE/ruby/aws_sdk.rb" ;;
    php) echo "php $HERE/php/async_aws.php" ;;
    rust-sdk) echo "$ROOT/target/debug/examples/conformance" ;;
    sluice-cli) echo "bash $HERE/rust/sluice_presign.sh" ;;
    rclone) echo "bash $HERE/rclone/rclone.sh" ;;
  esac
}

now() { date +%s.%N; }
elapsed() { python3 -c "print(f'{$(now) - $1:.1f}')"; }

# ---------------------------------------------------------------- setup, one function per group
APT_UPDATED=""
apt_need() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then echo "need Debian packages ${missing[*]} (run as root to install)" >&2; return 1; fi
  if [ -z "$APT_UPDATED" ]; then apt-get update -qq && APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

setup_python() {
  local req="$HERE/python/requirements.txt"
  if [ ! -x "$VENV/bin/python" ] || ! cmp -s "$req" "$VENV/requirements.txt"; then
    python3 -m venv "$VENV" && "$VENV/bin/pip" install -q -r "$req" && cp "$req" "$VENV/requirements.txt"
  fi
}
setup_node() {
  command -v node >/dev/null || apt_need nodejs npm || return 1
  if ! cmp -s "$HERE/node/package-lock.json" "$HERE/node/node_modules/.conformance-lock"; then
    (cd "$HERE/node" && npm ci --no-audit --no-fund --loglevel=error) &&
      cp "$HERE/node/package-lock.json" "$HERE/node/node_modules/.conformance-lock"
  fi
}
setup_go() {
  command -v go >/dev/null || apt_need golang-go || return 1
  (cd "$HERE/go" && GOFLAGS=-mod=readonly go build -o "$BIN/" ./cmd/...)
}
setup_java() {
  command -v mvn >/dev/null || apt_need maven default-jdk-headless || return 1
  (cd "$HERE/java" && mvn -q -B package -Dconformance.out="$OUT/java")
}
setup_ruby() { apt_need ruby ruby-aws-sdk-s3; }
setup_php() { apt_need php-cli php-async-aws-core; }
setup_rclone() { apt_need rclone; }
setup_rust() { [ -x "$ROOT/target/debug/examples/conformance" ]; } # built with the server, below
setup_sluice() { command -v curl >/dev/null || apt_need curl; }

# ---------------------------------------------------------------- which clients
WANT=("$@")
selected() {
  [ ${#WANT[@]} -eq 0 ] && return 0
  local w; for w in "${WANT[@]}"; do [ "$w" = "$1" ] && return 0; done; return 1
}

declare -A SETUP_STATUS SETUP_TIME
GROUPS_NEEDED=()
for line in "${CLIENTS[@]}"; do
  read -r name group _ <<<"$line"
  selected "$name" || continue
  [ "$group" = none ] && continue
  [[ " ${GROUPS_NEEDED[*]} " == *" $group "* ]] || GROUPS_NEEDED+=("$group")
done

echo "== conformance setup"
# The server and the Rust client (crates/sluice/examples/conformance.rs). Building the example with the binary
# keeps the dev-dependency feature set of `cargo test`, so after CI's cargo test this is a no-op.
(cd "$ROOT" && cargo build -q -p sluice --locked --bin sluice --example conformance) ||
  { echo "cannot build sluice" >&2; exit 1; }
for g in "${GROUPS_NEEDED[@]}"; do
  t0=$(now)
  if [ -n "${CONF_NO_SETUP:-}" ] || "setup_$g" >"$OUT/logs/setup-$g.log" 2>&1; then
    SETUP_STATUS[$g]=ok
  else
    SETUP_STATUS[$g]="setup of $g failed: $(tail -n 3 "$OUT/logs/setup-$g.log" | tr '\t\n' '  ' | cut -c1-300)"
  fi
  SETUP_TIME[$g]=$(elapsed "$t0")
  printf '  %-8s %6ss  %s\n' "$g" "${SETUP_TIME[$g]}" "${SETUP_STATUS[$g]}"
done

# ---------------------------------------------------------------- the server
ACCESS_KEY="SLUICECONFORMANCE001"
SECRET_KEY="conformance/secret/0123456789abcdefghijkl"
DATA_DIR="$(mktemp -d "${TMPDIR:-/tmp}/sluice-conformance.XXXXXX")"
PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
SLUICE_ROOT_ACCESS_KEY="$ACCESS_KEY" SLUICE_ROOT_SECRET_KEY="$SECRET_KEY" RUST_LOG="${RUST_LOG:-info}" \
  "$SLUICE" serve --data-dir "$DATA_DIR" --listen "127.0.0.1:$PORT" >"$OUT/server.out" 2>"$OUT/logs/server.log" &
SERVER_PID=$!
cleanup() { kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; rm -rf "$DATA_DIR"; }
trap cleanup EXIT
ENDPOINT=""
for _ in $(seq 1 100); do
  ENDPOINT="$(sed -n 's/^sluice listening on \(http:[^ ]*\).*/\1/p' "$OUT/server.out" | head -n1)"
  [ -n "$ENDPOINT" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$ENDPOINT" ]; then echo "sluice did not start:" >&2; cat "$OUT/logs/server.log" >&2; exit 1; fi
echo "== sluice at $ENDPOINT (data $DATA_DIR, log target/conformance/logs/server.log)"

# ---------------------------------------------------------------- the clients
: >"$OUT/clients.tsv"
for line in "${CLIENTS[@]}"; do
  read -r name group label <<<"$line"
  selected "$name" || continue
  rm -f "$OUT/results/$name.txt"
  if [ "$group" = none ]; then
    printf '%s\t%s\t\t\t\t%s\n' "$name" "$label" "$DOTNET_WHY" >>"$OUT/clients.tsv"
    continue
  fi
  if [ "${SETUP_STATUS[$group]}" != ok ]; then
    printf '%s\t%s\t\t\t%s\t\n' "$name" "$label" "${SETUP_STATUS[$group]}" >>"$OUT/clients.tsv"
    continue
  fi
  work="$OUT/work/$name"; rm -rf "$work"; mkdir -p "$work"
  t0=$(now)
  # AWS_CA_BUNDLE (set on some machines) makes rclone's S3 client refuse its own transport; the suite is plain http
  (set -f; cd "$work" && env -u AWS_CA_BUNDLE SLUICE_ENDPOINT="$ENDPOINT" AWS_ACCESS_KEY_ID="$ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$SECRET_KEY" \
    AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_ENDPOINT_URL="$ENDPOINT" CONF_BUCKET="conf-$name" \
    CONF_WORK="$work" SLUICE_BIN="$SLUICE" CONF_ROOT="$ROOT" AWS_CONFIG_FILE=/dev/null \
    AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true RCLONE_CONFIG=/dev/null \
    timeout 300 $(client_cmd "$name") >"$OUT/results/$name.txt" 2>"$OUT/logs/$name.log")
  rc=$?
  secs=$(elapsed "$t0")
  printf '%s\t%s\t%s\t%s\t\t\n' "$name" "$label" "$secs" "$rc" >>"$OUT/clients.tsv"
  printf '  %-9s %6ss  exit %s  %s\n' "$name" "$secs" "$rc" "$(grep -c $'\tPASS\t' "$OUT/results/$name.txt") cells passed"
done

# ---------------------------------------------------------------- regression checks
# Single checks of behaviours that one outside client found (tests/conformance/regressions/README.md), run
# against the same server; report.py lists them under the matrix and fails on any failure.
#        group   command
REGRESSIONS=(
  "python $VENV/bin/python $HERE/regressions/boto3_sigv2.py"
  "python $VENV/bin/python $HERE/regressions/mint_botocore_sigv4auth.py"
  "python $VENV/bin/python $HERE/regressions/boto3_list_encoding.py"
  "python $VENV/bin/python $HERE/regressions/awscli_notifications.py"
  "python $VENV/bin/python $HERE/regressions/boto3_tagging.py"
  "node   node $HERE/node/mint_aws4.mjs"
)
: >"$OUT/results/regressions.txt"
if [ ${#WANT[@]} -eq 0 ] || selected regressions; then
  for g in python node; do
    [ -n "${SETUP_STATUS[$g]:-}" ] || { "setup_$g" >"$OUT/logs/setup-$g.log" 2>&1 && SETUP_STATUS[$g]=ok; }
  done
  for line in "${REGRESSIONS[@]}"; do
    read -r group cmd <<<"$line"
    script="$(basename "${cmd##* }")"
    if [ "${SETUP_STATUS[$group]:-}" != ok ]; then
      printf 'RESULT\t%s\tFAIL\tsetup of %s failed\n' "$script" "$group" >>"$OUT/results/regressions.txt"
      continue
    fi
    (cd "$OUT" && SLUICE_ENDPOINT="$ENDPOINT" AWS_ACCESS_KEY_ID="$ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$SECRET_KEY" \
      AWS_REGION=us-east-1 CONF_BUCKET="reg-$(echo "${script%%.*}" | tr _ -)" AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
      timeout 300 $cmd >>"$OUT/results/regressions.txt" 2>>"$OUT/logs/regressions.log") ||
      printf 'RESULT\t%s\tFAIL\texit %s (see target/conformance/logs/regressions.log)\n' "$script" "$?" \
        >>"$OUT/results/regressions.txt"
  done
  printf '  %-9s %s\n' regressions "$(grep -c $'\tPASS\t' "$OUT/results/regressions.txt") checks passed"
fi

echo "== setup times"
for g in "${GROUPS_NEEDED[@]}"; do printf '  %-8s %6ss\n' "$g" "${SETUP_TIME[$g]}"; done
echo
python3 "$HERE/report.py"
