#!/usr/bin/env bash
# Times a 1 GiB upload through a release build on loopback: a single presigned PUT (curl) and a
# multipart upload with 8 parallel parts (`sluice upload`), and reports the server's peak RSS.
# Usage: bash bench/upload_1gib.sh   (builds target/release/sluice first)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p sluice >/dev/null
BIN=target/release/sluice
WORK=$(mktemp -d)
trap 'kill $PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
PORT=${PORT:-9190}
export SLUICE_ROOT_ACCESS_KEY=AKIDBENCH000000000001 SLUICE_ROOT_SECRET_KEY=bench-secret-key-0123456789
export AWS_ACCESS_KEY_ID=$SLUICE_ROOT_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$SLUICE_ROOT_SECRET_KEY
export AWS_ENDPOINT_URL=http://127.0.0.1:$PORT
RUST_LOG=warn $BIN serve --data-dir "$WORK/data" --listen 127.0.0.1:$PORT >"$WORK/server.log" 2>&1 &
PID=$!
sleep 1
curl -sf -X PUT --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
  -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$AWS_ENDPOINT_URL/bench" >/dev/null
head -c $((1024*1024*1024)) /dev/urandom >"$WORK/1g.bin"
sync
URL=$($BIN presign --method PUT --expires-in 1h s3://bench/single.bin)
start=$(date +%s.%N)
curl -sf -o /dev/null -T "$WORK/1g.bin" "$URL"
end=$(date +%s.%N)
echo "single presigned PUT 1 GiB: $(echo "1073.741824 / ($end - $start)" | bc -l | cut -c1-6) MB/s"
start=$(date +%s.%N)
$BIN upload --quiet --part-size ${PART_SIZE:-128MiB} --concurrency ${CONCURRENCY:-8} --threshold 1MiB "$WORK/1g.bin" s3://bench/multipart.bin >/dev/null
end=$(date +%s.%N)
echo "multipart (part size ${PART_SIZE:-128MiB}, ${CONCURRENCY:-8} in parallel) 1 GiB: $(echo "1073.741824 / ($end - $start)" | bc -l | cut -c1-6) MB/s"
GURL=$($BIN presign --method GET --expires-in 1h s3://bench/multipart.bin)
start=$(date +%s.%N)
curl -sf -o /dev/null "$GURL"
end=$(date +%s.%N)
echo "presigned GET 1 GiB (multipart object): $(echo "1073.741824 / ($end - $start)" | bc -l | cut -c1-6) MB/s"
echo "server peak RSS: $(grep VmHWM /proc/$PID/status | awk '{print $2, $3}')"
