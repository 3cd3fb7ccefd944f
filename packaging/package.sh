#!/bin/bash
# npm run package: the executable, the .deb and the .rpm, all into out/ (git-ignored).
#   --if-stale  rebuild each artifact only when one of its inputs is newer (used by the tests,
#               which share one build; they hold out/.package.lock while calling this).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if_stale=false
[ "${1:-}" = --if-stale ] && if_stale=true

version=$(node -p "require('./package.json').version")
arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
bin=out/bin/gce-firstboot
deb=out/gce-firstboot_${version}_${arch}.deb
rpm=$(ls out/gce-firstboot-"$version"-*.x86_64.rpm 2>/dev/null | head -1 || true)

# stale TARGET INPUT...: true when TARGET is missing or an input file is newer.
stale() {
  local target=$1; shift
  $if_stale || return 0
  [ -n "$target" ] && [ -e "$target" ] || return 0
  [ -n "$(find "$@" -newer "$target" -print -quit 2>/dev/null)" ]
}

binary_inputs=(src package.json package-lock.json packaging/build-binary.mjs)
pkg_inputs=("$bin" units agent/gce-firstboot.conf packaging/debian packaging/gce-firstboot.8)

if stale "$bin" "${binary_inputs[@]}"; then node packaging/build-binary.mjs; fi
if stale "$deb" "${pkg_inputs[@]}" packaging/build-deb.sh; then bash packaging/build-deb.sh; fi
if stale "$rpm" "${pkg_inputs[@]}" packaging/build-rpm.sh packaging/gce-firstboot.spec; then bash packaging/build-rpm.sh; fi
ls -l out/*.deb out/*.rpm "$bin"
