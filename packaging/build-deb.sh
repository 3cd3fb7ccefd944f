#!/bin/bash
# Builds out/gce-firstboot_<version>_<arch>.deb with plain dpkg-deb (no debhelper).
# Inputs: out/bin/gce-firstboot (npm run build:binary), units/, packaging/make-host-keys, agent/gce-firstboot.conf,
# packaging/debian/ (maintainer scripts, copyright, changelog, lintian overrides),
# packaging/gce-firstboot.8. Environment: OUT_DIR, BINARY, CONF, MAINTAINER,
# DEB_COMPRESS (xz, the default and smallest but ~1 min; gzip: seconds).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT_DIR:-$root/out}
bin=${BINARY:-$out/bin/gce-firstboot}
conf=${CONF:-$root/agent/gce-firstboot.conf}
maintainer=${MAINTAINER:-gce-firstboot maintainers <gce-firstboot@example.com>}
pkg=gce-firstboot
deb=$root/packaging/debian

die() { echo "build-deb: $*" >&2; exit 1; }
[ -x "$bin" ] || die "no executable at $bin (run npm run build:binary)"
[ -f "$conf" ] || die "no default configuration at $conf"

version=$(node -p "require('$root/package.json').version")
changelog_version=$(sed -n '1s/^[^ ]* (\([^)]*\)).*/\1/p' "$deb/changelog")
[ "$version" = "$changelog_version" ] ||
  die "package.json says $version but packaging/debian/changelog says $changelog_version: add a changelog entry"
arch=$(dpkg --print-architecture)
# Reproducible: every timestamp is the changelog's date.
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(date -d "$(sed -n 's/^ -- .*>  //p' "$deb/changelog" | head -1)" +%s)}
export SOURCE_DATE_EPOCH

stage=$out/build/deb/${pkg}_${version}_${arch}
rm -rf "$stage"
mkdir -p "$stage/DEBIAN"
umask 022

install -D -m 0755 "$bin" "$stage/usr/bin/gce-firstboot"
install -D -m 0644 -t "$stage/lib/systemd/system" \
  "$root/units/gce-firstboot-host-keys.service" "$root/units/gce-firstboot-early.service" "$root/units/gce-firstboot.service"
install -D -m 0755 "$root/packaging/make-host-keys" "$stage/usr/lib/gce-firstboot/make-host-keys"
install -D -m 0644 "$conf" "$stage/etc/gce-firstboot/gce-firstboot.conf"
install -d -m 0700 "$stage/var/lib/gce-firstboot"
doc=$stage/usr/share/doc/$pkg
install -D -m 0644 "$deb/copyright" "$doc/copyright"
if [ -f "$out/build/THIRD-PARTY" ]; then install -m 0644 "$out/build/THIRD-PARTY" "$doc/THIRD-PARTY"; fi
gzip -9n < "$deb/changelog" > "$doc/changelog.gz"
install -d -m 0755 "$stage/usr/share/man/man8"
gzip -9n < "$root/packaging/gce-firstboot.8" > "$stage/usr/share/man/man8/gce-firstboot.8.gz"
install -D -m 0644 "$deb/lintian-overrides" "$stage/usr/share/lintian/overrides/$pkg"
chmod 0644 "$doc/changelog.gz" "$stage/usr/share/man/man8/gce-firstboot.8.gz"

# Shared-library dependencies of the embedded Node runtime.
depends="libc6 (>= 2.34), libgcc-s1 (>= 3.4), libstdc++6 (>= 5.2)"
if command -v dpkg-shlibdeps >/dev/null; then
  shl=$(mktemp -d)
  mkdir -p "$shl/debian"
  printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$pkg" "$pkg" > "$shl/debian/control"
  depends=$(cd "$shl" && dpkg-shlibdeps -O "$stage/usr/bin/gce-firstboot" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
  rm -rf "$shl"
fi

for script in postinst prerm postrm; do
  install -m 0755 "$deb/$script" "$stage/DEBIAN/$script"
done
echo /etc/gce-firstboot/gce-firstboot.conf > "$stage/DEBIAN/conffiles"
chmod 0644 "$stage/DEBIAN/conffiles"
installed_size=$(du -s -k --apparent-size --exclude=DEBIAN "$stage" | cut -f1)

cat > "$stage/DEBIAN/control" <<CONTROL
Package: $pkg
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $installed_size
Depends: $depends, init-system-helpers (>= 1.54~)
Section: admin
Priority: optional
Homepage: https://cloud.google.com/compute/docs/images/building-custom-os
Description: agent that makes a custom image a good Compute Engine guest
 gce-firstboot brings a custom Linux image to the state that the Compute
 Engine custom-image requirements ask for on the first boot of every new
 instance (SSH host keys before sshd starts, hostname, sysctl, NTP, MTU),
 checks that state again on every boot and on demand, reports drift on the
 serial console and can put things right.
 .
 It is one self-contained executable (Node.js single executable application).
CONTROL
chmod 0644 "$stage/DEBIAN/control"

(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) \
  > "$stage/DEBIAN/md5sums"
chmod 0644 "$stage/DEBIAN/md5sums"
find "$stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

mkdir -p "$out"
target=$out/${pkg}_${version}_${arch}.deb
dpkg-deb --root-owner-group -Z"${DEB_COMPRESS:-xz}" --build "$stage" "$target" >/dev/null
echo "build-deb: $target"
