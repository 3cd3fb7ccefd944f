import type { Host } from '../host/host.js';

/**
 * The files of several config directories the way systemd-style tools read them: every name
 * ending in `suffix`, a name in an earlier directory hiding the same name in a later one, all
 * sorted by file name (systemd drop-ins, sysctl.d, udev rules.d, ...).
 */
export async function filesByName(host: Host, dirs: readonly string[], suffix: string): Promise<string[]> {
  const byName = new Map<string, string>();
  for (const dir of dirs) {
    for (const entry of await host.readDir(dir)) {
      if (entry.endsWith(suffix) && !byName.has(entry)) byName.set(entry, `${dir}/${entry}`);
    }
  }
  return [...byName.keys()].sort().map((entry) => byName.get(entry)!);
}

/** The file name of a path. */
export function baseName(file: string): string {
  return file.slice(file.lastIndexOf('/') + 1);
}
