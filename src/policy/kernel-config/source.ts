import { gunzipSync } from 'node:zlib';
import type { Host } from '../../host/host.js';

export interface ConfigSource {
  /** Where the config was read from, as a person would name it. */
  path: string;
  text: string;
}

/** Orders kernel releases so that 6.1.0-10 comes after 6.1.0-9 (without Intl: its ICU data costs MBs of RSS). */
function newestFirst(a: string, b: string): number {
  const left = b.split(/(\d+)/);
  const right = a.split(/(\d+)/);
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const x = left[i]!;
    const y = right[i]!;
    if (x === y) continue;
    // split() with a capture group puts the digit runs at odd indexes.
    if (i % 2 === 1) return Number(x) - Number(y) || x.length - y.length;
    return x < y ? -1 : 1;
  }
  return left.length - right.length;
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
