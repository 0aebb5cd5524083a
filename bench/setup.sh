#!/usr/bin/env bash
# Installs what bench/run.sh needs beyond scripts/setup.sh (which brings wrk, nginx-light,
# python3 and Node.js): Portkey's open-source gateway from npm, pinned by
# bench/portkey/package-lock.json. Idempotent; neither the tests nor CI use it.
#
#   bench/setup.sh
#
# Portkey 1.15.2 on Node answers every stream with 500 "Something went wrong" (its log:
# `TypeError: immutable` in updateHeaders, Portkey-AI/gateway issues #1389 and #1550): the
# streaming path wraps the upstream's Response as `new Response(body, upstreamResponse)`,
# and under @hono/node-server that keeps the fetch response's immutable headers, which
# Portkey then appends its x-portkey-* headers to. This script applies the same change as
# Portkey-AI/gateway PR #1551 to the built file: the streamed Response gets a copy of the
# upstream's status and headers. Non-streaming requests do not take that path.
set -euo pipefail
dir=$(cd "$(dirname "$0")" && pwd)/portkey
server=$dir/node_modules/@portkey-ai/gateway/build/start-server.js

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "bench/setup.sh: node and npm are needed (scripts/setup.sh installs them)" >&2
  exit 1
fi
if [ ! -f "$server" ]; then
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
fi

broken='new Response(p,e)}'
fixed='new Response(p,{status:e.status,statusText:e.statusText,headers:new Headers(e.headers)})}'
if grep -qF "$fixed" "$server"; then
  exit 0
fi
if [ "$(grep -oF "$broken" "$server" | wc -l)" != 1 ]; then
  echo "bench/setup.sh: $server does not hold the streaming code this script fixes" \
    "(another Portkey version?); streams through Portkey may fail" >&2
  exit 1
fi
sed -i "s/new Response(p,e)}/$fixed/" "$server"
