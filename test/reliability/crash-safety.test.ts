import { cpSync, mkdirSync, mkdtempSync, writeFileSync, readdirSync, readFileSync, lstatSync, readlinkSync, existsSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURE_ROOTS, sandboxRoot } from '../helpers/sandbox.js';
import { startEmulator } from '../helpers/emulator.js';
import { CLI, reportOf, runCli } from '../helpers/cli.js';
import { Host } from '../../src/host/host.js';
import { RunLock } from '../../src/state/run-lock.js';

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

/** Our temp files and scratch directories are named .NAME.gce-firstboot-...: what a killed run can leave. */
function isLitter(name: string): boolean {
  return name.startsWith('.') && name.includes('.gce-firstboot-');
}

/** Litter anywhere below root, the state dir included, and a run lock nobody holds. */
function litter(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      if (isLitter(name) || name === 'run.lock') found.push(path.relative(root, full));
      else if (lstatSync(full).isDirectory()) walk(full);
    }
  };
  walk(root);
  return found;
}

describe('crash safety', () => {
  // The roots the kills left, kept for the convergence test below (not removed after each test).
  const killed: { root: string; delay: number }[] = [];
  let applied = new Map<string, string>();
  afterAll(() => {
    for (const { root } of killed) rmSync(root, { recursive: true, force: true });
  });

  it(`kill -9 at ${RUNS} points over apply: every managed file wholly old or wholly new`, async () => {
    const { host } = await startEmulator();
    const reference = sandboxRoot();
    const old = snapshot(reference);
    const started = Date.now();
    expect((await runCli(['apply', '--root', reference, '--metadata-host', host])).exitCode).toBe(0);
    const fullRunMs = Date.now() - started;
    applied = snapshot(reference);
    const managed = [...applied.keys()].filter((file) => applied.get(file) !== old.get(file));
    expect(managed.length).toBeGreaterThan(0);

    const oneRun = async (index: number): Promise<void> => {
      const root = mkdtempSync(path.join(os.tmpdir(), 'gfb-killed-'));
      cpSync(path.join(FIXTURE_ROOTS, 'debian-12'), root, { recursive: true, verbatimSymlinks: true });
      const delay = Math.round(((index + 0.5) / RUNS) * fullRunMs);
      killed.push({ root, delay });
      const child = execa(process.execPath, [CLI, 'apply', '--root', root, '--metadata-host', host], { reject: false });
      const timer = setTimeout(() => child.kill('SIGKILL'), delay);
      await child;
      clearTimeout(timer);
      const now = snapshot(root);
      for (const [file, content] of now) {
        if (file.split('/').some(isLitter)) continue;
        const isOld = old.get(file) === content;
        const isNew = isHostKey(file) ? isCompleteKey(file, content) : applied.get(file) === content;
        expect(isOld || isNew, `${file} after a kill at ${delay} ms is neither old nor new`).toBe(true);
      }
      for (const file of old.keys()) if (!managed.includes(file)) expect(now.has(file), `${file} vanished`).toBe(true);
    };
    for (let index = 0; index < RUNS; index += 2) await Promise.all([oneRun(index), oneRun(index + 1)]);
    expect(Math.max(...killed.map(({ delay }) => delay))).toBeGreaterThan(fullRunMs * 0.9);
  }, 1_200_000);

  // A kill during ssh-host-keys used to leave ssh-keygen running with a fixed temp name; the next
  // run's ssh-keygen then found that file and waited on "Overwrite (y/n)?" for its 300 s timeout.
  it(`after a kill -9 at any of the ${RUNS} points, one more apply converges: compliant, no litter`, async () => {
    expect(killed.length).toBe(RUNS);
    const { host } = await startEmulator();
    const converge = async ({ root, delay }: { root: string; delay: number }): Promise<void> => {
      const result = await runCli(['apply', '--root', root, '--metadata-host', host]);
      expect(result.exitCode, `apply after a kill at ${delay} ms: ${result.stderr}`).toBe(0);
      const check = await runCli(['check', '--root', root, '--metadata-host', host]);
      expect(check.exitCode, `check after a kill at ${delay} ms: ${check.stdout}`).toBe(0);
      expect(litter(root), `litter after a kill at ${delay} ms`).toEqual([]);
      const now = snapshot(root);
      expect([...now.keys()].sort()).toEqual([...applied.keys()].sort());
      for (const [file, content] of applied) {
        const same = isHostKey(file) ? isCompleteKey(file, now.get(file)) : now.get(file) === content;
        expect(same, `${file} after a kill at ${delay} ms and one more apply differs from a whole run's`).toBe(true);
      }
    };
    for (let index = 0; index < killed.length; index += 2) await Promise.all(killed.slice(index, index + 2).map(converge));
  }, 1_800_000);
});

describe('what a killed run leaves behind', () => {
  it('a command run without input has no stdin to wait on: ssh-keygen\'s "Overwrite (y/n)?" gets EOF', async () => {
    const root = sandboxRoot();
    writeFileSync(path.join(root, 'etc/ssh/taken'), 'a file a killed run\'s ssh-keygen wrote\n');
    const host = new Host({ root, live: false });
    const result = await host.run('ssh-keygen', ['-q', '-N', '', '-t', 'ed25519', '-f', host.resolve('/etc/ssh/taken'), '-C', ''], { timeoutMs: 50_000 });
    expect(result.exitCode).toBe(1);
    expect(readFileSync(path.join(root, 'etc/ssh/taken'), 'utf8')).toBe('a file a killed run\'s ssh-keygen wrote\n');
  }, 30_000);

  it('a key scratch directory a killed run left is drift, and apply removes it', async () => {
    const root = sandboxRoot();
    const { host } = await startEmulator();
    expect((await runCli(['apply', '--root', root, '--metadata-host', host])).exitCode).toBe(0);
    const leftover = path.join(root, 'etc/ssh/.ssh_host_keys.gce-firstboot-0123456789ab');
    mkdirSync(leftover, { mode: 0o700 });
    writeFileSync(path.join(leftover, 'ssh_host_rsa_key'), '-----BEGIN OPENSSH PRIVATE KEY-----\n', { mode: 0o600 });
    const check = await runCli(['check', '--root', root, '--metadata-host', host, '--only', 'ssh-host-keys', '--json']);
    expect(check.exitCode).toBe(1);
    expect(reportOf(check).modules[0]!.findings.map((finding) => finding.key)).toContain('/etc/ssh/.ssh_host_keys.gce-firstboot-0123456789ab');
    expect((await runCli(['apply', '--root', root, '--metadata-host', host, '--only', 'ssh-host-keys'])).exitCode).toBe(0);
    expect(existsSync(leftover)).toBe(false);
    expect((await runCli(['check', '--root', root, '--metadata-host', host, '--only', 'ssh-host-keys'])).exitCode).toBe(0);
  });

  // Seen once in 200 kills (at 1279 ms): the run died between the plan's temp file and its rename,
  // and the plan it had already written was the one the next apply wanted, so nothing rewrote it.
  it('a temp file of the host-key plan a killed run left is gone after the next apply, though the plan is unchanged', async () => {
    const root = sandboxRoot();
    const { host } = await startEmulator();
    expect((await runCli(['apply', '--root', root, '--metadata-host', host])).exitCode).toBe(0);
    const state = path.join(root, 'var/lib/gce-firstboot');
    const plan = readFileSync(path.join(state, 'host-keys.plan'), 'utf8');
    const temp = path.join(state, '.host-keys.plan.gce-firstboot-640de1d6b3f9.tmp');
    writeFileSync(temp, plan.slice(0, 10), { mode: 0o600 });
    const applied = await runCli(['apply', '--root', root, '--metadata-host', host, '--json']);
    expect(applied.exitCode, applied.stderr).toBe(0);
    expect(reportOf(applied).summary.changes).toBe(0);
    expect(existsSync(temp)).toBe(false);
    expect(readFileSync(path.join(state, 'host-keys.plan'), 'utf8')).toBe(plan);
    expect(litter(root)).toEqual([]);
  });

  // An image built on a host whose state directory holds a link named like our temp (planted, or
  // copied in from elsewhere): the clean-up removes the link, never what it points at.
  it('a link in the state directory named like a killed run\'s temp is removed itself; the file and directory it points at stay', async () => {
    const root = sandboxRoot();
    const outside = mkdtempSync(path.join(os.tmpdir(), 'gfb-outside-'));
    try {
      const { host } = await startEmulator();
      expect((await runCli(['apply', '--root', root, '--metadata-host', host])).exitCode).toBe(0);
      const state = path.join(root, 'var/lib/gce-firstboot');
      writeFileSync(path.join(outside, 'precious'), 'the host\'s file\n');
      mkdirSync(path.join(outside, 'dir'));
      writeFileSync(path.join(outside, 'dir', 'inside'), 'kept\n');
      const toFile = path.join(state, '.state.json.gce-firstboot-0123456789ab.tmp');
      const toDir = path.join(state, '.host-keys.plan.gce-firstboot-ba9876543210.tmp');
      symlinkSync(path.join(outside, 'precious'), toFile);
      symlinkSync(path.join(outside, 'dir'), toDir);
      const applied = await runCli(['apply', '--root', root, '--metadata-host', host]);
      expect(applied.exitCode, applied.stderr).toBe(0);
      expect(existsSync(toFile) || isSymlink(toFile)).toBe(false);
      expect(isSymlink(toDir)).toBe(false);
      expect(readFileSync(path.join(outside, 'precious'), 'utf8')).toBe('the host\'s file\n');
      expect(readFileSync(path.join(outside, 'dir', 'inside'), 'utf8')).toBe('kept\n');
      expect(litter(root)).toEqual([]);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});

function isSymlink(file: string): boolean {
  try {
    return lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

describe('sealing after a killed run', () => {
  it('seal removes a key scratch directory a killed run left (it holds private keys)', async () => {
    const root = sandboxRoot();
    const leftover = path.join(root, 'etc/ssh/.ssh_host_keys.gce-firstboot-0123456789ab');
    mkdirSync(leftover, { mode: 0o700 });
    writeFileSync(path.join(leftover, 'ssh_host_ed25519_key'), '-----BEGIN OPENSSH PRIVATE KEY-----\n', { mode: 0o600 });
    const sealed = await runCli(['seal', '--root', root]);
    expect(sealed.exitCode, sealed.stderr).toBe(0);
    expect(existsSync(leftover)).toBe(false);
  });
});

describe('the run lock', () => {
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

  it('a live lock makes apply wait, and it proceeds once the holder lets go', async () => {
    const root = sandboxRoot();
    const { host } = await startEmulator();
    const lock = await RunLock.acquire(new Host({ root, live: false }), 0);
    const pending = runCli(['apply', '--root', root, '--metadata-host', host]);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(readFileSync(path.join(root, 'etc/hostname'), 'utf8')).toBe('debian\n');
    await lock.release();
    expect((await pending).exitCode).toBe(0);
    expect(readFileSync(path.join(root, 'etc/hostname'), 'utf8')).toBe('demo-vm\n');
  });
});
