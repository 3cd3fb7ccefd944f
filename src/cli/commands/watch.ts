import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import { checkLogLevel, checkMetadataHostInputs, COMMON_HELP, COMMON_OPTIONS, type CommonValues } from '../common-options.js';
import { createPlainLogger } from '../logger.js';
import { UsageError } from '../usage-error.js';

/** A pass that has not finished after this long is stopped and reported (the run lock's 30 min wait included). */
const DEFAULT_PASS_BUDGET_SEC = 40 * 60;

const help = `Usage: gce-firstboot watch [options]

The daemon (systemd Type=notify). One pass at start — the first-boot work that is due, then
check or apply by mode — then READY=1; another pass every [core] check_interval_sec and at once
when instance attributes change. Each pass is reported on the serial console
(docs/serial-protocol.md), in STATUS= and in guest attributes gce-firstboot/{status,drift,last-pass}.

Each pass runs in a process of its own; the daemon between passes holds only its timers and the
attribute long poll. A failed pass shows as module "watch" failed on the serial console, in
STATUS= and as gce-firstboot/status=error.

Mode: [core] mode (report or enforce), overridden by the instance attribute gce-firstboot-mode.
A new value of the instance attribute gce-firstboot-remediate runs one apply pass.
SIGHUP reloads the configuration and runs a pass; SIGTERM stops within 5 s (a pass in progress
is stopped, then killed).
Exit codes: 0 stopped by SIGTERM or SIGINT, 2 usage or config error at start (a bad config at
SIGHUP is logged and the old one kept), 4 the daemon itself failed. A pass that fails (e.g. its
state cannot be written), crashes or runs past --pass-budget is reported as a failed pass (module
watch) and the daemon goes on.

  --pass-budget SEC      stop a pass that takes longer (default ${DEFAULT_PASS_BUDGET_SEC})`;

const WATCH_OPTIONS = {
  ...COMMON_OPTIONS,
  'pass-budget': { type: 'string' },
  // Internal: what the daemon runs for each pass (src/daemon/pass-process.ts).
  'one-pass': { type: 'boolean', default: false },
} as const;

/** The arguments a pass is given: the daemon's own, less what only the daemon reads. */
function passArgs(argv: readonly string[]): string[] {
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--pass-budget') i++;
    else if (!argv[i]!.startsWith('--pass-budget=')) args.push(argv[i]!);
  }
  return args;
}

function parseBudget(value: string | undefined): number {
  if (value === undefined) return DEFAULT_PASS_BUDGET_SEC;
  const seconds = Number(value);
  if (!/^\d+$/.test(value) || seconds < 1) throw new UsageError(`--pass-budget: expected whole seconds, got "${value}"`);
  return seconds;
}

export const watchCommand: Command = {
  name: 'watch',
  help,
  run: async (argv) => {
    const { values, positionals } = parseArgs({ args: argv, options: WATCH_OPTIONS, strict: true, allowPositionals: true });
    if (values.help) {
      process.stdout.write(`${help}\n\n${COMMON_HELP}\n`);
      return 0;
    }
    if (positionals.length) throw new UsageError(`watch takes no arguments, got "${positionals[0]}"`);
    // The pass loads the policy modules; the resident daemon must not.
    if (values['one-pass']) return (await import('../../daemon/pass-process.js')).runPassProcess(values as CommonValues);
    const budgetSec = parseBudget(values['pass-budget']);
    checkMetadataHostInputs(values['metadata-host']);
    const { Daemon } = await import('../../daemon/daemon.js');
    const daemon = new Daemon({
      args: passArgs(argv),
      root: path.resolve(values.root),
      ...(values['metadata-host'] ? { metadataHost: values['metadata-host'] } : {}),
      passBudgetMs: budgetSec * 1000,
      log: createPlainLogger(checkLogLevel(values['log-level'])),
    });
    return daemon.run();
  },
};
