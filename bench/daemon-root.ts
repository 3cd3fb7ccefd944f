import { cpSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERIAL_PREFIX } from '../src/report/serial-protocol.js';
import { sleep } from './proc-memory.js';

/** A sandbox root (the Debian 12 fixture) for `watch`, its serial port a file, and a config for it. */
export function daemonRoot(repo: string, prefix: string): { root: string; config: string; serial: string } {
  const root = mkdtempSync(join(tmpdir(), prefix));
  cpSync(join(repo, 'test/fixtures/roots/debian-12'), root, { recursive: true, verbatimSymlinks: true });
  mkdirSync(join(root, 'dev'), { recursive: true });
  writeFileSync(join(root, 'dev/ttyS0'), '');
  const config = join(root, 'daemon.conf');
  writeFileSync(config, '[core]\nserial_port = /dev/ttyS0\ncheck_interval_sec = 3600\n');
  return { root, config, serial: join(root, 'dev/ttyS0') };
}

/** Counts the summary lines (one per pass) on the daemon's serial port, reading only what is new. */
export function summaryCounter(serialPath: string): () => number {
  let offset = 0;
  let pending = '';
  let count = 0;
  return () => {
    const size = statSync(serialPath).size;
    if (size > offset) {
      const text = readFileSync(serialPath).subarray(offset, size).toString('utf8');
      offset = size;
      const lines = (pending + text).split('\n');
      pending = lines.pop()!;
      count += lines.filter((line) => line.startsWith(SERIAL_PREFIX) && line.includes('"event":"summary"')).length;
    }
    return count;
  };
}

/** Waits until `count()` reaches `atLeast`; `onPoll` runs every 20 ms meanwhile (e.g. to sample a pass). */
export async function waitForCount(count: () => number, atLeast: number, exited: () => boolean, timeoutMs: number, onPoll?: () => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (count() < atLeast) {
    if (exited()) throw new Error(`the daemon exited before pass ${atLeast}`);
    if (Date.now() > deadline) throw new Error(`pass ${atLeast} did not come within ${timeoutMs / 1000} s`);
    onPoll?.();
    await sleep(20);
  }
}

/** The daemon's pass processes (its children) now. */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
