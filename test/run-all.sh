#!/usr/bin/env bash
# The whole test suite: tools it needs, a build, every vitest file, then the closing count line.
set -uo pipefail
cd "$(dirname "$0")/.."
bash test/setup/ensure-tools.sh ssh-keygen ssh sshd ip unshare hostname debugfs mke2fs sfdisk systemd-notify python3 || exit 1
npm run build --silent || { echo "0 passed, 1 failed"; exit 1; }
rm -f test-results/vitest.json
npx vitest run "$@"
code=$?
node test/setup/summarize.mjs test-results/vitest.json
exit $code
