#!/usr/bin/env bash
# Throughput, latency and CPU per request of llm-edge (minimal, and with every feature on)
# against nginx proxy_pass, Portkey's open-source gateway and the direct path, in one run
# with the same fake upstream and the same load generator; streaming first-event and total
# times; the RSS of llm-edge holding 10,000 idle keep-alive connections. See bench/README.md.
#
#   bench/run.sh                      # everything
#   DURATION=30s CONNS="16 64" bench/run.sh
#   SKIP_EDGE=1 bench/run.sh          # only direct, nginx (and Portkey)
#   SKIP_FULL=1 SKIP_PORTKEY=1 SKIP_STREAM=1 SKIP_IDLE=1 bench/run.sh
#
# Environment: DURATION (10s), CONNS ("1 16 64"), THREADS (2), ROUNDS (1; medians over
# rounds that alternate the targets), WORKERS (1: worker processes of the nginx proxy and
# node.workers of both llm-edge nodes; auto = one per core for both), WARMUP (2s),
# WRK_TIMEOUT (10s), IDLE_CONNS (10000), EDGE_BIN (build-release/node/llm-edge, built when
# missing), NGINX (/usr/sbin/nginx), KEEP_TMP (1 = keep the temp dir with configs, logs and
# raw outputs), STREAMS ("1 8"), STREAM_DURATION (5), STREAM_EVENTS (5), STREAM_GAP_MS (2),
# FED_INTERVAL_MS (1000), OVERHEAD_CONNS (64); SKIP_EDGE, SKIP_FULL, SKIP_PORTKEY,
# SKIP_STREAM, SKIP_OVERHEAD, SKIP_IDLE (1 = leave that part out).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/common.sh
source "$ROOT/bench/common.sh"
DURATION=${DURATION:-10s}
CONNS=${CONNS:-"1 16 64"}
THREADS=${THREADS:-2}
WORKERS=${WORKERS:-1}
WARMUP=${WARMUP:-2s}
ROUNDS=${ROUNDS:-1}
IDLE_CONNS=${IDLE_CONNS:-10000}
STREAMS=${STREAMS:-"1 8"}
STREAM_DURATION=${STREAM_DURATION:-5}
STREAM_EVENTS=${STREAM_EVENTS:-5}
STREAM_GAP_MS=${STREAM_GAP_MS:-2}
FED_INTERVAL_MS=${FED_INTERVAL_MS:-1000}
SKIP_EDGE=${SKIP_EDGE:-0}
SKIP_FULL=${SKIP_FULL:-0}
SKIP_PORTKEY=${SKIP_PORTKEY:-0}
SKIP_STREAM=${SKIP_STREAM:-0}
SKIP_IDLE=${SKIP_IDLE:-0}
SKIP_OVERHEAD=${SKIP_OVERHEAD:-0}
OVERHEAD_CONNS=${OVERHEAD_CONNS:-64}
# wrk drops an answer slower than its timeout from the latency figures and counts it as an
# error; 10 s instead of wrk's 2 s lets a slow gateway's tail show as latency.
WRK_TIMEOUT=${WRK_TIMEOUT:-10s}
[[ $SKIP_EDGE == 1 ]] && SKIP_FULL=1
# WORKERS=auto: each at its default, nginx one worker per core, llm-edge node.workers 0 (the same).
EDGE_WORKERS=$WORKERS
[[ $WORKERS == auto ]] && EDGE_WORKERS=0
NGINX=${NGINX:-/usr/sbin/nginx}
EDGE_BIN=${EDGE_BIN:-$ROOT/build-release/node/llm-edge}
PORTKEY_JS=$ROOT/bench/portkey/node_modules/@portkey-ai/gateway/build/start-server.js
PY=/usr/bin/python3
KEY=sk-bench-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')
ADMIN_KEY=admin-bench-key
GOSSIP_KEY=gossip-bench-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')
EU_CALLER=85.214.0.1   # DE in the built-in GeoIP data: EU, pinned
US_CALLER=8.8.8.8      # US: in no configured jurisdiction, not pinned
CLK_TCK=$(getconf CLK_TCK)

TMP=$(mktemp -d /tmp/llm-edge-bench.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ "${KEEP_TMP:-0}" == 1 ]]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

die() { echo "bench: $*" >&2; exit 1; }
# Waits until URL answers with HTTP status $2 (default 200); extra curl arguments follow.
wait_http() {
  local url=$1 want=${2:-200} i
  shift 2 || shift $#
  for i in $(seq 1 300); do
    [[ "$(curl -s -o /dev/null -w '%{http_code}' "$@" "$url" || true)" == "$want" ]] && return 0
    sleep 0.1
  done
  die "$url did not answer $want"
}
# Waits until FILE has a line starting with WORD; prints that line.
wait_line() {  # $1 = file, $2 = word, $3 = pid of the writer
  local i
  for i in $(seq 1 300); do
    grep -m1 "^$2" "$1" 2>/dev/null && return 0
    kill -0 "$3" 2>/dev/null || die "process $3 died: $(cat "$1")"
    sleep 0.1
  done
  die "no $2 line in $1"
}

# The open-file limit as high as allowed: 10,000 idle connections need it, and children
# (llm-edge, nginx, the idle tool) inherit it.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

[[ -x "$NGINX" ]] || die "nginx not found at $NGINX (apt-get install nginx-light)"
command -v wrk >/dev/null || die "wrk not found (apt-get install wrk)"
if [[ $SKIP_PORTKEY != 1 ]]; then
  command -v node >/dev/null || die "node not found (scripts/setup.sh), or SKIP_PORTKEY=1"
  "$ROOT/bench/setup.sh" || die "bench/setup.sh failed (Portkey), or SKIP_PORTKEY=1"
fi

# ---- the request and the fake upstream's fixed answer ----
BODY='{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Say hello in one short sentence."}],"temperature":0.2}'
STREAM_BODY='{"model":"bench-stream","stream":true,"messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Say hello in one short sentence."}],"temperature":0.2}'
ANSWER=$BENCH_ANSWER
# Headers of the every-feature llm-edge row (tags; the caller's address behind a trusted proxy).
TAG_HEADERS=("X-Edge-Team: bench" "X-Edge-Feature: chat" "X-Edge-Env: prod"
             "X-Edge-Tags: tenant=acme,ab=blue")

FAKE_PORTS=("$(free_port)" "$(free_port)" "$(free_port)")
FAKE_PORT=${FAKE_PORTS[0]}
PROXY_PORT=$(free_port)
PROXY_SSE_PORT=$(free_port)

# wrk scripts. plain.lua: the request every target gets. portkey.lua: plus the headers that
# tell Portkey where to send it. full.lua: plus the tags and X-Forwarded-For, alternating an
# EU and a US caller (two requests formatted once in init(); wrk then calls request() for
# each request, about a microsecond of wrk's CPU that the static scripts do not spend).
wrk_headers() {  # Lua lines setting the plain request's headers
  printf 'wrk.method = "POST"\nwrk.body = [[%s]]\n' "$BODY"
  printf 'wrk.headers["Content-Type"] = "application/json"\n'
  printf 'wrk.headers["Authorization"] = "Bearer %s"\n' "$KEY"
}
wrk_headers >"$TMP/plain.lua"
{ wrk_headers
  printf 'wrk.headers["x-portkey-provider"] = "openai"\n'
  printf 'wrk.headers["x-portkey-custom-host"] = "http://127.0.0.1:%s/v1"\n' "$FAKE_PORT"
} >"$TMP/portkey.lua"
{ wrk_headers
  for h in "${TAG_HEADERS[@]}"; do printf 'wrk.headers["%s"] = "%s"\n' "${h%%: *}" "${h#*: }"; done
  cat <<EOF
local reqs, n = {}, 0
function init(args)
  wrk.headers["X-Forwarded-For"] = "$EU_CALLER"
  reqs[1] = wrk.format()
  wrk.headers["X-Forwarded-For"] = "$US_CALLER"
  reqs[2] = wrk.format()
end
function request()
  n = n % 2 + 1
  return reqs[n]
end
EOF
} >"$TMP/full.lua"

# X-Edge-Overhead-Us of every answer, counted per thread (wrk calls response() for each
# answer, which costs wrk time: this runs apart from the throughput rows) and merged in done().
overhead_lua() {  # $1 = the row's script; prints it with the counting added
  cat "$TMP/$1"
  cat <<'EOF'
hist = {}
local threads = {}
function setup(thread) table.insert(threads, thread) end
function response(status, headers, body)
  local v = tonumber(headers["X-Edge-Overhead-Us"] or headers["x-edge-overhead-us"] or "")
  if v and status == 200 then hist[v] = (hist[v] or 0) + 1 end
end
function done(summary, latency, requests)
  local all, keys, n = {}, {}, 0
  for _, t in ipairs(threads) do
    for v, c in pairs(t:get("hist")) do
      if not all[v] then all[v] = 0; table.insert(keys, v) end
      all[v] = all[v] + c; n = n + c
    end
  end
  table.sort(keys)
  local function pct(p)
    local want, seen = math.ceil(p / 100 * n), 0
    for _, v in ipairs(keys) do seen = seen + all[v]; if seen >= want then return v end end
    return 0
  end
  io.write(string.format("OVERHEAD n=%d p50=%d p90=%d p99=%d max=%d\n", n, pct(50), pct(90),
    pct(99), keys[#keys] or 0))
end
EOF
}

# Common nginx settings: everything under its own prefix, workers run as root so they can
# use the temp dir, no access log.
start_nginx() {  # $1 = dir; sets NGINX_PID
  "$NGINX" -p "$1" -c "$1/nginx.conf" -e "$1/error.log" &
  NGINX_PID=$!
  PIDS+=("$NGINX_PID")
}

# The fake upstream: a fixed completion, far faster than any proxy in front of it, on three
# ports (three deployments of one model for the every-feature node). It gets all cores it
# wants so that it never is the bottleneck.
listens=""
for p in "${FAKE_PORTS[@]}"; do listens+="listen 127.0.0.1:$p reuseport backlog=16384; "; done
nginx_conf "$TMP/fake" auto "server {
    $listens
    location / { default_type application/json; return 200 '$ANSWER'; }
  }"
start_nginx "$TMP/fake"
FAKE_PID=$NGINX_PID

# The streaming fake (bench/sse_fake.py), three ports as well.
SSE_PORTS=()
if [[ $SKIP_STREAM != 1 ]]; then
  "$PY" "$ROOT/bench/sse_fake.py" --port 0 --port 0 --port 0 --events "$STREAM_EVENTS" \
    --gap-ms "$STREAM_GAP_MS" >"$TMP/sse.out" 2>"$TMP/sse.err" &
  PIDS+=($!)
  read -r -a SSE_PORTS <<<"$(wait_line "$TMP/sse.out" LISTENING $! | cut -d' ' -f2-)"
  ((${#SSE_PORTS[@]} == 3)) || die "sse_fake.py did not start: $(cat "$TMP/sse.err")"
fi
SSE_PORT=${SSE_PORTS[0]:-$FAKE_PORT}

# nginx as the reference proxy, with upstream keep-alive as it should be configured; its
# second server streams (proxy_buffering off, as for any SSE upstream).
nginx_conf "$TMP/proxy" "$WORKERS" "upstream fake { server 127.0.0.1:$FAKE_PORT; keepalive 256; }
  upstream sse { server 127.0.0.1:$SSE_PORT; keepalive 256; }
  server {
    listen 127.0.0.1:$PROXY_PORT reuseport backlog=16384;
    location / {
      proxy_pass http://fake;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
    }
  }
  server {
    listen 127.0.0.1:$PROXY_SSE_PORT reuseport backlog=16384;
    location / {
      proxy_pass http://sse;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
      proxy_buffering off;
    }
  }"
start_nginx "$TMP/proxy"
PROXY_PID=$NGINX_PID

wait_http "http://127.0.0.1:$FAKE_PORT/v1/chat/completions"
wait_http "http://127.0.0.1:$PROXY_PORT/v1/chat/completions"

# Every answer a target gives must be the fake's (a gateway answering errors fast must not
# look fast): one request through each before measuring; wrk's non-2xx counts during it.
check_answer() {  # $1 = name, $2 = url, then curl header arguments
  local name=$1 url=$2 code
  shift 2
  code=$(curl -s -o "$TMP/check-$name.json" -w '%{http_code}' "$@" \
    -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d "$BODY" "$url")
  [[ "$code" == 200 ]] || die "$name answered $code: $(head -c 600 "$TMP/check-$name.json")"
  "$PY" - "$TMP/check-$name.json" "$ANSWER" <<'EOF' || die "$name answered 200 with another body: $(head -c 600 "$TMP/check-$name.json")"
import json, sys
got, want = json.load(open(sys.argv[1])), json.loads(sys.argv[2])
sys.exit(0 if got.get("id") == want["id"] and got.get("choices") == want["choices"] and
         got.get("usage", {}).get("total_tokens") == want["usage"]["total_tokens"] else 1)
EOF
}
check_answer direct "http://127.0.0.1:$FAKE_PORT/v1/chat/completions"
check_answer nginx "http://127.0.0.1:$PROXY_PORT/v1/chat/completions"

# ---- Portkey's gateway (node, one process: it has no worker setting) ----
PK_PID=""
if [[ $SKIP_PORTKEY != 1 ]]; then
  PK_PORT=$(free_port)
  node "$PORTKEY_JS" --port="$PK_PORT" --headless >"$TMP/portkey.log" 2>&1 &
  PK_PID=$!
  PIDS+=("$PK_PID")
  for _ in $(seq 1 300); do
    curl -s -o /dev/null "http://127.0.0.1:$PK_PORT/" && break
    kill -0 "$PK_PID" 2>/dev/null || die "Portkey died: $(cat "$TMP/portkey.log")"
    sleep 0.1
  done
  check_answer portkey "http://127.0.0.1:$PK_PORT/v1/chat/completions" \
    -H 'x-portkey-provider: openai' -H "x-portkey-custom-host: http://127.0.0.1:$FAKE_PORT/v1"
fi

# ---- llm-edge ----
KEY_SHA=$(printf %s "$KEY" | sha256sum | cut -d' ' -f1)
ADMIN_SHA=$(printf %s "$ADMIN_KEY" | sha256sum | cut -d' ' -f1)
if [[ $SKIP_EDGE != 1 && ! -x "$EDGE_BIN" ]]; then
  echo "building llm-edge (Release) into $ROOT/build-release ..."
  cmake -S "$ROOT" -B "$ROOT/build-release" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$ROOT/build-release" -j2 --target llm-edge
fi
start_edge() {  # $1 = name (config $TMP/$1.yaml); sets EDGE_STARTED_PID
  "$EDGE_BIN" serve --config "$TMP/$1.yaml" 2>"$TMP/$1.log" &
  EDGE_STARTED_PID=$!
  PIDS+=("$EDGE_STARTED_PID")
}
deployment() {  # $1 = alias, $2 = port, $3 = model_info line (or "")
  printf '  - model_name: %s\n    litellm_params: {model: openai/gpt-4o-mini, api_base: "http://127.0.0.1:%s/v1", api_key: sk-upstream}\n' "$1" "$2"
  [[ -n "$3" ]] && printf '    model_info: %s\n' "$3"
  return 0
}

# The minimal node: one deployment per model, one key, no extra headers (as before issue 13).
EDGE_PID=""
if [[ $SKIP_EDGE != 1 ]]; then
  EDGE_PORT=$(free_port)
  EDGE_ADMIN=$(free_port)
  { cat <<EOF
node:
  id: bench-1
  region: bench
  listen: "127.0.0.1:$EDGE_PORT"
  admin_listen: "127.0.0.1:$EDGE_ADMIN"
  data_dir: $TMP/edge-data
  workers: $EDGE_WORKERS
model_list:
EOF
    deployment gpt-4o-mini "$FAKE_PORT" ""
    deployment bench-stream "$SSE_PORT" ""
    cat <<EOF
keys:
  - {id: bench, key_sha256: "$KEY_SHA", team: bench, env: prod}
admin:
  key_sha256: "$ADMIN_SHA"
EOF
  } >"$TMP/edge.yaml"
  start_edge edge
  EDGE_PID=$EDGE_STARTED_PID
fi

# The every-feature node: key auth, geo from X-Forwarded-For behind a trusted proxy, tags,
# key and team budgets (local and global) and rpm / tpm far above what a run uses,
# latency-based routing over three deployments (three fake ports) in the EU, the ledger and
# the audit log with digests every 1000 records, federation over mutual TLS with two peers
# (two more llm-edge processes) gossiping during the whole run.
FULL_PID=""
if [[ $SKIP_FULL != 1 ]]; then
  sh "$ROOT/tests/certs/make_test_certs.sh" "$TMP/certs" >/dev/null
  FED_PORTS=("$(free_port)" "$(free_port)" "$(free_port)")
  full_conf() {  # $1 = name, $2 = region, $3 = federation index; prints the config
    local i=$3 peers="" j
    for j in 0 1 2; do [[ $j != "$i" ]] && peers+="\"127.0.0.1:${FED_PORTS[$j]}\", "; done
    cat <<EOF
node:
  id: $1
  region: $2
  jurisdiction: EU
  listen: "127.0.0.1:$(free_port)"
  admin_listen: "127.0.0.1:${FULL_ADMIN_PORTS[$i]}"
  data_dir: $TMP/$1-data
  workers: $EDGE_WORKERS
model_list:
EOF
    local k=0
    for p in "${FAKE_PORTS[@]}"; do deployment gpt-4o-mini "$p" "{id: fake-$k, jurisdiction: EU}"; k=$((k + 1)); done
    k=0
    for p in "${SSE_PORTS[@]:-$FAKE_PORT}"; do deployment bench-stream "$p" "{id: sse-$k, jurisdiction: EU}"; k=$((k + 1)); done
    cat <<EOF
router_settings: {routing_strategy: latency-based-routing}
keys:
  - {id: bench, key_sha256: "$KEY_SHA", team: bench, env: prod, budget_usd_monthly: 1000000000,
     budget_usd_monthly_global: 1000000000, rpm: 1000000000, tpm: 4000000000}
teams:
  - {name: bench, budget_usd_monthly: 1000000000, budget_usd_monthly_global: 1000000000,
     rpm: 1000000000, tpm: 4000000000}
geo: {trusted_proxies: ["127.0.0.1/32"]}
audit: {caller_ip: truncate, digest_every: 1000, digest_every_s: 60}
federation:
  listen: "127.0.0.1:${FED_PORTS[$i]}"
  peers: [${peers%, }]
  key: $GOSSIP_KEY
  interval_ms: $FED_INTERVAL_MS
  tls: {cert: $TMP/certs/peer.crt, key: $TMP/certs/peer.key, ca: $TMP/certs/ca.crt}
admin:
  key_sha256: "$ADMIN_SHA"
EOF
  }
  FULL_ADMIN_PORTS=("$(free_port)" "$(free_port)" "$(free_port)")
  full_conf bench-full eu-bench 0 >"$TMP/full.yaml"
  full_conf bench-peer-1 eu-peer 1 >"$TMP/peer1.yaml"
  full_conf bench-peer-2 us-peer 2 >"$TMP/peer2.yaml"
  FULL_PORT=$(awk -F'[:"]' '/^  listen:/ {print $(NF-1); exit}' "$TMP/full.yaml")
  FULL_ADMIN=${FULL_ADMIN_PORTS[0]}
  "$EDGE_BIN" check --config "$TMP/full.yaml" >/dev/null || die "full.yaml: $("$EDGE_BIN" check --config "$TMP/full.yaml" 2>&1)"
  # The peers first, so that the bench node finds both listening when it starts.
  start_edge peer1
  start_edge peer2
  for p in "${FULL_ADMIN_PORTS[@]:1}"; do wait_http "http://127.0.0.1:$p/readyz"; done
  start_edge full
  FULL_PID=$EDGE_STARTED_PID
fi

if [[ -n "$EDGE_PID" ]]; then
  wait_http "http://127.0.0.1:$EDGE_ADMIN/readyz"
  check_answer llm-edge "http://127.0.0.1:$EDGE_PORT/v1/chat/completions"
fi
FULL_CURL=()
if [[ -n "$FULL_PID" ]]; then
  wait_http "http://127.0.0.1:$FULL_ADMIN/readyz"
  for h in "${TAG_HEADERS[@]}"; do FULL_CURL+=(-H "$h"); done
  check_answer llm-edge-full "http://127.0.0.1:$FULL_PORT/v1/chat/completions" \
    "${FULL_CURL[@]}" -H "X-Forwarded-For: $EU_CALLER"
  check_answer llm-edge-full "http://127.0.0.1:$FULL_PORT/v1/chat/completions" \
    "${FULL_CURL[@]}" -H "X-Forwarded-For: $US_CALLER"
  # The geo classification must be the one asked for, or the row measures another path.
  jur=$(curl -s -o /dev/null -D - "${FULL_CURL[@]}" -H "X-Forwarded-For: $EU_CALLER" \
    -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d "$BODY" \
    "http://127.0.0.1:$FULL_PORT/v1/chat/completions" | tr -d '\r' |
    awk -F': ' 'tolower($1) == "x-edge-jurisdiction" {print $2}')
  [[ "$jur" == "EU; source=ip" ]] || die "llm-edge-full placed $EU_CALLER as '$jur', not 'EU; source=ip'"
  # Federation: both peers alive in the bench node's view before measuring.
  alive=0
  for _ in $(seq 1 200); do
    alive=$(curl -s -H "Authorization: Bearer $ADMIN_KEY" "http://127.0.0.1:$FULL_ADMIN/admin/peers" |
      "$PY" -c 'import json,sys; print(sum(1 for m in json.load(sys.stdin)["members"] if not m["self"] and m["state"] == "alive"))' 2>/dev/null || echo 0)
    [[ "$alive" == 2 ]] && break
    sleep 0.1
  done
  [[ "$alive" == 2 ]] || die "the federation did not form: $alive of 2 peers alive ($TMP/full.log)"
fi

# ---- wrk ----
to_us() {  # "1.23ms" -> 1230
  awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
    f = (u == "us") ? 1 : (u == "ms") ? 1000 : (u == "s") ? 1000000 : (u == "m") ? 60000000 : 1;
    printf "%.0f", n * f }'
}
# CPU time (utime + stime, clock ticks) of the given processes, all their threads.
cpu_ticks() {
  local p
  for p in "$@"; do sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}'; done |
    awk '{s += $1} END {print s + 0}'
}
# The processes whose CPU a target's row shows: nginx's master and workers; Portkey's node
# process; the llm-edge node (not its two federation peers).
target_pids() {
  case $1 in
    direct) echo "$FAKE_PID $(pgrep -P "$FAKE_PID" | tr '\n' ' ')" ;;
    nginx|nginx-full) echo "$PROXY_PID $(pgrep -P "$PROXY_PID" | tr '\n' ' ')" ;;
    portkey) echo "$PK_PID" ;;
    llm-edge) echo "$EDGE_PID" ;;
    llm-edge-full) echo "$FULL_PID" ;;
  esac
}
declare -A RPS P50 P99 CPU ERR SCRIPT
FLAGGED=()
run_wrk() {  # $1 = name, $2 = url, $3 = connections, $4 = round; appends to the lists
  local out="$TMP/wrk-$1-$3-$4.txt" t=$THREADS pids c0 c1 reqs bad
  ((t > $3)) && t=$3
  wrk -t"$t" -c"$3" -d"$WARMUP" --timeout "$WRK_TIMEOUT" -s "$TMP/${SCRIPT[$1]}" "$2" >/dev/null
  pids=$(target_pids "$1")
  # shellcheck disable=SC2086
  c0=$(cpu_ticks $pids)
  wrk -t"$t" -c"$3" -d"$DURATION" --timeout "$WRK_TIMEOUT" --latency -s "$TMP/${SCRIPT[$1]}" "$2" >"$out"
  # shellcheck disable=SC2086
  c1=$(cpu_ticks $pids)
  reqs=$(awk '/ requests in / {print $1}' "$out")
  RPS[$1,$3]+=" $(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$out")"
  P50[$1,$3]+=" $(to_us "$(awk '$1 == "50%" {print $2}' "$out")")"
  P99[$1,$3]+=" $(to_us "$(awk '$1 == "99%" {print $2}' "$out")")"
  CPU[$1,$3]+=" $(awk -v d="$((c1 - c0))" -v n="${reqs:-0}" -v hz="$CLK_TCK" \
    'BEGIN { if (n > 0) printf "%.1f", d * 1e6 / hz / n; else print 0 }')"
  bad=$(awk '/Non-2xx/ {printf "non2xx:%s ", $NF} /Socket errors/ {sub(/^ *Socket errors: /, ""); gsub(/, /, ","); printf "sock:%s ", $0}' "$out")
  if [[ -n "$bad" ]]; then
    ERR[$1,$3]+="r$4:$bad"
    FLAGGED+=("$1 c=$3 round $4: $bad($out)")
  fi
}
median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

TARGETS=("direct http://127.0.0.1:$FAKE_PORT/v1/chat/completions"
         "nginx http://127.0.0.1:$PROXY_PORT/v1/chat/completions")
SCRIPT[direct]=plain.lua; SCRIPT[nginx]=plain.lua
if [[ -n "$PK_PID" ]]; then
  TARGETS+=("portkey http://127.0.0.1:$PK_PORT/v1/chat/completions"); SCRIPT[portkey]=portkey.lua
fi
if [[ -n "$EDGE_PID" ]]; then
  TARGETS+=("llm-edge http://127.0.0.1:$EDGE_PORT/v1/chat/completions"); SCRIPT[llm-edge]=plain.lua
fi
if [[ -n "$FULL_PID" ]]; then
  # nginx again, sent exactly what llm-edge-full is sent (full.lua: its headers, and wrk's
  # request() per request): the every-feature row's ratio and p99 are judged against this one.
  TARGETS+=("nginx-full http://127.0.0.1:$PROXY_PORT/v1/chat/completions"); SCRIPT[nginx-full]=full.lua
  TARGETS+=("llm-edge-full http://127.0.0.1:$FULL_PORT/v1/chat/completions"); SCRIPT[llm-edge-full]=full.lua
fi

echo "wrk -t$THREADS -d$DURATION --timeout $WRK_TIMEOUT --latency, POST ${#BODY}-byte chat body, answer ${#ANSWER} bytes;" \
  "proxy workers: $WORKERS (Portkey: 1 process); $(nproc) cores; $ROUNDS round(s), medians shown"
# Rounds alternate the targets, so that a burst of other load on the machine hits all alike.
for r in $(seq 1 "$ROUNDS"); do
  for c in $CONNS; do
    for t in "${TARGETS[@]}"; do run_wrk "${t%% *}" "${t#* }" "$c" "$r"; done
  done
done

for c in $CONNS; do
  echo
  echo "== $c connection(s) =="
  printf '%-14s %9s %8s %9s %9s %10s %12s  %s\n' target req/s x_nginx p50_us p99_us cpu_us/req \
    p50_added_us "all rounds req/s; errors"
  for t in "${TARGETS[@]}"; do
    n=${t%% *}
    RPS[$n,$c,m]=$(median "${RPS[$n,$c]}")
    P50[$n,$c,m]=$(median "${P50[$n,$c]}")
  done
  for t in "${TARGETS[@]}"; do
    n=${t%% *}
    base=nginx
    [[ $n == llm-edge-full ]] && base=nginx-full
    ratio=$(awk -v a="${RPS[$n,$c,m]}" -v b="${RPS[$base,$c,m]}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
    added=$(( ${P50[$n,$c,m]} - ${P50[direct,$c,m]} ))
    [[ $n == direct ]] && added=-
    printf '%-14s %9s %8s %9s %9s %10s %12s  %s\n' "$n" "${RPS[$n,$c,m]}" "$ratio" \
      "${P50[$n,$c,m]}" "$(median "${P99[$n,$c]}")" "$(median "${CPU[$n,$c]}")" "$added" \
      "${RPS[$n,$c]# }; ${ERR[$n,$c]:-ok}"
  done
done
echo
echo "x_nginx: req/s over nginx's with the same requests: llm-edge-full's over nginx-full's (nginx" \
  "sent full.lua's requests), every other row's over nginx's. cpu_us/req: CPU (user + system) of the" \
  "row's processes over the measured requests; direct shows the fake's own, llm-edge-full its node" \
  "only (not the two peers)."
if [[ -n "$FULL_PID" ]]; then
  echo "Targets (issue 13, every feature on): llm-edge-full >= 1.0x nginx-full at 16 and 64" \
    "connections; p99 at 64 <= nginx-full's."
fi

# ---- X-Edge-Overhead-Us under load ----
if [[ $SKIP_OVERHEAD != 1 && ( -n "$EDGE_PID" || -n "$FULL_PID" ) ]]; then
  echo
  echo "== X-Edge-Overhead-Us (the node's own time per request, us) at $OVERHEAD_CONNS connections," \
    "wrk -d$DURATION with a response() callback (its req/s not comparable, not shown) =="
  for t in "${TARGETS[@]}"; do
    n=${t%% *}
    [[ $n == llm-edge* ]] || continue
    overhead_lua "${SCRIPT[$n]}" >"$TMP/overhead-$n.lua"
    wrk -t"$THREADS" -c"$OVERHEAD_CONNS" -d"$DURATION" -s "$TMP/overhead-$n.lua" "${t#* }" \
      >"$TMP/wrk-overhead-$n.txt" 2>&1 || true
    line=$(grep -m1 '^OVERHEAD' "$TMP/wrk-overhead-$n.txt" || echo "OVERHEAD (no output: $TMP/wrk-overhead-$n.txt)")
    bad=$(awk '/Non-2xx/ {printf " non2xx:%s", $NF}' "$TMP/wrk-overhead-$n.txt")
    [[ -n "$bad" ]] && FLAGGED+=("overhead $n:$bad")
    printf '%-14s %s%s\n' "$n" "${line#OVERHEAD }" "$bad"
  done
  echo "Target (issue 13): llm-edge-full's p99 < 100 us at 64 connections."
fi

# ---- streaming ----
# Like the throughput rows, ROUNDS rounds alternate the targets, direct first in each: a
# target's +first is the median over rounds of its first-event p50 less direct's in the same
# round, so that the machine's drift between rounds (~50 us) does not decide a 50 us target.
declare -A SFIRST STOTAL SF99 ST99 SOK SERR SERRMSG SPLUSF SPLUST
if [[ $SKIP_STREAM != 1 ]]; then
  STARGETS=("direct http://127.0.0.1:$SSE_PORT/v1/chat/completions"
            "nginx http://127.0.0.1:$PROXY_SSE_PORT/v1/chat/completions")
  [[ -n "$PK_PID" ]] && STARGETS+=("portkey http://127.0.0.1:$PK_PORT/v1/chat/completions")
  [[ -n "$EDGE_PID" ]] && STARGETS+=("llm-edge http://127.0.0.1:$EDGE_PORT/v1/chat/completions")
  [[ -n "$FULL_PID" ]] && STARGETS+=("llm-edge-full http://127.0.0.1:$FULL_PORT/v1/chat/completions")
  stream_args() {  # $1 = name: the target's extra headers for stream_client.py
    local h
    echo -H; echo "Authorization: Bearer $KEY"
    case $1 in
      portkey) echo -H; echo "x-portkey-provider: openai"
               echo -H; echo "x-portkey-custom-host: http://127.0.0.1:$SSE_PORT/v1" ;;
      llm-edge-full) for h in "${TAG_HEADERS[@]}"; do echo -H; echo "$h"; done
                     echo -H; echo "X-Forwarded-For: $EU_CALLER" ;;
    esac
  }
  echo
  echo "== streaming: $STREAM_EVENTS content events ${STREAM_GAP_MS} ms apart (bench/sse_fake.py)," \
    "${STREAM_DURATION}s per row and round; first = first data: event, total = data: [DONE] (us);" \
    "$ROUNDS round(s), medians shown =="
  printf '%-14s %7s %6s %9s %9s %9s %9s %9s %9s  %s\n' target streams ok first_p50 first_p99 \
    +first total_p50 total_p99 +total "all rounds +first; errors"
  for s in $STREAMS; do
    for r in $(seq 1 "$ROUNDS"); do
      direct_first=; direct_total=  # this round's, for the others' differences
      for t in "${STARGETS[@]}"; do
        n=${t%% *}
        mapfile -t extra < <(stream_args "$n")
        out=$("$PY" "$ROOT/bench/stream_client.py" --url "${t#* }" --streams "$s" \
          --duration "$STREAM_DURATION" --warmup 1 --body "$STREAM_BODY" --expect 'Hello!' \
          "${extra[@]}" 2>&1 || true)
        echo "$n round=$r $out" >>"$TMP/stream.txt"
        val() { sed -n "s/.*\\b$1=\\([0-9]*\\).*/\\1/p" <<<"$out"; }
        ok=$(val ok); errs=$(val errors); first=$(val first_p50_us); total=$(val total_p50_us)
        SOK[$n,$s]=$(( ${SOK[$n,$s]:-0} + ${ok:-0} ))
        SERR[$n,$s]=$(( ${SERR[$n,$s]:-0} + ${errs:-0} ))
        if [[ -z "$ok" || "$ok" == 0 || "$errs" != 0 ]]; then
          FLAGGED+=("stream $n streams=$s round $r: $out")
          [[ -z "${SERRMSG[$n,$s]:-}" ]] && SERRMSG[$n,$s]=$(sed -n 's/.*first_error=/ /p' <<<"$out" | head -c 300)
        fi
        [[ -n "$first" ]] || continue
        SFIRST[$n,$s]+=" $first"; STOTAL[$n,$s]+=" $total"
        SF99[$n,$s]+=" $(val first_p99_us)"; ST99[$n,$s]+=" $(val total_p99_us)"
        if [[ $n == direct ]]; then
          direct_first=$first; direct_total=$total
        elif [[ -n "$direct_first" ]]; then
          SPLUSF[$n,$s]+=" $((first - direct_first))"
          SPLUST[$n,$s]+=" $((total - direct_total))"
        fi
      done
    done
    for t in "${STARGETS[@]}"; do
      n=${t%% *}
      plus_f=-; plus_t=-
      if [[ -n "${SPLUSF[$n,$s]:-}" ]]; then
        plus_f=$(median "${SPLUSF[$n,$s]}"); plus_t=$(median "${SPLUST[$n,$s]}")
      fi
      rounds=${SPLUSF[$n,$s]:-}
      printf '%-14s %7s %6s %9s %9s %9s %9s %9s %9s  %s\n' "$n" "$s" "${SOK[$n,$s]:-0}" \
        "$(median "${SFIRST[$n,$s]:-}")" "$(median "${SF99[$n,$s]:-}")" "$plus_f" \
        "$(median "${STOTAL[$n,$s]:-}")" "$(median "${ST99[$n,$s]:-}")" "$plus_t" \
        "${rounds# }; ${SERR[$n,$s]:-?}${SERRMSG[$n,$s]:-}"
    done
  done
  echo "+first, +total: median over rounds of the p50 less direct's p50 in the same round. ok: good" \
    "streams over all rounds. Target (issue 13): llm-edge-full's +first <= nginx's + 50 us at 1 and 8 streams."
  if [[ -n "$PK_PID" ]]; then echo "Portkey waits 25 ms (setTimeout) before it forwards a stream's first chunk: its first-event time includes that."; fi
fi

# ---- the every-feature node's own view of the run ----
if [[ -n "$FULL_PID" ]]; then
  echo
  curl -s -H "Authorization: Bearer $ADMIN_KEY" "http://127.0.0.1:$FULL_ADMIN/metrics" >"$TMP/full-metrics.txt"
  metric() {  # sum of the series of $1 whose labels match $2 (a regex, may be empty)
    awk -v m="$1" -v l="$2" '$1 ~ "^" m "([{]|$)" && $1 ~ l {s += $2} END {printf "%.0f", s}' "$TMP/full-metrics.txt"
  }
  echo "llm-edge-full after the run: ledger records $(metric llm_edge_ledger_records_total ''), write failures" \
    "$(metric llm_edge_ledger_write_failures_total ''), budget refusals $(metric llm_edge_budget_refusals_total ''), rate-limit refusals" \
    "$(metric llm_edge_rate_limit_refusals_total ''), gossip peers alive $(metric llm_edge_gossip_members 'alive'), gossip frames in/out ok" \
    "$(metric llm_edge_gossip_frames_total 'direction="in",result="ok"')/$(metric llm_edge_gossip_frames_total 'direction="out",result="ok"')"
  echo "  upstream attempts by deployment (ok):$(for d in 0 1 2; do printf ' fake-%s=%s' $d "$(metric llm_edge_upstream_attempts_total "deployment=\"fake-$d\".*outcome=\"ok\"")"; done)$(
    [[ $SKIP_STREAM == 1 ]] ||
    for d in 0 1 2; do printf ' sse-%s=%s' $d "$(metric llm_edge_upstream_attempts_total "deployment=\"sse-$d\".*outcome=\"ok\"")"; done)"
  # The audit log it wrote: the chain and the signed digests verify, and both peers' witnessed
  # chain heads and digests (received by gossip) are in it.
  verify=$("$EDGE_BIN" audit verify --data-dir "$TMP/bench-full-data" --admin-key "$ADMIN_KEY" \
    --witness "http://127.0.0.1:${FULL_ADMIN_PORTS[1]}" --witness "http://127.0.0.1:${FULL_ADMIN_PORTS[2]}" 2>&1) ||
    FLAGGED+=("llm-edge-full audit verify failed: $verify")
  echo "  audit verify --witness (both peers): $(tr '\n' ' ' <<<"$verify" | head -c 400)"
  # Its log's warnings and errors, counted by message and error (wrk leaves requests in flight
  # when it stops: "Cancelled: the client closed the connection" is that, not a failure).
  "$PY" - "$TMP/full.log" <<'EOF'
import collections, json, sys
seen = collections.Counter()
for line in open(sys.argv[1], errors="replace"):
    try:
        r = json.loads(line)
    except ValueError:
        seen[("?", line.strip()[:160], "")] += 1
        continue
    if r.get("level") in ("warn", "error"):
        seen[(r["level"], r.get("msg", ""), r.get("error", r.get("reason", "")))] += 1
for (level, msg, err), n in seen.most_common(8):
    print("  log: %dx %s %s%s" % (n, level, msg, (": " + err) if err else ""))
EOF
fi

# ---- idle keep-alive connections ----
# Each llm-edge node in turn holds IDLE_CONNS idle keep-alive clients; its RSS is read then.
idle_rss() {  # $1 = name, $2 = pid, $3 = port
  local rss_before rss hwm fds idle_pid i
  rss_before=$(awk '/^VmRSS/ {print $2}' "/proc/$2/status")
  "$PY" "$ROOT/bench/idle_conns.py" --port "$3" --key "$KEY" --conns "$IDLE_CONNS" \
    >"$TMP/idle-$1.out" 2>"$TMP/idle-$1.err" &
  idle_pid=$!
  PIDS+=("$idle_pid")
  for i in $(seq 1 600); do
    grep -q '^READY' "$TMP/idle-$1.out" 2>/dev/null && break
    kill -0 "$idle_pid" 2>/dev/null || die "idle_conns failed: $(cat "$TMP/idle-$1.err")"
    sleep 0.2
  done
  grep -q '^READY' "$TMP/idle-$1.out" || die "idle_conns did not get ready"
  sleep 1
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$2/status")
  hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$2/status")
  fds=$(ls "/proc/$2/fd" | wc -l)
  kill "$idle_pid" 2>/dev/null || true
  wait "$idle_pid" 2>/dev/null || true
  echo "$1: $(tr '\n' ' ' <"$TMP/idle-$1.out")"
  echo "$1 VmRSS with $IDLE_CONNS idle keep-alive connections: $((rss / 1024)) MiB" \
    "(before: $((rss_before / 1024)) MiB, VmHWM $((hwm / 1024)) MiB, $fds open fds; target < 64 MiB)"
}
if [[ $SKIP_IDLE != 1 && ( -n "$EDGE_PID" || -n "$FULL_PID" ) ]]; then
  echo
  if [[ -n "$EDGE_PID" ]]; then idle_rss llm-edge "$EDGE_PID" "$EDGE_PORT"; fi
  if [[ -n "$FULL_PID" ]]; then idle_rss llm-edge-full "$FULL_PID" "$FULL_PORT"; fi
fi

if ((${#FLAGGED[@]})); then
  echo
  echo "FLAGGED: these measurements include failed requests; do not trust their numbers:"
  printf '  %s\n' "${FLAGGED[@]}"
  exit 3
fi
