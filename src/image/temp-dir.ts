import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const SIGNALS = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 } as const;

/**
 * Runs `work` with a fresh directory under $TMPDIR that is removed on every way out: return,
 * throw, an uncaught error, or an interrupt (Ctrl-C, kill), after which the process exits as the signal asks.
 */
export async function withTempDir<T>(prefix: string, work: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  const removeNow = () => rmSync(dir, { recursive: true, force: true });
  const handlers = Object.entries(SIGNALS).map(([signal, number]) => {
    const handler = () => {
      removeNow();
      process.exit(128 + number);
    };
    process.once(signal, handler);
    return [signal, handler] as const;
  });
  // An uncaught error ends the process without running `finally`, but still emits 'exit'.
  process.once('exit', removeNow);
  try {
    return await work(dir);
  } finally {
    for (const [signal, handler] of handlers) process.removeListener(signal, handler);
    process.removeListener('exit', removeNow);
    await rm(dir, { recursive: true, force: true });
  }
}
