#!/usr/bin/env bash
# Throughput and latency of llm-edge against nginx proxy_pass and the direct path, in one
# run with the same body, plus the RSS of llm-edge holding 10,000 idle keep-alive
# connections. See bench/README.md.
#
#   bench/run.sh                      # everything
#   DURATION=30s CONNS="16 64" bench/run.sh
#   SKIP_EDGE=1 bench/run.sh          # only direct and nginx (no llm-edge binary needed)
#   SKIP_IDLE=1 bench/run.sh          # no idle-connection RSS measurement
#
# Environment: DURATION (10s), CONNS ("16 64"), THREADS (2), ROUNDS (1; medians over rounds
# that alternate the targets), WORKERS (1: worker processes of
# the nginx proxy and node.workers of llm-edge, the same for both), WARMUP (2s),
# IDLE_CONNS (10000), EDGE_BIN (build-release/node/llm-edge, built when missing),
# NGINX (/usr/sbin/nginx), KEEP_TMP (1 = keep the temp dir with configs and logs).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${DURATION:-10s}
CONNS=${CONNS:-"16 64"}
THREADS=${THREADS:-2}
WORKERS=${WORKERS:-1}
WARMUP=${WARMUP:-2s}
ROUNDS=${ROUNDS:-1}
IDLE_CONNS=${IDLE_CONNS:-10000}
NGINX=${NGINX:-/usr/sbin/nginx}
EDGE_BIN=${EDGE_BIN:-$ROOT/build-release/node/llm-edge}
PY=/usr/bin/python3
KEY=sk-bench-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')
ADMIN_KEY=admin-bench-key

TMP=$(mktemp -d /tmp/llm-edge-bench.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ "${KEEP_TMP:-0}" == 1 ]]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

die() { echo "bench: $*" >&2; exit 1; }
free_port() {
  "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# Waits until URL answers with HTTP status $2 (default 200).
wait_http() {
  local url=$1 want=${2:-200} i
  for i in $(seq 1 100); do
    [[ "$(curl -s -o /dev/null -w '%{http_code}' "$url" || true)" == "$want" ]] && return 0
    sleep 0.1
  done
  die "$url did not answer $want"
}

# The open-file limit as high as allowed: 10,000 idle connections need it, and children
# (llm-edge, nginx, the idle tool) inherit it.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

[[ -x "$NGINX" ]] || die "nginx not found at $NGINX (apt-get install nginx-light)"
command -v wrk >/dev/null || die "wrk not found (apt-get install wrk)"

# ---- the request and the fake upstream's fixed answer ----
BODY='{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Say hello in one short sentence."}],"temperature":0.2}'
ANSWER='{"id":"chatcmpl-bench","object":"chat.completion","created":1718345014,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I help you today?","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":19,"completion_tokens":9,"total_tokens":28,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"system_fingerprint":"fp_bench"}'

cat >"$TMP/post.lua" <<EOF
wrk.method = "POST"
wrk.body = [[$BODY]]
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $KEY"
EOF

FAKE_PORT=$(free_port)
PROXY_PORT=$(free_port)

# Common nginx settings: everything under its own prefix, workers run as root so they can
# use the temp dir, no access log.
nginx_conf() {  # $1 = dir, $2 = worker_processes, $3 = http block body
  mkdir -p "$1/tmp"
  cat >"$1/nginx.conf" <<EOF
daemon off;
user root;
worker_processes $2;
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections 16384; multi_accept on; }
http {
  access_log off;
  client_body_temp_path $1/tmp/body;
  proxy_temp_path $1/tmp/proxy;
  fastcgi_temp_path $1/tmp/fastcgi;
  uwsgi_temp_path $1/tmp/uwsgi;
  scgi_temp_path $1/tmp/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 75s;
  $3
}
EOF
}
start_nginx() {  # $1 = dir
  "$NGINX" -p "$1" -c "$1/nginx.conf" -e "$1/error.log" &
  PIDS+=($!)
}

# The fake upstream: a fixed completion, far faster than any proxy in front of it. It gets
# all cores it wants so that it never is the bottleneck.
nginx_conf "$TMP/fake" auto "server {
    listen 127.0.0.1:$FAKE_PORT reuseport backlog=16384;
    location / { default_type application/json; return 200 '$ANSWER'; }
  }"
start_nginx "$TMP/fake"

# nginx as the reference proxy, with upstream keep-alive as it should be configured.
nginx_conf "$TMP/proxy" "$WORKERS" "upstream fake { server 127.0.0.1:$FAKE_PORT; keepalive 256; }
  server {
    listen 127.0.0.1:$PROXY_PORT reuseport backlog=16384;
    location / {
      proxy_pass http://fake;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
    }
  }"
start_nginx "$TMP/proxy"

wait_http "http://127.0.0.1:$FAKE_PORT/v1/chat/completions"
wait_http "http://127.0.0.1:$PROXY_PORT/v1/chat/completions"

# ---- llm-edge ----
EDGE_PID=""
if [[ "${SKIP_EDGE:-0}" != 1 ]]; then
  if [[ ! -x "$EDGE_BIN" ]]; then
    echo "building llm-edge (Release) into $ROOT/build-release ..."
    cmake -S "$ROOT" -B "$ROOT/build-release" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$ROOT/build-release" -j2 --target llm-edge
  fi
  EDGE_PORT=$(free_port)
  ADMIN_PORT=$(free_port)
  KEY_SHA=$(printf %s "$KEY" | sha256sum | cut -d' ' -f1)
  ADMIN_SHA=$(printf %s "$ADMIN_KEY" | sha256sum | cut -d' ' -f1)
  cat >"$TMP/edge.yaml" <<EOF
node:
  id: bench-1
  region: bench
  listen: "127.0.0.1:$EDGE_PORT"
  admin_listen: "127.0.0.1:$ADMIN_PORT"
  data_dir: $TMP/edge-data
  workers: $WORKERS
model_list:
  - model_name: gpt-4o-mini
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: http://127.0.0.1:$FAKE_PORT/v1
      api_key: sk-upstream
keys:
  - {id: bench, key_sha256: "$KEY_SHA", team: bench, env: prod}
admin:
  key_sha256: "$ADMIN_SHA"
EOF
  "$EDGE_BIN" serve --config "$TMP/edge.yaml" 2>"$TMP/edge.log" &
  EDGE_PID=$!
  PIDS+=("$EDGE_PID")
  wait_http "http://127.0.0.1:$ADMIN_PORT/readyz"
  code=$(curl -s -o "$TMP/edge-check.json" -w '%{http_code}' -H "Authorization: Bearer $KEY" \
    -H 'Content-Type: application/json' -d "$BODY" "http://127.0.0.1:$EDGE_PORT/v1/chat/completions")
  [[ "$code" == 200 ]] || die "llm-edge answered $code: $(cat "$TMP/edge-check.json")"
fi

# ---- wrk ----
to_us() {  # "1.23ms" -> 1230
  awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
    f = (u == "us") ? 1 : (u == "ms") ? 1000 : (u == "s") ? 1000000 : (u == "m") ? 60000000 : 1;
    printf "%.0f", n * f }'
}
declare -A RPS P50 P99 ERR
run_wrk() {  # $1 = name, $2 = url, $3 = connections, $4 = round; appends to the lists
  local out="$TMP/wrk-$1-$3-$4.txt"
  wrk -t"$THREADS" -c"$3" -d"$WARMUP" -s "$TMP/post.lua" "$2" >/dev/null
  wrk -t"$THREADS" -c"$3" -d"$DURATION" --latency -s "$TMP/post.lua" "$2" >"$out"
  RPS[$1,$3]+=" $(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$out")"
  P50[$1,$3]+=" $(to_us "$(awk '$1 == "50%" {print $2}' "$out")")"
  P99[$1,$3]+=" $(to_us "$(awk '$1 == "99%" {print $2}' "$out")")"
  ERR[$1,$3]+=$(awk '/Non-2xx/ {print "non2xx:" $NF} /Socket errors/ {print "sock:" $0}' "$out" |
    tr '\n' ' ')
}
median() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

TARGETS=("direct http://127.0.0.1:$FAKE_PORT/v1/chat/completions"
         "nginx http://127.0.0.1:$PROXY_PORT/v1/chat/completions")
[[ -n "$EDGE_PID" ]] && TARGETS+=("llm-edge http://127.0.0.1:$EDGE_PORT/v1/chat/completions")

echo "wrk -t$THREADS -d$DURATION --latency, POST ${#BODY}-byte chat body, answer ${#ANSWER} bytes;" \
  "proxy workers: $WORKERS; $(nproc) cores; $ROUNDS round(s), medians shown"
# Rounds alternate the targets, so that a burst of other load on the machine hits all alike.
for r in $(seq 1 "$ROUNDS"); do
  for c in $CONNS; do
    for t in "${TARGETS[@]}"; do run_wrk "${t%% *}" "${t#* }" "$c" "$r"; done
  done
done
printf '%-9s %6s %10s %10s %10s  %s\n' target conns req/s p50_us p99_us "all rounds req/s; errors"
for c in $CONNS; do
  for t in "${TARGETS[@]}"; do
    n=${t%% *}
    RPS[$n,$c,m]=$(median "${RPS[$n,$c]}")
    P50[$n,$c,m]=$(median "${P50[$n,$c]}")
    printf '%-9s %6s %10s %10s %10s  %s\n' "$n" "$c" "${RPS[$n,$c,m]}" "${P50[$n,$c,m]}" \
      "$(median "${P99[$n,$c]}")" "${RPS[$n,$c]# }; ${ERR[$n,$c]:-}"
  done
done

echo
for c in $CONNS; do
  nginx_add=$(( ${P50[nginx,$c,m]} - ${P50[direct,$c,m]} ))
  line="c=$c: nginx adds ${nginx_add}us p50 over direct"
  if [[ -n "$EDGE_PID" ]]; then
    edge_add=$(( ${P50[llm-edge,$c,m]} - ${P50[direct,$c,m]} ))
    ratio=$(awk -v a="${RPS[llm-edge,$c,m]}" -v b="${RPS[nginx,$c,m]}" 'BEGIN { printf "%.2f", a / b }')
    line="$line; llm-edge adds ${edge_add}us (target <= $(( nginx_add + 20 ))us);"
    line="$line throughput llm-edge/nginx = ${ratio}x (target >= 1.0)"
  fi
  echo "$line"
done

# ---- idle keep-alive connections ----
if [[ -n "$EDGE_PID" && "${SKIP_IDLE:-0}" != 1 ]]; then
  echo
  rss_before=$(awk '/^VmRSS/ {print $2}' "/proc/$EDGE_PID/status")
  "$PY" "$ROOT/bench/idle_conns.py" --port "$EDGE_PORT" --key "$KEY" --conns "$IDLE_CONNS" \
    >"$TMP/idle.out" 2>"$TMP/idle.err" &
  IDLE_PID=$!
  PIDS+=("$IDLE_PID")
  for i in $(seq 1 600); do
    grep -q '^READY' "$TMP/idle.out" 2>/dev/null && break
    kill -0 "$IDLE_PID" 2>/dev/null || die "idle_conns failed: $(cat "$TMP/idle.err")"
    sleep 0.2
  done
  grep -q '^READY' "$TMP/idle.out" || die "idle_conns did not get ready"
  sleep 1
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$EDGE_PID/status")
  hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$EDGE_PID/status")
  fds=$(ls "/proc/$EDGE_PID/fd" | wc -l)
  echo "idle: $(cat "$TMP/idle.out" | tr '\n' ' ')"
  echo "llm-edge VmRSS with $IDLE_CONNS idle keep-alive connections: $((rss / 1024)) MiB" \
    "(before: $((rss_before / 1024)) MiB, VmHWM $((hwm / 1024)) MiB, $fds open fds; target < 64 MiB)"
fi
