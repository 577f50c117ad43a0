#!/usr/bin/env bash
# What upload notifications cost: small presigned PUTs (4 KiB, c=16, oha) into a bucket that notifies
# one webhook target, against the same PUTs with no notification configured, in one run (none,
# webhook, none again; the ratio is against the mean of the two "none" runs). Then how many events per
# second the target's delivery worker sustains: the webhook run's events, from the first PUT until
# the receiver (bench/webhook_sink.py, answering 204 at once) has all of them.
#
# usage: bash bench/notify.sh   (run by bench/run.sh; env NOTIFY_N small PUTs per run, default 20000;
#        BENCH_TOOLS where oha is installed; BENCH_SLUICE_BIN a prebuilt server; BENCH_OUT a
#        markdown file to append the table to)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TOOLS=${BENCH_TOOLS:-$ROOT/target/bench-tools}
export PATH="$TOOLS/bin:$PATH"
N=${NOTIFY_N:-20000}
CONC=16
AK=GK0123456789abcdef01234567
SK=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
WORK=$ROOT/target/bench-notify
rm -rf "$WORK"; mkdir -p "$WORK"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
log() { echo "== $*" >&2; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }

command -v oha >/dev/null || { log "installing oha"; cargo install --locked --root "$TOOLS" oha; }
python3 -c "import boto3" 2>/dev/null || python3 -m pip install -q boto3
SLUICE_BIN=${BENCH_SLUICE_BIN:-$ROOT/target/release/sluice}
if [ -z "${BENCH_SLUICE_BIN:-}" ]; then
  log "building Sluice (release)"
  cargo build --release --locked -p sluice >&2
fi
head -c 4096 /dev/urandom >"$WORK/4k.bin"

SINK_PORT=$(free_port)
python3 bench/webhook_sink.py "$SINK_PORT" &
PIDS+=($!)
wait_port "$SINK_PORT"

# run NAME NOTIFY(0|1) -> R_NAME=req/s
run() {
  local name=$1 notify=$2 dir=$WORK/$1 port ep cfg
  port=$(free_port); ep=http://127.0.0.1:$port; cfg=$WORK/$name.toml
  : >"$cfg"
  if [ "$notify" = 1 ]; then
    printf '[[notify.targets]]\nid = "hook"\ntype = "webhook"\nurl = "http://127.0.0.1:%s/"\nsecret = "%s"\n' \
      "$SINK_PORT" "$SECRET" >"$cfg"
  fi
  SLUICE_ROOT_ACCESS_KEY=$AK SLUICE_ROOT_SECRET_KEY=$SK \
    "$SLUICE_BIN" serve --data-dir "$dir" --listen "127.0.0.1:$port" --config "$cfg" >"$dir.log" 2>&1 &
  local pid=$!; PIDS+=("$pid")
  wait_port "$port"
  curl -sf -X PUT --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AK:$SK" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$ep/bench" >/dev/null
  if [ "$notify" = 1 ]; then
    local xml='<NotificationConfiguration><QueueConfiguration><Queue>arn:sluice:sqs:us-east-1:hook:webhook</Queue><Event>s3:ObjectCreated:*</Event></QueueConfiguration></NotificationConfiguration>'
    curl -sf -X PUT --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AK:$SK" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
      --data-binary "$xml" "$ep/bench?notification=" >/dev/null
  fi
  python3 bench/presign_many.py "$ep" us-east-1 "$AK" "$SK" bench PUT "small/" "$N" >"$WORK/$name.urls"
  local before; before=$(curl -sf "http://127.0.0.1:$SINK_PORT/stats")
  T0=$(date +%s.%N)
  oha --no-tui --output-format json --urls-from-file -m PUT -D "$WORK/4k.bin" -T application/octet-stream \
    -c $CONC -n "$N" "$WORK/$name.urls" >"$WORK/$name.json"
  printf -v "R_$name" '%s' "$(python3 -c "import json; print(f'{json.load(open(\"$WORK/$name.json\"))[\"summary\"][\"requestsPerSec\"]:.0f}')")"
  if [ "$notify" = 1 ]; then
    local want; want=$(python3 -c "import json; print(json.loads('$before')['count'] + $N)")
    for _ in $(seq 1200); do
      [ "$(curl -sf "http://127.0.0.1:$SINK_PORT/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')" -ge "$want" ] && break
      sleep 0.25
    done
    EVENTS_PER_S=$(curl -sf "http://127.0.0.1:$SINK_PORT/stats" | python3 -c "
import json, sys
s = json.load(sys.stdin)
print(f'{$N / (s[\"last\"] - $T0):.0f}')")
    DELIVERED=$(curl -sf "http://127.0.0.1:$SINK_PORT/stats" | python3 -c "import json,sys; print(json.load(sys.stdin)['count'] - json.loads('$before')['count'])")
  fi
  # Server CPU (user + system) over the run, deliveries included: ms per 1000 PUTs.
  printf -v "C_$name" '%s' "$(awk -v n="$N" -v hz="$(getconf CLK_TCK)" '{printf "%.0f", ($14 + $15) * 1000 / hz / n * 1000}' "/proc/$pid/stat")"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

log "$N small presigned PUTs, c=$CONC: none, webhook, none"
run none1 0
run hook 1
run none2 0
RATIO=$(python3 -c "print(f'{$R_hook / (($R_none1 + $R_none2) / 2):.2f}')")
CPU_RATIO=$(python3 -c "print(f'{(($C_none1 + $C_none2) / 2) / $C_hook:.2f}')")
TABLE=$(cat <<EOF2
| upload notifications (presigned PUT 4 KiB, c=$CONC, $N per run) | req/s | server CPU ms per 1000 PUTs |
|---|---|---|
| no notification (run 1) | $R_none1 | $C_none1 |
| one webhook target, every PUT notifies (CPU includes delivering the events) | $R_hook | $C_hook |
| no notification (run 2) | $R_none2 | $C_none2 |
| webhook / mean of no-notification runs (CPU: mean / webhook) | ${RATIO}x (goal: at least 0.9x) | ${CPU_RATIO}x |
| events delivered by the target's worker | $DELIVERED of $N, $EVENTS_PER_S events/s from the first PUT to the last delivery |
EOF2
)
echo "$TABLE"
if [ -n "${BENCH_OUT:-}" ]; then printf '\n%s\n' "$TABLE" >>"$BENCH_OUT"; fi
