#!/usr/bin/env bash
# rclone (Debian's package) with an S3 remote: provider Other, path-style, configured through the environment.
set -uo pipefail
export RCLONE_CONFIG_SL_TYPE=s3 RCLONE_CONFIG_SL_PROVIDER=Other RCLONE_CONFIG_SL_ENV_AUTH=false \
  RCLONE_CONFIG_SL_ACCESS_KEY_ID="$AWS_ACCESS_KEY_ID" RCLONE_CONFIG_SL_SECRET_ACCESS_KEY="$AWS_SECRET_ACCESS_KEY" \
  RCLONE_CONFIG_SL_ENDPOINT="$SLUICE_ENDPOINT" RCLONE_CONFIG_SL_REGION=us-east-1 RCLONE_CONFIG_SL_FORCE_PATH_STYLE=true
W="$CONF_WORK"
R="sl:$CONF_BUCKET/rc"
rc() { rclone --retries 1 --low-level-retries 1 "$@" 2>>"$W/rclone.err"; }
fail() { echo "$*" >"$W/why"; return 1; }
gen() { python3 -c "import random,sys; sys.stdout.buffer.write(random.Random('$2').randbytes($1))" >"$3"; }
cell() {
  local name=$1; shift
  : >"$W/why"; : >"$W/detail"; : >"$W/rclone.err"
  if "$@"; then
    printf 'RESULT\t%s\tPASS\t%s\n' "$name" "$(cat "$W/detail")"
  elif [ -s "$W/skip" ]; then
    printf 'RESULT\t%s\tSKIP\t%s\n' "$name" "$(cat "$W/skip")"; rm -f "$W/skip"
  else
    printf 'RESULT\t%s\tFAIL\t%s\n' "$name" "$(cat "$W/why" <(tail -n 2 "$W/rclone.err") | tr '\t\n' '  ' | cut -c1-300)"
  fi
  cat "$W/rclone.err" >&2
}
skip() { echo "$*" >"$W/skip"; return 1; }
detail() { echo "$*" >"$W/detail"; }

presign_put() { skip "rclone link presigns GET only"; }
presign_mpu() { skip "rclone presigns GET only (rclone link)"; }
presign_get() {
  gen 777 get "$W/get.bin" && rc copyto "$W/get.bin" "$R/presigned-get.bin" || return 1
  local url; url=$(rc link --expire 10m "$R/presigned-get.bin") || fail "rclone link failed" || return 1
  curl -sf -o "$W/get.back" "$url" || fail "GET of the rclone link failed: $url" || return 1
  cmp -s "$W/get.bin" "$W/get.back" || fail "presigned GET body differs"
  detail "rclone link"
}
put() {
  gen 1000 small "$W/small.txt" && rc copyto "$W/small.txt" "$R/small.txt" || fail "copyto" || return 1
  mkdir -p "$W/tree/a" "$W/tree/b" && gen 10 a "$W/tree/a/1" && gen 2000 b "$W/tree/b/2" && gen 0 c "$W/tree/empty"
  rc sync "$W/tree" "$R/tree" || fail "sync up" || return 1
  rc check "$W/tree" "$R/tree" || fail "check after sync" || return 1
  rc sync "$R/tree" "$W/tree.back" && diff -r "$W/tree" "$W/tree.back" >/dev/null || fail "sync down differs" || return 1
  detail "copyto, sync both ways, check"
}
put_stream() {
  gen 300000 stream "$W/stream.bin"
  rc rcat --streaming-upload-cutoff 1M "$R/stream.bin" <"$W/stream.bin" || fail "rcat" || return 1
  rc cat "$R/stream.bin" >"$W/stream.back" && cmp -s "$W/stream.bin" "$W/stream.back" || fail "rcat round trip differs"
  detail "rcat from stdin"
}
multipart() {
  gen $((11 * 1024 * 1024)) mpu "$W/mpu.bin"
  rc copyto --s3-upload-cutoff 5M --s3-chunk-size 5M "$W/mpu.bin" "$R/mpu.bin" || fail "multipart copyto" || return 1
  rc copyto "$R/mpu.bin" "$W/mpu.back" && cmp -s "$W/mpu.bin" "$W/mpu.back" || fail "multipart round trip differs"
  detail "copyto --s3-chunk-size 5M (3 parts)"
}
get_range() {
  gen 5000 range "$W/range.bin" && rc copyto "$W/range.bin" "$R/range.bin" || return 1
  rc cat --offset 100 --count 1000 "$R/range.bin" >"$W/range.part" || fail "cat --offset" || return 1
  cmp -s "$W/range.part" <(tail -c +101 "$W/range.bin" | head -c 1000) || fail "range bytes differ"
  detail "cat --offset 100 --count 1000"
}
head_() {
  printf hello >"$W/head.txt" && rc copyto "$W/head.txt" "$R/head.txt" || return 1
  local j; j=$(rc lsjson --stat "$R/head.txt") || fail "lsjson --stat" || return 1
  python3 -c "import json,sys; o=json.loads(sys.argv[1]); assert o['Size']==5 and o['MimeType']=='text/plain', o" "$j" \
    || fail "stat: $j"
  detail "lsjson --stat"
}
list_v2() {
  mkdir -p "$W/list" && for i in 00 01 02 03 04 05 06; do printf x >"$W/list/$i"; done
  rc copy "$W/list" "$R/list" || return 1
  local got; got=$(rc lsf --s3-list-chunk 3 --s3-list-version 2 "$R/list" | tr '\n' ' ')
  [ "$got" = "00 01 02 03 04 05 06 " ] || fail "lsf listed: $got"
  detail "lsf --s3-list-chunk 3 --s3-list-version 2"
}
copy() {
  printf 'copy me' >"$W/src.txt" && rc copyto "$W/src.txt" "$R/src.txt" || return 1
  rc copyto "$R/src.txt" "$R/dst.txt" || fail "server-side copyto" || return 1
  [ "$(rc cat "$R/dst.txt")" = "copy me" ] || fail "copy content differs"
  detail "server-side copyto"
}
delete() {
  printf x >"$W/del.txt" && rc copyto "$W/del.txt" "$R/del.txt" && rc deletefile "$R/del.txt" || fail "deletefile" || return 1
  ! rc lsf --files-only "$R" | grep -qx del.txt || fail "still listed after deletefile"
}
multi_delete() {
  mkdir -p "$W/md" && for i in 0 1 2 3; do printf x >"$W/md/$i"; done
  rc copy "$W/md" "$R/md" && rc delete "$R/md" || fail "rclone delete" || return 1
  [ -z "$(rc lsf "$R/md")" ] || fail "objects left after rclone delete" || return 1
  skip "rclone has no DeleteObjects call: 'rclone delete' removed the objects one DeleteObject at a time (that works)"
}

rc mkdir "sl:$CONF_BUCKET"
cell presign_put presign_put
cell presign_get presign_get
cell presign_mpu presign_mpu
cell put put
cell put_stream put_stream
cell multipart multipart
cell get_range get_range
cell head head_
cell list_v2 list_v2
cell copy copy
cell delete delete
cell multi_delete multi_delete
