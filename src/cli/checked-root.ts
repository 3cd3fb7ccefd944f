import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UsageError } from './usage-error.js';

/** The --root directory, absolute; a usage error when it does not exist or is not a directory. */
export async function checkedRoot(given: string): Promise<string> {
  const root = path.resolve(given);
  const stats = await fs.stat(root).catch(() => undefined);
  if (!stats) throw new UsageError(`--root ${given}: no such directory`);
  if (!stats.isDirectory()) throw new UsageError(`--root ${given}: not a directory`);
  return root;
}
