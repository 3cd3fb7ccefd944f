import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';

/** Every path below `root` (as "/a/b") mapped to a digest of its type, mode and content or link target. */
export function hashTree(root: string): Map<string, string> {
  const digests = new Map<string, string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      const stats = lstatSync(full);
      const hash = createHash('sha256').update(`${stats.mode}:`);
      if (stats.isSymbolicLink()) hash.update(`link:${readlinkSync(full)}`);
      else if (stats.isFile()) hash.update(readFileSync(full));
      digests.set(`/${path.relative(root, full)}`, hash.digest('hex'));
      if (stats.isDirectory()) walk(full);
    }
  };
  walk(root);
  return digests;
}
