import { promises as fs, constants } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

export interface AtomicWriteOptions {
  mode?: number;
  uid?: number;
  gid?: number;
  /** Runs on the finished temp file just before it is renamed over the target (e.g. to copy a label). */
  beforeRename?: (temp: string) => Promise<void>;
}

export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await fs.open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function tempPrefix(target: string): string {
  return `.${path.basename(target)}.gce-firstboot-`;
}

/** A fresh temp path beside `target`, named as ATOMIC_WRITE_TEMP says. */
function newTempPath(target: string): string {
  return path.join(path.dirname(target), `${tempPrefix(target)}${randomBytes(6).toString('hex')}.tmp`);
}

/** The name of a temp file these writes make (and a killed run can leave): `.NAME.gce-firstboot-<12 hex>.tmp`. */
export const ATOMIC_WRITE_TEMP = /^\..+\.gce-firstboot-[0-9a-f]{12}\.tmp$/;

/** Temp files a killed run left beside `target` are removed before the next write. */
async function removeStaleTemps(target: string): Promise<void> {
  const dir = path.dirname(target);
  const prefix = tempPrefix(target);
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  await Promise.all(names.filter((name) => name.startsWith(prefix) && ATOMIC_WRITE_TEMP.test(name)).map((name) => fs.rm(path.join(dir, name), { force: true })));
}

/**
 * Writes `content` to `target` so that readers see either the whole old file or the whole new one:
 * a temp file in the same directory, created with its final mode (never briefly wider), fsynced,
 * renamed over the target, then the directory fsynced so the rename survives a crash.
 */
export async function writeFileAtomic(target: string, content: string | Buffer, options: AtomicWriteOptions = {}): Promise<void> {
  const dir = path.dirname(target);
  await removeStaleTemps(target);
  const temp = newTempPath(target);
  const mode = options.mode ?? 0o644;
  const handle = await fs.open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    try {
      await handle.writeFile(content);
      await handle.chmod(mode);
      if (options.uid !== undefined && options.gid !== undefined) await handle.chown(options.uid, options.gid);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await options.beforeRename?.(temp);
    await fs.rename(temp, target);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
  await fsyncDirectory(dir);
}

/** Replaces `linkPath` by a symlink to `target` atomically (a temp link renamed over it; `beforeRename` as for files). */
export async function symlinkAtomic(target: string, linkPath: string, beforeRename?: (temp: string) => Promise<void>): Promise<void> {
  const dir = path.dirname(linkPath);
  await removeStaleTemps(linkPath);
  const temp = newTempPath(linkPath);
  await fs.symlink(target, temp);
  try {
    await beforeRename?.(temp);
    await fs.rename(temp, linkPath);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
  await fsyncDirectory(dir);
}
