import type { Host } from '../host/host.js';
import { existsIn, type DirEntry, type GuestFiles } from './guest-files.js';

/**
 * Reads files of a FAT file system (an EFI system partition) inside a disk image through mtools
 * ('disk.raw@@OFFSET'): no mount, no loop device, nothing written to the image.
 */
export class EspFiles implements GuestFiles {
  constructor(
    private readonly host: Host,
    private readonly image: string,
    private readonly offset: number,
  ) {}

  private async mtools(command: string, guestPath: string, flags: string[] = []): Promise<string | undefined> {
    const result = await this.host.run(command, [...flags, '-i', `${this.image}@@${this.offset}`, `::${guestPath}`], { env: { MTOOLS_SKIP_CHECK: '1' } });
    if (result.exitCode === 0) return result.stdout;
    if (/not found/i.test(result.stderr)) return undefined;
    throw new Error(`${command} ${guestPath}: ${result.stderr.trim().split('\n')[0] || `exit ${result.exitCode}`}`);
  }

  async readText(guestPath: string): Promise<string | undefined> {
    return this.mtools('mtype', guestPath);
  }

  async list(guestPath: string): Promise<DirEntry[] | undefined> {
    // -b: bare output, one full path a line, directories ending in '/'.
    const output = await this.mtools('mdir', `${guestPath.replace(/\/$/, '')}/`, ['-b']);
    if (output === undefined) return undefined;
    const prefix = `::${guestPath.replace(/\/$/, '')}/`;
    return output
      .split('\n')
      .filter((line) => line.startsWith(prefix) && line.length > prefix.length)
      .map((line) => {
        const directory = line.endsWith('/');
        return { name: line.slice(prefix.length).replace(/\/$/, ''), mode: directory ? 0o040755 : 0o100644, size: 0 };
      })
      .filter((entry) => !entry.name.includes('/'));
  }

  async exists(guestPath: string): Promise<boolean> {
    return existsIn(this, guestPath);
  }
}
