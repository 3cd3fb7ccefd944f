import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Host } from '../host/host.js';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const UNREADABLE_LOCK_GRACE_MS = 5_000;

export class LockTimeoutError extends Error {
  override readonly name = 'LockTimeoutError';
}

/**
 * One run at a time: an O_EXCL lock file holding the holder's pid. A lock whose holder is gone
 * (killed mid-run) is taken over.
 */
export class RunLock {
  private constructor(private readonly file: string) {}

  static async acquire(host: Host, waitMs: number, signal?: AbortSignal): Promise<RunLock> {
    await host.mkdirp(host.stateDir, 0o700);
    const file = host.resolve(path.posix.join(host.stateDir, 'run.lock'));
    const deadline = Date.now() + waitMs;
    for (;;) {
      try {
        const handle = await fs.open(file, 'wx', 0o600);
        await handle.writeFile(`${process.pid}\n`);
        await handle.close();
        return new RunLock(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = Number.parseInt((await fs.readFile(file, 'utf8').catch(() => '')).trim(), 10);
      const hasPid = Number.isInteger(holder) && holder > 0;
      // A lock without a pid is one being written right now, or litter: litter once it is old.
      const age = Date.now() - ((await fs.stat(file).catch(() => undefined))?.mtimeMs ?? Date.now());
      if ((hasPid && !processAlive(holder)) || (!hasPid && age > UNREADABLE_LOCK_GRACE_MS)) {
        await fs.rm(file, { force: true });
        continue;
      }
      if (Date.now() >= deadline || signal?.aborted) {
        throw new LockTimeoutError(`another gce-firstboot run holds ${file} (pid ${holder || 'unknown'})`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async release(): Promise<void> {
    await fs.rm(this.file, { force: true });
  }
}
