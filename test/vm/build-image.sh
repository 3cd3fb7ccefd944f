#!/bin/bash
# Turn a cached rootfs tarball into a Compute Engine image: disk.raw + image.tar.gz.
#
#   test/vm/build-image.sh ROOTFS_TAR DEB_PATH OUT_DIR
#
#   ROOTFS_TAR  the tarball printed by build-rootfs.sh
#   DEB_PATH    our .deb, or "" for the baseline image without the agent
#   OUT_DIR     receives disk.raw, image.tar.gz, root-uuid, kernel/initrd copies
#
# Environment:
#   GCE_FIRSTBOOT_VM_DISK_GIB   disk size in GiB (default 2)
#   GCE_FIRSTBOOT_VM_OVERLAY    a directory copied over the root last (drift injection, extra
#                               test checks in /usr/local/lib/vm-test/checks.d/*.sh)
#   GCE_FIRSTBOOT_VM_NO_TAR=1   skip image.tar.gz (booting needs only disk.raw)
#   GCE_FIRSTBOOT_VM_TEST_UNIT=0  leave out the test-only report+poweroff unit (an image for
#                               a real Compute Engine import must not carry it)
#
# Boot method: GRUB (i386-pc) in the MBR, built with grub-mkimage from the host's
# grub-pc-bin, no grub-install, no loop devices, no mounting. The kernel and initrd are
# also copied to OUT_DIR so that boot.ts can use -kernel/-initrd as a fallback.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOTFS_TAR="${1:?usage: build-image.sh ROOTFS_TAR DEB_PATH OUT_DIR}"
DEB_PATH="${2-}"
OUT_DIR="${3:?usage: build-image.sh ROOTFS_TAR DEB_PATH OUT_DIR}"
GIB="${GCE_FIRSTBOOT_VM_DISK_GIB:-2}"
GRUB_DIR=/usr/lib/grub/i386-pc

log() { echo "build-image: $*" >&2; }
[ "$(id -u)" = 0 ] || { log "must run as root"; exit 2; }
for t in sfdisk mke2fs grub-mkimage tar; do
  command -v "$t" >/dev/null || { log "$t missing (run test/setup/ensure-tools.sh $t)"; exit 2; }
done
[ -f "$GRUB_DIR/boot.img" ] || { log "$GRUB_DIR missing (grub-pc-bin)"; exit 2; }
[ -z "$DEB_PATH" ] || [ -f "$DEB_PATH" ] || { log "no such .deb: $DEB_PATH"; exit 2; }

mkdir -p "$OUT_DIR"
OUT_DIR="$(cd "$OUT_DIR" && pwd)"
ROOT="$OUT_DIR/root"
rm -rf "$ROOT" "$OUT_DIR/disk.raw" "$OUT_DIR/image.tar.gz"
mkdir -p "$ROOT"
cleanup() { rm -rf "$ROOT"; }
trap cleanup EXIT

t0=$(date +%s.%N)
tar --numeric-owner --xattrs --xattrs-include='*' -xpf "$ROOTFS_TAR" -C "$ROOT"

# --- our package ----------------------------------------------------------------------------
if [ -n "$DEB_PATH" ]; then
  log "installing $(basename "$DEB_PATH")"
  cp "$DEB_PATH" "$ROOT/tmp/gce-firstboot.deb"
  # Maintainer scripts run chrooted; systemd is not running there, so nothing is started.
  chroot "$ROOT" dpkg -i /tmp/gce-firstboot.deb >&2
  rm -f "$ROOT/tmp/gce-firstboot.deb"
else
  # Baseline without the agent: something must make host keys after seal removed them,
  # or sshd refuses to start. A stand-in doing what Debian's postinst does (ssh-keygen -A),
  # so the baseline also boots with fresh keys. Test-only; never in a real image.
  cat > "$ROOT/etc/systemd/system/vm-test-keygen.service" <<'EOF'
[Unit]
Description=VM test stand-in: generate SSH host keys (no agent installed)
Before=ssh.service
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A

[Install]
WantedBy=multi-user.target
EOF
  ln -sf /etc/systemd/system/vm-test-keygen.service \
    "$ROOT/etc/systemd/system/multi-user.target.wants/vm-test-keygen.service"
fi

# --- seal -----------------------------------------------------------------------------------
# With our package: its own `seal`, run the way docs/image-builders.md tells image builders to
# (an mmdebstrap customize hook): chrooted, the packaged binary, `/` being the image's root, hence
# --yes. That exercises the artefact users install, not this checkout's dist/.
# Without it (baseline): the same clean-up by hand, as a builder without the agent would.
if [ -n "$DEB_PATH" ]; then
  chroot "$ROOT" /usr/bin/gce-firstboot seal --yes --history | sed 's/^/build-image: seal: /' >&2
else
  rm -f "$ROOT"/etc/ssh/ssh_host_*
  rm -f "$ROOT/etc/udev/rules.d/70-persistent-net.rules"
  rm -rf "$ROOT"/var/lib/dhcp/* "$ROOT"/var/lib/systemd/network/* 2>/dev/null || true
  : > "$ROOT/etc/machine-id"
  [ -L "$ROOT/var/lib/dbus/machine-id" ] || rm -f "$ROOT/var/lib/dbus/machine-id"
  echo localhost > "$ROOT/etc/hostname"
fi

# --- test-only unit: wait for boot, dump facts to the serial console, power off -------------
if [ "${GCE_FIRSTBOOT_VM_TEST_UNIT:-1}" = 1 ]; then
  install -D -m 0755 "$HERE/guest/vm-test-report" "$ROOT/usr/local/sbin/vm-test-report"
  mkdir -p "$ROOT/usr/local/lib/vm-test/checks.d"
  [ -z "$DEB_PATH" ] || install -m 0755 "$HERE/guest/checks.d/agent-check.sh" "$ROOT/usr/local/lib/vm-test/checks.d/"
  cat > "$ROOT/etc/systemd/system/vm-test-report.service" <<'EOF'
[Unit]
Description=VM test only: report boot facts on ttyS0 and power off
After=multi-user.target

[Service]
# Type=simple, not oneshot: the script waits for the boot to finish, which it never would
# while a oneshot unit of the boot transaction is still starting.
Type=simple
ExecStart=/usr/local/sbin/vm-test-report
StandardOutput=journal
StandardError=journal

[Install]
WantedBy=multi-user.target
EOF
  ln -sf /etc/systemd/system/vm-test-report.service \
    "$ROOT/etc/systemd/system/multi-user.target.wants/vm-test-report.service"
fi

# --- overlay (drift injection, extra checks) --------------------------------------------------
if [ -n "${GCE_FIRSTBOOT_VM_OVERLAY:-}" ]; then
  log "overlay $GCE_FIRSTBOOT_VM_OVERLAY"
  cp -a "$GCE_FIRSTBOOT_VM_OVERLAY/." "$ROOT/"
fi

# --- disk layout, fstab, boot loader ----------------------------------------------------------
UUID="$(cat /proc/sys/kernel/random/uuid)"
echo "$UUID" > "$OUT_DIR/root-uuid"
printf 'UUID=%s\t/\text4\terrors=remount-ro\t0\t1\n' "$UUID" > "$ROOT/etc/fstab"

KVER="$(ls -1 "$ROOT/boot" | sed -n 's/^vmlinuz-//p' | sort -V | tail -1)"
[ -n "$KVER" ] && [ -f "$ROOT/boot/initrd.img-$KVER" ] || { log "no kernel/initrd in /boot"; exit 1; }
CMDLINE="root=UUID=$UUID ro console=ttyS0,38400n8"
echo "$CMDLINE" > "$OUT_DIR/cmdline"
cp "$ROOT/boot/vmlinuz-$KVER" "$OUT_DIR/vmlinuz"
cp "$ROOT/boot/initrd.img-$KVER" "$OUT_DIR/initrd.img"

mkdir -p "$ROOT/boot/grub/i386-pc"
cp "$GRUB_DIR"/*.mod "$GRUB_DIR"/*.lst "$ROOT/boot/grub/i386-pc/"
cat > "$ROOT/boot/grub/grub.cfg" <<EOF
serial --unit=0 --speed=38400
terminal_input serial
terminal_output serial
set default=0
set timeout=0
menuentry 'Debian GNU/Linux 12 ($KVER)' {
  linux /boot/vmlinuz-$KVER $CMDLINE
  initrd /boot/initrd.img-$KVER
}
EOF

DISK="$OUT_DIR/disk.raw"
truncate -s "${GIB}G" "$DISK"
# One bootable primary Linux partition from 1 MiB to the end, MBR (dos) label.
printf 'label: dos\nstart=2048, type=83, bootable\n' | sfdisk --quiet "$DISK" >&2
PART_BYTES=$(( GIB * 1024 * 1024 * 1024 - 1048576 ))
mke2fs -q -F -t ext4 -L root -U "$UUID" -E offset=1048576 -d "$ROOT" "$DISK" "$(( PART_BYTES / 1024 ))k" >&2

CORE="$OUT_DIR/core.img"
grub-mkimage -O i386-pc -o "$CORE" -p '(hd0,msdos1)/boot/grub' \
  biosdisk part_msdos ext2 normal linux serial terminal configfile echo
[ "$(stat -c %s "$CORE")" -lt $(( 2047 * 512 )) ] || { log "core.img too big"; exit 1; }
dd if="$GRUB_DIR/boot.img" of="$DISK" bs=440 count=1 conv=notrunc status=none
dd if="$CORE" of="$DISK" bs=512 seek=1 conv=notrunc status=none
rm -f "$CORE"
t1=$(date +%s.%N)
log "disk.raw ${GIB} GiB apparent, $(du -h "$DISK" | cut -f1) allocated, in $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s"

if [ "${GCE_FIRSTBOOT_VM_NO_TAR:-0}" != 1 ]; then
  tar --format=oldgnu -Sczf "$OUT_DIR/image.tar.gz" -C "$OUT_DIR" disk.raw
  t2=$(date +%s.%N)
  log "image.tar.gz $(du -h "$OUT_DIR/image.tar.gz" | cut -f1) in $(awk -v a="$t1" -v b="$t2" 'BEGIN{printf "%.1f", b-a}') s"
fi
echo "$OUT_DIR"
