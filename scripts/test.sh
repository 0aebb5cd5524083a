#!/usr/bin/env bash
# Installs everything, then builds and tests twice. `.ci/run` calls exactly this.
#   1. gcc, Release: every unit, end-to-end and corpus test.
#   2. clang, -DEDGE_FUZZ=ON: every library, test and program built with ASan + UBSan and
#      libFuzzer coverage (cmake/Sanitizers.cmake), the libraries as unity builds (for build
#      time, tests/README.md); the same tests under the sanitizers, the fuzz corpus replayed,
#      then every libFuzzer target fuzzed for FUZZ_SECONDS (default 30) by scripts/fuzz.sh.
#      A crash, leak, timeout or sanitizer report fails the run.
# Prints each phase's wall time at the end, also when a phase fails.
# Artifacts to keep: build/artifacts/ and build-fuzz/artifacts/ (tests/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=$(nproc)
timings=()
timed() {  # label, command...: runs the command and records its wall time
  local label=$1 start=$SECONDS
  shift
  "$@"
  timings+=("$(printf '  %-22s %5ds' "$label" $((SECONDS - start)))")
}
report() {
  printf '%s\n' "--- phase timings (wall)" "${timings[@]}"
  printf '  %-22s %5ds\n' total "$SECONDS"
}
trap report EXIT

build_tree() {  # build_dir, cmake args...
  local dir=$1
  shift
  cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
}
run_ctest() {  # build_dir
  ctest --test-dir "$1" --output-on-failure -j"$jobs" --timeout 300
}

timed setup bash scripts/setup.sh

# Raise the open-file limit for the 1,000-stream and connection tests.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

timed release-build build_tree build -DCMAKE_BUILD_TYPE=Release
timed release-ctest run_ctest build

timed sanitizer-build build_tree build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEDGE_FUZZ=ON \
  -DEDGE_UNITY_BUILD=ON -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  timed sanitizer-ctest run_ctest build-fuzz
timed fuzz bash scripts/fuzz.sh build-fuzz "${FUZZ_SECONDS:-30}"
