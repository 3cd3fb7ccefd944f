#!/usr/bin/env bash
# Installs the Debian packages that provide the given commands, only those missing.
# Usage: test/setup/ensure-tools.sh ssh-keygen ip unshare ...
set -euo pipefail
declare -A PACKAGE_OF=(
  [ssh-keygen]=openssh-client
  [ssh]=openssh-client
  [sshd]=openssh-server
  [ip]=iproute2
  [unshare]=util-linux
  [nsenter]=util-linux
  [chronyd]=chrony
  [systemd-analyze]=systemd
  [systemd-notify]=systemd
  [debugfs]=e2fsprogs
  [mke2fs]=e2fsprogs
  [sfdisk]=fdisk
  [sgdisk]=gdisk
  [mkfs.vfat]=dosfstools
  [mkfs.xfs]=xfsprogs
  [mkfs.btrfs]=btrfs-progs
  [mdir]=mtools
  [mtype]=mtools
  [mcopy]=mtools
  [mmd]=mtools
  [socat]=socat
  [qemu-system-x86_64]=qemu-system-x86
  [mmdebstrap]=mmdebstrap
  [grub-mkimage]=grub-pc-bin
  [grub-mkconfig]=grub-common
  [dpkg-deb]=dpkg
  [lintian]=lintian
  [rpmbuild]=rpm
  [rpm]=rpm
  [rpm2cpio]=rpm
  [rpmlint]=rpmlint
  [dash]=dash
  [chcon]=coreutils
  [stat]=coreutils
  [setfattr]=attr
  [getfattr]=attr
  [cpio]=cpio
  [dpkg]=dpkg
  [dpkg-query]=dpkg
  [dpkg-shlibdeps]=dpkg-dev
  [deb-systemd-helper]=init-system-helpers
  [systemctl]=systemd
  [strip]=binutils
  [file]=file
  [flock]=util-linux
  [hostname]=hostname
  [script]=bsdutils
  [python3]=python3
)
# Test files run in parallel workers that may ask at once: one apt-get at a time (dpkg's lock
# would fail the second), and each looks for what is missing only once it holds the lock.
if command -v flock >/dev/null 2>&1; then
  exec 9>/tmp/gce-firstboot-ensure-tools.lock
  flock 9
fi
missing=()
for tool in "$@"; do
  if ! command -v "$tool" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$tool" ]; then
    package=${PACKAGE_OF[$tool]:-}
    if [ -z "$package" ]; then echo "ensure-tools: no package known for $tool" >&2; exit 1; fi
    missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "ensure-tools: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
