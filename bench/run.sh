#!/usr/bin/env bash
# Load benchmark: Sluice against two S3 servers people would pick instead (s3s-fs 0.14.1 and
# Garage), all driven with presigned URLs by oha and curl in one run, plus this machine's limits
# (fsync, MD5, loopback, disk) measured in the same run. Prints a markdown table with ratios.
#
# usage: bash bench/run.sh            (full run: 1 GiB objects, 20k small PUTs, 10 s GETs)
#        BENCH_QUICK=1 bash bench/run.sh   (smoke run: 64 MiB objects, 2k PUTs, 3 s GETs)
# env:   BENCH_PEERS="s3s-fs garage" (or "" for Sluice alone), BENCH_TOOLS (install dir for oha
#        and the peers, default target/bench-tools), BENCH_DIR (scratch dir on the disk to test,
#        default a fresh dir under target/), BENCH_OUT (markdown output file), BENCH_SLUICE_BIN
#        (a prebuilt server binary to measure instead of building this tree's, for A/B runs),
#        BENCH_LIST_KEYS (objects for the listing/startup figures, default 1000000; 0 skips),
#        BENCH_HUGE_GIB (size of the multipart upload for the RSS-flatness figure, default 10; 0 skips).
# Needs: cargo, python3 with boto3 (pip-installed if missing), curl.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TOOLS=${BENCH_TOOLS:-$ROOT/target/bench-tools}
PEERS=${BENCH_PEERS-"s3s-fs garage"}
if [ -n "${BENCH_QUICK:-}" ]; then
  SMALL_N=${BENCH_SMALL_N:-2000}; BIG_MIB=${BENCH_BIG_MIB:-64}; GET_SECS=${BENCH_GET_SECS:-3}
  LIST_KEYS=${BENCH_LIST_KEYS:-20000}; HUGE_GIB=${BENCH_HUGE_GIB:-0}
else
  SMALL_N=${BENCH_SMALL_N:-20000}; BIG_MIB=${BENCH_BIG_MIB:-1024}; GET_SECS=${BENCH_GET_SECS:-10}
  LIST_KEYS=${BENCH_LIST_KEYS:-1000000}; HUGE_GIB=${BENCH_HUGE_GIB:-10}
fi
CONC=16
AK=GK0123456789abcdef01234567
SK=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
OUT=${BENCH_OUT:-$ROOT/target/bench-results.md}
export PATH="$TOOLS/bin:$PATH"

log() { echo "== $*" >&2; }

install_tools() {
  mkdir -p "$TOOLS"
  command -v oha >/dev/null || { log "installing oha"; cargo install --locked --root "$TOOLS" oha; }
  for p in $PEERS; do
    case $p in
      s3s-fs) command -v s3s-fs >/dev/null \
        || { log "installing s3s-fs 0.14.1"; cargo install --locked --root "$TOOLS" s3s-fs@0.14.1 --features binary; } ;;
      garage) command -v garage >/dev/null \
        || { log "installing garage"; cargo install --locked --root "$TOOLS" garage; } ;;
      *) echo "unknown peer $p" >&2; exit 2 ;;
    esac
  done
  python3 -c "import boto3" 2>/dev/null || python3 -m pip install -q boto3
}

WORK=${BENCH_DIR:-$ROOT/target/bench-work}
rm -rf "$WORK"; mkdir -p "$WORK"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }
now() { date +%s.%N; }
mbps() { python3 -c "print(f'{$1 / 1e6 / ($3 - $2):.0f}')"; }
peak_rss_mib() { awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }

# start_<server> DIR PORT -> sets SERVER_PID, REGION
start_sluice() {
  SLUICE_ROOT_ACCESS_KEY=$AK SLUICE_ROOT_SECRET_KEY=$SK \
    "$SLUICE_BIN" serve --data-dir "$1" --listen "127.0.0.1:$2" >"$1.log" 2>&1 &
  SERVER_PID=$!; REGION=us-east-1
}
start_s3s-fs() {
  mkdir -p "$1"
  s3s-fs --host 127.0.0.1 --port "$2" --access-key "$AK" --secret-key "$SK" "$1" >"$1.log" 2>&1 &
  SERVER_PID=$!; REGION=us-east-1
}
start_garage() {
  local d=$1 cfg=$1/garage.toml rpc admin
  rpc=$(free_port); admin=$(free_port)
  mkdir -p "$d/meta" "$d/data"
  cat >"$cfg" <<EOF
metadata_dir = "$d/meta"
data_dir = "$d/data"
db_engine = "sqlite"
metadata_fsync = true
data_fsync = true
replication_factor = 1
rpc_bind_addr = "127.0.0.1:$rpc"
rpc_public_addr = "127.0.0.1:$rpc"
rpc_secret = "$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
[s3_api]
s3_region = "garage"
api_bind_addr = "127.0.0.1:$2"
root_domain = ".s3.garage.localhost"
[admin]
api_bind_addr = "127.0.0.1:$admin"
EOF
  garage -c "$cfg" server >"$d.log" 2>&1 &
  SERVER_PID=$!; REGION=garage
  wait_port "$2"
  local node
  for _ in $(seq 50); do node=$(garage -c "$cfg" node id -q 2>/dev/null | cut -d@ -f1) && [ -n "$node" ] && break; sleep 0.2; done
  garage -c "$cfg" layout assign -z dc1 -c 10G "$node" >/dev/null
  garage -c "$cfg" layout apply --version 1 >/dev/null
  garage -c "$cfg" key import --yes -n bench "$AK" "$SK" >/dev/null
  garage -c "$cfg" bucket create bench >/dev/null
  garage -c "$cfg" bucket allow --read --write --owner bench --key bench >/dev/null
}

presign() { # endpoint method key count
  python3 "$ROOT/bench/presign_many.py" "$1" "$REGION" "$AK" "$SK" bench "$2" "$3" "$4"
}

# oha_json FILE -> "rps p50_ms p99_ms non2xx"
oha_summary() {
  python3 - "$1" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
s = d["summary"]; p = d["latencyPercentiles"]
codes = d.get("statusCodeDistribution", {})
bad = sum(v for k, v in codes.items() if not k.startswith("2")) + sum(d.get("errorDistribution", {}).values())
print(f'{s["requestsPerSec"]:.0f} {p["p50"]*1000:.2f} {p["p99"]*1000:.2f} {bad}')
EOF
}

declare -A R
run_server() { # name
  local name=$1 dir=$WORK/$1 port ep
  port=$(free_port); ep=http://127.0.0.1:$port
  log "$name on $ep"
  "start_$name" "$dir" "$port"
  PIDS+=("$SERVER_PID")
  wait_port "$port"
  if [ "$name" != garage ]; then
    curl -sf -X PUT --aws-sigv4 "aws:amz:$REGION:s3" --user "$AK:$SK" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$ep/bench" >/dev/null
  fi
  # Small PUTs, many keys.
  presign "$ep" PUT "small/" "$SMALL_N" >"$WORK/$name-put.urls"
  oha --no-tui --output-format json --urls-from-file -m PUT -D "$WORK/4k.bin" -T application/octet-stream \
    -c $CONC -n "$SMALL_N" "$WORK/$name-put.urls" >"$WORK/$name-put.json"
  read -r R[$name.put_rps] R[$name.put_p50] R[$name.put_p99] R[$name.put_bad] < <(oha_summary "$WORK/$name-put.json")
  # Small GETs of one object.
  curl -sf -T "$WORK/4k.bin" "$(presign "$ep" PUT hot.bin 1)" >/dev/null
  oha --no-tui --output-format json -w -c $CONC -z "${GET_SECS}s" "$(presign "$ep" GET hot.bin 1)" >"$WORK/$name-get.json"
  read -r R[$name.get_rps] R[$name.get_p50] R[$name.get_p99] R[$name.get_bad] < <(oha_summary "$WORK/$name-get.json")
  # One big object, single presigned PUT then GET.
  local url t0 t1 size
  url=$(presign "$ep" PUT big.bin 1)
  t0=$(now); curl -sf -o /dev/null -T "$WORK/big.bin" "$url"; t1=$(now)
  R[$name.bigput]=$(mbps "$BIG_BYTES" "$t0" "$t1")
  url=$(presign "$ep" GET big.bin 1)
  t0=$(now); size=$(curl -sf -o /dev/null -w '%{size_download}' "$url"); t1=$(now)
  [ "$size" = "$BIG_BYTES" ] || { echo "$name: GET returned $size bytes" >&2; R[$name.bigget]=error; }
  R[$name.bigget]=${R[$name.bigget]:-$(mbps "$BIG_BYTES" "$t0" "$t1")}
  # Multipart, 8 parts in parallel, through Sluice's own client (any S3 server).
  local part=$((BIG_BYTES / 8))
  t0=$(now)
  if AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK AWS_REGION=$REGION AWS_ENDPOINT_URL=$ep \
    "$ROOT/target/release/sluice" upload --quiet --part-size "$part" --concurrency 8 --threshold 1MiB \
    "$WORK/big.bin" s3://bench/multi.bin >/dev/null 2>"$WORK/$name-mp.err"; then
    t1=$(now); R[$name.mp]=$(mbps "$BIG_BYTES" "$t0" "$t1")
  else
    R[$name.mp]="failed"
  fi
  R[$name.rss]=$(peak_rss_mib "$SERVER_PID")
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
}

install_tools
SLUICE_BIN=${BENCH_SLUICE_BIN:-$ROOT/target/release/sluice}
if [ -z "${BENCH_SLUICE_BIN:-}" ]; then
  log "building Sluice (release)"
  cargo build --release --locked -p sluice >&2
fi
BIG_BYTES=$((BIG_MIB * 1024 * 1024))
head -c 4096 /dev/urandom >"$WORK/4k.bin"
head -c "$BIG_BYTES" /dev/urandom >"$WORK/big.bin"
# Written back now, not by the kernel's flusher in the middle of a measurement.
sync "$WORK/big.bin"

log "machine limits"
mkdir -p "$WORK/limits"
eval "$(python3 bench/limits.py "$WORK/limits" | awk '{print "L_" $1 "=" $2}')"
t0=$(now); dd if=/dev/zero of="$WORK/limits/dd" bs=1M count="$BIG_MIB" conv=fsync status=none; t1=$(now)
L_disk_write=$(mbps "$BIG_BYTES" "$t0" "$t1")
t0=$(now); dd if="$WORK/limits/dd" of=/dev/null bs=1M iflag=direct status=none; t1=$(now)
L_disk_read=$(mbps "$BIG_BYTES" "$t0" "$t1")
rm -f "$WORK/limits/dd"

SERVERS="sluice $PEERS"
for s in $SERVERS; do run_server "$s"; done

# Cost growth (Sluice only): startup and ListObjectsV2 paging over LIST_KEYS objects, loaded
# through the store's API by the bulk_load example (one shared blob; metadata only).
if [ "$LIST_KEYS" -gt 0 ]; then
  log "listing and startup with $LIST_KEYS objects"
  cargo build --release --locked -p sluice-store --example bulk_load >&2
  dir=$WORK/million port=$(free_port); ep=http://127.0.0.1:$port
  start_sluice "$dir" "$port"; PIDS+=("$SERVER_PID"); wait_port "$port"
  curl -sf -X PUT --aws-sigv4 "aws:amz:$REGION:s3" --user "$AK:$SK" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$ep/million" >/dev/null
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  "$ROOT/target/release/examples/bulk_load" "$dir" million "$LIST_KEYS" >&2
  out=$(SLUICE_ROOT_ACCESS_KEY=$AK SLUICE_ROOT_SECRET_KEY=$SK python3 bench/startup.py "$ep/_sluice/health/ready" -- \
    "$SLUICE_BIN" serve --data-dir "$dir" --listen "127.0.0.1:$port")
  R[list.startup]=$(sed -n 's/.*startup_s=\([0-9.]*\).*/\1/p' <<<"$out"); SERVER_PID=${out##*pid=}; PIDS+=("$SERVER_PID")
  eval "$(python3 bench/list_pages.py "$ep" "$REGION" "$AK" "$SK" million | tr ' ' '\n' | sed 's/^/LP_/')"
  R[list.rss]=$(peak_rss_mib "$SERVER_PID")
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  rm -rf "$dir"
fi

ratio() { python3 -c "
a, b = '$1', '$2'
try: print(f'{float(a)/float(b):.2f}x')
except Exception: print('n/a')"; }
best_peer() { # metric [low]: the best value among peers (highest, or lowest with "low")
  local best="" v op=">"
  [ "${2:-}" = low ] && op="<"
  for p in $PEERS; do v=${R[$p.$1]}; if [[ $v =~ ^[0-9.]+$ ]] && { [ -z "$best" ] || python3 -c "exit(0 if $v $op $best else 1)"; }; then best=$v; fi; done
  echo "${best:-n/a}"
}
# Memory flat in object size: a HUGE_GIB multipart upload (a sparse file of zeros, so the
# client reads it fast; the server still hashes and writes every byte).
if [ "$HUGE_GIB" -gt 0 ]; then
  log "peak RSS through a $HUGE_GIB GiB multipart upload"
  dir=$WORK/huge port=$(free_port); ep=http://127.0.0.1:$port
  start_sluice "$dir" "$port"; PIDS+=("$SERVER_PID"); wait_port "$port"
  curl -sf -X PUT --aws-sigv4 "aws:amz:$REGION:s3" --user "$AK:$SK" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$ep/bench" >/dev/null
  truncate -s "${HUGE_GIB}G" "$WORK/huge.bin"
  t0=$(now)
  if AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK AWS_REGION=$REGION AWS_ENDPOINT_URL=$ep \
    "$ROOT/target/release/sluice" upload --quiet --part-size 128MiB --concurrency 8 \
    "$WORK/huge.bin" s3://bench/huge.bin >/dev/null 2>"$WORK/huge.err"; then
    t1=$(now); R[huge.mbps]=$(mbps "$((HUGE_GIB * 1024 * 1024 * 1024))" "$t0" "$t1")
  else
    R[huge.mbps]="failed ($(tail -n 1 "$WORK/huge.err"))"
  fi
  R[huge.rss]=$(peak_rss_mib "$SERVER_PID")
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  rm -rf "$dir" "$WORK/huge.bin"
fi

{
  echo "Run $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); objects ${BIG_MIB} MiB, ${SMALL_N} small PUTs, GETs for ${GET_SECS}s, c=$CONC."
  echo
  printf '| workload (presigned URLs) | sluice |'; for p in $PEERS; do printf ' %s |' "$p"; done; printf ' sluice / best peer | limit |\n'
  printf '|---|---|'; for _ in $PEERS; do printf -- '---|'; done; printf -- '---|---|\n'
  row() { # label metric limit [low]: with "low", smaller is better and the ratio is peer / sluice
    local r
    printf '| %s | %s |' "$1" "${R[sluice.$2]}"; for p in $PEERS; do printf ' %s |' "${R[$p.$2]}"; done
    if [ "${4:-}" = low ]; then r=$(ratio "$(best_peer "$2" low)" "${R[sluice.$2]}"); else r=$(ratio "${R[sluice.$2]}" "$(best_peer "$2")"); fi
    printf ' %s | %s |\n' "$r" "$3"
  }
  row "PUT 4 KiB, many keys, c=$CONC: req/s" put_rps "fsync p50 ${L_fsync_p50_us} us"
  row "PUT 4 KiB: p99 ms (ratio: best peer / sluice)" put_p99 "" low
  row "GET 4 KiB, c=$CONC: req/s" get_rps ""
  row "GET 4 KiB: p50 ms (ratio: best peer / sluice)" get_p50 "" low
  row "GET 4 KiB: p99 ms (ratio: best peer / sluice)" get_p99 "" low
  row "PUT ${BIG_MIB} MiB single: MB/s" bigput "MD5 ${L_md5_mbps} MB/s/core, disk write+fsync ${L_disk_write} MB/s, loopback ${L_loopback_mbps} MB/s"
  row "GET ${BIG_MIB} MiB: MB/s" bigget "disk read (O_DIRECT) ${L_disk_read} MB/s, loopback ${L_loopback_mbps} MB/s"
  row "multipart ${BIG_MIB} MiB, 8 parts in parallel: MB/s" mp ""
  row "server peak RSS MiB (ratio: best peer / sluice)" rss "" low
  echo
  printf 'Errors (non-2xx or failed requests): '; for s in $SERVERS; do printf '%s PUT %s GET %s; ' "$s" "${R[$s.put_bad]}" "${R[$s.get_bad]}"; done; echo
  echo
  if [ "$LIST_KEYS" -gt 0 ]; then
    echo "Cost growth with $LIST_KEYS objects in one bucket (Sluice): startup to ready ${R[list.startup]} s;" \
      "ListObjectsV2 ($LP_pages pages of 1,000, $LP_keys keys): first 10 pages ${LP_first10_ms} ms/page," \
      "last 10 pages ${LP_last10_ms} ms/page, median ${LP_median_ms} ms; server peak RSS ${R[list.rss]} MiB."
    echo
  fi
  if [ "$HUGE_GIB" -gt 0 ]; then
    echo "Memory flat in object size: a $HUGE_GIB GiB multipart upload (128 MiB parts, 8 in parallel) ran at ${R[huge.mbps]} MB/s" \
      "with server peak RSS ${R[huge.rss]} MiB (the ${BIG_MIB} MiB workloads above: ${R[sluice.rss]} MiB)."
    echo
  fi
  echo "Sluice vs limits: single PUT = $(ratio "${R[sluice.bigput]}" "$L_md5_mbps") of the one-core MD5 rate; multipart / single PUT = $(ratio "${R[sluice.mp]}" "${R[sluice.bigput]}")."
} | tee "$OUT"

# Upload notifications: presigned PUTs with one webhook target against none, and delivery rate.
if [ -z "${BENCH_SKIP_NOTIFY:-}" ]; then
  BENCH_SLUICE_BIN=$SLUICE_BIN BENCH_OUT=$OUT NOTIFY_N=$SMALL_N bash "$ROOT/bench/notify.sh"
fi

# Verified uploads: small PUTs with no checks, sniffing, and a loopback hook, interleaved in one run.
if [ -z "${BENCH_SKIP_CHECKS:-}" ]; then
  python3 "$ROOT/bench/checks.py" "$SLUICE_BIN" "${CHECKS_N:-2000}" 3 8 | tee -a "$OUT"
fi

# Resumable uploads: one large file through tus (8 MiB PATCHes) against one presigned PUT, interleaved.
if [ -z "${BENCH_SKIP_TUS:-}" ]; then
  python3 "$ROOT/bench/tus.py" "$SLUICE_BIN" "${TUS_MIB:-$BIG_MIB}" 2 8 | tee -a "$OUT"
fi
