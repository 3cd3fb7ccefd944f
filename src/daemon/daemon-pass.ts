import type { Session } from '../cli/session.js';
import { runPass, type PassOptions } from '../pass/run-pass.js';
import type { Finding } from '../policy/types.js';
import { summarize, type ModuleResult, type Report } from '../report/model.js';
import type { StateStore } from '../state/store.js';

export type DaemonMode = 'report' | 'enforce';
const MODES: readonly DaemonMode[] = ['report', 'enforce'];
export const MODE_ATTRIBUTE = 'gce-firstboot-mode';
export const REMEDIATE_ATTRIBUTE = 'gce-firstboot-remediate';
/** The daemon's own corner of the state file. */
const DAEMON_STATE = 'watch';

/**
 * What a pass does. boot: the first pass of a boot, which applies what is due at boot exactly as
 * `apply --stage` does (per-instance/per-boot modules when due, 'always' modules every boot), so
 * the network-stage settings reach the machine in report mode too. report: apply the first-boot
 * work that is due, check everything else. apply: fix all drift.
 */
export type PassKind = 'boot' | 'report' | 'apply';

export interface PassDecision {
  kind: PassKind;
  mode: DaemonMode;
  /** The remediate attribute's value to remember once the pass is done. */
  remediate?: string;
  warnings: Finding[];
}

/**
 * Mode from config, overridden by the instance attribute; a bad attribute value is a warning.
 * The first report pass of a boot (bootId not yet recorded) is a boot pass.
 */
export function decidePass(configMode: DaemonMode, attributes: Record<string, string>, state: StateStore, bootId?: string): PassDecision {
  const warnings: Finding[] = [];
  let mode = configMode;
  const override = attributes[MODE_ATTRIBUTE]?.trim();
  if (override !== undefined && override !== '') {
    if ((MODES as readonly string[]).includes(override)) mode = override as DaemonMode;
    else {
      warnings.push({
        module: DAEMON_STATE,
        key: `attribute ${MODE_ATTRIBUTE}`,
        expected: MODES.join(' or '),
        actual: override.slice(0, 80),
        severity: 'warning',
        cause: `ignored; mode stays ${configMode}`,
      });
    }
  }
  const remediate = attributes[REMEDIATE_ATTRIBUTE];
  const remediateNow = remediate !== undefined && remediate !== state.forModule(DAEMON_STATE).get<string>('remediate');
  const bootPassDue = bootId === undefined || state.forModule(DAEMON_STATE).get<string>('bootPass') !== bootId;
  return {
    kind: remediateNow || mode === 'enforce' ? 'apply' : bootPassDue ? 'boot' : 'report',
    mode,
    ...(remediateNow ? { remediate } : {}),
    warnings,
  };
}

export async function rememberRemediation(state: StateStore, value: string): Promise<void> {
  await state.forModule(DAEMON_STATE).set('remediate', value);
}

/** Records that this boot's boot pass (or a full apply, which covers it) is done. */
export async function rememberBootPass(state: StateStore, bootId: string | undefined): Promise<void> {
  if (bootId !== undefined) await state.forModule(DAEMON_STATE).set('bootPass', bootId);
}

type PassBase = Omit<PassOptions, 'modules' | 'mode' | 'respectFrequency'>;

/** Runs one daemon pass over the session's modules. */
export async function runDaemonPass(session: Session, kind: PassKind, base: PassBase, warnings: Finding[]): Promise<Report> {
  let report: Report;
  if (kind === 'apply') {
    report = await runPass({ ...base, modules: session.modules, mode: 'apply', respectFrequency: false });
  } else if (kind === 'boot') {
    report = await runPass({ ...base, modules: session.modules, mode: 'apply', respectFrequency: true });
  } else {
    const due = await runPass({ ...base, modules: session.modules.filter((m) => m.frequency !== 'always'), mode: 'apply', respectFrequency: true });
    const checked = await runPass({ ...base, modules: session.modules.filter((m) => m.frequency === 'always'), mode: 'check', respectFrequency: true });
    const byId = new Map([...due.modules, ...checked.modules].map((result) => [result.id, result]));
    const modules = session.modules.map((m) => byId.get(m.id)).filter((result): result is ModuleResult => result !== undefined);
    report = { ...due, instanceId: due.instanceId ?? checked.instanceId, mode: 'check', modules, summary: summarize(modules) };
  }
  if (warnings.length) {
    // Reported, but not counted in the summary: it is about the daemon, not the machine.
    report.modules.push({ id: DAEMON_STATE, title: 'the gce-firstboot daemon', status: 'compliant', findings: warnings, changes: [] });
  }
  return report;
}
