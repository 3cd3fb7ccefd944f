import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Host } from '../host/host.js';

/** The kernel's start time of a process (field 22 of /proc/PID/stat); undefined when it is gone. */
async function startTime(pid: number): Promise<string | undefined> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

/** Who holds the lock: pid plus its start time, so a pid reused after a crash or reboot is not mistaken for the holder. */
async function holderLine(): Promise<string> {
  return `${process.pid} ${(await startTime(process.pid)) ?? ''}\n`;
}

async function holderAlive(pid: number, recordedStart: string | undefined): Promise<boolean> {
  const current = await startTime(pid);
  if (current === undefined) return false;
  return recordedStart === undefined || recordedStart === '' || recordedStart === current;
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
        await handle.writeFile(await holderLine());
        await handle.close();
        return new RunLock(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const [pidText, recordedStart] = (await fs.readFile(file, 'utf8').catch(() => '')).trim().split(/\s+/);
      const holder = Number.parseInt(pidText ?? '', 10);
      const hasPid = Number.isInteger(holder) && holder > 0;
      // A lock without a pid is one being written right now, or litter: litter once it is old.
      const age = Date.now() - ((await fs.stat(file).catch(() => undefined))?.mtimeMs ?? Date.now());
      if ((hasPid && !(await holderAlive(holder, recordedStart))) || (!hasPid && age > UNREADABLE_LOCK_GRACE_MS)) {
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
