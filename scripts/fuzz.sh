#!/usr/bin/env bash
# Runs every libFuzzer target of an -DEDGE_FUZZ=ON build for a bounded time, two at a time,
# each from a scratch copy of its seed corpus (tests/fuzz/corpus/<name>/ is never written).
#
#   scripts/fuzz.sh BUILD_DIR [SECONDS_PER_TARGET] [TARGET...]
#
# Prints one line per target (final cov/ft). A crash, leak, timeout or out-of-memory fails the
# run: the log's tail and the saved input are printed, with how to keep it as a regression case.
# Environment: FUZZ_JOBS (default 2), FUZZ_WORK (default BUILD_DIR/fuzz-run, wiped first),
# FUZZ_ARGS (more libFuzzer flags, e.g. -seed=1).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: scripts/fuzz.sh BUILD_DIR [SECONDS] [TARGET...]}" && pwd)
secs=${2:-30}
shift $(($# >= 2 ? 2 : 1))
jobs=${FUZZ_JOBS:-2}
work=${FUZZ_WORK:-$build/fuzz-run}

targets=("$@")
if ((${#targets[@]} == 0)); then
  for src in "$here"/tests/fuzz/*_fuzz.cc; do targets+=("$(basename "$src" .cc)"); done
fi

rm -rf "$work"
mkdir -p "$work"/{corpus,artifacts,logs}
for t in "${targets[@]}"; do
  bin=$build/tests/fuzz/$t
  if [ ! -x "$bin" ] || [[ "$("$bin" -help=1 2>&1 || true)" != *libFuzzer* ]]; then
    echo "fuzz: $bin is not a libFuzzer binary (configure with CC=clang CXX=clang++ -DEDGE_FUZZ=ON)" >&2
    exit 2
  fi
  mkdir -p "$work/corpus/$t" "$work/artifacts/$t"
  seeds=$here/tests/fuzz/corpus/${t%_fuzz}
  if [ -d "$seeds" ]; then cp -r "$seeds/." "$work/corpus/$t/"; fi
done
# UBSan's report names the line only unless asked for the stack.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

# One target: libFuzzer stops itself after $secs; -timeout fails an input that runs 10 s
# (a parser that slow is a denial of service), -rss_limit_mb one that grows past 2 GiB.
# The outer `timeout` is only a safety net should the fuzzer itself wedge.
run_one() {
  local t=$1
  timeout -k 10 $((secs + 120)) "$build/tests/fuzz/$t" \
    -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/$t/" ${FUZZ_ARGS:-} "$work/corpus/$t" >"$work/logs/$t.log" 2>&1
  echo $? >"$work/logs/$t.rc"
}
export -f run_one
export build secs work
printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one {}'

failed=()
for t in "${targets[@]}"; do
  rc=$(cat "$work/logs/$t.rc" 2>/dev/null || echo 125)
  stats=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$work/logs/$t.log" | tail -1 || true)
  runs=$(grep -Eo 'number_of_executed_units: [0-9]+' "$work/logs/$t.log" | grep -Eo '[0-9]+' || true)
  printf '%-28s %-24s runs: %-9s %s\n' "$t" "${stats:-cov: ? ft: ?}" "${runs:-?}" \
    "$( ((rc == 0)) && echo ok || echo "FAILED (exit $rc)")"
  ((rc == 0)) || failed+=("$t")
done

for t in "${failed[@]}"; do
  echo
  log=$work/logs/$t.log
  echo "=== $t failed; its report (whole log: $log):"
  # From the first sanitizer or libFuzzer report on; the log's end if there is none.
  report=$(awk '/ERROR:|runtime error:|^SUMMARY:/ { on = 1 } on' "$log" | head -n 150)
  if [ -n "$report" ]; then echo "$report"; else tail -n 40 "$log"; fi
  echo "--- inputs libFuzzer saved for $t:"
  find "$work/artifacts/$t" -type f | sed 's/^/    /'
  echo "--- replay one with: $build/tests/fuzz/$t <input>"
  echo "--- once fixed, keep it as a regression case: cp <input> $here/tests/fuzz/corpus/${t%_fuzz}/"
done
((${#failed[@]} == 0)) || { echo "fuzz: ${#failed[@]} target(s) failed: ${failed[*]}" >&2; exit 1; }
