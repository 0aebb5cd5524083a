#!/bin/sh
# Certificates for the gossip port's mutual TLS (federation.tls in shared/common.yaml).
#
#   gossip-certs.sh DIR [DNS_NAME...]
#
# Writes DIR/ca.crt and DIR/ca.key (a private CA, EC P-256, 10 years) unless they exist, and
# DIR/gossip.crt + DIR/gossip.key: a node certificate signed by that CA for both ends of a TLS
# connection (serverAuth + clientAuth), with the DNS names given as subjectAltNames (e.g.
# gossip.eu-west.llm-edge.internal). Run it once per node with the same DIR's CA, copy
# ca.crt, gossip.crt and gossip.key to the node's /etc/llm-edge/tls/, and keep ca.key off the
# nodes. Any PKI that issues such certificates (Vault, step-ca, ACM PCA) will do instead.
set -eu
if [ $# -lt 1 ]; then
  echo "usage: $0 DIR [DNS_NAME...]" >&2
  exit 2
fi
dir=$1
shift
mkdir -p "$dir"
umask 077
if [ ! -s "$dir/ca.crt" ] || [ ! -s "$dir/ca.key" ]; then
  openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -days 3650 \
    -subj "/CN=llm-edge gossip CA" -keyout "$dir/ca.key" -out "$dir/ca.crt" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    2>/dev/null
fi
san="DNS:localhost"
for name in "$@"; do san="$san,DNS:$name"; done
ext=$(mktemp)
trap 'rm -f "$ext" "$dir/gossip.csr"' EXIT
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=%s\n' "$san" >"$ext"
openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -subj "/CN=${1:-llm-edge-node}" \
  -keyout "$dir/gossip.key" -out "$dir/gossip.csr" 2>/dev/null
openssl x509 -req -in "$dir/gossip.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
  -days 825 -extfile "$ext" -out "$dir/gossip.crt" 2>/dev/null
chmod 644 "$dir/ca.crt" "$dir/gossip.crt"
echo "wrote $dir/ca.crt $dir/gossip.crt $dir/gossip.key"
