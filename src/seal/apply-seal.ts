import type { Host } from '../host/host.js';
import type { SealAction } from './artefacts.js';

/** Carries out the actions in order, never leaving a backup behind (see Host.discard). */
export async function applySealActions(host: Host, actions: readonly SealAction[]): Promise<void> {
  for (const action of actions) {
    if (action.action === 'remove') await host.discard(action.path);
    // 0444 as systemd and Debian's images keep it: nothing but systemd's first boot writes it.
    else if (action.action === 'empty') await host.writeText(action.path, '', { mode: 0o444, backup: false });
    else await host.writeText(action.path, action.content ?? '', { backup: false });
  }
}
