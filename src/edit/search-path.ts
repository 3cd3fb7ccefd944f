import path from 'node:path';
import type { Host } from '../host/host.js';

/**
 * Config files across systemd-style search directories (highest priority first): a name in an
 * earlier directory masks the same name in later ones. Sorted by file name, the order systemd
 * reads them. Callers skip masks (links to /dev/null) themselves.
 */
export async function searchPathFiles(host: Host, dirs: readonly string[], suffix: string): Promise<string[]> {
  const winners = new Map<string, string>();
  for (const dir of dirs) {
    for (const name of await host.readDir(dir)) {
      if (name.endsWith(suffix) && !winners.has(name)) winners.set(name, path.posix.join(dir, name));
    }
  }
  return [...winners.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((name) => winners.get(name)!);
}
