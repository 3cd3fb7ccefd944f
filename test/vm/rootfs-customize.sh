#!/bin/bash
# mmdebstrap --customize-hook for build-rootfs.sh. $1 = the new root (runs on the host,
# writes only below $1). Generic for every image: things that depend on the disk (fstab,
# grub.cfg) or the agent are done by build-image.sh.
set -euo pipefail
R="$1"
[ -n "$R" ] && [ "$R" != / ] || { echo "rootfs-customize: refusing root '$R'" >&2; exit 1; }

# Trap from VM-NOTES: mmdebstrap copies the build host's resolv.conf. QEMU's user network
# (net=169.254.0.0/16) has its DNS at .0.3; the harness restricts the guest by default, so
# names other than those in /etc/hosts do not resolve, as intended.
rm -f "$R/etc/resolv.conf"
printf 'nameserver 169.254.0.3\n' > "$R/etc/resolv.conf"

# DNS to 169.254.169.254 is not answered inside QEMU: metadata.google.internal via /etc/hosts.
cat > "$R/etc/hosts" <<'EOF'
127.0.0.1	localhost
::1		localhost ip6-localhost ip6-loopback
169.254.169.254	metadata.google.internal metadata
EOF
echo localhost > "$R/etc/hostname"

# DHCP on ens4 with systemd-networkd (Compute Engine's DHCP hands out MTU 1460; honour it).
mkdir -p "$R/etc/systemd/network"
cat > "$R/etc/systemd/network/50-ens4.network" <<'EOF'
[Match]
Name=ens4

[Network]
DHCP=ipv4

[DHCPv4]
UseMTU=yes
EOF
chroot "$R" systemctl enable systemd-networkd.service >/dev/null 2>&1
# wait-online would hold network-online.target for up to 2 min if DHCP is slow; keep it
# but bound it to the one interface.
mkdir -p "$R/etc/systemd/system/systemd-networkd-wait-online.service.d"
cat > "$R/etc/systemd/system/systemd-networkd-wait-online.service.d/gce-firstboot-vm.conf" <<'EOF'
[Service]
ExecStart=
ExecStart=/lib/systemd/systemd-networkd-wait-online --interface=ens4 --timeout=60
EOF

# No root password, no login: the test reads the serial console only.
chroot "$R" passwd -l root >/dev/null 2>&1 || true
