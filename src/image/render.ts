import type { ImageCheck } from './check-image.js';

const MARK = { pass: 'PASS', fail: 'FAIL', warn: 'WARN' } as const;

/** One line per rule, then the counts. */
export function renderImageCheck(check: ImageCheck): string {
  const width = Math.max(...check.rules.map((rule) => rule.id.length));
  const lines = check.rules.map((rule) => `${MARK[rule.status]}  ${rule.id.padEnd(width)}  ${rule.message}  [${rule.file}]`);
  const { pass, fail, warn } = check.summary;
  lines.push(`${check.path}: ${pass} passed, ${fail} failed, ${warn} warning(s)`);
  return `${lines.join('\n')}\n`;
}
