import path from 'node:path';
import type { Assignment, ConfFile } from './conf-files.js';
import { asInteger } from './syntax.js';

export const OWN_FILE = '/etc/sysctl.d/60-gce-firstboot.conf';

export interface Rule {
  key: string;
  value: string;
  /** A minimum (higher is stricter) rather than an exact value. */
  floor: boolean;
  source: 'published' | 'config';
}

export interface Observed {
  /** Whether runtime values were read (only with host.live). */
  live: boolean;
  /** The running kernel's values; undefined = this kernel has no such key. */
  runtime: Map<string, string | undefined>;
  ownText: string | undefined;
  ownValues: Map<string, string>;
  /** Every other file systemd-sysctl reads, in boot order. */
  others: ConfFile[];
}

/** Whether a file is read after ours at boot, so that its assignments win. */
export function readAfterOwn(file: ConfFile): boolean {
  return path.posix.basename(file.path) > path.posix.basename(OWN_FILE) || !file.path.includes('/sysctl.d/');
}

/** The last assignment of `key` read after our file, if any. */
function laterAssignment(key: string, observed: Observed): Assignment | undefined {
  let last: Assignment | undefined;
  for (const file of observed.others.filter(readAfterOwn)) {
    for (const assignment of file.assignments) if (assignment.key === key) last = assignment;
  }
  return last;
}

/** The later file's assignment that overrides a rule with another value, if any. */
export function overriddenBy(rule: Rule, observed: Observed): Assignment | undefined {
  const later = laterAssignment(rule.key, observed);
  return later && !satisfies(rule, later.value) ? later : undefined;
}

/**
 * The value we persist for a rule. Exact rules: their value. Floors: the highest of the published
 * minimum, the running kernel's value, and what any sysctl file (ours included) already sets, so
 * a stricter setting survives the next boot. Without --live and without any file naming the key,
 * the kernel's own default is unknown (and may be stricter, as Debian's perf_event_paranoid = 3):
 * undefined, and the line is left out until a live run learns it.
 */
export function persistedValue(rule: Rule, observed: Observed): string | undefined {
  if (!rule.floor) return rule.value;
  const candidates = [
    observed.live ? asInteger(observed.runtime.get(rule.key)) : undefined,
    asInteger(observed.ownValues.get(rule.key)),
    ...observed.others.flatMap((file) => file.assignments.filter((a) => a.key === rule.key).map((a) => asInteger(a.value))),
  ].filter((value): value is number => value !== undefined);
  if (candidates.length === 0) return undefined;
  return String(Math.max(Number(rule.value), ...candidates));
}

/** Whether a value satisfies a rule: equal, or for floors at least the minimum. */
export function satisfies(rule: Rule, value: string | undefined): boolean {
  if (value === undefined) return false;
  if (!rule.floor) return value === rule.value;
  const number = asInteger(value);
  return number !== undefined && number >= Number(rule.value);
}

export function expectedText(rule: Rule): string {
  return rule.floor ? `${rule.value} or stricter (higher)` : rule.value;
}

const HEADER = [
  `# ${OWN_FILE}`,
  '# Written by gce-firstboot (sysctl module) and rewritten by it: do not edit. Change values in',
  '# /etc/gce-firstboot/gce-firstboot.conf, section [sysctl] (e.g. "net.ipv4.ip_forward = 1").',
  "# Values: Compute Engine's custom-image requirements (kernel security settings).",
  '# kernel.perf_event_paranoid, kernel.kptr_restrict and kernel.yama.ptrace_scope are minimums:',
  '# where this machine already had a stricter value, that value is written here.',
];

export function renderOwnFile(lines: readonly (readonly [key: string, value: string])[]): string {
  return [...HEADER, ...lines.map(([key, value]) => `${key} = ${value}`)].join('\n') + '\n';
}
