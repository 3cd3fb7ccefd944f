#!/bin/bash
# Side by side, micro: google-guest-agent (Debian 12 package 20211116, unpacked with dpkg -x, never
# installed) against our emulator on 169.254.169.254:80 inside `unshare --mount --uts --net`.
# Measures start -> three host keys written (its first-boot work). Usage: guest-agent.sh [RUNS].
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
runs=${1:-${BENCH_RUNS:-3}}
peer=${BENCH_PEER_ROOT:-/tmp/bench-peers/root}
if [ ! -x "$peer/usr/bin/google_guest_agent" ]; then
  mkdir -p "$peer.debs" && (cd "$peer.debs" && apt-get download google-guest-agent >/dev/null)
  dpkg -x "$peer.debs"/google-guest-agent_*.deb "$peer"
fi
# Scratch copies (of /etc too): removed here, after the namespace and its mounts are gone.
export BENCH_SCRATCH=$(mktemp -d /tmp/bench-ga-XXXXXX)
trap 'rm -rf "$BENCH_SCRATCH"' EXIT
unshare --mount --uts --net --fork bash "$here/guest-agent-inner.sh" "$repo" "$peer" "$runs" | tee /dev/stderr | python3 -c '
import statistics, sys
w = [float(l.split()[1]) for l in sys.stdin if l.startswith("host-keys") and l.split()[1] != "timeout"]
print(f"| google_guest_agent start -> 3 host keys | {statistics.median(w):.2f} ({min(w):.2f}-{max(w):.2f}) | n={len(w)} |" if w else "| google_guest_agent | no keys within 30 s |")'
