import { promises as fs } from 'node:fs';

/** Whether DIR is the running system's root (also through a symlink or a bind mount of /). */
export async function isRunningRoot(dir: string): Promise<boolean> {
  const [candidate, root] = await Promise.all([fs.stat(dir), fs.stat('/')]);
  return candidate.dev === root.dev && candidate.ino === root.ino;
}
