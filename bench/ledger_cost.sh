#!/usr/bin/env bash
# What the ledger and the audit log cost in throughput: the node with every feature on
# (threads.sh FEATURES=all) with both, with both but each reply released without waiting for
# its round to reach the WAL (what the group-commit hold costs), without the audit log, and
# without the ledger's writes at all, and nginx proxy_pass in front of the same kind of fake upstream, in alternating
# rounds of one run. Prints each target's median req/s, its ratio to the node without the
# ledger and to nginx, the node's CPU us per request summed over its threads, and the audit
# log's cost both as a ratio of medians and paired within each round (with its median).
#
#   bench/ledger_cost.sh                 # ROUNDS (3), CONNS (16), WORKERS (0 = node default,
#                                        # nginx one per core), DURATION (5 s)
#
# The "without" runs need a measurement build: one configured with -DEDGE_BENCH_SWITCHES=ON
# reads EDGE_BENCH_WITHOUT=hold|audit|ledger (node/runtime/bench_switches.h); a node people run has
# no such switch. This script makes that build in build-bench-switches when it is missing.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-16}
WORKERS=${WORKERS:-0}
DURATION=${DURATION:-5}
BUILD=${BUILD:-$ROOT/build-bench-switches}
BIN=$BUILD/node/llm-edge
command -v wrk >/dev/null || { echo "wrk not found (apt-get install wrk)" >&2; exit 1; }
if [[ ! -x $BIN ]]; then
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DEDGE_BENCH_SWITCHES=ON >/dev/null
  cmake --build "$BUILD" -j2 --target llm-edge
fi

TMP=$(mktemp -d /tmp/llm-edge-ledger-cost.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

# nginx proxy_pass with upstream keep-alive, before a fake answering as threads.sh's does.
FAKE_PORT=$(free_port); PROXY_PORT=$(free_port)
ANSWER=$BENCH_ANSWER
NGINX_WORKERS=$([[ $WORKERS == 0 ]] && echo auto || echo "$WORKERS")
mkdir -p "$TMP/nginx/tmp"
cat >"$TMP/nginx/nginx.conf" <<EOF
daemon off; user root; worker_processes $NGINX_WORKERS; pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 16384; }
http { access_log off; client_body_temp_path $TMP/nginx/tmp; keepalive_requests 1000000;
  upstream fake { server 127.0.0.1:$FAKE_PORT; keepalive 256; }
  server { listen 127.0.0.1:$FAKE_PORT reuseport;
           location / { default_type application/json; return 200 '$ANSWER'; } }
  server { listen 127.0.0.1:$PROXY_PORT reuseport;
           location / { proxy_pass http://fake; proxy_http_version 1.1;
                        proxy_set_header Connection ""; } } }
EOF
/usr/sbin/nginx -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/error.log" &
PIDS+=($!)
for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$PROXY_PORT/v1/chat/completions" && break; sleep 0.1; done
cat >"$TMP/post.lua" <<'EOF'
wrk.method = "POST"
wrk.body = [[{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello in one short sentence."}]}]]
wrk.headers["Content-Type"] = "application/json"
EOF

# One line per run: "target req/s node_cpu_us_per_request".
run_nginx() {
  local rps
  rps=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" -s "$TMP/post.lua" \
          "http://127.0.0.1:$PROXY_PORT/v1/chat/completions" | awk '/^Requests\/sec:/ {print $2}')
  echo "nginx $rps -"
}
run_node() {  # $1 = target name, $2 = EDGE_BENCH_WITHOUT
  local out rps cpu
  out=$(EDGE_BENCH_WITHOUT=$2 FEATURES=all CONNS=$CONNS WORKERS=$WORKERS DURATION=$DURATION \
          "$ROOT/bench/threads.sh" "$BIN")
  rps=$(awk '/req\/s/ {for (i = 1; i < NF; i++) if ($(i + 1) == "req/s") print $i}' <<<"$out")
  cpu=$(awk '/^proxy, all threads/ {printf "%.1f", $5 + $7}' <<<"$out")  # the node's threads only
  echo "$1 $rps $cpu"
}

for round in $(seq "$ROUNDS"); do
  run_nginx
  run_node with-both ""
  run_node without-hold hold
  run_node without-audit audit
  run_node without-ledger ledger
done | tee "$TMP/runs" | sed 's/^/  run: /'

echo
echo "wrk -c$CONNS -d${DURATION}s, $ROUNDS rounds, workers: $WORKERS (0 = default), $(nproc) cores; medians:"
awk '
  { rps[$1] = rps[$1] " " $2; cpu[$1] = cpu[$1] " " $3; seen[$1]++; at[$1, seen[$1]] = $2 }
  function median(list,   n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return a[int((n + 1) / 2)]
  }
  END {
    base = median(rps["without-ledger"]); ng = median(rps["nginx"])
    printf "%-16s %10s %14s %14s %18s\n", "target", "req/s", "x nginx", "x no ledger", "node CPU us/req"
    n = split("nginx with-both without-hold without-audit without-ledger", order, " ")
    for (i = 1; i <= n; i++) {
      t = order[i]; r = median(rps[t])
      printf "%-16s %10.0f %14.2f %14.2f %18s\n", t, r, r / ng, r / base, t == "nginx" ? "-" : median(cpu[t])
    }
    printf "\naudit log: %.1f %% of throughput (with-both vs without-audit)\n", 100 * (1 - median(rps["with-both"]) / median(rps["without-audit"]))
    # The same cost paired round by round (each round runs both within a minute, so a drift of
    # the shared machine between rounds cancels out), and its median over the rounds.
    paired = ""
    for (k = 1; k <= seen["with-both"]; k++) {
      paired = paired " " sprintf("%.1f", 100 * (1 - at["with-both", k] / at["without-audit", k]))
    }
    printf "audit log, round by round: %s %%; median %.1f %%\n", paired, median(paired)
    printf "ledger without the audit log: %.1f %% (without-audit vs without-ledger)\n", 100 * (1 - median(rps["without-audit"]) / base)
    printf "holding each reply for its round: %.1f %% (with-both vs without-hold)\n", 100 * (1 - median(rps["with-both"]) / median(rps["without-hold"]))
  }' "$TMP/runs"
