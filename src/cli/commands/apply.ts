import type { Command } from '../command.js';
import { runPassCommand, STAGE_HELP } from '../pass-command.js';

const help = `Usage: gce-firstboot apply [options]

Brings the machine to the state the Compute Engine image requirements ask for, then checks
again.
Exit codes: 0 compliant after the apply, 1 drift left (with --dry-run: something would change),
2 usage or config error, 3 metadata server unreachable, 4 a module failed, the run failed, or
another run held the lock for 120 s.

  --dry-run              print what would change; change nothing
${STAGE_HELP}`;

export const applyCommand: Command = {
  name: 'apply',
  summary: 'bring the machine to the desired state',
  help,
  run: (argv) => runPassCommand({ mode: 'apply', argv }, help),
};
