#!/bin/bash
# VM test only: forces a DHCP renewal on ens4 through the stack that manages it, as an admin
# would, then prints the link MTU and the host name (Compute Engine's DHCP hands out the FQDN as
# option 12; the test's QEMU does too). With ifupdown the link is down in between and its MTU is
# put back to the kernel's 1500 there, so the MTU after ifup is the stack's doing (what it does at
# every boot), not the agent's runtime setting left on the link. Lines: "stack S", "command C", "exit N", "before …",
# "after mtu N", "after hostname H", "after addr A".
nic=ens4
state() { printf 'mtu %s hostname %s\n' "$(cat /sys/class/net/$nic/mtu)" "$(cat /proc/sys/kernel/hostname)"; }
echo "before $(state)"
if systemctl -q is-active NetworkManager.service; then
  stack=networkmanager
  cmd=(nmcli -w 60 connection up "$(nmcli -g GENERAL.CONNECTION device show "$nic")")
elif systemctl -q is-active systemd-networkd.service && networkctl status "$nic" 2>/dev/null | grep -q 'State: routable (configured'; then
  stack=networkd
  cmd=(networkctl renew "$nic")
elif command -v ifquery >/dev/null && ifquery --state "$nic" >/dev/null 2>&1; then
  # ifupdown: the lease is taken again by the release's DHCP client (dhclient, dhcpcd).
  stack=ifupdown
  cmd=(sh -c "ifdown $nic && ip link set dev $nic mtu 1500 && ifup $nic")
else
  echo "stack none"; exit 0
fi
echo "stack $stack"
echo "command ${cmd[*]}"
"${cmd[@]}" >/dev/null 2>&1
echo "exit $?"
# The lease is back when the address is; then give the client's hooks a moment.
for _ in $(seq 60); do
  ip -4 -o addr show dev "$nic" | grep -q 'inet ' && break
  sleep 1
done
sleep 5
echo "after mtu $(cat /sys/class/net/$nic/mtu)"
echo "after hostname $(cat /proc/sys/kernel/hostname)"
echo "after addr $(ip -4 -o addr show dev "$nic" | awk '{print $4}')"
