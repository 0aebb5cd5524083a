#!/usr/bin/env bash
# Instructions per proxied request, counted by valgrind's callgrind: insensitive to machine
# load, so a change's cost on the request path can be compared between two builds.
#
#   bench/callgrind.sh [LLM_EDGE_BINARY]     # default build-release/node/llm-edge
#   BODY='{"model":...}' ENDPOINT=/v1/messages bench/callgrind.sh
#   EXTRA_YAML='geo: {trusted_proxies: ["127.0.0.1/32"]}' \
#     HEADER='X-Forwarded-For: 85.214.0.1' bench/callgrind.sh   # a client behind a trusted proxy
#
# Runs the node (one worker) under callgrind twice, sending N1 and then N2 requests of the
# bench body over one keep-alive connection to a fake OpenAI upstream, and prints
# (I(N2) - I(N1)) / (N2 - N1): start-up, config load and shutdown cancel out. Each run has
# its own empty data dir (ledger, audit log): a shared one would make the second run replay
# the first one's WAL at start-up and skew the difference.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-build-release/node/llm-edge}
N1=${N1:-200}
N2=${N2:-1200}
ENDPOINT=${ENDPOINT:-/v1/chat/completions}
EXTRA_YAML=${EXTRA_YAML:-}  # more top-level config sections
HEADER=${HEADER:-}          # one more request header, "Name: value"
BODY=${BODY:-'{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Say hello in one short sentence."}],"temperature":0.2}'}
command -v valgrind >/dev/null || { echo "valgrind not found" >&2; exit 1; }
[ -x "$BIN" ] || { echo "no binary at $BIN" >&2; exit 1; }

TMP=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; if [ -n "${KEEP_TMP:-}" ]; then echo "kept $TMP" >&2; else rm -rf "$TMP"; fi' EXIT
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"
FAKE=$(free_port)
python3 tests/fakes/fake_openai.py --port "$FAKE" >"$TMP/fake.log" 2>&1 &
for _ in $(seq 50); do grep -q LISTENING "$TMP/fake.log" && break; sleep 0.1; done

KEY=sk-callgrind
KEY_SHA=$(printf %s "$KEY" | sha256sum | cut -d' ' -f1)
run() {  # $1 = requests; prints the node's total instructions
  local port admin
  port=$(free_port); admin=$(free_port)
  cat >"$TMP/edge.yaml" <<YAML
node: {id: cg, region: bench, jurisdiction: US, listen: "127.0.0.1:$port",
       admin_listen: "127.0.0.1:$admin", workers: 1, data_dir: "$TMP/data.$1"}
model_list:
  - model_name: gpt-4o-mini
    litellm_params: {model: openai/gpt-4o-mini, api_base: "http://127.0.0.1:$FAKE/v1", api_key: sk-upstream}
keys:
  - {id: cg, key_sha256: "$KEY_SHA", team: bench, env: prod}
$EXTRA_YAML
YAML
  valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.$1" "$BIN" serve --config "$TMP/edge.yaml" \
    2>"$TMP/node.$1.log" &
  local pid=$!
  python3 - "$port" "$admin" "$1" "$ENDPOINT" "$BODY" "$KEY" "$HEADER" <<'PY'
import http.client, sys, time
port, admin, n, path, body, key = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
extra = dict([[p.strip() for p in sys.argv[7].split(":", 1)]]) if sys.argv[7] else {}
for _ in range(600):
    try:
        c = http.client.HTTPConnection("127.0.0.1", admin, timeout=2); c.request("GET", "/readyz")
        if c.getresponse().status == 200: break
    except OSError: pass
    time.sleep(0.1)
c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
for i in range(n):
    c.request("POST", path, body, {"Content-Type": "application/json", "Authorization": "Bearer " + key, "x-api-key": key, **extra})
    r = c.getresponse(); r.read()
    if r.status != 200: sys.exit("request %d: HTTP %d" % (i, r.status))
PY
  kill -TERM "$pid"; wait "$pid" || true
  grep -E '^(summary|totals):' "$TMP/cg.$1" | head -1 | awk '{print $2}'
}
I1=$(run "$N1")
I2=$(run "$N2")
echo "callgrind: $ENDPOINT, $N1 vs $N2 requests: $(( (I2 - I1) / (N2 - N1) )) instructions per request ($BIN)"
