#!/bin/sh
# Test certificates for llm-edge (TLS unit tests, HTTPS upstream and TLS termination e2e tests).
#
#   make_test_certs.sh OUTDIR
#
# Writes into OUTDIR (created if missing), all PEM, valid for 10 years:
#   ca.crt, ca.key                  test CA: EC P-256, basicConstraints critical CA:TRUE
#   server.crt, server.key          EC P-256 leaf signed by ca.crt, CN=localhost,
#                                   SAN DNS:localhost, IP:127.0.0.1, IP:::1 (serverAuth)
#   server-rsa.crt, server-rsa.key  the same names with an RSA-2048 key, signed by ca.crt
#   wrong-name.crt, wrong-name.key  EC leaf signed by ca.crt, CN=wrong.example,
#                                   SAN DNS:wrong.example only (host-name mismatch tests)
#   other-ca.crt, other-ca.key      a second, unrelated CA (unknown-CA tests)
#   peer.crt, peer.key              EC leaf signed by ca.crt for both ends of mutual TLS (the
#                                   gossip port): serverAuth + clientAuth, SAN as server.crt
#   other-peer.crt, other-peer.key  the same signed by other-ca.crt (a peer of another CA)
#
# Idempotent: when OUTDIR already holds every file it does nothing. Concurrent runs on one
# OUTDIR are serialized by a lock so that no run sees a half-written or mixed set.
set -eu

if [ $# -ne 1 ]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
out=$1
files="ca.crt ca.key server.crt server.key server-rsa.crt server-rsa.key
       wrong-name.crt wrong-name.key other-ca.crt other-ca.key
       peer.crt peer.key other-peer.crt other-peer.key"

complete() {
  for f in $files; do [ -s "$out/$f" ] || return 1; done
  return 0
}

mkdir -p "$out"
complete && exit 0

exec 9>"$out/.make_test_certs.lock"
flock 9
complete && exit 0  # another run finished while we waited

tmp=$(mktemp -d "$out/.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# -config: our own minimal file, so that the host's openssl.cnf defaults (v3_ca on every
# -x509) do not leak CA:TRUE into leaf certificates.
cat >"$tmp/openssl.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:localhost,IP:127.0.0.1,IP:::1
[peer_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth,clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:localhost,IP:127.0.0.1,IP:::1
[wrong_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:wrong.example
EOF

ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256"
# ca NAME CN
ca() {
  # shellcheck disable=SC2086
  openssl req -config "$tmp/openssl.cnf" -x509 $ec -nodes -days 3650 -subj "/CN=$2" \
    -extensions ca_ext -keyout "$tmp/$1.key" -out "$tmp/$1.crt" 2>/dev/null
}
# leaf NAME CN EXTENSIONS NEWKEY...: a key and a certificate signed by $signer (ca by default)
signer=ca
leaf() {
  name=$1 cn=$2 ext=$3
  shift 3
  openssl req -config "$tmp/openssl.cnf" -x509 -CA "$tmp/$signer.crt" -CAkey "$tmp/$signer.key" "$@" \
    -nodes -days 3650 -subj "/CN=$cn" -extensions "$ext" \
    -keyout "$tmp/$name.key" -out "$tmp/$name.crt" 2>/dev/null
}

ca ca "llm-edge test CA"
ca other-ca "llm-edge unrelated CA"
# shellcheck disable=SC2086
leaf server localhost server_ext $ec
leaf server-rsa localhost server_ext -newkey rsa:2048
# shellcheck disable=SC2086
leaf wrong-name wrong.example wrong_ext $ec
# shellcheck disable=SC2086
leaf peer localhost peer_ext $ec
signer=other-ca
# shellcheck disable=SC2086
leaf other-peer localhost peer_ext $ec

chmod 600 "$tmp"/*.key
for f in $files; do mv "$tmp/$f" "$out/$f"; done
