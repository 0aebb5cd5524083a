#!/usr/bin/env bash
# Installs everything, builds, and runs a node on the demo region config with the fake
# OpenAI provider beside it (there is no internet here). Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-release --target llm-edge -j"$(nproc)"

/usr/bin/python3 tests/fakes/fake_openai.py --port 9901 >/tmp/llm-edge-demo-fake.log 2>&1 &
fake=$!
trap 'kill $fake 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q LISTENING /tmp/llm-edge-demo-fake.log && break; sleep 0.1; done

cat <<'TXT'
llm-edge demo node on 127.0.0.1:8080 (admin 127.0.0.1:8081), fake OpenAI on 127.0.0.1:9901.
Try:
  curl -s http://127.0.0.1:8080/v1/chat/completions -H 'Authorization: Bearer sk-edge-demo-key' \
    -H 'Content-Type: application/json' -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello"}]}'
TXT
./build-release/node/llm-edge serve --config config/regions/demo.yaml
