#!/usr/bin/env bash
# How the node scales over its workers: for 1, 2 and 4 workers at 2, 16 and 64 connections,
# req/s and each worker's CPU us per request (threads.sh runs), for one or two builds in
# alternating runs (a before and an after).
#
#   bench/workers.sh BINARY [BINARY2]     # WORKERS_LIST ("1 2 4"), CONNS_LIST ("2 16 64"),
#                                         # FEATURES (all), DURATION (5), ROUNDS (1)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[[ $# -ge 1 ]] || { echo "usage: bench/workers.sh BINARY [BINARY2]" >&2; exit 2; }
BINS=("$@")
ROUNDS=${ROUNDS:-1}
printf '%-8s %-8s %-6s %10s  %s\n' build workers conns req/s "worker CPU us per request (of all requests)"
for workers in ${WORKERS_LIST:-1 2 4}; do
  for conns in ${CONNS_LIST:-2 16 64}; do
    for _ in $(seq "$ROUNDS"); do
      for i in "${!BINS[@]}"; do
        out=$(FEATURES=${FEATURES:-all} WORKERS=$workers CONNS=$conns DURATION=${DURATION:-5} \
                "$ROOT/bench/threads.sh" "${BINS[$i]}")
        rps=$(awk '/req\/s/ {for (k = 1; k < NF; k++) if ($(k + 1) == "req/s") print $k}' <<<"$out")
        per=$(awk '/edge-worker/ {split($1, a, "_"); printf "%s %.1f  ", a[2], $3 + $5}' <<<"$out")
        printf '%-8s %-8s %-6s %10s  %s\n' "#$((i + 1))" "$workers" "$conns" "$rps" "$per"
      done
    done
  done
done
