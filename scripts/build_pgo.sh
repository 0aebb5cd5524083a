#!/usr/bin/env bash
# The release binary with profile-guided optimization (cmake/Pgo.cmake), as scripts/package.sh
# ships it: an instrumented build of llm-edge runs the bench's load (bench/run.sh, short:
# chat completions through the minimal node and the one with every feature on, at 1 and 16
# connections, and streams), then the same build directory is compiled again with the counts
# that load left. The workers' CPU per request drops by about a fifth (bench/README.md,
# "Profile-guided build"). Code the load never ran is compiled as in a plain release build.
# Both builds also optimize at link time (CMAKE_INTERPROCEDURAL_OPTIMIZATION, gcc's -flto):
# with the counts, inlining across files follows the measured calls (link-time optimization
# alone added instructions; with the profile the workers' user time per request drops by
# another ~13 %, bench/README.md).
#
# The optimized binary then runs the same load once more, as a smoke test: bench/run.sh fails
# (and so does this) when any request failed or the audit chain it wrote does not verify.
#
#   scripts/build_pgo.sh [BUILD_DIR]    # default build-release; then scripts/package.sh BUILD_DIR
#
# Needs what scripts/setup.sh installs (wrk, nginx, python3). Takes two builds' time and about
# two minutes of load. Logs of both loads: BUILD_DIR/pgo-train.log, BUILD_DIR/pgo-check.log.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build-release}
mkdir -p "$build"
build=$(cd "$build" && pwd)
profile=$build/pgo-profile
jobs=$(nproc)

load() {  # binary, log: a short bench/run.sh against that binary
  # Their own temp dirs and ports (bench/common.sh): nothing shared with a running node.
  EDGE_BIN=$1 WORKERS=auto DURATION=3s WARMUP=1s CONNS="1 16" STREAM_DURATION=2 \
    SKIP_PORTKEY=1 SKIP_IDLE=1 SKIP_OVERHEAD=1 "$here/bench/run.sh" >"$2" 2>&1 || {
    echo "build_pgo.sh: the load against $1 failed; see $2:" >&2
    tail -20 "$2" >&2
    exit 1
  }
}

echo "== instrumented build ($build)"
rm -rf "$profile"
cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DEDGE_PGO=generate \
  -DEDGE_PGO_DIR="$profile" -DCMAKE_INTERPROCEDURAL_OPTIMIZATION=ON >/dev/null
cmake --build "$build" --target llm-edge -j"$jobs"

echo "== training load (bench/run.sh, short)"
load "$build/node/llm-edge" "$build/pgo-train.log"
# The node writes its counts when it exits: none means it never exited cleanly.
[ -n "$(find "$profile" -name '*.gcda' -print -quit 2>/dev/null)" ] || {
  echo "build_pgo.sh: the training load left no profile under $profile" >&2
  exit 1
}

echo "== optimized build"
cmake -S "$here" -B "$build" -DEDGE_PGO=use -DCMAKE_INTERPROCEDURAL_OPTIMIZATION=ON >/dev/null
cmake --build "$build" --target llm-edge -j"$jobs"

echo "== smoke test of the optimized binary"
load "$build/node/llm-edge" "$build/pgo-check.log"
echo "$build/node/llm-edge: built with profile-guided optimization"
