# Bench only: the facts bench/vm-boot.ts reads (times are guest seconds since kernel start).
cat /run/bench-watch.log 2>/dev/null || echo "nowatch"
echo "etc_hostname $(cat /etc/hostname 2>/dev/null)"
for u in ssh.service bench-watch.service systemd-networkd-wait-online.service network-online.target \
         cloud-init-local.service cloud-init.service cloud-config.service cloud-final.service \
         google-guest-agent.service gce-firstboot-host-keys.service gce-firstboot-early.service gce-firstboot.service vm-test-keygen.service; do
  s=$(systemctl show -p LoadState -p ActiveState -p Result -p NRestarts -p ExecMainStartTimestampMonotonic \
        -p ActiveEnterTimestampMonotonic "$u" | tr '\n' ' ')
  echo "unit $u $s"
done
first=$(journalctl -b -o short-monotonic --no-pager -u ssh.service | grep -m1 -E 'Started .*(ssh|OpenBSD)' )
echo "ssh_first_started $first"
echo "ssh_listen $(ss -Hltn 'sport = :22' 2>/dev/null | wc -l)"
for f in /etc/ssh/ssh_host_*_key.pub; do [ -e "$f" ] && echo "hostkey $(stat -c %Y "$f") $(ssh-keygen -lf "$f")"; done
echo "now_realtime $(date +%s.%N) uptime $(cut -d' ' -f1 /proc/uptime)"
