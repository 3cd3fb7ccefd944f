import type { ImageCheck } from './check-image.js';
import { printable } from '../text/shown.js';

const MARK = { pass: 'PASS', fail: 'FAIL', warn: 'WARN', info: 'INFO' } as const;
const QUALIFIES = (qualifies: boolean | undefined) => (qualifies === undefined ? '?  ' : qualifies ? 'yes' : 'no ');

/** One line per rule, the guest OS features, then the counts. */
export function renderImageCheck(check: ImageCheck): string {
  const width = Math.max(...check.rules.map((rule) => rule.id.length));
  const lines = check.rules.map((rule) => printable(`${MARK[rule.status]}  ${rule.id.padEnd(width)}  ${rule.message}  [${rule.file}]`));
  if (check.guestOsFeatures) {
    const featureWidth = Math.max(...check.guestOsFeatures.map((feature) => feature.feature.length));
    lines.push('guest OS features (--guest-os-features at import):');
    for (const feature of check.guestOsFeatures) lines.push(printable(`  ${QUALIFIES(feature.qualifies)}  ${feature.feature.padEnd(featureWidth)}  ${feature.reason}`));
  }
  const { pass, fail, warn } = check.summary;
  lines.push(`${check.path}: ${pass} passed, ${fail} failed, ${warn} warning(s)${check.firmware?.length ? `; boots with ${check.firmware.join(' and ')}` : ''}`);
  return `${lines.join('\n')}\n`;
}
