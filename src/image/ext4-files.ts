import type { Host } from '../host/host.js';
import { existsIn, type DirEntry, type GuestFiles } from './guest-files.js';

const NOT_FOUND = 'File not found by ext2_lookup';

/**
 * Reads files of an ext2/3/4 file system inside a disk image through e2fsprogs' debugfs
 * ('disk.raw?offset=BYTES'): no mount, no loop device, nothing written to the image.
 */
export class Ext4Files implements GuestFiles {
  constructor(
    private readonly host: Host,
    private readonly image: string,
    private readonly offset: number,
  ) {}

  private async debugfs(request: string, guestPath: string, hostPath?: string): Promise<string | undefined> {
    // debugfs parses its request like a shell line: a quote in a name taken from the image would
    // add arguments of the image's choosing.
    if (/["\\\u0000-\u001f]/.test(`${guestPath}${hostPath ?? ''}`)) throw new Error(`refusing to pass ${JSON.stringify(guestPath)} to debugfs: it holds a quote, backslash or control character`);
    const command = `${request} "${guestPath}"${hostPath ? ` "${hostPath}"` : ''}`;
    const result = await this.host.run('debugfs', ['-R', command, `${this.image}?offset=${this.offset}`]);
    const problems = result.stderr.split('\n').filter((line) => line.trim() && !line.startsWith('debugfs '));
    if (problems.some((line) => line.includes(NOT_FOUND))) return undefined;
    if (result.exitCode !== 0 || problems.some((line) => line.includes('while'))) {
      throw new Error(`debugfs ${request} ${guestPath}: ${problems.join('; ') || `exit ${result.exitCode}`}`);
    }
    return result.stdout;
  }

  async readText(guestPath: string): Promise<string | undefined> {
    return this.debugfs('cat', guestPath);
  }

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

  async exists(guestPath: string): Promise<boolean> {
    return existsIn(this, guestPath);
  }

  /** Copies a file's bytes out to `hostPath` (a path in our own temp directory); false when it does not exist. */
  async dump(guestPath: string, hostPath: string): Promise<boolean> {
    return (await this.debugfs('dump', guestPath, hostPath)) !== undefined;
  }
}
