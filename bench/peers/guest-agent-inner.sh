#!/bin/bash
# Runs INSIDE `unshare --mount --uts --net --fork` (see guest-agent.sh): the same scratch mounts as
# cloud-init-inner.sh. Starts google_guest_agent (Debian 12 package, unpacked) against the emulator
# on 169.254.169.254:80 and records when the three host keys exist. Args: REPO PEERROOT RUNS.
set -euo pipefail
repo=$1 peer=$2 runs=$3
ip link set lo up
ip addr add 169.254.169.254/32 dev lo
scratch=${BENCH_SCRATCH:?set by guest-agent.sh}
cp -a /etc "$scratch/etc" && mount --bind "$scratch/etc" /etc
for d in /var/lib /var/log /var/cache /run /home /var/tmp; do mount -t tmpfs tmpfs "$d"; done
mount -t tmpfs tmpfs /root
node "$repo/dist/src/emulator/main.js" --listen 169.254.169.254:80 > "$scratch/emu.out" &
emu=$!
for _ in $(seq 50); do grep -q listening "$scratch/emu.out" && break; sleep 0.1; done
for run in $(seq "$runs"); do
  rm -f /etc/ssh/ssh_host_* /etc/default/instance_configs.cfg /etc/default/google_instance_id /etc/google_instance_id; rm -rf /var/lib/google/*
  start=$(date +%s.%N)
  timeout 30 "$peer/usr/bin/google_guest_agent" >"$scratch/ga.out" 2>&1 &
  ga=$!
  keys=timeout
  while kill -0 $ga 2>/dev/null; do
    if [ "$(ls /etc/ssh/ssh_host_*_key.pub 2>/dev/null | wc -l)" -ge 3 ]; then keys=$(echo "$(date +%s.%N) - $start" | bc); break; fi
    sleep 0.05
  done
  agent=$(pgrep -P $ga | head -1 || true)
  rss=$(grep VmHWM /proc/${agent:-0}/status 2>/dev/null | awk '{print $2}' || echo 0)
  kill $ga 2>/dev/null || true; wait $ga 2>/dev/null || true
  echo "host-keys ${keys} ${rss:-0} 0"
  [ "$run" = 1 ] && { echo "# hostname after: $(hostname); keys: $(ls /etc/ssh/ | grep -c 'host_.*key.pub')"; sed 's/^/# /' "$scratch/ga.out" | head -15; }
done
kill $emu
