import type { Host } from '../host/host.js';
import type { SealAction } from './artefacts.js';

/** A seal that stopped part way: what was already done, and the action that failed. */
export class SealStopped extends Error {
  override readonly name = 'SealStopped';
  constructor(
    readonly done: readonly SealAction[],
    readonly failed: SealAction,
    cause: unknown,
  ) {
    super(`seal stopped at ${failed.path} (${failed.what}): ${(cause as Error).message ?? String(cause)}`);
  }
}

async function applyOne(host: Host, action: SealAction): Promise<void> {
  if (action.action === 'remove') await host.discard(action.path);
  // 0444 as systemd and Debian's images keep it: nothing but systemd's first boot writes it.
  else if (action.action === 'empty') await host.writeText(action.path, '', { mode: 0o444, backup: false });
  else await host.writeText(action.path, action.content ?? '', { backup: false });
}

/**
 * Carries out the actions in order, never leaving a backup behind (see Host.discard). Everything
 * that can be refused (a directory or device where a file is emptied, a symlink loop) already was
 * when the actions were found, so a failure here is the system's (EROFS, EPERM): it throws
 * SealStopped, which says what was done before it.
 */
export async function applySealActions(host: Host, actions: readonly SealAction[]): Promise<void> {
  for (const [index, action] of actions.entries()) {
    try {
      await applyOne(host, action);
    } catch (error) {
      throw new SealStopped(actions.slice(0, index), action, error);
    }
  }
}
