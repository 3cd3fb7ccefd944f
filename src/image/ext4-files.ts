import type { Host } from '../host/host.js';

export interface DirEntry {
  name: string;
  /** The inode mode, e.g. 0o100644 for a file, 0o120777 for a symlink. */
  mode: number;
  size: number;
}

const NOT_FOUND = 'File not found by ext2_lookup';

/**
 * Reads files of an ext4 file system inside a disk image through e2fsprogs' debugfs
 * ('disk.raw?offset=BYTES'): no mount, no loop device, nothing written.
 */
export class Ext4Files {
  constructor(
    private readonly host: Host,
    private readonly image: string,
    private readonly offset: number,
  ) {}

  private async debugfs(request: string, guestPath: string): Promise<string | undefined> {
    const result = await this.host.run('debugfs', ['-R', `${request} "${guestPath}"`, `${this.image}?offset=${this.offset}`]);
    const problems = result.stderr.split('\n').filter((line) => line.trim() && !line.startsWith('debugfs '));
    if (problems.some((line) => line.includes(NOT_FOUND))) return undefined;
    if (result.exitCode !== 0 || problems.some((line) => line.includes('while'))) {
      throw new Error(`debugfs ${request} ${guestPath}: ${problems.join('; ') || `exit ${result.exitCode}`}`);
    }
    return result.stdout;
  }

  /** A file's content, undefined when it does not exist. */
  async readText(guestPath: string): Promise<string | undefined> {
    return this.debugfs('cat', guestPath);
  }

  /** A directory's entries (without . and ..), undefined when it does not exist. */
  async list(guestPath: string): Promise<DirEntry[] | undefined> {
    const output = await this.debugfs('ls -p', guestPath);
    if (output === undefined) return undefined;
    const entries: DirEntry[] = [];
    // Lines look like "/inode/mode/uid/gid/name/size/".
    for (const line of output.split('\n')) {
      const fields = line.split('/');
      if (fields.length < 7) continue;
      const name = fields.slice(5, fields.length - 2).join('/');
      if (name === '.' || name === '..' || name === '') continue;
      entries.push({ name, mode: parseInt(fields[2]!, 8), size: Number(fields[fields.length - 2]) || 0 });
    }
    return entries;
  }

  /** Whether a path exists (any type), looked up in its parent directory's listing. */
  async exists(guestPath: string): Promise<boolean> {
    const slash = guestPath.lastIndexOf('/');
    const entries = await this.list(guestPath.slice(0, slash) || '/');
    return entries?.some((entry) => entry.name === guestPath.slice(slash + 1)) ?? false;
  }
}

export const isSymlink = (entry: DirEntry) => (entry.mode & 0o170000) === 0o120000;
