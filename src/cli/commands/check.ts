import type { Command } from '../command.js';
import { runPassCommand, STAGE_HELP } from '../pass-command.js';

const help = `Usage: gce-firstboot check [options]

Observes the machine and reports drift from the desired state. Changes nothing.
Exit codes: 0 compliant, 1 drift, 2 usage or config error, 3 metadata server unreachable,
4 a module failed or the run failed (the reason on one line).

${STAGE_HELP}`;

export const checkCommand: Command = {
  name: 'check',
  summary: 'report drift, change nothing',
  help,
  run: (argv) => runPassCommand({ mode: 'check', argv }, help),
};
