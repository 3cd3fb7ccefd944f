import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import { COMMON_HELP, COMMON_OPTIONS, type CommonValues } from '../common-options.js';
import { UsageError } from '../usage-error.js';
import { Daemon } from '../../daemon/daemon.js';

const help = `Usage: gce-firstboot watch [options]

The daemon (systemd Type=notify). One pass at start — the first-boot work that is due, then
check or apply by mode — then READY=1; another pass every [core] check_interval_sec and at once
when instance attributes change. Each pass is reported on the serial console
(docs/serial-protocol.md), in STATUS= and in guest attributes gce-firstboot/{status,drift,last-pass}.

Mode: [core] mode (report or enforce), overridden by the instance attribute gce-firstboot-mode.
A new value of the instance attribute gce-firstboot-remediate runs one apply pass.
SIGHUP reloads the configuration; SIGTERM stops within 5 s.
Exit codes: 0 stopped by SIGTERM or SIGINT, 2 usage or config error at start (a bad config at
SIGHUP is logged and the old one kept), 4 the daemon failed (e.g. its state could not be written).`;

export const watchCommand: Command = {
  name: 'watch',
  summary: 'the daemon: keep checking and report drift',
  help,
  run: async (argv) => {
    const { values, positionals } = parseArgs({ args: argv, options: COMMON_OPTIONS, strict: true, allowPositionals: true });
    if (values.help) {
      process.stdout.write(`${help}\n\n${COMMON_HELP}\n`);
      return 0;
    }
    if (positionals.length) throw new UsageError(`watch takes no arguments, got "${positionals[0]}"`);
    const daemon = await Daemon.start(values as CommonValues);
    return daemon.run();
  },
};
