import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';

export const REPO = path.resolve(import.meta.dirname, '../..');
export const FIXTURE_ROOTS = path.join(REPO, 'test/fixtures/roots');

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A temp copy of a fixture root (removed after the test): the machine a test works on. */
export function sandboxRoot(fixture = 'debian-12'): string {
  const root = mkdtempSync(path.join(os.tmpdir(), `gfb-${fixture}-`));
  made.push(root);
  cpSync(path.join(FIXTURE_ROOTS, fixture), root, { recursive: true, verbatimSymlinks: true });
  return root;
}

/** An empty temp dir, removed after the test. */
export function tempDir(prefix = 'gfb-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/**
 * A temp root that holds nothing but the mark of an installed system (usr/lib/os-release of no
 * known distribution), removed after the test: check and apply refuse a root without one.
 */
export function bareSystemRoot(prefix = 'gfb-bare-'): string {
  const root = tempDir(prefix);
  mkdirSync(path.join(root, 'usr/lib'), { recursive: true });
  writeFileSync(path.join(root, 'usr/lib/os-release'), 'NAME="Test Linux"\nID=testlinux\n');
  return root;
}
