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
#   GCE_FIRSTBOOT_VM_LAYOUT     mbr (default: one bootable ext4 partition, GRUB i386-pc in the MBR
#                               gap) or gpt (as Debian's official images: BIOS-boot partition 14,
#                               EFI system partition 15, root 1 at 128 MiB; GRUB for i386-pc in
#                               the BIOS-boot partition and x86_64-efi as EFI/BOOT/BOOTX64.EFI)
#   GCE_FIRSTBOOT_VM_OVERLAY    a directory copied over the root last (drift injection, extra
#                               test checks in /usr/local/lib/vm-test/checks.d/*.sh)
#   GCE_FIRSTBOOT_VM_NO_TAR=1   skip image.tar.gz (booting needs only disk.raw)
#   GCE_FIRSTBOOT_VM_TEST_UNIT=0  leave out the test-only report+poweroff unit (an image for
#                               a real Compute Engine import must not carry it)
#
# Boot method: GRUB core images made with grub-mkimage (the image's own GRUB when the root has a
# distribution GRUB package, else the host's grub-pc-bin / grub-efi-amd64-bin), no grub-install,
# no loop devices, no mounting. The kernel and initrd are also copied to OUT_DIR so that boot.ts
# can use -kernel/-initrd as a fallback.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOTFS_TAR="${1:?usage: build-image.sh ROOTFS_TAR DEB_PATH OUT_DIR}"
DEB_PATH="${2-}"
OUT_DIR="${3:?usage: build-image.sh ROOTFS_TAR DEB_PATH OUT_DIR}"
GIB="${GCE_FIRSTBOOT_VM_DISK_GIB:-2}"
LAYOUT="${GCE_FIRSTBOOT_VM_LAYOUT:-mbr}"
case "$LAYOUT" in mbr|gpt) ;; *) echo "build-image: unknown layout '$LAYOUT' (mbr, gpt)" >&2; exit 2 ;; esac

log() { echo "build-image: $*" >&2; }
[ "$(id -u)" = 0 ] || { log "must run as root"; exit 2; }
for t in sfdisk mke2fs grub-mkimage tar unshare; do
  command -v "$t" >/dev/null || { log "$t missing (run test/setup/ensure-tools.sh $t)"; exit 2; }
done
if [ "$LAYOUT" = gpt ]; then
  for t in mkfs.vfat mmd mcopy; do
    command -v "$t" >/dev/null || { log "$t missing (run test/setup/ensure-tools.sh $t)"; exit 2; }
  done
fi
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
  # As in an mmdebstrap hook, /dev and /proc are there (a private mount namespace: nothing is
  # mounted on the host): seal runs sshd -t and ssh -Q, whose stdio is /dev/null.
  sealed="$(unshare --mount --propagation private sh -c \
    'mount --rbind /dev "$1/dev" && mount -t proc proc "$1/proc" && exec chroot "$1" /usr/bin/gce-firstboot seal --yes --history' \
    sh "$ROOT")"
  printf '%s\n' "$sealed" | sed 's/^/build-image: seal: /' >&2
  # The image's first sshd start must already read the hardening seal writes.
  case "$sealed" in *'not written'*) log "seal left a hardening file unwritten (above)"; exit 1 ;; esac
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
  install -m 0755 "$HERE/guest/checks.d/dhcp-renew.sh" "$ROOT/usr/local/lib/vm-test/checks.d/"
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

# GRUB: the image's own (a distribution GRUB package, e.g. grub-cloud-amd64: its modules and
# grub-mkimage, run chrooted) or the host's. Its /etc/default/grub decides the first boot's
# command line, as update-grub would have; update-grub itself cannot run at build time (grub-probe
# finds no disk behind a chroot), so the first grub.cfg is written here, and the guest's own
# update-grub replaces it when something (our serial-console module) changes /etc/default/grub.
if [ -f "$ROOT/usr/lib/grub/i386-pc/boot.img" ]; then
  GRUB_LIB="$ROOT/usr/lib/grub"; MKIMAGE=(chroot "$ROOT" grub-mkimage); IMG_DIR=/tmp; HOST_IMG_DIR="$ROOT/tmp"
else
  GRUB_LIB=/usr/lib/grub; MKIMAGE=(grub-mkimage); IMG_DIR="$OUT_DIR"; HOST_IMG_DIR="$OUT_DIR"
fi
[ -f "$GRUB_LIB/i386-pc/boot.img" ] || { log "$GRUB_LIB/i386-pc missing (grub-pc-bin)"; exit 2; }
if [ "$LAYOUT" = gpt ] && [ ! -d "$GRUB_LIB/x86_64-efi" ]; then log "$GRUB_LIB/x86_64-efi missing (grub-efi-amd64-bin)"; exit 2; fi
if [ -f "$ROOT/etc/default/grub" ]; then
  # shellcheck disable=SC2016
  IMAGE_ARGS="$(chroot "$ROOT" sh -c '. /etc/default/grub; for f in /etc/default/grub.d/*.cfg; do [ -e "$f" ] && . "$f"; done; echo $GRUB_CMDLINE_LINUX $GRUB_CMDLINE_LINUX_DEFAULT')"
  CMDLINE="root=UUID=$UUID ro $IMAGE_ARGS"
  echo "$CMDLINE" > "$OUT_DIR/cmdline"
fi

for target in i386-pc x86_64-efi; do
  [ "$target" = i386-pc ] || [ "$LAYOUT" = gpt ] || continue
  mkdir -p "$ROOT/boot/grub/$target"
  cp "$GRUB_LIB/$target"/*.mod "$GRUB_LIB/$target"/*.lst "$ROOT/boot/grub/$target/"
done
cat > "$ROOT/boot/grub/grub.cfg" <<EOF
serial --unit=0 --speed=38400
terminal_input serial
terminal_output serial
set default=0
set timeout=0
menuentry 'Debian GNU/Linux ($KVER)' {
  linux /boot/vmlinuz-$KVER $CMDLINE
  initrd /boot/initrd.img-$KVER
}
EOF

DISK="$OUT_DIR/disk.raw"
truncate -s "${GIB}G" "$DISK"
GRUB_MODS=(normal linux serial terminal configfile echo search search_fs_uuid ext2 part_msdos part_gpt)
if [ "$LAYOUT" = mbr ]; then
  # One bootable primary Linux partition from 1 MiB to the end, MBR (dos) label.
  printf 'label: dos\nstart=2048, type=83, bootable\n' | sfdisk --quiet "$DISK" >&2
  ROOT_START=2048
else
  # Debian's official cloud layout: BIOS boot (14), EFI system (15), root (1) after them.
  # Numbered 1, 14, 15 as Debian does (sfdisk takes the number from the device name).
  printf 'label: gpt\n%s : start=262144, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=root\n%s : start=2048, size=6144, type=21686148-6449-6E6F-744E-656564454649, name=bios\n%s : start=8192, size=253952, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name=efi\n' \
    "${DISK}1" "${DISK}14" "${DISK}15" | sfdisk --quiet "$DISK" >&2
  ROOT_START=262144
fi
ROOT_SECTORS="$(sfdisk --json "$DISK" | python3 -c 'import json,sys; t=json.load(sys.stdin)["partitiontable"]; print(next(p["size"] for p in t["partitions"] if p["start"]=='"$ROOT_START"'))')"
mke2fs -q -F -t ext4 -L root -U "$UUID" -E offset=$(( ROOT_START * 512 )) -d "$ROOT" "$DISK" "$(( ROOT_SECTORS / 2 ))k" >&2

# The core image finds the root by its file system UUID (no drive numbering assumed).
printf 'search --no-floppy --fs-uuid --set=root %s\nset prefix=($root)/boot/grub\n' "$UUID" > "$HOST_IMG_DIR/grub-early.cfg"
"${MKIMAGE[@]}" -O i386-pc -p /boot/grub -c "$IMG_DIR/grub-early.cfg" -o "$IMG_DIR/core.img" biosdisk "${GRUB_MODS[@]}"
CORE="$HOST_IMG_DIR/core.img"
dd if="$GRUB_LIB/i386-pc/boot.img" of="$DISK" bs=440 count=1 conv=notrunc status=none
if [ "$LAYOUT" = mbr ]; then
  [ "$(stat -c %s "$CORE")" -lt $(( 2047 * 512 )) ] || { log "core.img too big"; exit 1; }
  dd if="$CORE" of="$DISK" bs=512 seek=1 conv=notrunc status=none
else
  # What grub-bios-setup does for a BIOS-boot partition: the core goes to its first sector,
  # boot.img's kernel sector (offset 0x5c, 64-bit LE) points there, and diskboot.img's block
  # list (the core's first sector, offset 0x1f4) starts at the sector after it.
  [ "$(stat -c %s "$CORE")" -lt $(( 6144 * 512 )) ] || { log "core.img too big"; exit 1; }
  dd if="$CORE" of="$DISK" bs=512 seek=2048 conv=notrunc status=none
  le64() { python3 -c 'import struct,sys; sys.stdout.buffer.write(struct.pack("<Q", int(sys.argv[1])))' "$1"; }
  le64 2048 | dd of="$DISK" bs=1 seek=$(( 0x5c )) conv=notrunc status=none
  le64 2049 | dd of="$DISK" bs=1 seek=$(( 2048 * 512 + 0x1f4 )) conv=notrunc status=none
  # UEFI: the removable-media path on a FAT ESP, made without mounting (mtools).
  "${MKIMAGE[@]}" -O x86_64-efi -p /boot/grub -c "$IMG_DIR/grub-early.cfg" -o "$IMG_DIR/BOOTX64.EFI" "${GRUB_MODS[@]}" fat efi_gop
  ESP="$OUT_DIR/esp.img"
  rm -f "$ESP"
  mkfs.vfat -C -n EFI "$ESP" $(( 253952 / 2 )) >/dev/null
  mmd -i "$ESP" ::/EFI ::/EFI/BOOT
  mcopy -i "$ESP" "$HOST_IMG_DIR/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI
  dd if="$ESP" of="$DISK" bs=512 seek=8192 conv=notrunc,sparse status=none
  rm -f "$ESP" "$HOST_IMG_DIR/BOOTX64.EFI"
fi
rm -f "$CORE" "$HOST_IMG_DIR/grub-early.cfg"
t1=$(date +%s.%N)
log "disk.raw ${GIB} GiB apparent, $(du -h "$DISK" | cut -f1) allocated, in $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s"

if [ "${GCE_FIRSTBOOT_VM_NO_TAR:-0}" != 1 ]; then
  tar --format=oldgnu -Sczf "$OUT_DIR/image.tar.gz" -C "$OUT_DIR" disk.raw
  t2=$(date +%s.%N)
  log "image.tar.gz $(du -h "$OUT_DIR/image.tar.gz" | cut -f1) in $(awk -v a="$t1" -v b="$t2" 'BEGIN{printf "%.1f", b-a}') s"
fi
echo "$OUT_DIR"
