#!/bin/bash
# Install (apt-get) whatever the VM test needs that is missing. Idempotent, quiet when all
# is present. Stand-in until test/setup/ensure-tools.sh lands in main; the mapping below is
# the one to add there (tool -> Debian package).
set -euo pipefail
declare -A PKG=(
  [qemu-system-x86_64]=qemu-system-x86
  [mmdebstrap]=mmdebstrap
  [sfdisk]=fdisk
  [mke2fs]=e2fsprogs
  [debugfs]=e2fsprogs
  [grub-mkimage]=grub-pc-bin
  [socat]=socat
)
missing=()
for t in "${!PKG[@]}"; do
  command -v "$t" >/dev/null 2>&1 || missing+=("${PKG[$t]}")
done
# grub-mkimage comes from grub-common; the i386-pc modules from grub-pc-bin.
[ -f /usr/lib/grub/i386-pc/boot.img ] || missing+=(grub-pc-bin)
[ ${#missing[@]} -eq 0 ] && exit 0
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
echo "ensure-vm-tools: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Wait for a concurrent apt/dpkg (other test setup) instead of failing on the lock.
apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}" >&2 || {
  apt-get -o DPkg::Lock::Timeout=600 update -q >&2
  apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}" >&2
}
