export interface DirEntry {
  name: string;
  /** The inode mode, e.g. 0o100644 for a file, 0o120777 for a symlink. */
  mode: number;
  size: number;
}

/** Read-only access to the files of a file system inside the disk, without mounting it. */
export interface GuestFiles {
  /** A file's content, undefined when it does not exist. */
  readText(guestPath: string): Promise<string | undefined>;
  /** A directory's entries (without . and ..), undefined when it does not exist. */
  list(guestPath: string): Promise<DirEntry[] | undefined>;
  /** Whether a path exists (any type). */
  exists(guestPath: string): Promise<boolean>;
}

export const isSymlink = (entry: DirEntry) => (entry.mode & 0o170000) === 0o120000;
export const isDirectory = (entry: DirEntry) => (entry.mode & 0o170000) === 0o040000;

/** Looks a path up in its parent directory's listing. */
export async function existsIn(files: GuestFiles, guestPath: string): Promise<boolean> {
  const slash = guestPath.lastIndexOf('/');
  const entries = await files.list(guestPath.slice(0, slash) || '/');
  return entries?.some((entry) => entry.name === guestPath.slice(slash + 1)) ?? false;
}

/**
 * At most this many entries of one directory are opened one by one (each is a debugfs or mtools
 * call): a hostile image with thousands of BLS entries or .wants directories cannot make a check
 * run for hours.
 */
export const MAX_OPENED_PER_DIRECTORY = 64;

export const firstEntries = <T>(entries: T[] | undefined): T[] => (entries ?? []).slice(0, MAX_OPENED_PER_DIRECTORY);
