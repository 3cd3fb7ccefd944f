#!/bin/bash
# mmdebstrap --customize-hook for build-rootfs.sh. $1 = the new root (runs on the host,
# writes only below $1), $2 = the network stack (networkd, netplan, ifupdown, networkmanager),
# $3 = who writes ens4's config: harness (default, below) or cloud-init (it renders it at boot;
# nothing is written here). Generic for every image: things that depend on the disk (fstab,
# grub.cfg) or the agent are done by build-image.sh.
set -euo pipefail
R="$1"
NET="${2:-networkd}"
NET_CONFIG="${3:-harness}"
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

# DHCP on ens4, as each stack's users configure it (Compute Engine's DHCP hands out MTU 1460).
wait_online_bounded() {
  # wait-online would hold network-online.target for up to 2 min if DHCP is slow; keep it
  # but bound it to the one interface.
  mkdir -p "$R/etc/systemd/system/systemd-networkd-wait-online.service.d"
  cat > "$R/etc/systemd/system/systemd-networkd-wait-online.service.d/gce-firstboot-vm.conf" <<'EOF'
[Service]
ExecStart=
ExecStart=/lib/systemd/systemd-networkd-wait-online --interface=ens4 --timeout=60
EOF
}
case "$NET" in
  networkd)
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
    wait_online_bounded ;;
  netplan)
    # As Debian's official cloud images (debian-cloud-images, /etc/netplan/90-default.yaml),
    # IPv4 only: QEMU's user network answers no DHCPv6. With cloud-init, only its own
    # /etc/netplan/50-cloud-init.yaml (a second netplan id matching ens4 would win over it).
    mkdir -p "$R/etc/netplan"
    if [ "$NET_CONFIG" = harness ]; then
      cat > "$R/etc/netplan/90-default.yaml" <<'EOF'
network:
  version: 2
  ethernets:
    all-en:
      match:
        name: "en*"
      dhcp4: true
EOF
      chmod 600 "$R/etc/netplan/90-default.yaml"
    fi
    chroot "$R" systemctl enable systemd-networkd.service >/dev/null 2>&1
    wait_online_bounded ;;
  ifupdown)
    # As Debian's installer writes it for the primary NIC.
    cat > "$R/etc/network/interfaces" <<'EOF'
source /etc/network/interfaces.d/*

auto lo
iface lo inet loopback

allow-hotplug ens4
iface ens4 inet dhcp
EOF
    ;;
  networkmanager)
    # Package defaults: NetworkManager makes its automatic "Wired connection 1" profile on ens4.
    ;;
  *) echo "rootfs-customize: unknown network stack '$NET'" >&2; exit 1 ;;
esac

# No root password, no login: the test reads the serial console only.
chroot "$R" passwd -l root >/dev/null 2>&1 || true
