#!/usr/bin/env bash
# Installs everything, then builds and runs every test twice: a normal optimized build and
# an AddressSanitizer + UndefinedBehaviorSanitizer build. `.ci/run` calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

jobs=$(nproc)
run_suite() {  # build_dir, cmake args...
  local dir=$1; shift
  cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
  ctest --test-dir "$dir" --output-on-failure -j"$jobs" --timeout 300
}

# Raise the open-file limit for the 1,000-stream and connection tests.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

run_suite build -DCMAKE_BUILD_TYPE=Release
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_suite build-asan -DCMAKE_BUILD_TYPE=Debug -DEDGE_SANITIZE=ON
