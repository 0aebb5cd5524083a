#!/bin/sh
# ctest config_regions_check: `llm-edge check` passes on every config/regions/*.yaml, run the
# way an operator runs it on a node (config/regions/README.md): in the node's working
# directory, which holds tls/ made by gossip-certs.sh, with the variables of
# llm-edge.env.example in the environment. Deployable regions (all but demo.yaml) also keep
# the conventions deploy/ relies on: node.region is the file's name, and the three listeners.
#
#   check_regions.sh LLM_EDGE_BINARY SOURCE_DIR
set -eu
bin=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
"$src/config/regions/gossip-certs.sh" tls gossip.test.llm-edge.internal >/dev/null
set -a
. "$src/config/regions/llm-edge.env.example"
set +a

fail=0
regions=0
for f in "$src"/config/regions/*.yaml; do
  name=$(basename "$f" .yaml)
  if ! out=$("$bin" check --config "$f" 2>&1); then
    printf '%s\nFAIL: llm-edge check %s exited non-zero\n' "$out" "$f"
    fail=1
    continue
  fi
  if [ "$(printf '%s\n' "$out" | tail -n 1)" != "$f: ok" ]; then
    printf '%s\nFAIL: llm-edge check %s did not end with "ok"\n' "$out" "$f"
    fail=1
  fi
  [ "$name" = demo ] && continue
  regions=$((regions + 1))
  for line in "  region: $name" '  listen: "0.0.0.0:8080"' '  admin_listen: "127.0.0.1:8081"' \
              '  listen: "0.0.0.0:7946"'; do
    if ! grep -qxF "$line" "$f"; then
      echo "FAIL: $f lacks the line '$line' (config/regions/README.md)"
      fail=1
    fi
  done
done
if [ "$regions" -lt 4 ]; then
  echo "FAIL: only $regions deployable regions in config/regions/"
  fail=1
fi
[ "$fail" -eq 0 ] && echo "checked $regions regions and demo.yaml"
exit "$fail"
