#!/usr/bin/env bash
# The whole test suite: tools it needs, a build, every vitest file, then the closing count line.
# The VM boot runs last and alone (it needs both cores); GCE_FIRSTBOOT_SKIP_VM=1 leaves it out.
set -uo pipefail
cd "$(dirname "$0")/.."
bash test/setup/ensure-tools.sh ssh-keygen ssh sshd ip unshare hostname debugfs mke2fs sfdisk dpkg-deb systemd-notify python3 || exit 1
npm run build --silent || { echo "0 passed, 1 failed"; exit 1; }
rm -f test-results/vitest.json test-results/vitest-vm.json
npx vitest run --exclude 'test/vm/boot.test.ts' --exclude 'node_modules/**' "$@"
code=$?
npx vitest run test/vm/boot.test.ts --outputFile.json=test-results/vitest-vm.json
vm_code=$?
node test/setup/summarize.mjs test-results/vitest.json test-results/vitest-vm.json
[ "$code" -eq 0 ] && [ "$vm_code" -eq 0 ]
