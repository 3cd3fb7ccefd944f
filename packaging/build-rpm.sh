#!/bin/bash
# Builds out/gce-firstboot-<version>-1.<arch>.rpm with rpmbuild from packaging/gce-firstboot.spec
# and the prebuilt executable (npm run build:binary). Works with Debian's `rpm` package (no
# systemd-rpm-macros there: the spec defines the macros it needs when they are missing).
# Environment: OUT_DIR, BINARY, CONF, RPM_RELEASE (default 1; the tests build a higher one to
# try an upgrade).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT_DIR:-$root/out}
bin=${BINARY:-$out/bin/gce-firstboot}
conf=${CONF:-$root/agent/gce-firstboot.conf}

die() { echo "build-rpm: $*" >&2; exit 1; }
[ -x "$bin" ] || die "no executable at $bin (run npm run build:binary)"
[ -f "$conf" ] || die "no default configuration at $conf"
[[ ${RPM_RELEASE:-1} =~ ^[1-9][0-9]*$ ]] || die "RPM_RELEASE must be a positive number, not ${RPM_RELEASE}"
command -v rpmbuild >/dev/null || die "rpmbuild not found (Debian: apt-get install rpm)"

version=$(node -p "require('$root/package.json').version")
top=$out/build/rpm
rm -rf "$top"
mkdir -p "$top/SOURCES" "$top/RPMS" "$top/BUILD" "$top/BUILDROOT" "$top/SPECS" "$top/SRPMS"
src=$top/SOURCES
cp "$bin" "$src/gce-firstboot"
cp "$root/units/gce-firstboot-host-keys.service" "$root/units/gce-firstboot-early.service" "$root/units/gce-firstboot.service" \
  "$root/packaging/make-host-keys" \
  "$root/units/80-gce-firstboot.preset" "$src/"
gzip -9n < "$root/packaging/gce-firstboot.8" > "$src/gce-firstboot.8.gz"
cp "$conf" "$src/gce-firstboot.conf"
cp "$root/packaging/debian/copyright" "$src/COPYRIGHT"
if [ -f "$out/build/THIRD-PARTY" ]; then cp "$out/build/THIRD-PARTY" "$src/"; else
  echo "see https://github.com/nodejs/node/blob/main/LICENSE" > "$src/THIRD-PARTY"; fi

SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(date -d "$(sed -n 's/^ -- .*>  //p' "$root/packaging/debian/changelog" | head -1)" +%s)}
export SOURCE_DATE_EPOCH

rpmbuild -bb --quiet \
  --target x86_64 \
  --define "_topdir $top" \
  --define "pkg_version $version" \
  --define "pkg_release ${RPM_RELEASE:-1}" \
  --define "use_source_date_epoch_as_buildtime 1" \
  --define "clamp_mtime_to_source_date_epoch 1" \
  --define "_buildhost gce-firstboot" \
  "$root/packaging/gce-firstboot.spec"

rpm_file=$(find "$top/RPMS" -name "gce-firstboot-$version-*.rpm" | head -1)
[ -n "$rpm_file" ] || die "rpmbuild produced no package"
mkdir -p "$out"
cp "$rpm_file" "$out/"
echo "build-rpm: $out/$(basename "$rpm_file")"
