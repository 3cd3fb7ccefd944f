#!/usr/bin/env bash
# Unpacks a Debian package (without installing it: no maintainer scripts, no daemon started) and
# prints the directory, cached across runs. For tools whose package would start a service, e.g.
# chrony, whose `chronyd -p -f FILE` checks a configuration file. With `trixie`, Debian 13's
# package (debian13-apt.sh), e.g. dhcpcd-base, whose dhcpcd-run-hooks a test runs.
# Usage: test/setup/deb-tool.sh PACKAGE [trixie]
set -euo pipefail
package=$1
release=${2:-}
case "$release" in ''|trixie) ;; *) echo "deb-tool: unknown release '$release' (trixie, or none for this machine's)" >&2; exit 2 ;; esac
cache=${GFB_DEB_TOOLS:-/var/tmp/gfb-deb-tools}/${release:+$release-}$package
if [ ! -f "$cache/.done" ]; then
  mkdir -p "$cache"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  if [ "$release" = trixie ]; then
    . "$(dirname "${BASH_SOURCE[0]}")/debian13-apt.sh"
    debian13_download "$work" "$package"
  else
    (cd "$work" && { apt-get download -q "$package" >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get download -q "$package" >/dev/null 2>&1; }; })
  fi
  dpkg-deb -x "$work"/"$package"_*.deb "$cache"
  touch "$cache/.done"
fi
echo "$cache"
