import type { Command } from '../command.js';
import { runPassCommand, STAGE_HELP } from '../pass-command.js';

const help = `Usage: gce-firstboot apply [options]

Brings the machine to the state the Compute Engine image requirements ask for, then checks
again. Exits 0 only when the final check is compliant.

  --dry-run              print what would change; change nothing
${STAGE_HELP}`;

export const applyCommand: Command = {
  name: 'apply',
  help,
  run: (argv) => runPassCommand({ mode: 'apply', argv }, help),
};
