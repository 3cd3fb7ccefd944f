import type { Report } from './model.js';

export const EXIT = {
  compliant: 0,
  drift: 1,
  usage: 2,
  metadataUnreachable: 3,
  moduleFailed: 4,
} as const;

/** check/apply exit code: a failed module outranks an unreachable server, which outranks drift. */
export function exitCodeFor(report: Report): number {
  if (report.summary.failed > 0) return EXIT.moduleFailed;
  if (report.summary.metadataUnreachable) return EXIT.metadataUnreachable;
  if (!report.summary.compliant) return EXIT.drift;
  return EXIT.compliant;
}
