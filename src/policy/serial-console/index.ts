import type { Host } from '../../host/host.js';
import { defineModule, type Change, type Finding, type ModuleContext } from '../types.js';
import { evaluateCmdline, editCmdline } from './grub-cmdline.js';
import { journaldDifferences, journaldDropinText, readJournald, JOURNALD_DROPIN, LOG_LEVELS, type JournaldConfig } from './journald.js';
import { bootloaderState, regenerateBootloader, type BootloaderState } from './bootloader.js';

const CONSOLE = 'console=ttyS0,38400n8';
const GRUB = '/etc/default/grub';
const GRUB_D = '/etc/default/grub.d';
const GRUB_DROPIN = `${GRUB_D}/60-gce-firstboot.cfg`;
const GRUB_DROPIN_TEXT = [
  '# managed by gce-firstboot: kernel messages to the serial console (ttyS0), for',
  '# `gcloud compute instances get-serial-port-output`. Takes effect after update-grub and a reboot.',
  `GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX ${CONSOLE}"`,
  '',
].join('\n');
const CMDLINE_KEY = 'GRUB_CMDLINE_LINUX';

/** Whether the value has a ttyS0 console with other settings than ours. */
function otherTtyS0(value: string): boolean {
  return value.split(/\s+/).some((token) => /^console=ttyS0(,|$)/.test(token) && token !== CONSOLE);
}

interface Desired {
  level: string;
}

interface GrubCmdline {
  grubExists: boolean;
  grubDExists: boolean;
  /** The effective GRUB_CMDLINE_LINUX, or why we cannot tell. */
  cmdline: { value: string } | { error: string };
  /** /etc/default/grub's own value, before drop-ins. */
  grubOwnValue: string | undefined;
}

interface Observed extends GrubCmdline {
  dropinText: string | undefined;
  journald: JournaldConfig;
  bootloader: BootloaderState;
  /** /proc/cmdline of the running kernel (only with --live). */
  running: string | undefined;
}

function hasConsole(cmdline: string): boolean {
  const ttyS0 = new Set(cmdline.split(/\s+/).filter((token) => /^console=ttyS0(,|$)/.test(token)));
  return ttyS0.size === 1 && ttyS0.has(CONSOLE);
}

/** GRUB_CMDLINE_LINUX as update-grub would see it: /etc/default/grub, then grub.d/*.cfg by name. */
async function readGrubCmdline(host: Host): Promise<GrubCmdline> {
  const grubText = await host.readText(GRUB);
  const grubD = await host.lstat(GRUB_D);
  let cmdline: GrubCmdline['cmdline'] = { value: '' };
  let grubOwnValue: string | undefined;
  const files = grubText === undefined ? [] : [GRUB, ...(await host.readDir(GRUB_D)).filter((name) => name.endsWith('.cfg')).map((name) => `${GRUB_D}/${name}`)];
  for (const file of files) {
    if ('error' in cmdline) break;
    const result = evaluateCmdline((await host.readText(file)) ?? '', cmdline.value);
    cmdline = 'error' in result ? { error: `${file}: ${result.error}` } : result;
    if (file === GRUB && 'value' in cmdline) grubOwnValue = cmdline.value;
  }
  return { grubExists: grubText !== undefined, grubDExists: grubD?.isDirectory() ?? false, cmdline, grubOwnValue };
}

async function observe(ctx: ModuleContext, want: Desired): Promise<Observed> {
  return {
    ...(await readGrubCmdline(ctx.host)),
    dropinText: await ctx.host.readText(GRUB_DROPIN),
    journald: await readJournald(ctx.host, want.level),
    bootloader: await bootloaderState(ctx.host, CONSOLE),
    running: ctx.host.live ? (await ctx.host.readProc('cmdline'))?.trim() : undefined,
  };
}

function diff(want: Desired, have: Observed, ctx: ModuleContext): Finding[] {
  const findings: Finding[] = [];
  const finding = (key: string, expected: string, actual: string, extra: Partial<Finding> = {}): void =>
    void findings.push({ module: 'serial-console', key, expected, actual, ...extra });
  const expected = `contains ${CONSOLE} (and no other ttyS0 console)`;
  if (!have.grubExists) {
    finding(CMDLINE_KEY, expected, `no ${GRUB}`, { severity: 'warning', fixable: false, cause: `not booted by GRUB here: add ${CONSOLE} to the kernel command line of your bootloader` });
  } else if ('error' in have.cmdline) {
    finding(CMDLINE_KEY, expected, `not understood, left alone: ${have.cmdline.error}`, { fixable: false });
  } else if (!hasConsole(have.cmdline.value)) {
    const ours = have.dropinText === GRUB_DROPIN_TEXT && !otherTtyS0(have.grubOwnValue ?? '');
    finding(CMDLINE_KEY, expected, JSON.stringify(have.cmdline.value), ours ? { fixable: false, cause: `a file in ${GRUB_D} sorting after ours sets it again` } : {});
  }
  if (have.grubExists && have.bootloader.config && have.bootloader.missing) {
    const fixable = have.bootloader.command !== undefined && ctx.host.root === '/';
    finding(have.bootloader.config, `kernel entries with ${CONSOLE}`, 'an entry without it', {
      ...(fixable ? {} : { severity: 'warning', fixable: false }),
      cause: `regenerate it: ${have.bootloader.hint}`,
    });
  }
  if (have.running !== undefined && !hasConsole(have.running)) {
    finding('/proc/cmdline', CONSOLE, have.running, { severity: 'warning', fixable: false, cause: 'the running kernel gets it at the next boot' });
  }
  const journald = have.journald;
  if (journald.problems.length > 0) {
    finding(JOURNALD_DROPIN, 'ForwardToConsole=yes, TTYPath=/dev/ttyS0', `not understood, left alone: ${journald.problems.join('; ')}`, { fixable: false });
  } else {
    const differences = journaldDifferences(journald, want.level);
    if (differences.length > 0) {
      const inPlace = journald.dropinText === journaldDropinText(want.level);
      finding(JOURNALD_DROPIN, Object.entries({ ForwardToConsole: 'yes', TTYPath: '/dev/ttyS0', MaxLevelConsole: want.level }).map(([k, v]) => `${k}=${v}`).join(', '), differences.join(', '), {
        ...(journald.overriddenBy.length ? { cause: `${journald.overriddenBy.join(', ')} sorts after our drop-in` } : {}),
        ...(inPlace ? { fixable: false } : {}),
      });
    }
  }
  return findings;
}

/** Puts the console on GRUB_CMDLINE_LINUX: fixes a different ttyS0 console in place, else a drop-in or the file itself. */
async function persistConsole(ctx: ModuleContext): Promise<Change[]> {
  const changes: Change[] = [];
  const grubText = (await ctx.host.readText(GRUB))!;
  const own = evaluateCmdline(grubText, '');
  if ('value' in own && otherTtyS0(own.value)) {
    const edited = editCmdline(grubText, (value) => {
      let first = true;
      return value.replace(/(^|\s)console=ttyS0(?=[,\s]|$)\S*/g, (_match, space: string) => (first ? ((first = false), `${space}${CONSOLE}`) : ''));
    });
    await ctx.host.writeText(GRUB, edited);
    changes.push({ module: 'serial-console', key: CMDLINE_KEY, action: `replaced the other ttyS0 console with ${CONSOLE}`, path: GRUB });
  }
  const now = await readGrubCmdline(ctx.host);
  if ('value' in now.cmdline && hasConsole(now.cmdline.value)) return changes;
  if (now.grubDExists) {
    await ctx.host.writeText(GRUB_DROPIN, GRUB_DROPIN_TEXT, { mode: 0o644 });
    changes.push({ module: 'serial-console', key: CMDLINE_KEY, action: `added ${CONSOLE} in a drop-in`, path: GRUB_DROPIN });
  } else {
    const text = (await ctx.host.readText(GRUB))!;
    await ctx.host.writeText(GRUB, editCmdline(text, (value) => (value.trim() ? `${value} ${CONSOLE}` : CONSOLE)));
    changes.push({ module: 'serial-console', key: CMDLINE_KEY, action: `added ${CONSOLE}`, path: GRUB });
  }
  return changes;
}

async function apply(ctx: ModuleContext, want: Desired, findings: Finding[]): Promise<Change[]> {
  const keys = new Set(findings.map((finding) => finding.key));
  const changes: Change[] = [];
  if (keys.has(CMDLINE_KEY)) changes.push(...(await persistConsole(ctx)));
  const bootloader = await bootloaderState(ctx.host, CONSOLE);
  if (changes.length > 0 || (bootloader.config && keys.has(bootloader.config))) {
    changes.push(await regenerateBootloader(ctx.host, bootloader));
  }
  if (keys.has(JOURNALD_DROPIN)) {
    await ctx.host.writeText(JOURNALD_DROPIN, journaldDropinText(want.level), { mode: 0o644 });
    changes.push({ module: 'serial-console', key: JOURNALD_DROPIN, action: 'journal forwarded to /dev/ttyS0 (from the next journald start)', path: JOURNALD_DROPIN });
  }
  return changes;
}

export const serialConsoleModule = defineModule<Desired, Observed>({
  id: 'serial-console',
  title: 'Kernel and syslog messages on the serial console (ttyS0)',
  frequency: 'always',
  stage: 'network',
  needsMetadata: false,
  options: {
    console_max_level: {
      type: 'enum',
      default: 'info',
      values: LOG_LEVELS,
      description: 'highest journal priority forwarded to ttyS0 (journald MaxLevelConsole=); debug can flood a 38400-baud port',
    },
  },
  desired: async (ctx) => ({ level: String(ctx.options.console_max_level) }),
  observe,
  diff,
  apply,
});
