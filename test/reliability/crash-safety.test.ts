import { readdirSync, readFileSync, lstatSync, readlinkSync, existsSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { sandboxRoot } from '../helpers/sandbox.js';
import { startEmulator } from '../helpers/emulator.js';
import { CLI, runCli } from '../helpers/cli.js';

const RUNS = 200;

/** Host keys are random: "wholly new" means a complete key, not the reference run's bytes. */
function isHostKey(file: string): boolean {
  return /^etc\/ssh\/ssh_host_.*_key(\.pub)?$/.test(file);
}

function isCompleteKey(file: string, content: string | undefined): boolean {
  if (content === undefined) return false;
  if (file.endsWith('.pub')) return /^(ssh-|ecdsa-)\S+ \S+( .*)?\n$/.test(content);
  return content.startsWith('-----BEGIN OPENSSH PRIVATE KEY-----\n') && content.endsWith('-----END OPENSSH PRIVATE KEY-----\n');
}

/** Every file and link below root (state dir excluded), as content or link target. */
function snapshot(root: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      const relative = path.relative(root, full);
      if (relative.startsWith('var/lib/gce-firstboot')) continue;
      const stats = lstatSync(full);
      if (stats.isDirectory()) walk(full);
      else files.set(relative, stats.isSymbolicLink() ? `-> ${readlinkSync(full)}` : readFileSync(full, 'latin1'));
    }
  };
  walk(root);
  return files;
}

describe('crash safety', () => {
  it(`kill -9 at ${RUNS} points over apply: every managed file wholly old or wholly new`, async () => {
    const { host } = await startEmulator();
    const reference = sandboxRoot();
    const old = snapshot(reference);
    const started = Date.now();
    expect((await runCli(['apply', '--root', reference, '--metadata-host', host])).exitCode).toBe(0);
    const fullRunMs = Date.now() - started;
    const applied = snapshot(reference);
    const managed = [...applied.keys()].filter((file) => applied.get(file) !== old.get(file));
    expect(managed.length).toBeGreaterThan(0);

    const killedAt: number[] = [];
    const oneRun = async (index: number): Promise<void> => {
      const root = sandboxRoot();
      const delay = Math.round(((index + 0.5) / RUNS) * fullRunMs);
      killedAt.push(delay);
      const child = execa(process.execPath, [CLI, 'apply', '--root', root, '--metadata-host', host], { reject: false });
      const timer = setTimeout(() => child.kill('SIGKILL'), delay);
      await child;
      clearTimeout(timer);
      const now = snapshot(root);
      for (const [file, content] of now) {
        // A killed run's temp files (ours are named .NAME.gce-firstboot-...) are litter, not the file.
        if (path.basename(file).startsWith('.') && file.includes('.gce-firstboot-')) continue;
        const isOld = old.get(file) === content;
        const isNew = isHostKey(file) ? isCompleteKey(file, content) : applied.get(file) === content;
        expect(isOld || isNew, `${file} after a kill at ${delay} ms is neither old nor new`).toBe(true);
      }
      for (const file of old.keys()) if (!managed.includes(file)) expect(now.has(file), `${file} vanished`).toBe(true);
    };
    for (let index = 0; index < RUNS; index += 2) await Promise.all([oneRun(index), oneRun(index + 1)]);
    expect(Math.max(...killedAt)).toBeGreaterThan(fullRunMs * 0.9);
  }, 1_200_000);
});

describe('crash recovery', () => {
  // At some kill point the next apply runs past 120 s (seen twice in 200-point runs, on a 2-core
  // machine): not yet found which module waits. Tracked in issue 8's note.
  it.todo('after a kill -9 at any point, the next apply converges to compliant');
});

describe('the run lock', () => {
  it('a stale lock from a killed run is taken over', async () => {
    const root = sandboxRoot();
    const { host } = await startEmulator();
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(path.join(root, 'var/lib/gce-firstboot'), { recursive: true });
    const dead = execa('true');
    const deadPid = dead.pid;
    await dead;
    expect(deadPid).toBeGreaterThan(0);
    writeFileSync(path.join(root, 'var/lib/gce-firstboot/run.lock'), `${deadPid}\n`);
    const result = await runCli(['apply', '--root', root, '--metadata-host', host]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(existsSync(path.join(root, 'var/lib/gce-firstboot/run.lock'))).toBe(false);
  });

  it('a lock whose pid now belongs to another process (reused after a crash or reboot) is taken over', async () => {
    const root = sandboxRoot();
    const { host } = await startEmulator();
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(path.join(root, 'var/lib/gce-firstboot'), { recursive: true });
    writeFileSync(path.join(root, 'var/lib/gce-firstboot/run.lock'), `${process.pid} 1\n`);
    const result = await runCli(['apply', '--root', root, '--metadata-host', host]);
    expect(result.exitCode, result.stderr).toBe(0);
  });

  it('a lock file with no pid in it (litter) is taken over once it is old', async () => {
    const root = sandboxRoot();
    const { host } = await startEmulator();
    const { mkdirSync, writeFileSync, utimesSync } = await import('node:fs');
    mkdirSync(path.join(root, 'var/lib/gce-firstboot'), { recursive: true });
    const lock = path.join(root, 'var/lib/gce-firstboot/run.lock');
    writeFileSync(lock, 'garbage');
    utimesSync(lock, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    expect((await runCli(['apply', '--root', root, '--metadata-host', host])).exitCode).toBe(0);
  });

  it('two applies at once are serialized: both succeed, the second finds nothing to do', async () => {
    const root = sandboxRoot();
    const { host } = await startEmulator();
    const [a, b] = await Promise.all([
      runCli(['apply', '--root', root, '--metadata-host', host, '--json']),
      runCli(['apply', '--root', root, '--metadata-host', host, '--json']),
    ]);
    expect(a.exitCode).toBe(0);
    expect(b.exitCode).toBe(0);
    const changes = [a, b].map((result) => JSON.parse(result.stdout).summary.changes as number).sort();
    expect(changes[0]).toBe(0);
    expect(changes[1]).toBeGreaterThan(0);
  });

  it('a live lock makes apply wait, and it proceeds once the holder is gone', async () => {
    const root = sandboxRoot();
    const { host } = await startEmulator();
    const { mkdirSync, writeFileSync, rmSync } = await import('node:fs');
    mkdirSync(path.join(root, 'var/lib/gce-firstboot'), { recursive: true });
    const lock = path.join(root, 'var/lib/gce-firstboot/run.lock');
    writeFileSync(lock, `${process.pid}\n`);
    const pending = runCli(['apply', '--root', root, '--metadata-host', host]);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(readFileSync(path.join(root, 'etc/hostname'), 'utf8')).toBe('debian\n');
    rmSync(lock);
    expect((await pending).exitCode).toBe(0);
    expect(readFileSync(path.join(root, 'etc/hostname'), 'utf8')).toBe('demo-vm\n');
  });
});
