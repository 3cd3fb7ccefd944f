#!/bin/bash
# Side by side, micro: cloud-init 22.4 (Debian 12 package, unpacked with dpkg -x into a scratch
# dir, never installed) against our metadata emulator on 169.254.169.254:80 inside
# `unshare --mount --uts --net` (loopback only). /etc, /root, /home, /run, /var/log,
# /var/lib/{cloud,apt,dpkg} are scratch mounts inside the namespace.
# Usage: bench/peers/cloud-init.sh [RUNS]   (npm run build first). Writes bench/peers/cloud-init.json.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
runs=${1:-${BENCH_RUNS:-3}}
peer=${BENCH_PEER_ROOT:-/tmp/bench-peers/root}
if [ ! -x "$peer/usr/bin/cloud-init" ]; then
  mkdir -p "$peer.debs" && (cd "$peer.debs" && apt-get download cloud-init python3-configobj python3-oauthlib \
    python3-netifaces python3-serial python3-six >/dev/null)
  for d in "$peer.debs"/*.deb; do dpkg -x "$d" "$peer"; done
fi
out=$(mktemp)
# Scratch copies (of /etc too): removed here, after the namespace and its mounts are gone.
export BENCH_SCRATCH=$(mktemp -d /tmp/bench-ci-XXXXXX)
trap 'rm -rf "$BENCH_SCRATCH"' EXIT
unshare --mount --uts --net --fork bash "$here/cloud-init-inner.sh" "$repo" "$peer" "$runs" | tee "$out" >&2
python3 - "$out" "$here/cloud-init.json" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    if line.startswith('#') or not line.strip(): continue
    step, wall, rss, code = line.split()
    rows.setdefault(step, []).append((float(wall), int(rss), int(code)))
table = {}
print('| cloud-init step | wall s median (min–max) | peak RSS MB | exit codes |')
print('|---|---|---|---|')
for step, s in rows.items():
    w = [x[0] for x in s]
    table[step] = {'median': statistics.median(w), 'min': min(w), 'max': max(w), 'rssKb': max(x[1] for x in s), 'exit': sorted({x[2] for x in s})}
    t = table[step]
    print(f"| {step} | {t['median']:.2f} ({t['min']:.2f}–{t['max']:.2f}) | {t['rssKb']/1024:.1f} | {t['exit']} |")
total = sum(t['median'] for t in table.values())
print(f"| sum of medians | {total:.2f} | | |")
json.dump(table, open(sys.argv[2], 'w'), indent=2)
PY
