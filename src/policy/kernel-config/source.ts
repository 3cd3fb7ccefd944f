import { gunzipSync } from 'node:zlib';
import type { Host } from '../../host/host.js';

export interface ConfigSource {
  /** Where the config was read from, as a person would name it. */
  path: string;
  text: string;
}

/** Orders kernel releases so that 6.1.0-10 comes after 6.1.0-9. */
function newestFirst(a: string, b: string): number {
  return b.localeCompare(a, 'en', { numeric: true });
}

/**
 * The running kernel's config when live (/boot/config-<osrelease>, else /proc/config.gz);
 * under a sandbox root, the newest /boot/config-* in it. Throws when config.gz is not gzip.
 */
export async function findKernelConfig(host: Host): Promise<ConfigSource | undefined> {
  if (host.live) {
    const release = await host.readSysctl('kernel.osrelease');
    if (release) {
      const path = `/boot/config-${release}`;
      const text = await host.readText(path);
      if (text !== undefined) return { path, text };
    }
    const gz = await host.readProcBytes('config.gz');
    if (gz !== undefined) {
      try {
        return { path: `${host.procDir}/config.gz`, text: gunzipSync(gz).toString('utf8') };
      } catch (error) {
        throw new Error(`${host.procDir}/config.gz: not gzip data (${(error as Error).message})`);
      }
    }
    return undefined;
  }
  const configs = (await host.readDir('/boot')).filter((name) => name.startsWith('config-')).sort(newestFirst);
  for (const name of configs) {
    const text = await host.readText(`/boot/${name}`);
    if (text !== undefined) return { path: `/boot/${name}`, text };
  }
  return undefined;
}
