import type { Report } from './model.js';
import { summaryLine } from './model.js';
import { printable } from '../text/shown.js';

function actionFor(report: Report, severity: string | undefined, fixable: boolean | undefined): string {
  if ((severity ?? 'drift') !== 'drift') return severity ?? '';
  if (fixable === false) return 'cannot fix in-guest';
  if (report.mode === 'dry-run') return 'would fix';
  if (report.mode === 'apply') return 'NOT FIXED';
  return 'drift';
}

/** Cells are escaped first: a value with terminal escapes or newlines cannot redraw the table. */
function table(cells: string[][]): string {
  const rows = cells.map((row) => row.map(printable));
  const widths = rows[0]!.map((_, column) => Math.min(48, Math.max(...rows.map((row) => row[column]!.length))));
  const clip = (text: string, width: number): string => (text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width));
  return rows.map((row) => row.map((cell, column) => clip(cell, widths[column]!)).join('  ').trimEnd()).join('\n');
}

/** The report as a person reads it on a terminal: one row per change or finding, then a summary. */
export function renderHuman(report: Report): string {
  const rows: string[][] = [['MODULE', 'KEY', 'EXPECTED', 'ACTUAL', 'ACTION']];
  for (const module of report.modules) {
    for (const change of module.changes) rows.push([module.id, change.key, '', '', change.action]);
    for (const finding of module.findings) {
      const actual = finding.cause ? `${finding.actual} (${finding.cause})` : finding.actual;
      rows.push([module.id, finding.key, finding.expected, actual, actionFor(report, finding.severity, finding.fixable)]);
    }
    if (module.status === 'failed' || module.status === 'skipped') rows.push([module.id, '', '', '', `${module.status}: ${module.reason ?? ''}`]);
  }
  const body = rows.length > 1 ? `${table(rows)}\n` : '';
  return `${body}${printable(`${report.mode}: ${summaryLine(report)}`)}\n`;
}
