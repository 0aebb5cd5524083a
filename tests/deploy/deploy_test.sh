#!/usr/bin/env bash
# ctest entry points for deploy/ (tests/deploy/CMakeLists.txt): deploy_test.sh CASE REPO_ROOT [LLM_EDGE]
#   repo        check.mjs passes on the repository as it is
#   fixtures    ... and on a copy whose config/regions/ holds three federated test regions
#   negative    each broken copy (bad HCL, fmt layout, a region missing or added, a mismatched
#               port, the admin or federation port opened) makes check.mjs fail with its reason
#   unit        deploy/llm-edge.service: systemd-analyze verify is silent, the hardening keys
#               are set, and systemd's own exposure score stays low
#   scripts     shellcheck of the node bootstrap and the package script; logrotate reads its file
#   boot        a node's first boot offline: scripts/package.sh makes the tarball from the build,
#               cloud_init.mjs renders the user data as Terraform would and lays out its files,
#               bootstrap.sh runs against stubbed AWS/IMDS/systemd commands (an elastic IP race,
#               SSM secrets), then the real binary `check`s the config the service would run;
#               a wrong tarball checksum and an exhausted address pool must fail the boot
#   instances   every region in config/regions/: its user data fits EC2's limit, and the
#               instance config its nodes run passes `llm-edge check` with the example
#               environment and gossip certificates (config/regions/README.md)
set -euo pipefail
case_name=$1
repo=$(cd "$2" && pwd)
binary=${3:-}
[ -z "$binary" ] || binary=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")
here="$repo/tests/deploy"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

need_node_modules() {
  command -v node >/dev/null || { echo "SKIP: node is not installed (scripts/setup.sh installs it)"; exit 77; }
  if [ ! -d "$here/node_modules/@cdktf/hcl2json" ] || [ ! -d "$here/node_modules/yaml" ]; then
    echo "SKIP: tests/deploy/node_modules is missing (scripts/setup.sh installs it with npm ci)"
    exit 77
  fi
}

# A copy of what check.mjs reads, with the test regions in config/regions/.
make_copy() {
  local dst=$1
  mkdir -p "$dst/deploy" "$dst/config/regions"
  cp -r "$repo/deploy/terraform" "$dst/deploy/"
  cp "$repo/config/cloud_regions.yaml" "$repo/config/jurisdictions.yaml" "$dst/config/"
  cp "$repo/config/regions/demo.yaml" "$dst/config/regions/"
  cp -r "$here/testdata/regions/." "$dst/config/regions/"
}

check() { node "$here/check.mjs" "$1"; }

case "$case_name" in
repo)
  need_node_modules
  check "$repo"
  ;;

fixtures)
  need_node_modules
  make_copy "$tmp/ok"
  out=$(check "$tmp/ok")
  echo "$out"
  grep -q 'regions: ap-southeast, eu-west, us-east$' <<<"$out"
  ;;

negative)
  need_node_modules
  failures=0
  passed=0
  # expect_fail NAME EXPECTED-OUTPUT-REGEX EDIT-COMMAND...: the edit runs in a fresh copy;
  # then one check.mjs run reads every copy (--out: ROOT/check.out, ROOT/check.rc).
  names=()
  wants=()
  expect_fail() {
    local name=$1 want=$2
    shift 2
    make_copy "$tmp/$name"
    (cd "$tmp/$name" && "$@")
    names+=("$name")
    wants+=("$want")
  }
  tf=deploy/terraform
  sg=$tf/modules/region/security.tf
  expect_fail unclosed-block 'main\.tf: does not parse' \
    sed -i '0,/^}/s/^}$//' $tf/main.tf
  expect_fail fmt-alignment 'not aligned as terraform fmt does' \
    sed -i 's/^  name    = var.gossip_zone/  name = var.gossip_zone/' $tf/main.tf
  expect_fail region-file-missing 'names region us-east, which has no config/regions/us-east.yaml' \
    rm config/regions/us-east.yaml
  expect_fail region-added-unfederated 'federation.peers does not seed region eu-central' \
    sh -c 'sed "s/eu-west/eu-central/g" config/regions/eu-west.yaml > config/regions/eu-central.yaml'
  expect_fail region-name-mismatch 'node.region is eu-central; it must equal the file name' \
    sed -i 's/region: us-east/region: eu-central/' config/regions/us-east.yaml
  expect_fail region-without-aws-region 'AWS region mars-1, which config/cloud_regions.yaml does not list' \
    sh -c 'sed "s/us-east/mars/g" config/regions/us-east.yaml > config/regions/mars.yaml'
  expect_fail stale-aws-region-override 'aws_regions names sa-east, which has no config/regions/sa-east.yaml' \
    sed -i 's/^  default     = {}$/  default     = { sa-east = "sa-east-1" }/' $tf/variables.tf
  expect_fail pinned-outside-jurisdiction 'pinned jurisdiction EU but AWS region us-east-1 is in US' \
    sed -i 's/jurisdiction: US$/jurisdiction: EU/' config/regions/us-east.yaml
  expect_fail federation-port-mismatch 'dials us-east on port 7946, but us-east.s federation.listen port is 7947' \
    sed -i 's/listen: "0.0.0.0:7946"/listen: "0.0.0.0:7947"/' config/regions/us-east.yaml
  expect_fail admin-not-loopback 'admin_listen 0.0.0.0:8081 is not loopback' \
    sed -i 's/admin_listen: "127.0.0.1:8081"/admin_listen: "0.0.0.0:8081"/' config/regions/eu-west.yaml
  expect_fail lb-port-literal 'the load balancer must listen on the client port 9090' \
    sh -c 'sed -i "s/0.0.0.0:8080/0.0.0.0:9090/" config/regions/*.yaml &&
           sed -i "s/  port              = var.client_port/  port              = 8080/" deploy/terraform/modules/region/lb.tf'
  expect_fail client-rule-wrong-port 'no rule opens the client port 8080 to 0.0.0.0/0' \
    sed -i '/lb_client_ipv4/,/^}/s/var.client_port/var.admin_port/' $sg
  expect_fail admin-open-to-world 'the admin port 8081 admits only the region.s load balancer' \
    sed -i '/"node_readyz"/,/^}/{s/referenced_security_group_id = aws_security_group.lb.id/cidr_ipv4                    = "0.0.0.0\/0"/}' $sg
  expect_fail federation-open-to-world 'the federation port 7946 admits only the peers' \
    sed -i '/"node_federation"/,/^}/{s/cidr_ipv4         = each.value/cidr_ipv4         = "0.0.0.0\/0"/}' $sg
  expect_fail all-ports-from-lb 'the admin port|reaches only the client and admin ports' \
    sed -i '/"node_client"/,/^}/{s/ip_protocol                  = "tcp"/ip_protocol                  = "-1"/}' $sg
  expect_fail health-check-path 'the health check must be HTTP GET /readyz' \
    sed -i 's#path                = "/readyz"#path                = "/healthz"#' $tf/modules/region/lb.tf
  expect_fail include-too-deep 'three levels down from a region file' \
    sh -c 'printf "node: {workers: 0}\n" >config/deeper.yaml && printf "include: [deeper.yaml]\n" >>config/jurisdictions.yaml'
  expect_fail regions-listed-by-hand 'module "region" must be ./modules/region with for_each = local.regions' \
    sed -i 's/for_each = local.regions$/for_each = toset(["eu-west", "us-east"])/' $tf/main.tf
  dirs=()
  for name in "${names[@]}"; do dirs+=("$tmp/$name"); done
  node "$here/check.mjs" --out "${dirs[@]}" || true
  for i in "${!names[@]}"; do
    name=${names[$i]} want=${wants[$i]}
    rc=$(cat "$tmp/$name/check.rc" 2>/dev/null || echo missing)
    if [ "$rc" != 1 ] || ! grep -Eq "$want" "$tmp/$name/check.out"; then
      echo "FAILED $name: exit $rc, wanted /$want/ in:"
      cat "$tmp/$name/check.out" 2>/dev/null || true
      failures=$((failures + 1))
    else
      echo "ok $name: $(grep -E "$want" "$tmp/$name/check.out" | head -n 1)"
      passed=$((passed + 1))
    fi
  done
  echo "negative: $passed passed, $failures failed"
  [ "$failures" -eq 0 ]
  ;;

unit)
  unit="$repo/deploy/llm-edge.service"
  # shellcheck disable=SC2016 # $MAINPID is systemd's, literal here
  for key in 'User=llm-edge' 'ProtectSystem=strict' 'ReadWritePaths=/var/lib/llm-edge' \
    'NoNewPrivileges=yes' 'Restart=on-failure' 'LimitNOFILE=' 'ExecReload=/bin/kill -HUP $MAINPID' \
    'ProtectHome=yes' 'PrivateTmp=yes' 'CapabilityBoundingSet=CAP_NET_BIND_SERVICE' \
    'StateDirectory=llm-edge' 'ExecStartPre=/usr/local/bin/llm-edge check'; do
    grep -qF -- "$key" "$unit" || { echo "deploy/llm-edge.service lacks $key"; exit 1; }
  done
  if ! command -v systemd-analyze >/dev/null; then
    echo "systemd-analyze not installed: keys checked only"
    exit 0
  fi
  # verify wants the ExecStart binary to exist: point the unit at the one just built.
  sed "s#/usr/local/bin/llm-edge#${binary:?the llm-edge binary}#g" "$unit" >"$tmp/llm-edge.service"
  err=$(systemd-analyze verify --man=no "$tmp/llm-edge.service" 2>&1) || { echo "$err"; exit 1; }
  [ -z "$err" ] || { echo "systemd-analyze verify: $err"; exit 1; }
  # systemd's exposure score (0 = locked down, 10 = none): 2.5 or less, "OK".
  systemd-analyze security --offline=yes --threshold=25 "$tmp/llm-edge.service" >"$tmp/security.txt" 2>&1 ||
    { cat "$tmp/security.txt"; exit 1; }
  tail -n 1 "$tmp/security.txt"
  # The check works: an unknown key is reported.
  printf 'ProtectSystm=strict\n' >>"$tmp/llm-edge.service"
  err=$(systemd-analyze verify --man=no "$tmp/llm-edge.service" 2>&1 || true)
  grep -q "Unknown key" <<<"$err" || { echo "systemd-analyze verify missed an unknown key"; exit 1; }
  ;;

scripts)
  command -v shellcheck >/dev/null || { echo "SKIP: shellcheck not installed (scripts/setup.sh installs it)"; exit 77; }
  shellcheck "$repo/deploy/terraform/modules/region/bootstrap.sh" "$repo/scripts/package.sh"
  if command -v logrotate >/dev/null; then
    # logrotate refuses a `create` user that does not exist: root stands in for llm-edge.
    sed -e "s#/var/log/llm-edge#$tmp#" -e 's/llm-edge llm-edge/root root/' \
      "$repo/deploy/logrotate/llm-edge" >"$tmp/logrotate.conf"
    echo '{}' >"$tmp/access.log"
    out=$(logrotate --debug --state "$tmp/state" "$tmp/logrotate.conf" 2>&1)
    if grep -q 'error' <<<"$out" || ! grep -q 'Handling 1 logs' <<<"$out"; then
      echo "$out"
      exit 1
    fi
  fi
  ;;

boot)
  need_node_modules
  [ -x "${binary:-}" ] || { echo "boot needs the built llm-edge binary"; exit 2; }
  # The instance config includes the region file: a binary without `include:` cannot run it.
  printf 'include: [missing.yaml]\n' >"$tmp/probe.yaml"
  probe=$("$binary" check --config "$tmp/probe.yaml" 2>&1 || true)
  if ! grep -q 'missing.yaml' <<<"$probe"; then
    echo "SKIP: this llm-edge has no include: (config/ issue 12), which the instance config needs"
    exit 77
  fi
  build=$(cd "$(dirname "$binary")/.." && pwd)
  packaged=$(bash "$repo/scripts/package.sh" "$build" "$tmp/dist")
  tarball=${packaged%%$'\n'*}
  sha=$(sha256sum "$tarball" | cut -d' ' -f1)
  [ "${packaged##*$'\n'}" = "$sha" ] || { echo "package.sh printed a wrong SHA-256"; exit 1; }
  tar -tzf "$tarball" >"$tmp/contents"
  for f in bin/llm-edge share/llm-edge/geoip.mmdb share/llm-edge/llm-edge.service \
    share/llm-edge/logrotate/llm-edge share/llm-edge/runtime-packages share/doc/llm-edge/README.md \
    share/doc/llm-edge/deployment.md; do
    grep -qx "$f" "$tmp/contents" || { echo "the tarball lacks $f"; exit 1; }
  done
  make_copy "$tmp/repo"

  # Stubs: IMDS through curl, the AWS CLI, systemd and user management.
  stubs="$tmp/stubs"
  mkdir -p "$stubs"
  cat >"$stubs/curl" <<'STUB'
#!/usr/bin/env bash
case "$*" in
  *latest/api/token*) echo token-1 ;;
  *meta-data/instance-id*) echo i-0abc123def4567890 ;;
  *"amazon-ssm-eu-west-1/latest/debian_amd64/amazon-ssm-agent.deb"*) echo deb >"${@: -2:1}" ;;
  *) echo "curl stub: unexpected $*" >&2; exit 22 ;;
esac
STUB
  cat >"$stubs/aws" <<'STUB'
#!/usr/bin/env bash
# The first address listed as free is taken by another booting node before this one
# associates it; the next listing offers a free one.
echo "$*" >>"$STUB_LOG"
case "$*" in
  *"describe-addresses --filters"*)
    if grep -q 'associate-address' "$STUB_LOG"; then echo eipalloc-free; else echo eipalloc-taken; fi ;;
  *"associate-address"*"--allocation-id eipalloc-free --no-allow-reassociation"*)
    [ -z "${POOL_EXHAUSTED:-}" ] || exit 255 ;;
  *"associate-address"*) echo "Resource.AlreadyAssociated" >&2; exit 255 ;;
  *"describe-addresses --allocation-ids eipalloc-free"*) echo 203.0.113.7 ;;
  *"create-tags --resources vol-0abc123def4567890 --tags Key=llm-edge:node,Value=eu-west-0abc123def4567890") ;;
  "s3 cp --only-show-errors s3://llm-edge-releases/llm-edge.tar.gz "*) cp "$STUB_TARBALL" "${*: -1}" ;;
  *"ssm get-parameters-by-path"*"--path /llm-edge/common "*)
    cat <<'JSON'
{"Parameters": [
 {"Name": "/llm-edge/common/env/LLM_EDGE_GOSSIP_KEY", "Value": "gossip-key-1"},
 {"Name": "/llm-edge/common/env/OPENAI_API_KEY", "Value": "common-key"},
 {"Name": "/llm-edge/common/files/tls/ca.crt", "Value": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"}]}
JSON
    ;;
  *"ssm get-parameters-by-path"*"--path /llm-edge/eu-west "*)
    cat <<'JSON'
{"Parameters": [
 {"Name": "/llm-edge/eu-west/env/OPENAI_API_KEY", "Value": "sk-\"eu\"$west`x`\\1"},
 {"Name": "/llm-edge/eu-west/files/../escape", "Value": "never written"}]}
JSON
    ;;
  *) echo "aws stub: unexpected $*" >&2; exit 255 ;;
esac
STUB
  # Disks: the root volume and a blank data volume (NVMe names, EBS serial).
  cat >"$stubs/lsblk" <<'STUB'
#!/usr/bin/env bash
case "$*" in
  "-no PKNAME /dev/nvme0n1p1") echo nvme0n1 ;;
  "-dpno NAME,TYPE") printf '/dev/nvme0n1 disk\n/dev/nvme1n1 disk\n' ;;
  "-dno SERIAL /dev/nvme1n1") echo vol0abc123def4567890 ;;
  *) echo "lsblk stub: unexpected $*" >&2; exit 1 ;;
esac
STUB
  printf '#!/bin/sh\n[ "$*" = "-no SOURCE /" ] && echo /dev/nvme0n1p1\n' >"$stubs/findmnt"
  printf '#!/bin/sh\nexit 2\n' >"$stubs/blkid"
  for cmd in systemctl useradd chown sleep dpkg apt-get mkfs.ext4 mount; do
    # shellcheck disable=SC2016 # the stub expands them when it runs
    printf '#!/bin/sh\necho "%s $*" >>"$STUB_LOG"\n' "$cmd" >"$stubs/$cmd"
  done
  chmod +x "$stubs"/*

  boot() {  # ROOT [ARTIFACT_SHA256]: render the user data into ROOT and run its bootstrap
    local root=$1 want_sha=${2:-$sha}
    node "$here/cloud_init.mjs" "$tmp/repo" eu-west "$root" s3://llm-edge-releases/llm-edge.tar.gz "$want_sha"
    mkdir -p "$root/usr/local"
    STUB_LOG="$root/calls.log" STUB_TARBALL="$tarball" PATH="$stubs:$PATH" LLM_EDGE_ROOT="$root" \
      bash "$root/usr/local/sbin/llm-edge-bootstrap"
  }

  root="$tmp/node"
  boot "$root"
  etc="$root/etc/llm-edge"
  fail() { echo "boot: $*"; cat "$root/calls.log"; exit 1; }
  grep -q 'associate-address.*eipalloc-taken' "$root/calls.log" || fail "the address race was not exercised"
  grep -q 'systemctl enable --now llm-edge.service' "$root/calls.log" || fail "the service was not started"
  grep -q 'dpkg -i .*amazon-ssm-agent.deb' "$root/calls.log" || fail "the SSM agent was not installed"
  grep -q '^apt-get install .*libuv1' "$root/calls.log" || fail "the binary's libraries were not installed"
  grep -qx 'mkfs.ext4 -q -L llm-edge-data /dev/nvme1n1' "$root/calls.log" || fail "the data volume was not formatted"
  grep -qx "mount $root/var/lib/llm-edge" "$root/calls.log" || fail "the data volume was not mounted"
  grep -qx 'LABEL=llm-edge-data /var/lib/llm-edge ext4 defaults,nofail 0 2' "$root/etc/fstab" ||
    fail "no fstab entry for the data volume"
  grep -q 'create-tags --resources vol-0abc123def4567890' "$root/calls.log" || fail "the data volume was not named"
  cmp "$root/etc/systemd/system/llm-edge.service" "$repo/deploy/llm-edge.service" || fail "the unit is not the release's"
  cmp "$root/etc/logrotate.d/llm-edge" "$repo/deploy/logrotate/llm-edge" || fail "the logrotate file is not the release's"
  [ "$(stat -c %a "$etc/env")" = 600 ] || fail "env is not mode 0600"
  [ -e "$root/etc/escape" ] && fail "an SSM file name with .. was written"
  [ "$(head -n 1 "$etc/tls/ca.crt")" = '-----BEGIN CERTIFICATE-----' ] || fail "tls/ca.crt from SSM missing"
  # The environment as systemd and a shell read it; the region's value won over the common one.
  # shellcheck disable=SC1091,SC2016 # the environment file is made above; the key is literal
  (set -a && . "$etc/env" && set +a &&
    [ "$LLM_EDGE_NODE_ID" = eu-west-0abc123def4567890 ] &&
    [ "$LLM_EDGE_GOSSIP_ADVERTISE" = 203.0.113.7:7946 ] &&
    [ "$LLM_EDGE_CONFIG" = "$etc/regions/eu-west.instance.yaml" ] &&
    [ "$OPENAI_API_KEY" = 'sk-"eu"$west`x`\1' ] &&
    [ "$LLM_EDGE_GOSSIP_KEY" = gossip-key-1 ]) || { cat "$etc/env"; fail "the environment is wrong"; }
  # The installed binary checks the config the unit would run, as the unit runs it (cwd
  # /etc/llm-edge, the environment file loaded): the overlay, the verbatim region file and
  # its includes two levels deep.
  # shellcheck disable=SC1091
  out=$(cd "$etc" && set -a && . ./env && set +a &&
    "$root/usr/local/bin/llm-edge" check --config "$LLM_EDGE_CONFIG" 2>&1) ||
    { echo "$out"; fail "llm-edge check refused the instance config"; }
  echo "$out"

  # A tarball that is not the one Terraform names never gets installed or started.
  if boot "$tmp/bad-sha" "$(printf '%064d' 1)" 2>"$tmp/bad-sha.err"; then fail "a wrong checksum booted"; fi
  grep -q 'systemctl' "$tmp/bad-sha/calls.log" && fail "a wrong checksum started the service"
  [ -e "$tmp/bad-sha/usr/local/bin/llm-edge" ] && fail "a wrong checksum installed the binary"
  # No free elastic IP: the node gives up instead of gossiping from an address no peer admits.
  if POOL_EXHAUSTED=1 boot "$tmp/no-eip" 2>"$tmp/no-eip.err"; then fail "a node without an address booted"; fi
  grep -q 'no free elastic IP' "$tmp/no-eip.err" || { cat "$tmp/no-eip.err"; fail "no reason given"; }
  echo "boot: ok (address race, secrets, data volume, checksum, pool exhaustion)"
  ;;

instances)
  need_node_modules
  [ -x "${binary:-}" ] || { echo "instances needs the built llm-edge binary"; exit 2; }
  checked=0
  for f in "$repo"/config/regions/*.yaml; do
    name=$(basename "$f" .yaml)
    [ "$name" = demo ] && continue
    grep -q '^  region: ' "$f" || continue  # a part that regions include
    root="$tmp/$name"
    node "$here/cloud_init.mjs" "$repo" "$name" "$root"
    etc="$root/etc/llm-edge"
    grep -q '^  admin_listen: "0.0.0.0:' "$etc/regions/$name.instance.yaml" ||
      { echo "$name: the instance config does not open the admin listener to the load balancer"; exit 1; }
    # What bootstrap.sh and SSM would provide: the environment and the gossip certificates.
    (cd "$etc" && sh "$repo/config/regions/gossip-certs.sh" tls "gossip.$name.llm-edge.internal" >/dev/null)
    # shellcheck disable=SC1091
    out=$(cd "$etc" && set -a && . "$repo/config/regions/llm-edge.env.example" &&
      LLM_EDGE_NODE_ID="$name-0abc123def4567890" LLM_EDGE_GOSSIP_ADVERTISE=203.0.113.7:7946 &&
      set +a && "$binary" check --config "regions/$name.instance.yaml" 2>&1) ||
      { echo "$out"; echo "$name: llm-edge check refused the instance config"; exit 1; }
    [ "$(tail -n 1 <<<"$out")" = "regions/$name.instance.yaml: ok" ] || { echo "$out"; exit 1; }
    checked=$((checked + 1))
  done
  echo "instances: $checked regions' instance configs pass check"
  ;;

*)
  echo "unknown case $case_name" >&2
  exit 2
  ;;
esac
