// rpmlint on the .rpm and the spec: nothing left but what packaging/gce-firstboot.rpmlintrc
// filters, each filter with its reason, and no filter that no longer matches anything.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUILD_TIMEOUT, ROOT, ensureBuilt, ensureTools, run } from './helpers.js';

const CONFIG = join(ROOT, 'packaging/rpmlint.toml');
const RPMLINTRC = join(ROOT, 'packaging/gce-firstboot.rpmlintrc');
const SPEC = join(ROOT, 'packaging/gce-firstboot.spec');

let rpm: string;
beforeAll(async () => {
  await ensureTools('rpmlint');
  rpm = (await ensureBuilt()).rpm;
}, BUILD_TIMEOUT);

/** The "pkg: W|E: tag details" lines of an rpmlint run. */
const findings = (stdout: string) => stdout.split('\n').filter((l) => /^\S+: [WE]: /.test(l));

/** The filters of the rpmlintrc with the comment line above each (its reason). */
function filters(): { regex: string; reason: string }[] {
  const lines = readFileSync(RPMLINTRC, 'utf8').split('\n');
  const found: { regex: string; reason: string }[] = [];
  let reason = '';
  for (const line of lines) {
    const filter = /^addFilter\(r"(.*)"\)$/.exec(line);
    if (filter) found.push({ regex: filter[1]!, reason });
    else reason = line.startsWith('# ') ? line.slice(2) : line.trim() === '' ? '' : reason;
  }
  return found;
}

describe('rpmlint', () => {
  it('passes the .rpm and the spec with no error or warning that the rpmlintrc does not explain', async () => {
    const r = await run('rpmlint', ['-c', CONFIG, '-r', RPMLINTRC, rpm, SPEC], { timeout: 300_000 });
    expect(findings(r.stdout)).toEqual([]);
    expect(r.stdout).toMatch(/1 packages and 1 specfiles checked; 0 errors, 0 warnings/);
    expect(r.status).toBe(0);
  }, 300_000);

  it('every filter has a reason above it and still matches something rpmlint reports', async () => {
    const unfiltered = findings((await run('rpmlint', ['-c', CONFIG, rpm, SPEC], { timeout: 300_000 })).stdout);
    expect(unfiltered.length).toBeGreaterThan(0);
    for (const { regex, reason } of filters()) {
      expect(reason, `filter ${regex} has no reason on the line above`).toMatch(/\w{3,}/);
      expect(unfiltered.some((l) => new RegExp(regex).test(l)), `filter ${regex} matches nothing: remove it`).toBe(true);
    }
    expect(filters().length).toBe(readFileSync(RPMLINTRC, 'utf8').match(/^addFilter/gm)?.length);
  }, 300_000);
});
