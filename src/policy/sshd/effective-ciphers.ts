import type { Host } from '../../host/host.js';
import { ciphersIn } from './ciphers.js';
import { planMirror } from './config-mirror.js';
import type { Target } from './targets.js';
import { withMirror } from './validate.js';

/**
 * The cipher list the running system's ssh client would offer (`ssh -G`), or undefined off the
 * running system: another root's OpenSSH build and defaults are not the host's. ssh reads the
 * system's own files, unless one holds a `Match exec`: then a copy that runs none (see
 * mirrorConfig), so that a check writes nothing where nothing would run.
 */
export async function effectiveClientCiphers(host: Host, client: Target): Promise<string[] | undefined> {
  if (host.root !== '/' || !(await host.exists(client.main))) return undefined;
  const ciphersOf = async (config: string): Promise<string[] | undefined> => {
    const result = await host.run('ssh', ['-G', '-F', config, 'gce-firstboot-check']);
    // A configuration ssh rejects is apply's to report (it validates before writing).
    return result.exitCode === 0 ? ciphersIn(result.stdout) : undefined;
  };
  const { mirror } = await planMirror(host, client, new Map(), host.stateDir);
  if (!mirror.execNotRun.length) return ciphersOf(host.resolve(client.main));
  return withMirror(host, client, new Map(), (copy) => ciphersOf(copy.main));
}
