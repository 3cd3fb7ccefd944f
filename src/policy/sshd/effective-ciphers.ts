import type { Host } from '../../host/host.js';
import { ciphersIn } from './ciphers.js';
import type { Target } from './targets.js';
import { withMirror } from './validate.js';

/**
 * The cipher list the running system's ssh client would offer (`ssh -G`), or undefined off the
 * running system: another root's OpenSSH build and defaults are not the host's. Read from a copy
 * of the configuration (see mirrorConfig), so a `Match exec` in it is not run.
 */
export async function effectiveClientCiphers(host: Host, client: Target): Promise<string[] | undefined> {
  if (host.root !== '/' || !(await host.exists(client.main))) return undefined;
  return withMirror(host, client, new Map(), async (mirror) => {
    const result = await host.run('ssh', ['-G', '-F', mirror.main, 'gce-firstboot-check']);
    // A configuration ssh rejects is apply's to report (it validates before writing).
    return result.exitCode === 0 ? ciphersIn(result.stdout) : undefined;
  });
}
