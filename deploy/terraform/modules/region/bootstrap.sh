#!/usr/bin/env bash
# First boot of an llm-edge node (cloud-init runcmd; docs/deployment.md, "What a node does at
# boot"). Reads /etc/llm-edge/bootstrap.env, written by Terraform:
#   REGION AWS_REGION ARTIFACT_URL ARTIFACT_SHA256 SSM_PREFIX CONFIG_PATH EIP_POOL_TAG FEDERATION_PORT
# 1. claims a free elastic IP of the region's pool (the gossip address the other regions'
#    security groups admit), 2. installs the release tarball after checking its SHA-256,
# 3. writes secrets from SSM Parameter Store, 4. gives the config this instance's node id and
# advertised address, 5. checks the config and starts llm-edge under systemd.
# Any failure exits non-zero: the node never answers /readyz and the group replaces it.
set -euo pipefail

etc=${LLM_EDGE_ETC:-/etc/llm-edge}      # both overridable for tests/deploy's stubbed run
prefix=${LLM_EDGE_PREFIX:-/usr/local}
# shellcheck source=/dev/null
. "$etc/bootstrap.env"

log() { echo "llm-edge-bootstrap: $*" >&2; }

imds_token=$(curl -fsS --retry 5 -X PUT -H "X-aws-ec2-metadata-token-ttl-seconds: 600" \
  http://169.254.169.254/latest/api/token)
imds() {
  curl -fsS --retry 5 -H "X-aws-ec2-metadata-token: $imds_token" \
    "http://169.254.169.254/latest/meta-data/$1"
}
instance_id=$(imds instance-id)
ec2() { aws ec2 --region "$AWS_REGION" "$@"; }

# 1. The elastic IP. Two nodes booting at once may pick the same address: association without
# reassociation lets exactly one win, and the other tries another.
advertise_ip=""
if [ -n "$FEDERATION_PORT" ]; then
  for _ in $(seq 60); do
    alloc=$(ec2 describe-addresses --filters "Name=tag:llm-edge:eip-pool,Values=$EIP_POOL_TAG" \
      --query 'Addresses[?AssociationId==null].AllocationId' --output text | tr -s '\t ' '\n' |
      grep -v '^None$' | shuf -n 1 || true)
    if [ -n "$alloc" ] && ec2 associate-address --instance-id "$instance_id" \
      --allocation-id "$alloc" --no-allow-reassociation >/dev/null; then
      advertise_ip=$(ec2 describe-addresses --allocation-ids "$alloc" \
        --query 'Addresses[0].PublicIp' --output text)
      break
    fi
    sleep $((RANDOM % 5 + 1))
  done
  if [ -z "$advertise_ip" ]; then
    log "no free elastic IP tagged llm-edge:eip-pool=$EIP_POOL_TAG"
    exit 1
  fi
  log "gossip address $advertise_ip:$FEDERATION_PORT"
fi

# 2. The release tarball: bin/llm-edge and share/llm-edge/geoip.mmdb under /usr/local.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
case "$ARTIFACT_URL" in
  s3://*) aws s3 cp --only-show-errors "$ARTIFACT_URL" "$work/llm-edge.tar.gz" ;;
  *) curl -fsSL --retry 5 -o "$work/llm-edge.tar.gz" "$ARTIFACT_URL" ;;
esac
echo "$ARTIFACT_SHA256  $work/llm-edge.tar.gz" | sha256sum --check --quiet
tar -xzf "$work/llm-edge.tar.gz" -C "$prefix" --no-same-owner
test -x "$prefix/bin/llm-edge"

# 3. Secrets: PREFIX/{common,REGION}/env/NAME -> llm-edge.env, PREFIX/{common,REGION}/files/PATH
# -> $etc/PATH. The region's entries override the common ones.
for scope in common "$REGION"; do
  aws ssm get-parameters-by-path --region "$AWS_REGION" --path "$SSM_PREFIX/$scope" \
    --recursive --with-decryption --output json
done | python3 -c '
import json, os, re, sys
etc, prefix, region, config = sys.argv[1:5]
env = {"LLM_EDGE_CONFIG": os.path.join(etc, config)}
files = {}
decoder, text, pos = json.JSONDecoder(), sys.stdin.read(), 0
while pos < len(text.rstrip()):
    page, pos = decoder.raw_decode(text, pos)
    pos += len(text[pos:]) - len(text[pos:].lstrip())
    for p in page.get("Parameters", []):
        name, value = p["Name"], p["Value"]
        for scope in ("common", region):
            base = f"{prefix}/{scope}/"
            if not name.startswith(base):
                continue
            kind, _, rest = name[len(base):].partition("/")
            if kind == "env" and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", rest):
                if "\n" in value:
                    sys.exit(f"{name}: an environment value must be one line")
                env[rest] = value
            elif kind == "files" and rest and ".." not in rest.split("/"):
                files[rest] = value
with open(os.path.join(etc, "llm-edge.env"), "w", opener=lambda f, fl: os.open(f, fl, 0o640)) as out:
    for name, value in env.items():
        escaped = value.replace("\\", "\\\\").replace("\"", "\\\"")
        out.write(f"{name}=\"{escaped}\"\n")
for rel, value in files.items():
    path = os.path.join(etc, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", opener=lambda f, fl: os.open(f, fl, 0o640)) as out:
        out.write(value if value.endswith("\n") else value + "\n")
' "$etc" "$SSM_PREFIX" "$REGION" "$CONFIG_PATH"

# 4. This instance's identity: node ids must differ within a region (gossip and the audit
# chain are per node), and the gossip address is the elastic IP claimed above.
node_id="$REGION-${instance_id#i-}"
sed -i -e "s/@NODE_ID@/$node_id/g" -e "s/@ADVERTISE_IP@/$advertise_ip/g" "$etc/$CONFIG_PATH"

# 5. Ownership, then start: the unit's ExecStartPre runs `llm-edge check` with the secrets.
id -u llm-edge >/dev/null 2>&1 ||
  useradd --system --home-dir /var/lib/llm-edge --no-create-home --shell /usr/sbin/nologin llm-edge
chown -R root:llm-edge "$etc"
chmod -R u=rwX,g=rX,o= "$etc"
chmod 0600 "$etc/bootstrap.env"
systemctl daemon-reload
systemctl enable --now llm-edge.service
log "started $node_id"
