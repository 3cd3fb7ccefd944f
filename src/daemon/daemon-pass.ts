import type { Session } from '../cli/session.js';
import type { PassOptions } from '../pass/run-pass.js';
import type { Finding } from '../policy/types.js';
import type { Report } from '../report/model.js';
import type { StateStore } from '../state/store.js';
import { planPass, runPlannedPass, type PassPlan } from './lifecycle.js';

export type DaemonMode = 'report' | 'enforce';
const MODES: readonly DaemonMode[] = ['report', 'enforce'];
export const MODE_ATTRIBUTE = 'gce-firstboot-mode';
export const REMEDIATE_ATTRIBUTE = 'gce-firstboot-remediate';
/** The daemon's own corner of the state file. */
const DAEMON_STATE = 'watch';

export interface PassDecision {
  kind: PassPlan;
  mode: DaemonMode;
  /** The remediate attribute's value to remember once the pass is done. */
  remediate?: string;
  warnings: Finding[];
}

/**
 * Mode from config, overridden by the instance attribute; a bad attribute value is a warning.
 * A new remediation request is one apply pass; otherwise the lifecycle plan (docs/lifecycle.md).
 */
export function decidePass(configMode: DaemonMode, attributes: Record<string, string>, state: StateStore, setUp: boolean): PassDecision {
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
  return {
    kind: remediateNow ? 'apply' : planPass(mode, setUp),
    mode,
    ...(remediateNow ? { remediate } : {}),
    warnings,
  };
}

export async function rememberRemediation(state: StateStore, value: string): Promise<void> {
  await state.forModule(DAEMON_STATE).set('remediate', value);
}

type PassBase = Omit<PassOptions, 'modules' | 'mode' | 'respectFrequency'>;

/** Runs one daemon pass over the session's modules. */
export async function runDaemonPass(session: Session, kind: PassPlan, base: PassBase, warnings: Finding[]): Promise<Report> {
  const report = await runPlannedPass(kind, session.modules, base);
  if (warnings.length) {
    // Reported, but not counted in the summary: it is about the daemon, not the machine.
    report.modules.push({ id: DAEMON_STATE, title: 'the gce-firstboot daemon', status: 'compliant', findings: warnings, changes: [] });
  }
  return report;
}
