#!/usr/bin/env bash
# Makes the release tarball that deploy/terraform's nodes install under /usr/local
# (docs/deployment.md):
#   bin/llm-edge                          the binary (Debian 12 shared libraries)
#   share/llm-edge/                       geoip.mmdb, dashboard/chart.umd.min.js (GET /dashboard's
#                                         chart library) and whatever else the build puts there
#   share/llm-edge/llm-edge.service       the systemd unit (deploy/llm-edge.service)
#   share/llm-edge/logrotate/llm-edge     the access log's logrotate file
#   share/llm-edge/runtime-packages       the Debian packages of the libraries it loads
#   share/doc/llm-edge/                   README.md and docs/
# Usage: scripts/package.sh [BUILD_DIR [OUT_DIR]]  (default build-release, dist). Prints the
# tarball's path and SHA-256: the artifact_url and artifact_sha256 of deploy/terraform.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$here/build-release}" && pwd)
out=${2:-$here/dist}

for f in "$build/node/llm-edge" "$build/share/llm-edge/geoip.mmdb" \
         "$build/share/llm-edge/dashboard/chart.umd.min.js"; do
  [ -e "$f" ] || { echo "package.sh: $f is missing: build first (cmake --build $build)" >&2; exit 1; }
done

version=$(git -C "$here" describe --always --dirty 2>/dev/null || echo unknown)
arch=$(dpkg --print-architecture 2>/dev/null || uname -m)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

install -D -m 0755 "$build/node/llm-edge" "$stage/bin/llm-edge"
mkdir -p "$stage/share/llm-edge" "$stage/share/doc/llm-edge"
cp -r "$build/share/llm-edge/." "$stage/share/llm-edge/"
install -D -m 0644 "$here/deploy/llm-edge.service" "$stage/share/llm-edge/llm-edge.service"
install -D -m 0644 "$here/deploy/logrotate/llm-edge" "$stage/share/llm-edge/logrotate/llm-edge"
cp "$here/README.md" "$here"/docs/*.md "$stage/share/doc/llm-edge/"

# The Debian packages that hold the shared libraries the binary loads: nodes install exactly
# these (deploy/terraform's bootstrap.sh), so a new dependency needs no change elsewhere.
libs=$(ldd "$build/node/llm-edge" | awk '$2 == "=>" && $3 ~ /^\// {print $3}')
for lib in $libs; do
  owner=$(dpkg -S "$lib" 2>/dev/null || dpkg -S "$(readlink -f "$lib")" 2>/dev/null ||
    dpkg -S "/usr$lib" 2>/dev/null || dpkg -S "${lib#/usr}" 2>/dev/null) ||
    { echo "package.sh: no Debian package holds $lib, which llm-edge loads" >&2; exit 1; }
  echo "${owner%%:*}"
done | sort -u >"$stage/share/llm-edge/runtime-packages"

mkdir -p "$out"
tarball="$out/llm-edge-$version-linux-$arch.tar.gz"
# Only bin/ and share/: extracting a "." entry would reset /usr/local's own mode.
tar --sort=name --owner=0 --group=0 --numeric-owner --mode=u+rwX,go+rX,go-w \
  --mtime="@$(git -C "$here" log -1 --format=%ct 2>/dev/null || echo 0)" \
  -czf "$tarball" -C "$stage" bin share
echo "$tarball"
sha256sum "$tarball" | cut -d' ' -f1
