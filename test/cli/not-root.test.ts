// A user runs the agent without sudo: it says why it cannot work, in one line, instead of leaving
// them with a bare EACCES.
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { sandboxRoot } from '../helpers/sandbox.js';

const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];

async function asNobody(args: string[]): Promise<{ exitCode: number; stderr: string }> {
  const result = await execa('setpriv', [...NOBODY, process.execPath, CLI, ...args], { reject: false, env: { GCE_METADATA_HOST: '127.0.0.1:9' } });
  return { exitCode: result.exitCode ?? -1, stderr: String(result.stderr) };
}

/** nobody must be able to run the CLI itself (a checkout under a private home is not). */
async function nobodyCanRunTheCli(): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  const probe = await execa('setpriv', [...NOBODY, process.execPath, CLI, '--version'], { reject: false });
  return probe.exitCode === 0;
}

describe.runIf(await nobodyCanRunTheCli())('run without root', () => {
  function rootNobodyMayEnter(): string {
    const root = sandboxRoot();
    chmodSync(root, 0o755);
    chmodSync(path.join(root, 'etc/shadow'), 0o640);
    return root;
  }

  it('check says once that it is not root, and what only root can read fails (not a silent pass)', async () => {
    const root = rootNobodyMayEnter();
    const result = await asNobody(['check', '--root', root, '--offline', '--only', 'accounts']);
    expect(result.exitCode).toBe(4);
    const lines = result.stderr.split('\n');
    expect(lines.filter((line) => line.includes('not running as root'))).toEqual([
      'gce-firstboot: warn: not running as root: what only root may read or write (/etc/shadow, the state directory) fails; run it with sudo',
    ]);
    expect(result.stderr).toMatch(/accounts: EACCES: permission denied, open '\S+\/etc\/shadow'/);
  });

  it('apply stops at the state directory with one line that says to use sudo; nothing is created', async () => {
    const root = rootNobodyMayEnter();
    mkdirSync(path.join(root, 'var/lib'), { recursive: true });
    const result = await asNobody(['apply', '--root', root, '--offline']);
    expect(result.exitCode).toBe(4);
    expect(result.stderr.trim().split('\n').at(-1)).toMatch(/^gce-firstboot: EACCES: permission denied, mkdir '\S+\/var\/lib\/gce-firstboot' \(not running as root: the agent reads and writes system files; run it with sudo\)$/);
    expect(existsSync(path.join(root, 'var/lib/gce-firstboot'))).toBe(false);
  });
});
