# Sourced by the bench scripts: what they share.

# A free loopback TCP port (the kernel's pick).
free_port() {
  "${PY:-python3}" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The chat completion every fake upstream answers: OpenAI's shape, usage details included.
BENCH_ANSWER='{"id":"chatcmpl-bench","object":"chat.completion","created":1718345014,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I help you today?","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":19,"completion_tokens":9,"total_tokens":28,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"system_fingerprint":"fp_bench"}'

# An nginx config in $1/nginx.conf as run.sh runs nginx (the reference proxy, and the fake):
# $2 worker processes, $3 the http block's servers and upstreams. Start it with
# `nginx -p "$1" -c "$1/nginx.conf" -e "$1/error.log"`.
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
