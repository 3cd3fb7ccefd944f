import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { Host } from '../../src/host/host.js';
import { RunLock } from '../../src/state/run-lock.js';
import { runCli } from '../helpers/cli.js';
import { startEmulator } from '../helpers/emulator.js';
import { REPO, sandboxRoot, tempDir } from '../helpers/sandbox.js';

const CONTENDER = path.join(REPO, 'test/reliability/lock-contender.mjs');
const children: ResultPromise[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) {
    child.kill('SIGKILL');
    await child.catch(() => undefined);
  }
});

function contender(root: string, evidence: string, trials: number | 'hold'): ResultPromise {
  const child = execa(process.execPath, [CONTENDER, root, evidence, String(trials)], { reject: false, buffer: false });
  children.push(child);
  return child;
}

/**
 * Starts a process that takes the run lock of `root` and keeps it until killed. Wrapped in an
 * object: an async function returning the child (a thenable) would wait for it to exit.
 */
async function holder(root: string): Promise<{ child: ResultPromise }> {
  const child = contender(root, '-', 'hold');
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('held') && resolve());
    void child.then(() => reject(new Error('the holder exited before taking the lock')));
  });
  return { child };
}

const lines = (file: string): string[] => readFileSync(file, 'utf8').split('\n').filter(Boolean);

/** The pid that entered last and has not left or been killed. */
function currentHolder(file: string): number | undefined {
  const open: string[] = [];
  for (const line of lines(file)) {
    const [event, pid] = line.split(' ');
    if (event === 'enter') open.push(pid!);
    else if ((event === 'leave' || event === 'killed') && open.includes(pid!)) open.splice(open.indexOf(pid!), 1);
  }
  return open.length ? Number(open.at(-1)) : undefined;
}

describe('the run lock with several runs at once', () => {
  it('four runs contending over 300+ turns (always four: each killed one is replaced), holders killed with SIGKILL while they hold it: never two holders', { timeout: 600_000 }, async () => {
    const root = sandboxRoot();
    const evidence = path.join(tempDir('gfb-lock-'), 'evidence.log');
    writeFileSync(evidence, '');
    const running = new Set<ResultPromise>();
    const spawn = (trials: number): void => {
      const child = contender(root, evidence, trials);
      running.add(child);
      void child.finally(() => running.delete(child));
    };
    for (let i = 0; i < 4; i++) spawn(75);
    let kills = 0;
    while (running.size > 0) {
      await new Promise((resolve) => setTimeout(resolve, 30 + Math.random() * 100));
      const pid = currentHolder(evidence);
      const victim = [...running].find((child) => child.pid === pid);
      if (kills >= 25 || !victim) continue;
      victim.kill('SIGKILL');
      await victim;
      appendFileSync(evidence, `killed ${pid}\n`);
      kills++;
      spawn(75);
    }
    const log = lines(evidence);
    // Every tick and leave comes from the holder that entered last: no one else held it meanwhile.
    let holderPid: string | undefined;
    const strays: string[] = [];
    log.forEach((line, index) => {
      const [event, pid] = line.split(' ');
      if (event === 'enter') holderPid = pid;
      else if (event !== 'killed' && pid !== holderPid) strays.push(`line ${index + 1} "${line}" while ${holderPid} held the lock`);
    });
    expect(strays).toEqual([]);
    expect(kills).toBe(25);
    expect(log.filter((line) => line.startsWith('enter')).length).toBeGreaterThanOrEqual(300);
    // Everyone is gone: the lock is free at once, with nothing left on disk to clean up.
    const lock = await RunLock.acquire(new Host({ root, live: false }), 0);
    await lock.release();
  });

  it('a run killed with SIGKILL while holding the lock: the next apply goes ahead at once', async () => {
    const root = sandboxRoot();
    const { host } = await startEmulator();
    const { child: held } = await holder(root);
    expect(await RunLock.holder(new Host({ root, live: false }))).toBe(held.pid);
    held.kill('SIGKILL');
    await held;
    const result = await runCli(['apply', '--root', root, '--metadata-host', host], { env: { GCE_FIRSTBOOT_LOCK_WAIT_MS: '0' } });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(readFileSync(path.join(root, 'etc/hostname'), 'utf8')).toBe('demo-vm\n');
  });

  it('a run that keeps the lock: apply gives up after its wait with exit 4, naming the holder, and changes nothing', async () => {
    const root = sandboxRoot();
    const { host } = await startEmulator();
    const { child: held } = await holder(root);
    const result = await runCli(['apply', '--root', root, '--metadata-host', host], { env: { GCE_FIRSTBOOT_LOCK_WAIT_MS: '300' } });
    expect(result.exitCode).toBe(4);
    expect(result.stderr).toContain(`another gce-firstboot run (pid ${held.pid}) holds the run lock`);
    expect(readFileSync(path.join(root, 'etc/hostname'), 'utf8')).toBe('debian\n');
  });

  it('runs on two different roots do not wait for each other', async () => {
    const first = sandboxRoot();
    const second = sandboxRoot();
    await holder(first);
    const lock = await RunLock.acquire(new Host({ root: second, live: false }), 0);
    await lock.release();
  });
});
