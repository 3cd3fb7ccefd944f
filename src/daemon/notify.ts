import { spawn } from 'node:child_process';
import type { Logger } from '../policy/types.js';

/**
 * sd_notify(3) through the systemd-notify binary. `--pid` names the daemon (the message comes
 * from a short-lived child, so the unit needs NotifyAccess=all); `--no-block` skips the barrier
 * wait, so a notification never holds the daemon up. Without NOTIFY_SOCKET nothing is sent.
 * node:child_process, not execa: the resident daemon loads nothing it can do without (execa is
 * ~13 MB resident). Node has no AF_UNIX datagram socket, hence the helper binary.
 */
export class SystemdNotifier {
  private warned = false;

  constructor(
    private readonly log: Logger,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  get enabled(): boolean {
    return Boolean(this.env.NOTIFY_SOCKET);
  }

  async send(fields: Record<string, string>): Promise<void> {
    if (!this.enabled) return;
    const assignments = Object.entries(fields).map(([key, value]) => `${key}=${value.replace(/[\r\n]+/g, ' ')}`);
    const result = await runQuietly('systemd-notify', ['--no-block', `--pid=${process.pid}`, ...assignments], { PATH: this.env.PATH ?? process.env.PATH, NOTIFY_SOCKET: this.env.NOTIFY_SOCKET });
    if (result.exitCode !== 0 && !this.warned) {
      this.warned = true;
      this.log.warn(`systemd-notify failed (exit ${result.exitCode ?? 'none'}): ${result.stderr.trim()}`);
    }
  }
}

/** How often to send WATCHDOG=1: half of WATCHDOG_USEC, when it is meant for this process. */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv = process.env, pid = process.pid): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return undefined;
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== pid) return undefined;
  return Math.max(1, Math.floor(usec / 2000));
}

/** Runs a short helper with a 2 s timeout; its stderr (capped) for the warning. Never rejects. */
function runQuietly(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ exitCode: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 2_000 });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < 1000) stderr += chunk;
    });
    child.on('error', (error) => resolve({ exitCode: null, stderr: error.message }));
    child.on('close', (code) => resolve({ exitCode: code, stderr }));
  });
}
