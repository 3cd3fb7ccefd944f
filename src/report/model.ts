import type { Change, Finding } from '../policy/types.js';

export const REPORT_VERSION = 1;

export type ModuleStatus = 'compliant' | 'drift' | 'applied' | 'failed' | 'skipped';

export interface ModuleResult {
  id: string;
  title: string;
  status: ModuleStatus;
  /** What still differs at the end of the pass (after apply, what apply could not fix). */
  findings: Finding[];
  changes: Change[];
  /** Why a module failed or was skipped. */
  reason?: string;
  /** True when the reason is that the metadata server could not be reached. */
  metadataUnreachable?: boolean;
}

export interface Report {
  version: number;
  mode: 'check' | 'apply' | 'dry-run';
  time: string;
  instanceId?: string;
  modules: ModuleResult[];
  summary: Summary;
}

export interface Summary {
  compliant: boolean;
  modules: number;
  drift: number;
  changes: number;
  failed: number;
  skipped: number;
  metadataUnreachable: boolean;
}

export function summarize(modules: readonly ModuleResult[]): Summary {
  const driftFindings = modules.flatMap((m) => m.findings).filter((f) => (f.severity ?? 'drift') === 'drift');
  const failed = modules.filter((m) => m.status === 'failed').length;
  return {
    compliant: driftFindings.length === 0 && failed === 0 && modules.every((m) => !m.metadataUnreachable),
    modules: modules.length,
    drift: driftFindings.length,
    changes: modules.reduce((sum, m) => sum + m.changes.length, 0),
    failed,
    skipped: modules.filter((m) => m.status === 'skipped').length,
    metadataUnreachable: modules.some((m) => m.metadataUnreachable),
  };
}

/** One-line summary, as systemd STATUS= and the end of a human report show it. */
export function summaryLine(report: Report): string {
  const s = report.summary;
  if (s.compliant) return `compliant, ${s.modules} modules${s.changes ? `, ${s.changes} changes made` : ''}`;
  const perModule = report.modules
    .filter((m) => m.findings.some((f) => (f.severity ?? 'drift') === 'drift'))
    .map((m) => `${m.id} ${m.findings.filter((f) => (f.severity ?? 'drift') === 'drift').length}`);
  const parts = [];
  if (perModule.length) parts.push(`drift: ${perModule.join(', ')}`);
  if (s.failed) parts.push(`failed: ${report.modules.filter((m) => m.status === 'failed').map((m) => m.id).join(', ')}`);
  if (s.metadataUnreachable) parts.push('metadata unreachable');
  return parts.join('; ') || 'not compliant';
}
