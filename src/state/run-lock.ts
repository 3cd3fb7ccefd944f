import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import type { Host } from '../host/host.js';

const POLL_MS = 100;
/** Lets a test take the timeout path without waiting two minutes; never set in the units. */
export const LOCK_WAIT_ENV = 'GCE_FIRSTBOOT_LOCK_WAIT_MS';

export class LockTimeoutError extends Error {
  override readonly name = 'LockTimeoutError';
}

/**
 * The lock's name: one per state directory, from its real path, so that runs on different
 * --root sandboxes never collide and a root reached through a symlink is the same lock.
 */
async function lockName(host: Host): Promise<string> {
  const stateDir = await fs.realpath(host.resolve(host.stateDir));
  return `\0gce-firstboot-run-lock-${createHash('sha256').update(stateDir).digest('hex').slice(0, 32)}`;
}

/** Binds the name; false when another process holds it. The holder answers a connect with its pid. */
function tryBind(name: string): Promise<net.Server | undefined> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => socket.end(`${process.pid}\n`));
    server.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' ? resolve(undefined) : reject(error)));
    server.listen({ path: name, exclusive: true }, () => {
      server.removeAllListeners('error');
      // The lock must not keep a finished process alive; while the process lives, the name is bound.
      server.unref();
      resolve(server);
    });
  });
}

/** The holder's pid, asked of the holder itself; undefined when nobody answers. */
async function askHolder(name: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    let text = '';
    const socket = net.connect({ path: name });
    socket.setTimeout(1_000, () => socket.destroy());
    socket.on('data', (chunk) => (text += chunk.toString('utf8')));
    socket.on('error', () => resolve(undefined));
    socket.on('close', () => {
      const pid = Number.parseInt(text, 10);
      resolve(Number.isInteger(pid) && pid > 0 ? pid : undefined);
    });
  });
}

/**
 * One run at a time (apply from a shell, the early unit, the daemon's passes, seal).
 *
 * The lock is a UNIX socket bound in Linux's abstract namespace: binding is exclusive, and the
 * kernel unbinds it the moment the holder dies, SIGKILL included, so there is no stale lock to
 * judge and no gap between "the holder is dead" and "take over" in which a third run could slip
 * in (the pid file this replaces had two holders in 24 of 300 trials). Node has no flock(2); a
 * held `flock` child would cost a process start on sshd's path. libuv opens sockets with
 * SOCK_CLOEXEC, so commands we run (ssh-keygen) never inherit the lock.
 *
 * Abstract names are per network namespace: runs on one root must share one (the units do; they
 * do not set PrivateNetwork=). Nothing is left on disk.
 */
export class RunLock {
  private constructor(private readonly server: net.Server) {}

  /** Waits up to `waitMs` (or $GCE_FIRSTBOOT_LOCK_WAIT_MS) for the lock; LockTimeoutError after. */
  static async acquire(host: Host, waitMs: number, signal?: AbortSignal): Promise<RunLock> {
    await host.mkdirp(host.stateDir, 0o700);
    const name = await lockName(host);
    const override = Number.parseInt(process.env[LOCK_WAIT_ENV] ?? '', 10);
    const deadline = Date.now() + (Number.isInteger(override) && override >= 0 ? override : waitMs);
    for (;;) {
      const server = await tryBind(name);
      if (server) return new RunLock(server);
      if (Date.now() >= deadline || signal?.aborted) {
        const holder = await askHolder(name);
        throw new LockTimeoutError(`another gce-firstboot run (pid ${holder ?? 'unknown'}) holds the run lock of ${host.resolve(host.stateDir)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /** The pid of the process holding the lock for this host's state directory, if any. */
  static async holder(host: Host): Promise<number | undefined> {
    if (!(await host.exists(host.stateDir))) return undefined;
    return askHolder(await lockName(host));
  }

  async release(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
