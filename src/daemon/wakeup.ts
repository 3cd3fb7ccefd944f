export type WakeReason = 'interval' | 'attributes' | 'reload';

/**
 * Why the daemon should run its next pass. Reasons that arrive during a pass are kept, so a
 * change seen mid-pass leads to one more pass right after it. Idle, one timer is armed.
 */
export class Wakeup {
  private reasons = new Set<WakeReason>();
  private notify?: () => void;

  push(reason: WakeReason): void {
    this.reasons.add(reason);
    this.notify?.();
  }

  /** Waits for a reason, at most `intervalMs` (then the reason is "interval"), or for the stop. */
  async wait(intervalMs: number, signal: AbortSignal): Promise<Set<WakeReason>> {
    if (this.reasons.size === 0 && !signal.aborted) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          this.notify = undefined;
          resolve();
        };
        const timer = setTimeout(() => {
          this.reasons.add('interval');
          done();
        }, intervalMs);
        signal.addEventListener('abort', done, { once: true });
        this.notify = done;
      });
    }
    const taken = this.reasons;
    this.reasons = new Set();
    return taken;
  }
}
