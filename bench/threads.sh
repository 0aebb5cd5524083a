#!/usr/bin/env bash
# Where a proxied request's CPU goes, per thread of the node, under load: the worker(s), the
# ledger writer, RocksDB's flush and compaction threads, the gossip loop. callgrind.sh counts
# one request at a time (every ledger round holds one request); this one drives wrk, so the
# writer's rounds are as large as under real traffic.
#
#   bench/threads.sh [BINARY]               # user and system CPU us per request, per thread;
#                                           # then their sum, the fake upstream's and wrk's
#   CALLGRIND=1 bench/threads.sh [BINARY]   # instructions per request, per thread (valgrind)
#   TARGET=nginx bench/threads.sh           # the same for nginx proxy_pass (WORKERS processes)
#
# Environment: CONNS (16), DURATION (5 s; callgrind: 10 s), WORKERS (1), KEEP_TMP (1 = keep the
# temp dir: config, logs, callgrind files for callgrind_annotate), FEATURES (minimal: one
# deployment, key auth; all: also geo from a trusted X-Forwarded-For, tag headers, key and team
# budgets with rpm/tpm, latency routing over three deployments, gossip with two (absent) peers).
# bench/stages.sh turns a CALLGRIND=1 run into instructions per request per pipeline stage.
# The fake upstream is nginx answering bench/common.sh's completion, as in run.sh. Threads are
# named by their comm (`ledger-writer`, `rocksdb:high`, ...) and id; counts are from /proc (CPU) or
# callgrind's per-thread totals, divided by the requests wrk completed.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"
BIN=${1:-$ROOT/build-release/node/llm-edge}
CONNS=${CONNS:-16}
WORKERS=${WORKERS:-1}
CALLGRIND=${CALLGRIND:-0}
WRK_THREADS=$((CONNS < 2 ? 1 : 2))  # wrk needs connections >= threads
DURATION=${DURATION:-$([[ $CALLGRIND == 1 ]] && echo 10 || echo 5)}
[[ -x "$BIN" ]] || { echo "no binary at $BIN" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk not found (apt-get install wrk)" >&2; exit 1; }

TMP=$(mktemp -d /tmp/llm-edge-threads.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ "${KEEP_TMP:-0}" == 1 ]]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
FAKE_PORT=$(free_port); EDGE_PORT=$(free_port); ADMIN_PORT=$(free_port)
KEY=sk-threads-bench
KEY_SHA=$(printf %s "$KEY" | sha256sum | cut -d' ' -f1)
ANSWER=$BENCH_ANSWER

mkdir -p "$TMP/fake/tmp"
cat >"$TMP/fake/nginx.conf" <<EOF
daemon off; user root; worker_processes 1; pid $TMP/fake/nginx.pid;
error_log $TMP/fake/error.log warn;
events { worker_connections 16384; }
http { access_log off; client_body_temp_path $TMP/fake/tmp; keepalive_requests 1000000;
  server { listen 127.0.0.1:$FAKE_PORT reuseport;
           location / { default_type application/json; return 200 '$ANSWER'; } } }
EOF
/usr/sbin/nginx -p "$TMP/fake" -c "$TMP/fake/nginx.conf" -e "$TMP/fake/error.log" &
FAKE_PID=$!
PIDS+=("$FAKE_PID")

FEATURES=${FEATURES:-minimal}
TARGET=${TARGET:-edge}
[[ $TARGET == nginx && $CALLGRIND == 1 ]] && { echo "TARGET=nginx has no CALLGRIND mode" >&2; exit 1; }
if [[ $FEATURES == all ]]; then
  cat >"$TMP/edge.yaml" <<EOF
node: {id: threads-1, region: bench, jurisdiction: EU, listen: "127.0.0.1:$EDGE_PORT",
       admin_listen: "127.0.0.1:$ADMIN_PORT", data_dir: "$TMP/data", workers: $WORKERS}
geo: {trusted_proxies: ["127.0.0.1/32"]}
federation: {listen: "127.0.0.1:$(free_port)", peers: ["127.0.0.1:$(free_port)", "127.0.0.1:$(free_port)"],
             key: "bench-gossip-key-0123456789abcdef"}
router_settings: {routing_strategy: latency-based-routing}
model_list:
EOF
  for i in 1 2 3; do
    cat >>"$TMP/edge.yaml" <<EOF
  - model_name: gpt-4o-mini
    litellm_params: {model: openai/gpt-4o-mini, api_base: "http://127.0.0.1:$FAKE_PORT/v1",
                     api_key: sk-upstream}
    model_info: {id: eu-$i, jurisdiction: EU}
EOF
  done
  cat >>"$TMP/edge.yaml" <<EOF
teams:
  - {name: bench, budget_usd_monthly: 1000000, rpm: 100000000, tpm: 4000000000}
keys:
  - {id: bench, key_sha256: "$KEY_SHA", team: bench, env: prod, budget_usd_monthly: 1000000,
     rpm: 100000000, tpm: 4000000000}
EOF
else
  cat >"$TMP/edge.yaml" <<EOF
node: {id: threads-1, region: bench, listen: "127.0.0.1:$EDGE_PORT",
       admin_listen: "127.0.0.1:$ADMIN_PORT", data_dir: "$TMP/data", workers: $WORKERS}
model_list:
  - model_name: gpt-4o-mini
    litellm_params: {model: openai/gpt-4o-mini, api_base: "http://127.0.0.1:$FAKE_PORT/v1",
                     api_key: sk-upstream}
keys:
  - {id: bench, key_sha256: "$KEY_SHA", team: bench, env: prod}
EOF
fi
if [[ $TARGET == nginx ]]; then
  # nginx proxy_pass with upstream keep-alive (as run.sh configures it), WORKERS processes, in
  # front of the same fake: its workers' user and system time per request, for comparison.
  nginx_conf "$TMP/proxy" "$WORKERS" "upstream fake { server 127.0.0.1:$FAKE_PORT; keepalive 256; }
  server {
    listen 127.0.0.1:$EDGE_PORT reuseport backlog=16384;
    location / {
      proxy_pass http://fake;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
    }
  }"
  /usr/sbin/nginx -p "$TMP/proxy" -c "$TMP/proxy/nginx.conf" -e "$TMP/proxy/error.log" &
elif [[ $CALLGRIND == 1 ]]; then
  valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$TMP/cg.out" \
    "$BIN" serve --config "$TMP/edge.yaml" 2>"$TMP/edge.log" &
else
  "$BIN" serve --config "$TMP/edge.yaml" 2>"$TMP/edge.log" &
fi
EDGE_PID=$!
PIDS+=("$EDGE_PID")
READY_URL="http://127.0.0.1:$ADMIN_PORT/readyz"
[[ $TARGET == nginx ]] && READY_URL="http://127.0.0.1:$EDGE_PORT/"
for _ in $(seq 300); do
  curl -sf -o /dev/null "$READY_URL" && break
  sleep 0.2
done
cat >"$TMP/post.lua" <<EOF
wrk.method = "POST"
wrk.body = [[{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello in one short sentence."}]}]]
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $KEY"
EOF
if [[ $FEATURES == all ]]; then
  cat >>"$TMP/post.lua" <<EOF
wrk.headers["X-Forwarded-For"] = "85.214.0.1"
wrk.headers["X-Edge-Feature"] = "summarize"
wrk.headers["X-Edge-Env"] = "qa"
wrk.headers["X-Edge-Tags"] = "customer=acme,ticket=T-1"
EOF
fi
URL="http://127.0.0.1:$EDGE_PORT/v1/chat/completions"

# utime and stime (clock ticks) and context switches (voluntary and not) of every thread:
# "tid_comm utime stime switches".
# nginx's workers are processes of their own, the master's children.
# The fake upstream's worker is listed too, as `fake-upstream`: what the proxy's requests cost
# the upstream is part of the machine's CPU per request, as is wrk's (children_cpu).
snapshot() {
  local procs=$EDGE_PID
  [[ $TARGET == nginx ]] && procs=$(pgrep -P "$EDGE_PID")
  # shellcheck disable=SC2046,SC2086 # pid lists, one word each
  { threads_of "" $procs; threads_of fake-upstream $(pgrep -P "$FAKE_PID"); } | sort
}
threads_of() {  # label ("" = each thread's own name), pids...
  local label=$1 p t
  shift
  for p in "$@"; do
    for t in /proc/"$p"/task/*; do
      echo "$(basename "$t")_${label:-$(tr ' ' _ <"$t/comm")} $(awk '{print $14, $15}' "$t/stat")" \
        "$(awk '/ctxt_switches/ {s += $2} END {print s}' "$t/status")"
    done
  done
}
# User and system seconds of this shell's finished children, from a file of bash's `times`
# (its second line; `times` itself must run in this shell, not in a subshell).
children_cpu() { awk 'NR == 2 {gsub(/[ms]/, " "); print $1 * 60 + $2, $3 * 60 + $4}' "$1"; }

[[ $CALLGRIND == 1 ]] || wrk -t"$WRK_THREADS" -c"$CONNS" -d2s -s "$TMP/post.lua" "$URL" >/dev/null  # warm-up
snapshot >"$TMP/before"
times >"$TMP/times.before"
wrk -t"$WRK_THREADS" -c"$CONNS" -d"${DURATION}s" -s "$TMP/post.lua" "$URL" >"$TMP/wrk.txt"
times >"$TMP/times.after"
read -r WRK_U0 WRK_S0 < <(children_cpu "$TMP/times.before")
read -r WRK_U1 WRK_S1 < <(children_cpu "$TMP/times.after")
snapshot >"$TMP/after"
N=$(awk '/requests in/ {print $1}' "$TMP/wrk.txt")
echo "wrk -c$CONNS -d${DURATION}s, workers: $WORKERS, $(nproc) cores: $N requests," \
  "$(awk '/^Requests\/sec:/ {print $2}' "$TMP/wrk.txt") req/s$([[ $CALLGRIND == 1 ]] && echo ' (under valgrind)')"

if [[ $CALLGRIND == 1 ]]; then
  kill -INT "$EDGE_PID"
  wait "$EDGE_PID" || true
  # callgrind numbers its per-thread files in thread creation order; the totals include
  # start-up and shutdown, small next to the load.
  for f in "$TMP"/cg.out-*; do
    total=$(awk '/^summary:/ {print $2; exit}' "$f")
    printf '%-14s %10d instructions per request\n' "thread ${f##*-}" $((total / N))
  done
else
  join <(sort "$TMP/before") <(sort "$TMP/after") | awk -v n="$N" -v t="$(getconf CLK_TCK)" '
    { u = $5 - $2; s = $6 - $3; c = $7 - $4
      if (u + s > 0) printf "%-22s user %6.2f  sys %6.2f  us per request, %5.2f context switches\n",
                            $1, u * 1e6 / t / n, s * 1e6 / t / n, c / n
      if ($1 !~ /_fake-upstream$/) { pu += u; ps += s } }
    END { printf "%-22s user %6.2f  sys %6.2f  us per request\n", "proxy, all threads",
                 pu * 1e6 / t / n, ps * 1e6 / t / n }'
  awk -v n="$N" -v u0="$WRK_U0" -v s0="$WRK_S0" -v u1="$WRK_U1" -v s1="$WRK_S1" 'BEGIN {
    printf "%-22s user %6.2f  sys %6.2f  us per request\n", "wrk", (u1 - u0) * 1e6 / n, (s1 - s0) * 1e6 / n }'
fi
