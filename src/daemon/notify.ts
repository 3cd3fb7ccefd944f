import { execa } from 'execa';
import type { Logger } from '../policy/types.js';

/**
 * sd_notify(3) through the systemd-notify binary. `--pid` names the daemon (the message comes
 * from a short-lived child, so the unit needs NotifyAccess=all); `--no-block` skips the barrier
 * wait, so a notification never holds the daemon up. Without NOTIFY_SOCKET nothing is sent.
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
    const result = await execa('systemd-notify', ['--no-block', `--pid=${process.pid}`, ...assignments], {
      reject: false,
      timeout: 2_000,
      env: { NOTIFY_SOCKET: this.env.NOTIFY_SOCKET },
    });
    if (result.exitCode !== 0 && !this.warned) {
      this.warned = true;
      this.log.warn(`systemd-notify failed (exit ${result.exitCode ?? 'none'}): ${String(result.stderr || result.message).trim()}`);
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
