import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/sandbox.js';
import { includeGlobMatcher } from './include-glob.js';

const NAMES = ['a.conf', 'b.conf', 'c.conf', 'z.conf', 'm.conf', '-.conf', ']x.conf', '!x.conf', '^x.conf', '[.conf', 'ab.conf', 'x', '.hidden.conf', 'A.conf'];
const PATTERNS = ['*.conf', '?.conf', '[a-c]*', '[!a]*', '[^a]*', '[z-a]*', '[]a]*', '[a-]*', '[!]]*', '[*', '*[', '[[]*', '.h*', '*', '[A-Z]*', '[c-a-z]*'];

/** The names ssh's own Include (glob(3)) reads for a pattern: each file adds its name to SendEnv. */
async function sshReads(dir: string, pattern: string): Promise<string[]> {
  const config = path.join(tempDir(), 'ssh_config');
  writeFileSync(config, `Include "${dir}/${pattern}"\n`);
  const result = await execa('ssh', ['-G', '-F', config, 'gfb-target']);
  return [...result.stdout.matchAll(/^sendenv F(\d+)$/gm)].map((m) => NAMES[Number(m[1])]!).sort();
}

describe('Include globs read as ssh reads them', () => {
  it('every pattern, backwards and unclosed brackets included, selects the same files as ssh\'s own Include', async () => {
    const dir = tempDir('gfb-glob-');
    NAMES.forEach((name, index) => writeFileSync(path.join(dir, name), `SendEnv F${index}\n`));
    for (const pattern of PATTERNS) {
      const matches = includeGlobMatcher(pattern);
      expect(NAMES.filter(matches).sort(), pattern).toEqual(await sshReads(dir, pattern));
    }
  });
});
