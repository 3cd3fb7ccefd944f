import type { Host } from '../host/host.js';
import type { AgentConfig } from '../config/load.js';
import { MetadataView } from '../metadata/view.js';
import { ALL_MODULES } from '../policy/registry.js';
import { isDrift, type Finding, type Logger } from '../policy/types.js';
import { runPass, type ModuleSettings, type PassMode } from '../pass/run-pass.js';
import type { Report } from '../report/model.js';
import { StateStore } from '../state/store.js';

/** The early stage's modules whose files sshd and the kernel read at their very first start. */
export const HARDENING_MODULES: readonly string[] = ['sshd', 'sysctl'];

/** One line of what hardening the image did (or would do, or left alone). */
export interface HardenAction {
  /** write: a file of ours written; unwritten: one we could not write; override: the image's own choice, left alone. */
  action: 'write' | 'unwritten' | 'override';
  /** The file (for an override, file:line of the image's setting; for a module that could not run, `[module]`). */
  path: string;
  what: string;
}

export interface Hardening {
  actions: HardenAction[];
  /** Set when the system refused a write (EROFS, EPERM, ENOSPC …): the seal stops there. */
  failure?: string;
}

export interface HardenOptions {
  config: AgentConfig;
  settings(moduleId: string): ModuleSettings;
  /** Only warnings reach it: what went wrong is reported as an action. */
  log: Logger;
  dryRun: boolean;
}

/** A failure the system raised (an errno code leads the message), not one the image's content caused. */
function isSystemFailure(reason: string | undefined): boolean {
  return /^E[A-Z0-9]+: /.test(reason ?? '');
}

/** The file a finding is about, when it is one of ours ("/etc/sysctl.d/60-gce-firstboot.conf key"). */
function fileOf(finding: Finding): string | undefined {
  return finding.key.startsWith('/') ? finding.key.split(' ')[0] : undefined;
}

function writeWhat(finding: Finding): string {
  if (finding.module === 'sysctl') return 'kernel security settings, applied by systemd-sysctl at boot';
  return `${finding.key.includes('/sshd_config') ? 'sshd hardening' : 'ssh client defaults'}: ${finding.expected}`;
}

interface PlannedWrite extends HardenAction {
  module: string;
}

/** The files a pass found to write, each once, with what they hold. */
function plannedWrites(report: Report): PlannedWrite[] {
  const writes = new Map<string, PlannedWrite>();
  for (const finding of report.modules.flatMap((module) => module.findings)) {
    const file = fileOf(finding);
    if (file && isDrift(finding) && finding.fixable !== false && !writes.has(file)) {
      writes.set(file, { action: 'write', path: file, what: writeWhat(finding), module: finding.module });
    }
  }
  return [...writes.values()];
}

/** An author's or admin's setting read before ours (sshd) or after it (sysctl): reported, never fought. */
function overrideOf(finding: Finding): HardenAction | undefined {
  const where = /^override: (\S+:\d+) /.exec(finding.cause ?? '')?.[1];
  if (!where) return undefined;
  const keyword = finding.module === 'sysctl' ? finding.key.replace(/ at boot$/, '') : finding.key.split(' ').at(-1);
  return { action: 'override', path: where, what: `${keyword} ${finding.actual}, not ${finding.expected}: the image's own setting, left alone` };
}

/** A managed block with one marker missing: the file is not ours to rewrite. */
function brokenBlockOf(finding: Finding): HardenAction | undefined {
  if (!isDrift(finding) || finding.fixable !== false || !finding.key.endsWith(' managed block')) return undefined;
  return { action: 'unwritten', path: fileOf(finding)!, what: finding.actual };
}

/** The planned files a module that failed (not by the system's refusal) left unwritten, with its reason. */
function unwrittenBy(result: Report['modules'][number], left: readonly PlannedWrite[]): HardenAction[] {
  if (result.status !== 'failed' || isSystemFailure(result.reason)) return [];
  const what = result.reason ?? 'failed';
  const mine = left.filter((write) => write.module === result.id);
  return mine.length ? mine.map((write) => ({ action: 'unwritten', path: write.path, what })) : [{ action: 'unwritten', path: `[${result.id}]`, what }];
}

/** What the pass reports beyond the writes: what it left unwritten, and the image's overrides. */
function notesOf(outcome: Report, findings: Report, left: readonly PlannedWrite[]): HardenAction[] {
  const notes = outcome.modules.flatMap((result) => unwrittenBy(result, left));
  for (const finding of findings.modules.flatMap((result) => result.findings)) {
    const note = brokenBlockOf(finding) ?? overrideOf(finding);
    if (note) notes.push(note);
  }
  return notes;
}

const NO_METADATA = new MetadataView(undefined, 'seal never asks the metadata server');

const strip = ({ action, path, what }: PlannedWrite): HardenAction => ({ action, path, what });

/**
 * Writes the files of the sshd and sysctl modules into the root, as the early stage would, so that
 * sshd's and the kernel's first start on the image read them. The Host must not be live: nothing
 * is set at runtime and sshd is not reloaded. The pass's own state and backups land in the state
 * directory, which seal clears after this. A module disabled in the root's config is left out.
 */
export async function hardenImage(host: Host, options: HardenOptions): Promise<Hardening> {
  if (host.live) throw new Error('hardenImage: the host must not be live (seal changes files only)');
  const modules = ALL_MODULES.filter((module) => HARDENING_MODULES.includes(module.id) && options.config.modules[module.id]?.enabled !== false);
  if (!modules.length) return { actions: [] };
  const state = await StateStore.load(host);
  const log: Logger = { debug: () => {}, info: () => {}, warn: (message) => options.log.warn(message), error: () => {} };
  const pass = (mode: PassMode): Promise<Report> =>
    runPass({ host, modules, settings: options.settings, metadata: NO_METADATA, state, log, mode, respectFrequency: false, machine: {}, console: async () => {} });

  const plan = await pass('dry-run');
  const planned = plannedWrites(plan);
  if (options.dryRun) return { actions: [...planned.map(strip), ...notesOf(plan, plan, planned)] };

  const applied = await pass('apply');
  const after = await pass('check');
  const drifting = new Set(after.modules.flatMap((result) => result.findings).filter(isDrift).map(fileOf));
  const written = planned.filter((write) => !drifting.has(write.path)).map(strip);
  const refused = applied.modules.find((result) => result.status === 'failed' && isSystemFailure(result.reason));
  if (refused) return { actions: written, failure: `${refused.id}: ${refused.reason}` };
  return { actions: [...written, ...notesOf(applied, after, planned.filter((write) => drifting.has(write.path)))] };
}

