#!/bin/bash
# VM test only: the agent's own verdict at the end of the boot, as JSON (one "VMTEST
# check:agent-check" line per JSON line), then its exit code. The pass also goes to ttyS0 as
# gce-firstboot/1 lines, which `report parse` reads.
command -v gce-firstboot >/dev/null || { echo "no gce-firstboot installed"; exit 0; }
gce-firstboot check --json 2>/dev/null
echo "exit $?"
