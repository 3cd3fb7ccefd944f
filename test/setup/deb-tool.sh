#!/usr/bin/env bash
# Unpacks a Debian package (without installing it: no maintainer scripts, no daemon started) and
# prints the directory, cached across runs. For tools whose package would start a service, e.g.
# chrony, whose `chronyd -p -f FILE` checks a configuration file.
# Usage: test/setup/deb-tool.sh PACKAGE
set -euo pipefail
package=$1
cache=${GFB_DEB_TOOLS:-/var/tmp/gfb-deb-tools}/$package
if [ ! -f "$cache/.done" ]; then
  mkdir -p "$cache"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && { apt-get download -q "$package" >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get download -q "$package" >/dev/null 2>&1; }; })
  dpkg-deb -x "$work"/"$package"_*.deb "$cache"
  touch "$cache/.done"
fi
echo "$cache"
