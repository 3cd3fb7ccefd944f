#!/usr/bin/env bash
# The whole test suite: tools it needs, a build, every vitest file, then the closing count line.
# The VM boots run last and alone (they need both cores): boot.test.ts (the default image), then
# matrix.test.ts (the default run's images; GCE_FIRSTBOOT_VM_MATRIX=all boots every image, as
# `npm run test:vm-matrix` does). GCE_FIRSTBOOT_SKIP_VM=1 leaves them out.
set -uo pipefail
cd "$(dirname "$0")/.."
bash test/setup/ensure-tools.sh ssh-keygen ssh sshd ip unshare hostname debugfs mke2fs sfdisk dpkg-deb systemd-notify python3 flock || exit 1
npm run build --silent || { echo "0 passed, 1 failed"; exit 1; }
rm -f test-results/vitest.json test-results/vitest-vm.json test-results/vitest-vm-matrix.json
npx vitest run --exclude 'test/vm/boot.test.ts' --exclude 'test/vm/matrix.test.ts' --exclude 'node_modules/**' "$@"
code=$?
# The VM test boots our .deb (test/vm/README.md): build it unless the packaging tests just did
# (same lock and staleness rule as test/packaging/helpers.ts). If that fails (the packaging tests
# then fail too, and are counted), the VM test boots the baseline image and the exit code is 1.
pkg_code=0
if [ "${GCE_FIRSTBOOT_SKIP_VM:-0}" != 1 ] && [ -z "${GCE_FIRSTBOOT_DEB+set}" ]; then
  mkdir -p out
  DEB_COMPRESS="${DEB_COMPRESS:-gzip}" flock out/.package.lock bash packaging/package.sh --if-stale >/dev/null || {
    echo "run-all: npm run package failed; the VM test boots the baseline image"; pkg_code=1; export GCE_FIRSTBOOT_DEB=; }
fi
npx vitest run test/vm/boot.test.ts --outputFile.json=test-results/vitest-vm.json
vm_code=$?
npx vitest run test/vm/matrix.test.ts --outputFile.json=test-results/vitest-vm-matrix.json
matrix_code=$?
node test/setup/summarize.mjs test-results/vitest.json test-results/vitest-vm.json test-results/vitest-vm-matrix.json
[ "$code" -eq 0 ] && [ "$vm_code" -eq 0 ] && [ "$matrix_code" -eq 0 ] && [ "$pkg_code" -eq 0 ]
