import { mkdtemp, copyFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '../..');

describe('a fresh clone installs with npm ci', () => {
  it('package.json and package-lock.json agree (npm ci refuses a lock that does not)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'gce-firstboot-lock-'));
    try {
      for (const file of ['package.json', 'package-lock.json']) await copyFile(path.join(repo, file), path.join(dir, file));
      const result = await execa('npm', ['ci', '--dry-run', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: dir, reject: false, stdin: 'ignore' });
      expect(result.stderr).not.toMatch(/in sync|Missing:/);
      expect(result.exitCode).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
