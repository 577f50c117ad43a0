#!/usr/bin/env bash
# Runs every cargo-fuzz target for FUZZ_SECONDS seconds (default 15) on a stable toolchain and
# fails if any target crashes. Installs cargo-fuzz first if it is missing.
#
#   FUZZ_SECONDS=10 bash fuzz/run.sh                  # CI: every target briefly
#   FUZZ_SECONDS=3600 FUZZ_TARGETS=canonical bash fuzz/run.sh   # one target, long
#
# cargo fuzz needs nightly flags (-Z...); RUSTC_BOOTSTRAP=1 lets the stable compiler accept
# them. FUZZ_SANITIZER picks the sanitizer (default: address; `none` builds faster and runs
# faster, at the cost of not catching memory errors, which the crates' forbid(unsafe_code) mostly
# rules out anyway). New inputs the fuzzer finds go to fuzz/target/corpus-run/<target> (not
# committed); crashes to fuzz/artifacts/<target>/. Reproduce one with
#   RUSTC_BOOTSTRAP=1 cargo fuzz run -s none <target> fuzz/artifacts/<target>/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."   # cargo fuzz finds ./fuzz from the repository root

FUZZ_SECONDS=${FUZZ_SECONDS:-15}
FUZZ_SANITIZER=${FUZZ_SANITIZER:-address}
ALL_TARGETS="sigv4_header_auth sigv4_query_auth canonical chunked_decoder post_policy xml_bodies iam_policy"
TARGETS=${FUZZ_TARGETS:-$ALL_TARGETS}
export RUSTC_BOOTSTRAP=1

if ! command -v cargo-fuzz >/dev/null 2>&1 && [ ! -x "${CARGO_HOME:-$HOME/.cargo}/bin/cargo-fuzz" ]; then
  echo "== installing cargo-fuzz"
  cargo install --locked cargo-fuzz
fi
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

echo "== building fuzz targets (sanitizer: $FUZZ_SANITIZER)"
start=$(date +%s)
cargo fuzz build -s "$FUZZ_SANITIZER"
echo "   built in $(($(date +%s) - start)) s"

failed=()
summary=()
for t in $TARGETS; do
  echo "== $t: ${FUZZ_SECONDS}s"
  # The committed seeds are read-only input; new finds go to a scratch corpus.
  scratch="fuzz/target/corpus-run/$t"
  mkdir -p "$scratch" "fuzz/artifacts/$t"
  log="fuzz/target/fuzz-$t.log"
  if cargo fuzz run -s "$FUZZ_SANITIZER" "$t" "$scratch" "fuzz/corpus/$t" -- \
      -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
      -max_len=65536 >"$log" 2>&1; then
    status=ok
  else
    status=FAILED
    failed+=("$t")
    tail -n 60 "$log"
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  secs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 || true)
  summary+=("$(printf '%-18s %-6s executions=%-10s exec/s=%-8s %s' "$t" "$status" "${execs:-?}" "${secs:-?}" "$cov")")
done

echo "== summary (${FUZZ_SECONDS}s per target)"
printf '%s\n' "${summary[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "crashed: ${failed[*]} (inputs in fuzz/artifacts/, logs in fuzz/target/fuzz-*.log)" >&2
  exit 1
fi
