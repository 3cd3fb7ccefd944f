#!/bin/bash
# Runs INSIDE `unshare --mount --uts --net --fork` (see cloud-init.sh). Everything it writes is
# below scratch mounts of this mount namespace; the network is loopback only.
# Args: REPO PEERROOT RUNS. Prints "step wall_s maxrss_kb exit" lines.
set -euo pipefail
repo=$1 peer=$2 runs=$3
ip link set lo up
ip addr add 169.254.169.254/32 dev lo
# Scratch /etc, /var/lib/cloud, /var/log, /run (the GCE platform check: cloud-init-on-gce.py).
scratch=${BENCH_SCRATCH:?set by cloud-init.sh}
cp -a /etc "$scratch/etc"
mount --bind "$scratch/etc" /etc
rm -rf /etc/cloud && cp -a "$peer/etc/cloud" /etc/cloud
cat > /etc/cloud/cloud.cfg.d/99-bench.cfg <<CFG
datasource_list: [ GCE ]
datasource:
  GCE:
    metadata_url: http://169.254.169.254/computeMetadata/v1/
ssh_deletekeys: true
ssh_genkeytypes: [rsa, ecdsa, ed25519]
timezone: Etc/UTC
ntp:
  enabled: true
  ntp_client: chrony
# Only the modules we call one by one; nothing else (no users, growpart, resizefs).
cloud_init_modules: []
cloud_config_modules: []
cloud_final_modules: []
resize_rootfs: false
growpart: {mode: "off"}
users: []
disable_root: false
CFG
mkdir -p /var/lib/cloud /var/log
mount -t tmpfs tmpfs /var/lib/cloud
mount -t tmpfs tmpfs /var/log
mount -t tmpfs tmpfs /run
# cloud-init writes user homes, /root/.ssh and apt state: all onto scratch here.
cp -a /var/lib/dpkg "$scratch/dpkg" && mount --bind "$scratch/dpkg" /var/lib/dpkg
for d in /home /var/lib/apt /var/cache/apt /var/tmp; do mount -t tmpfs tmpfs "$d"; done
# /root on scratch too, keeping only the pyenv Python that runs cloud-init.
mkdir -p "$scratch/pyenv" && mount --bind /root/.pyenv "$scratch/pyenv"
mount -t tmpfs tmpfs /root && mkdir /root/.pyenv && mount --bind "$scratch/pyenv" /root/.pyenv
node "$repo/dist/src/emulator/main.js" --listen 169.254.169.254:80 > "$scratch/emu.out" &
emu=$!
for _ in $(seq 50); do grep -q listening "$scratch/emu.out" && break; sleep 0.1; done
export PYTHONPATH="$peer/usr/lib/python3/dist-packages"
ci() { /usr/bin/time -f "%e %M %x" -o "$scratch/t" python3 "$(dirname "$0")/cloud-init-on-gce.py" "$@" >>"$scratch/ci.out" 2>&1 || true; echo "$(tail -1 "$scratch/t")"; }
for run in $(seq "$runs"); do
  rm -rf /var/lib/cloud/* /etc/ssh/ssh_host_*
  echo "init-local $(ci init --local)"
  echo "init $(ci init)"
  for m in set_hostname update_etc_hosts ssh timezone ntp; do echo "$m $(ci single --name $m --frequency always)"; done
  [ "$run" = 1 ] && { echo "# hostname after: $(hostname) /etc/hostname: $(cat /etc/hostname 2>/dev/null)"; echo "# keys: $(ls /etc/ssh/ | grep -c host_.*key.pub)"; }
done
grep -iE "warn|error|fail|not running" "$scratch/ci.out" | sort | uniq -c | sort -rn | head -15 | sed 's/^/# /'
kill $emu
