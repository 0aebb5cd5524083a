#!/usr/bin/env bash
# The newcomer's minute: installs everything, builds, and brings up a three-region cluster on
# loopback (eu-west = config/regions/demo.yaml, us-east and ap-southeast from
# config/regions/demo/), each node beside a fake OpenAI provider (there is no internet here),
# federated by gossip. It sends a little tagged traffic from EU and US addresses (as
# X-Forwarded-For from a trusted loopback proxy), then prints where each request was served,
# the global spend table, the EU audit residency proof and the dashboard's URL. Ctrl-C stops
# everything it started.
#
# Environment (for tests and for running it beside other things):
#   LLM_EDGE_DEMO_EXIT=1          exit (stopping everything) after printing, instead of waiting
#   LLM_EDGE_BINARY=PATH          use this llm-edge, skip the set-up and the build
#   LLM_EDGE_DEMO_DIR=DIR         where the nodes keep their data and logs (default: the repo,
#                                 so ./data/demo* as in the configs)
#   LLM_EDGE_DEMO_PORT_OFFSET=N   shift every loopback port of the demo by N (default 0)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

if [ -z "${LLM_EDGE_BINARY:-}" ]; then
  bash scripts/setup.sh
  cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build-release --target llm-edge -j"$(nproc)"
  bin=$repo/build-release/node/llm-edge
else
  bin=$LLM_EDGE_BINARY
fi
run=${LLM_EDGE_DEMO_DIR:-$repo}
offset=${LLM_EDGE_DEMO_PORT_OFFSET:-0}
mkdir -p "$run/data/demo-logs"
logs=$run/data/demo-logs
port() { echo $(($1 + offset)); }

pids=()
stop() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop EXIT
trap 'echo; echo "Stopping the demo cluster."; exit 130' INT TERM

# The configs as written, or copies with every loopback port shifted (the same layout, so
# that their relative includes still resolve).
regions=$repo/config/regions
configs=("$regions/demo.yaml" "$regions/demo/us-east.yaml" "$regions/demo/ap-southeast.yaml")
if [ "$offset" != 0 ]; then
  copies=$run/data/demo-configs
  mkdir -p "$copies/demo"
  for f in demo.yaml demo/us-east.yaml demo/ap-southeast.yaml demo/shared.yaml; do
    OFFSET=$offset perl -pe 's/127\.0\.0\.1:(\d+)/"127.0.0.1:" . ($1 + $ENV{OFFSET})/ge' \
      "$regions/$f" >"$copies/$f"
  done
  configs=("$copies/demo.yaml" "$copies/demo/us-east.yaml" "$copies/demo/ap-southeast.yaml")
fi

for p in 9901 9902 9903; do
  /usr/bin/python3 "$repo/tests/fakes/fake_openai.py" --port "$(port $p)" >"$logs/fake-$p.log" 2>&1 &
  pids+=($!)
done
names=(eu-west us-east ap-southeast)
client_ports=("$(port 8080)" "$(port 8090)" "$(port 8100)")
admin_ports=("$(port 8081)" "$(port 8091)" "$(port 8101)")
for i in 0 1 2; do
  (cd "$run" && exec "$bin" serve --config "${configs[$i]}") >"$logs/${names[$i]}.log" 2>&1 &
  pids+=($!)
done

wait_ready() {  # admin port, name
  for _ in $(seq 200); do
    curl -sf "http://127.0.0.1:$1/readyz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "demo: the $2 node did not become ready; its log:" >&2
  tail -20 "$logs/$2.log" >&2
  exit 1
}
for i in 0 1 2; do wait_ready "${admin_ports[$i]}" "${names[$i]}"; done
for p in 9901 9902 9903; do
  for _ in $(seq 100); do grep -q LISTENING "$logs/fake-$p.log" && break; sleep 0.1; done
done

echo "A three-region llm-edge cluster on loopback, federated by gossip:"
for i in 0 1 2; do
  printf '  %-13s client http://127.0.0.1:%s  admin http://127.0.0.1:%s\n' "${names[$i]}" \
    "${client_ports[$i]}" "${admin_ports[$i]}"
done
echo
echo "Traffic (callers placed by GeoIP from X-Forwarded-For; EU callers are pinned to the EU):"
sent=0
call() {  # region index, caller IP, caller's country, team, feature
  local headers status
  headers=$(curl -s -o /dev/null -D - "http://127.0.0.1:${client_ports[$1]}/v1/chat/completions" \
    -H 'Authorization: Bearer sk-edge-demo-key' -H 'Content-Type: application/json' \
    -H "X-Forwarded-For: $2" -H "X-Edge-Team: $4" -H "X-Edge-Feature: $5" \
    -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello from the demo"}]}' |
    tr -d '\r')
  status=$(echo "$headers" | awk 'NR==1 {print $2}')
  field() { echo "$headers" | awk -v h="$1" 'tolower($1) == tolower(h) ":" {$1 = ""; print substr($0, 2)}'; }
  printf '  caller %-12s (%s) -> %-12s team=%-6s feature=%-9s %s  jurisdiction=%s deployment=%s\n' \
    "$2" "$3" "${names[$1]}" "$4" "$5" "$status" "$(field X-Edge-Jurisdiction)" \
    "$(field X-Edge-Deployment)"
  sent=$((sent + 1))
}
call 0 5.9.0.1 DE search summarize
call 0 193.0.6.139 NL ads chat
call 0 5.9.0.1 DE search chat
call 1 8.8.8.8 US ads summarize
call 1 3.3.3.3 US search summarize
call 1 193.0.6.139 NL ads chat
call 2 8.8.8.8 US growth chat
call 2 5.9.0.1 DE growth summarize

# Each node's ledger commits shortly after its answers; the federation then carries every
# region's figures to the others within a few gossip rounds.
requests() {  # admin port, scope -> the totals' request count
  curl -s -H 'Authorization: Bearer admin-demo-key' \
    "http://127.0.0.1:$1/admin/spend?scope=$2" |
    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["totals"]["requests"])' \
      2>/dev/null || echo -1
}
converged=no
for _ in $(seq 150); do
  local_sum=0
  for i in 0 1 2; do local_sum=$((local_sum + $(requests "${admin_ports[$i]}" local))); done
  if [ "$(requests "${admin_ports[0]}" global)" = "$local_sum" ] && [ "$local_sum" -ge "$sent" ]; then
    converged=yes
    break
  fi
  sleep 0.2
done
echo
if [ $converged = no ]; then
  echo "(the federation has not converged yet: the table below may lag a few gossip rounds)"
fi
echo "Global spend this month, from eu-west's merged view (llm-edge spend --global):"
"$bin" spend --url "http://127.0.0.1:${admin_ports[0]}" --admin-key admin-demo-key --global \
  --by team,region
echo
echo "Audit residency proof of eu-west (llm-edge audit residency --data-dir $run/data/demo):"
"$bin" audit residency --data-dir "$run/data/demo"
echo
cat <<TXT
Dashboard: http://127.0.0.1:${admin_ports[0]}/dashboard
  (log in with any user name and the admin key as the password: admin-demo-key)
Try:
  curl -s http://127.0.0.1:${client_ports[0]}/v1/chat/completions -H 'Authorization: Bearer sk-edge-demo-key' \\
    -H 'Content-Type: application/json' -H 'X-Forwarded-For: 5.9.0.1' \\
    -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello"}]}'
Logs and data: $run/data/ (demo-logs/, demo/, demo-us-east/, demo-ap-southeast/)
TXT
if [ "${LLM_EDGE_DEMO_EXIT:-0}" = 1 ]; then
  exit 0
fi
echo "Ctrl-C stops the cluster."
wait
