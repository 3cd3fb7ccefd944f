#!/usr/bin/env bash
# Unpacks Debian 13's (trixie) OpenSSH 10 and the libraries it needs from Debian's own repository
# into a cache, without installing anything, and prints the directory. bin/ssh and bin/sshd there
# run the real trixie binaries through trixie's own dynamic loader (the host's glibc is older).
# Through debian13-apt.sh: the host's apt lists and sources are not touched.
# Usage: test/setup/debian13-openssh.sh
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/debian13-apt.sh"
cache=${GFB_DEB_TOOLS:-/var/tmp/gfb-deb-tools}/trixie-openssh
packages=(openssh-server openssh-client openssh-sftp-server libc6 libssl3t64 libwtmpdb0 libaudit1 libcap-ng0
  libcom-err2 libcrypt1 libgssapi-krb5-2 libkrb5-3 libk5crypto3 libkrb5support0 libkeyutils1 libpam0g
  libselinux1 libpcre2-8-0 libwrap0 libnsl2 libtirpc3t64 zlib1g libedit2 libbsd0 libmd0 libfido2-1
  libcbor0.10 libudev1 libtinfo6 libsqlite3-0 libzstd1)
if [ ! -f "$cache/.done" ]; then
  # Built beside the cache and renamed into place: two test files starting at once both succeed.
  build=$cache.build.$$
  work=$(mktemp -d)
  trap 'rm -rf "$work" "$build"' EXIT
  mkdir -p "$build/root" "$build/bin"
  mkdir -p "$work/debs"
  debian13_download "$work/debs" "${packages[@]}"
  for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$build/root"; done
  for tool in usr/sbin/sshd usr/bin/ssh usr/bin/ssh-keygen; do
    cat >"$build/bin/$(basename "$tool")" <<WRAP
#!/bin/sh
exec "$cache/root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" --library-path "$cache/root/usr/lib/x86_64-linux-gnu" "$cache/root/$tool" "\$@"
WRAP
    chmod 755 "$build/bin/$(basename "$tool")"
  done
  touch "$build/.done"
  if [ ! -f "$cache/.done" ]; then rm -rf "$cache" && mv -T "$build" "$cache"; fi
fi
echo "$cache"
