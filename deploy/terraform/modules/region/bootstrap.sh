#!/usr/bin/env bash
# First boot of an llm-edge node (cloud-init runcmd; docs/deployment.md, "What a node does at
# boot"). Reads /etc/llm-edge/bootstrap.env, written by Terraform:
#   REGION AWS_REGION ARTIFACT_URL ARTIFACT_SHA256 SSM_PREFIX CONFIG_PATH EIP_POOL_TAG FEDERATION_PORT
# 1. claims a free elastic IP of the region's pool (the gossip address the other regions'
#    security groups admit), 2. installs the release tarball after checking its SHA-256 (and
#    the SSM Agent for Session Manager),
# 3. writes the service's environment: secrets from SSM Parameter Store, this node's id and
#    gossip address, and mounts the data volume, 4. starts llm-edge under systemd (whose
#    ExecStartPre checks the config).
# Any failure exits non-zero: the node never answers /readyz and the group replaces it.
set -euo pipefail

root=${LLM_EDGE_ROOT:-}  # "" on a node; tests/deploy's stubbed run boots into a directory
etc=$root/etc/llm-edge
prefix=$root/usr/local
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

# 2. The release tarball (scripts/package.sh) under /usr/local: bin/llm-edge, the GeoIP
# database, and the systemd unit and logrotate file of the same release.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
case "$ARTIFACT_URL" in
  s3://*) aws s3 cp --only-show-errors "$ARTIFACT_URL" "$work/llm-edge.tar.gz" ;;
  *) curl -fsSL --retry 5 -o "$work/llm-edge.tar.gz" "$ARTIFACT_URL" ;;
esac
echo "$ARTIFACT_SHA256  $work/llm-edge.tar.gz" | sha256sum --check --quiet
tar -xzf "$work/llm-edge.tar.gz" -C "$prefix" --no-same-owner
test -x "$prefix/bin/llm-edge"
# The Debian packages of the libraries this build loads (scripts/package.sh lists them).
DEBIAN_FRONTEND=noninteractive xargs -a "$prefix/share/llm-edge/runtime-packages" \
  apt-get install -y -qq --no-install-recommends
install -D -m 0644 "$prefix/share/llm-edge/llm-edge.service" "$root/etc/systemd/system/llm-edge.service"
install -D -m 0644 "$prefix/share/llm-edge/logrotate/llm-edge" "$root/etc/logrotate.d/llm-edge"

# 2b. SSM Agent, for Session Manager (shell and port forwarding to the admin listener; the
# nodes have no SSH). Debian's AMI does not ship it: AWS publishes a .deb per region. Without
# it the node still serves, so a failure here is only logged.
if ! command -v amazon-ssm-agent >/dev/null; then
  deb="https://s3.$AWS_REGION.amazonaws.com/amazon-ssm-$AWS_REGION/latest/debian_amd64/amazon-ssm-agent.deb"
  if curl -fsSL --retry 5 -o "$work/amazon-ssm-agent.deb" "$deb" && dpkg -i "$work/amazon-ssm-agent.deb" >/dev/null; then
    systemctl enable --now amazon-ssm-agent.service || log "could not start amazon-ssm-agent"
  else
    log "could not install amazon-ssm-agent from $deb: no Session Manager on this node"
  fi
fi

# 3. The environment (systemd EnvironmentFile, root only): PREFIX/{common,REGION}/env/NAME as
# NAME (the region's win), then this node's own values; PREFIX/{common,REGION}/files/PATH as
# $etc/PATH (TLS keys and certificates: relative paths in the config resolve there).
# Node ids must differ within a region: gossip and the audit chain are per node.
node_id="$REGION-${instance_id#i-}"
# shellcheck disable=SC2016 # the Python program is literal
for scope in common "$REGION"; do
  aws ssm get-parameters-by-path --region "$AWS_REGION" --path "$SSM_PREFIX/$scope" \
    --recursive --with-decryption --output json
done | python3 -c '
import json, os, re, sys
etc, prefix, region = sys.argv[1:4]
env, files = {}, {}
decoder, text, pos = json.JSONDecoder(), sys.stdin.read(), 0
while text[pos:].strip():
    pos += len(text[pos:]) - len(text[pos:].lstrip())
    page, pos = decoder.raw_decode(text, pos)
    for scope in ("common", region):
        for p in page.get("Parameters", []):
            name, value = p["Name"], p["Value"]
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
for assignment in sys.argv[4:]:
    name, _, value = assignment.partition("=")
    env[name] = value
def write(path, text, mode):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w", opener=lambda f, fl: os.open(f, fl, mode)) as out:
        out.write(text)
    os.replace(path + ".tmp", path)
# Double quotes with \ " $ ` escaped: read alike by systemd and by `set -a; . env` in a shell.
quote = lambda v: "\"" + re.sub(r"([\\\"$`])", r"\\\1", v) + "\""
write(os.path.join(etc, "env"), "".join(f"{k}={quote(v)}\n" for k, v in env.items()), 0o600)
for rel, value in files.items():
    write(os.path.join(etc, rel), value if value.endswith("\n") else value + "\n", 0o640)
' "$etc" "$SSM_PREFIX" "$REGION" \
  "LLM_EDGE_CONFIG=$etc/$CONFIG_PATH" \
  "LLM_EDGE_NODE_ID=$node_id" \
  "LLM_EDGE_GOSSIP_ADVERTISE=${advertise_ip:+$advertise_ip:$FEDERATION_PORT}"

# 3b. The data volume (the launch template's second disk; NVMe on current instance types):
# formatted on first use, mounted at /var/lib/llm-edge, named after this node. It outlives the
# instance, so a replaced node's ledger and audit chain can still be exported. Without it the
# node keeps its data on the root volume.
root_disk=$(lsblk -no PKNAME "$(findmnt -no SOURCE /)")
data_disk=$(lsblk -dpno NAME,TYPE | awk -v root="/dev/$root_disk" '$2 == "disk" && $1 != root {print $1; exit}')
if [ -n "$data_disk" ]; then
  blkid "$data_disk" >/dev/null 2>&1 || mkfs.ext4 -q -L llm-edge-data "$data_disk"
  mkdir -p "$root/var/lib/llm-edge"
  grep -q 'LABEL=llm-edge-data' "$root/etc/fstab" 2>/dev/null ||
    echo 'LABEL=llm-edge-data /var/lib/llm-edge ext4 defaults,nofail 0 2' >>"$root/etc/fstab"
  mount "$root/var/lib/llm-edge"
  volume=$(lsblk -dno SERIAL "$data_disk" | sed 's/^vol\([0-9a-f]\)/vol-\1/')
  case "$volume" in
    vol-*) ec2 create-tags --resources "$volume" --tags "Key=llm-edge:node,Value=$node_id" ||
      log "could not tag $volume with llm-edge:node=$node_id" ;;
  esac
else
  log "no data volume: the ledger stays on the root volume"
fi

# 4. Ownership (the service user reads the config and TLS files; the environment and this
# script's own settings stay root's), then start.
id -u llm-edge >/dev/null 2>&1 ||
  useradd --system --home-dir /var/lib/llm-edge --no-create-home --shell /usr/sbin/nologin llm-edge
chown -R root:llm-edge "$etc"
chmod -R u=rwX,g=rX,o= "$etc"
chown root:root "$etc/env" "$etc/bootstrap.env"
chmod 0600 "$etc/env" "$etc/bootstrap.env"
systemctl daemon-reload
systemctl enable --now llm-edge.service
log "started $node_id"
