import path from 'node:path';
import { execa } from 'execa';
import { expect } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { REPO } from '../helpers/sandbox.js';
import { builtRoot } from './make-image.js';

/** The tools the GPT, UEFI and foreign-root images are made with (and mtools, which image check reads an ESP with). */
export async function ensureImageTools(): Promise<void> {
  const tools = ['sfdisk', 'mke2fs', 'debugfs', 'sgdisk', 'mkfs.vfat', 'mkfs.xfs', 'mkfs.btrfs', 'mdir', 'mtype', 'mcopy', 'mmd', 'rpm', 'rpmbuild'];
  await execa('bash', [path.join(REPO, 'test/setup/ensure-tools.sh'), ...tools]);
}

/** What `image check --json` prints. */
interface Check {
  kind: string;
  rules: { id: string; status: 'pass' | 'fail' | 'warn' | 'info'; message: string; file: string }[];
  firmware?: string[];
  guestOsFeatures?: { feature: string; qualifies?: boolean; reason: string }[];
  summary: { pass: number; fail: number; warn: number; info: number };
}

/** `image check FILE --json`, run as a user runs it, with its JSON read back. */
export async function check(file: string, env: Record<string, string> = {}): Promise<{ exitCode: number; result: Check; stdout: string }> {
  const run = await runCli(['image', 'check', file, '--json'], { env });
  try {
    return { exitCode: run.exitCode, result: JSON.parse(run.stdout) as Check, stdout: run.stdout };
  } catch {
    throw new Error(`not JSON (exit ${run.exitCode}): ${run.stdout}\n${run.stderr}`);
  }
}

export const rule = (result: Check, id: string) => {
  const found = result.rules.find((candidate) => candidate.id === id);
  if (!found) throw new Error(`no rule ${id} in ${result.rules.map((r) => r.id).join(', ')}`);
  return found;
};
export const failed = (result: Check) => result.rules.filter((r) => r.status === 'fail').map((r) => r.id);

export async function sealedRoot(): Promise<string> {
  const root = await builtRoot();
  const seal = await runCli(['seal', '--root', root]);
  expect(seal.exitCode, seal.stderr).toBe(0);
  return root;
}

