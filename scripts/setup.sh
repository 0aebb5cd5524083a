#!/usr/bin/env bash
# Installs every build, test and bench dependency from Debian's apt. Idempotent:
# a second run installs nothing and takes a second. Portkey's gateway, which only
# bench/run.sh compares against, comes from npm through bench/setup.sh.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkgconf git ca-certificates
  libuv1-dev node-llhttp libmbedtls-dev libmsgpack-cxx-dev librocksdb-dev
  libsimdjson-dev rapidjson-dev libssl-dev libyaml-cpp-dev libmaxminddb-dev zlib1g-dev libjemalloc-dev
  libmaxmind-db-writer-perl tor-geoipdb
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 openssl curl clang libclang-rt-14-dev
  wrk nginx-light
  shellcheck logrotate
  chromium
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  # policy-rc.d keeps apt from starting the tor and nginx daemons these packages bring.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Node.js runs the official OpenAI and Anthropic SDKs in the end-to-end tests. Machines of
# this kind come with Node 20 and npm; a bare Debian 12 gets them from apt.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  apt-get update -qq && apt-get install -y -qq --no-install-recommends nodejs npm
fi
here=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -d "$here/tests/e2e/sdk/node_modules/openai" ] ||
   [ ! -d "$here/tests/e2e/sdk/node_modules/@anthropic-ai/sdk" ]; then
  (cd "$here/tests/e2e/sdk" && npm ci --no-audit --no-fund --loglevel=error)
fi
# The deploy checks parse deploy/terraform offline with HashiCorp's HCL parser (npm
# @cdktf/hcl2json, WebAssembly) and read config/regions/ with npm yaml. Without the registry
# (and no npm cache) those tests are skipped, not failed: setup goes on.
if [ ! -d "$here/tests/deploy/node_modules/@cdktf/hcl2json" ] ||
   [ ! -d "$here/tests/deploy/node_modules/yaml" ]; then
  (cd "$here/tests/deploy" && npm ci --no-audit --no-fund --loglevel=error --prefer-offline) ||
    echo "setup.sh: npm could not install tests/deploy's packages; the deploy_terraform tests will be skipped" >&2
fi

# The admin dashboard's chart library (npm chart.js, pinned in node/admin/dashboard/
# package-lock.json), copied where an installed or copied llm-edge finds it (the build tree
# gets its own copy: node/CMakeLists.txt). playwright-core drives chromium in the dashboard's
# end-to-end test.
if [ ! -d "$here/node/admin/dashboard/node_modules/chart.js" ]; then
  (cd "$here/node/admin/dashboard" && npm ci --no-audit --no-fund --loglevel=error)
fi
chart_js=/usr/local/share/llm-edge/dashboard/chart.umd.min.js
chart_npm="$here/node/admin/dashboard/node_modules/chart.js/dist/chart.umd.min.js"
if [ ! -s "$chart_js" ] || ! cmp -s "$chart_npm" "$chart_js"; then
  mkdir -p "$(dirname "$chart_js")"
  cp "$chart_npm" "$chart_js.tmp" && mv "$chart_js.tmp" "$chart_js"
fi
if [ ! -d "$here/tests/e2e/browser/node_modules/playwright-core" ]; then
  (cd "$here/tests/e2e/browser" && npm ci --no-audit --no-fund --loglevel=error)
fi

# The node's built-in GeoIP database (geo.database: ""), made from tor-geoipdb's ranges
# (about 6 s), where an installed or copied llm-edge finds it (docs/residency.md). Rebuilt
# when tor-geoipdb or the converter changed.
geoip_db=/usr/local/share/llm-edge/geoip.mmdb
if [ ! -s "$geoip_db" ] || [ /usr/share/tor/geoip -nt "$geoip_db" ] ||
   [ /usr/share/tor/geoip6 -nt "$geoip_db" ] || [ "$here/scripts/build-geoip-mmdb.pl" -nt "$geoip_db" ]; then
  mkdir -p "$(dirname "$geoip_db")"
  perl "$here/scripts/build-geoip-mmdb.pl" "$geoip_db.tmp" /usr/share/tor/geoip /usr/share/tor/geoip6
  mv "$geoip_db.tmp" "$geoip_db"
fi
