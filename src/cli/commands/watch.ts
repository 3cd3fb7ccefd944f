import type { Command } from '../command.js';
import { runPassCommand } from '../pass-command.js';

const help = `Usage: gce-firstboot watch [options]

The daemon: runs passes (check or apply by [core] mode), reports drift on the serial console.`;

export const watchCommand: Command = {
  name: 'watch',
  summary: 'the daemon: keep checking and report drift',
  help,
  // The full daemon lives in src/daemon; until then one check pass.
  run: (argv) => runPassCommand({ mode: 'check', argv }, help),
};
