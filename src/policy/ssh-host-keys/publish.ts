import type { ModuleContext } from '../types.js';
import type { KeyRecord } from './identity.js';
import { publicKey } from './key-files.js';

/**
 * Puts each public key in guest attributes hostkeys/<algorithm> (what `gcloud compute ssh` reads
 * to fill known_hosts). Returns the new publish state: done, unavailable (guest attributes are
 * switched off: 403/404) or still pending (the server did not answer).
 */
export async function publishKeys(ctx: ModuleContext, names: readonly string[]): Promise<KeyRecord['publish']> {
  try {
    const keys = (await Promise.all(names.map((name) => publicKey(ctx.host, name)))).filter((key) => key !== undefined);
    const accepted = await Promise.all(keys.map((key) => ctx.metadata.putGuestAttribute(`hostkeys/${key.algorithm}`, key.blob)));
    if (accepted.every(Boolean)) return 'done';
    ctx.log.info('ssh-host-keys: guest attributes are switched off for this instance; host keys not published');
    return 'unavailable';
  } catch (error) {
    ctx.log.warn(`ssh-host-keys: publishing host keys failed, left pending: ${(error as Error).message}`);
    return 'pending';
  }
}
