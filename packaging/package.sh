#!/bin/bash
# npm run package: the executable, the .deb and the .rpm, all into out/ (git-ignored).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
node packaging/build-binary.mjs
bash packaging/build-deb.sh
bash packaging/build-rpm.sh
ls -l out/*.deb out/*.rpm out/bin/gce-firstboot
