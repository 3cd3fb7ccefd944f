#!/bin/sh
# Usage: test/setup/ensure-tools.sh TOOL...
# Makes sure each TOOL (a command name) is on PATH; installs the Debian package that provides
# it with apt-get when it is missing. Only missing tools cause an install; `apt-get update`
# runs at most once per call, and only when something must be installed.
# Add a tool by adding one line to the table: "<command> <debian-package>".
set -eu

TABLE='
dpkg-deb        dpkg
dpkg            dpkg
dpkg-query      dpkg
dpkg-shlibdeps  dpkg-dev
fakeroot        fakeroot
lintian         lintian
rpm             rpm
rpmbuild        rpm
rpm2cpio        rpm
cpio            cpio
flock           util-linux
file            file
strip           binutils
systemd-analyze systemd
systemctl       systemd
deb-systemd-helper init-system-helpers
mmdebstrap      mmdebstrap
'

package_for() {
  echo "$TABLE" | awk -v t="$1" '$1 == t { print $2; exit }'
}

missing=""
for tool in "$@"; do
  command -v "$tool" >/dev/null 2>&1 && continue
  pkg=$(package_for "$tool")
  if [ -z "$pkg" ]; then
    echo "ensure-tools: no Debian package known for '$tool' (add it to the table in $0)" >&2
    exit 2
  fi
  case " $missing " in *" $pkg "*) ;; *) missing="$missing $pkg" ;; esac
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
echo "ensure-tools: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >&2
