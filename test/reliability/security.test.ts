import { chmodSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, sandboxRoot } from '../helpers/sandbox.js';
import { startEmulator } from '../helpers/emulator.js';
import { runCli } from '../helpers/cli.js';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

describe('security guards', () => {
  it('no source runs a shell: no child_process, no shell option, no sh -c', () => {
    // The resident daemon spawns its own executable and systemd-notify with node:child_process
    // (argument vectors, no shell), so that it need not load execa between passes.
    const daemonSpawners = ['src/daemon/notify.ts', 'src/daemon/pass-child.ts'].map((file) => path.join(REPO, file));
    const offenders = sources(path.join(REPO, 'src')).filter((file) => {
      const text = readFileSync(file, 'utf8');
      const childProcess = /from 'node:child_process'|require\('child_process'\)/.test(text) && !daemonSpawners.includes(file);
      return childProcess || /shell:\s*true|\bexeca`|\$`\w|execaCommand|['"](ba)?sh['"],\s*\[\s*['"]-c['"]/.test(text);
    });
    expect(offenders).toEqual([]);
  });

  it('no source evaluates code: no eval, no new Function, node:vm only for the constant that switches on gc()', () => {
    const gcSwitch = path.join(REPO, 'src/daemon/collect-garbage.ts');
    const offenders = sources(path.join(REPO, 'src')).filter((file) => {
      const text = readFileSync(file, 'utf8');
      if (/\beval\(|new Function\(|\bFunction\(['"`]/.test(text)) return true;
      if (!/from 'node:vm'/.test(text)) return false;
      return file !== gcSwitch || !/runInNewContext\('gc'\)/.test(text) || /runIn\w*Context\((?!'gc'\))/.test(text);
    });
    expect(offenders).toEqual([]);
  });

  it('policy code touches the machine only through the Host', () => {
    const offenders = sources(path.join(REPO, 'src/policy')).filter((file) => /from 'node:(fs|child_process|os)'|from 'execa'/.test(readFileSync(file, 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('a backup is no more readable than its original', async () => {
    const root = sandboxRoot();
    chmodSync(path.join(root, 'etc/hostname'), 0o600);
    const { host } = await startEmulator();
    expect((await runCli(['apply', '--root', root, '--metadata-host', host, '--only', 'hostname'])).exitCode).toBe(0);
    expect(statSync(path.join(root, 'var/lib/gce-firstboot/backup/etc/hostname')).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(root, 'etc/hostname')).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(root, 'var/lib/gce-firstboot/backup')).mode & 0o777).toBe(0o700);
  });
});
