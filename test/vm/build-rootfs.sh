#!/bin/bash
# Build (or reuse from the cache) a Debian minbase root for the VM test, as a tarball.
#
#   test/vm/build-rootfs.sh            -> prints the path of the cached rootfs tarball on stdout
#
# Environment:
#   GCE_FIRSTBOOT_VM_RELEASE   bookworm (Debian 12, default) or trixie (Debian 13)
#   GCE_FIRSTBOOT_VM_NET       the network stack on ens4 (rootfs-customize.sh): networkd (default),
#                              netplan (generating networkd config, as Debian's cloud images),
#                              ifupdown (with the release's default DHCP client: isc-dhcp-client
#                              on 12, dhcpcd-base on 13), networkmanager (package defaults)
#   GCE_FIRSTBOOT_VM_NET_CONFIG  harness (default: rootfs-customize.sh writes ens4's netplan file) or
#                              cloud-init (with netplan: no file written, cloud-init renders ens4's)
#   GCE_FIRSTBOOT_VM_CACHE     cache directory (default /var/cache/gce-firstboot-vm)
#   GCE_FIRSTBOOT_VM_MIRROR    Debian mirror (default http://deb.debian.org/debian)
#   GCE_FIRSTBOOT_VM_SECURITY  security mirror (default http://deb.debian.org/debian-security)
#   GCE_FIRSTBOOT_VM_EXTRA     extra packages, comma separated (e.g. cloud-init,
#                              google-guest-agent, grub-cloud-amd64); part of the cache key
#   GCE_FIRSTBOOT_VM_REBUILD=1 ignore the cache
#
# The cache key is a hash of the release, the network stack, the package list, the mirrors, this script and
# rootfs-customize.sh, so a change to any of them builds a new root.
# Needs root and mmdebstrap (test/setup/ensure-tools.sh mmdebstrap). Never touches the host's /etc.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${GCE_FIRSTBOOT_VM_CACHE:-/var/cache/gce-firstboot-vm}"
MIRROR="${GCE_FIRSTBOOT_VM_MIRROR:-http://deb.debian.org/debian}"
SECURITY="${GCE_FIRSTBOOT_VM_SECURITY:-http://deb.debian.org/debian-security}"
SUITE="${GCE_FIRSTBOOT_VM_RELEASE:-bookworm}"
NET="${GCE_FIRSTBOOT_VM_NET:-networkd}"
NET_CONFIG="${GCE_FIRSTBOOT_VM_NET_CONFIG:-harness}"
case "$NET_CONFIG" in harness|cloud-init) ;; *) echo "build-rootfs: unknown network config writer '$NET_CONFIG' (harness, cloud-init)" >&2; exit 2 ;; esac
case "$SUITE" in bookworm|trixie) ;; *) echo "build-rootfs: unknown release '$SUITE' (bookworm, trixie)" >&2; exit 2 ;; esac

PACKAGES="systemd-sysv,udev,dbus,linux-image-cloud-amd64,initramfs-tools,openssh-server,chrony,iproute2,curl,procps,kmod,tzdata"
# The network stack's packages (rootfs-customize.sh configures ens4 for it).
case "$NET" in
  networkd) ;;
  netplan) PACKAGES="$PACKAGES,netplan.io" ;;
  ifupdown)
    # The release's default DHCP client: dhcpcd-base is Priority important from Debian 13 on.
    if [ "$SUITE" = bookworm ]; then PACKAGES="$PACKAGES,ifupdown,isc-dhcp-client"; else PACKAGES="$PACKAGES,ifupdown,dhcpcd-base"; fi ;;
  networkmanager) PACKAGES="$PACKAGES,network-manager" ;;
  *) echo "build-rootfs: unknown network stack '$NET' (networkd, netplan, ifupdown, networkmanager)" >&2; exit 2 ;;
esac
if [ -n "${GCE_FIRSTBOOT_VM_EXTRA:-}" ]; then
  PACKAGES="$PACKAGES,$GCE_FIRSTBOOT_VM_EXTRA"
fi

log() { echo "build-rootfs: $*" >&2; }

KEY="$( {
  echo "suite=$SUITE net=$NET net-config=$NET_CONFIG"
  echo "mirror=$MIRROR security=$SECURITY"
  echo "packages=$PACKAGES"
  cat "$HERE/build-rootfs.sh" "$HERE/rootfs-customize.sh"
} | sha256sum | cut -c1-16)"
OUT="$CACHE/rootfs-$SUITE-$NET-$KEY.tar"

if [ -s "$OUT" ] && [ "${GCE_FIRSTBOOT_VM_REBUILD:-0}" != 1 ]; then
  log "cache hit: $OUT"
  echo "$OUT"
  exit 0
fi

command -v mmdebstrap >/dev/null || { log "mmdebstrap missing (run test/setup/ensure-tools.sh mmdebstrap)"; exit 2; }
[ "$(id -u)" = 0 ] || { log "must run as root"; exit 2; }

mkdir -p "$CACHE"
TMP="$OUT.tmp.$$"
trap 'rm -f "$TMP"' EXIT
log "building $OUT (packages: $PACKAGES)"
start=$(date +%s.%N)

# Trap from VM-NOTES: the initramfs fsck hook cannot probe the root device in a chroot,
# so FSTYPE=ext4 must exist before the kernel package is configured (essential hook).
mmdebstrap \
  --variant=minbase \
  --mode=root \
  --format=tar \
  --include="$PACKAGES" \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  --essential-hook='mkdir -p "$1/etc/initramfs-tools/conf.d" && echo FSTYPE=ext4 > "$1/etc/initramfs-tools/conf.d/gce-firstboot-vm-fstype"' \
  --customize-hook="\"$HERE/rootfs-customize.sh\" \"\$1\" $NET $NET_CONFIG" \
  "$SUITE" "$TMP" \
  "deb $MIRROR $SUITE main" \
  "deb $MIRROR $SUITE-updates main" \
  "deb $SECURITY $SUITE-security main" >&2

mv "$TMP" "$OUT"
trap - EXIT
end=$(date +%s.%N)
log "built in $(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.1f", b-a}') s: $(du -h "$OUT" | cut -f1)"
# Keep the newest roots (one per image of the matrix, test/vm/matrix.ts, and the default one).
ls -1t "$CACHE"/rootfs-*.tar 2>/dev/null | tail -n +9 | xargs -r rm -f
echo "$OUT"
