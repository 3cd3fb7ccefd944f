import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterEach } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { REPO, sandboxRoot, tempDir } from '../helpers/sandbox.js';
import { SERIAL_PREFIX, type SerialEvent } from '../../src/report/serial-protocol.js';

const started: ResultPromise[] = [];
afterEach(async () => {
  for (const child of started.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await child.catch(() => undefined);
  }
});

/** Polls until `check` returns something truthy; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 30_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A unix datagram socket the test owns, receiving what systemd-notify sends. */
export async function notifySocket(): Promise<{ path: string; messages: () => string[] }> {
  const socketPath = path.join(tempDir('gfb-notify-'), 'notify.sock');
  const received: string[] = [];
  const child = execa('python3', [path.join(REPO, 'test/daemon/notify-receiver.py'), socketPath], { reject: false, buffer: false });
  started.push(child);
  child.stdout!.setEncoding('utf8');
  let pending = '';
  child.stdout!.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) received.push(JSON.parse(line) as string);
  });
  await waitFor(() => received.includes('LISTENING'), 'the notify socket');
  return { path: socketPath, messages: () => received.filter((message) => message !== 'LISTENING') };
}

export interface DaemonUnderTest {
  root: string;
  serialPath: string;
  configPath: string;
  child: ResultPromise;
  stderr: () => string;
  /** Events of every whole line written to the fake serial port so far. */
  serialEvents: () => SerialEvent[];
  summaries: () => SerialEvent[];
}

/** Starts `gce-firstboot watch` on a sandbox root, its serial port a plain file in the root. */
export function startDaemon(options: { metadataHost: string; config?: string; env?: Record<string, string>; serialPort?: string; root?: string; only?: string; args?: string[] }): DaemonUnderTest {
  const root = options.root ?? sandboxRoot();
  const serialPort = options.serialPort ?? '/dev/ttyS0';
  mkdirSync(path.join(root, 'dev'), { recursive: true });
  if (!options.serialPort) writeFileSync(path.join(root, 'dev/ttyS0'), '');
  const configPath = path.join(tempDir('gfb-conf-'), 'gce-firstboot.conf');
  writeFileSync(configPath, `[core]\nserial_port = ${serialPort}\ncheck_interval_sec = 3600\nboot_deadline_sec = 2\n${options.config ?? ''}`);
  const child = execa(process.execPath, [CLI, 'watch', '--root', root, '--metadata-host', options.metadataHost, '--config', configPath, '--only', options.only ?? 'hostname', ...(options.args ?? [])], {
    reject: false,
    env: { JOURNAL_STREAM: '', NOTIFY_SOCKET: '', ...options.env },
    buffer: false,
  });
  started.push(child);
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => (stderr += chunk));
  child.stdout!.resume();
  const serialPath = path.join(root, serialPort);
  const serialEvents = (): SerialEvent[] => {
    let text = '';
    try {
      text = readFileSync(serialPath, 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .slice(0, -1)
      .filter((line) => line.startsWith(SERIAL_PREFIX))
      .map((line) => JSON.parse(line.slice(SERIAL_PREFIX.length)) as SerialEvent);
  };
  return {
    root,
    serialPath,
    configPath,
    child,
    stderr: () => stderr,
    serialEvents,
    summaries: () => serialEvents().filter((event) => event.event === 'summary'),
  };
}

/** Sends SIGTERM and resolves with the exit code and how long the stop took. */
export async function stopDaemon(daemon: DaemonUnderTest): Promise<{ exitCode: number | undefined; ms: number }> {
  const begin = Date.now();
  daemon.child.kill('SIGTERM');
  const result = await daemon.child;
  return { exitCode: result.exitCode, ms: Date.now() - begin };
}

/** The pid of the daemon's pass process (`watch --one-pass`) while one runs. */
export function passPid(daemon: DaemonUnderTest): number | undefined {
  const pid = daemon.child.pid!;
  let children: string[];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  } catch {
    return undefined;
  }
  for (const child of children) {
    try {
      if (readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0').includes('--one-pass')) return Number(child);
    } catch {
      // exited meanwhile
    }
  }
  return undefined;
}

/** Whether a process with this pid still exists (a zombie counts as gone). */
export function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}
